//! Staff administration in the console: staff administrators list, add, disable and enable
//! staff members; a support agent gets a 403 page (audited).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::csrf::{self, STAFF_PURPOSE};
use super::form::WebForm;
use super::layout::{Layout, format_time, render};
use super::notice::{Notice, NoticeQuery};
use super::pages::{StaffAdminPage, StaffMemberRow};
use super::staff::nav;
use super::staff_session::CsrfOnly;
use super::visitor::{Source, StaffSignedIn};
use super::{AppState, WebError};
use crate::domain::{Password, StaffRole};
use crate::service::staff::{ActiveStaff, StaffAdminError};

const ADMIN_ONLY: &str = "Staff administration is only for staff administrators.";

pub async fn admin(
    State(state): State<AppState>,
    StaffSignedIn(active): StaffSignedIn,
    Source(source): Source,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    admin_page(&state, &active, &source, StatusCode::OK, query.text(), Vec::new()).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStaffForm {
    csrf: String,
    username: String,
    role: String,
    password: String,
}

pub async fn add_staff(
    State(state): State<AppState>,
    StaffSignedIn(active): StaffSignedIn,
    Source(source): Source,
    WebForm(form): WebForm<NewStaffForm>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), STAFF_PURPOSE, &form.csrf)?;
    let role: StaffRole = form.role.parse().map_err(|_| WebError::BadRequest)?;
    let result = state.portal.add_staff(&active, &form.username, role, &Password::new(form.password), &source).await;
    admin_outcome(&state, &active, &source, result).await
}

pub async fn set_staff_status(
    State(state): State<AppState>,
    StaffSignedIn(active): StaffSignedIn,
    Source(source): Source,
    Path((username, action)): Path<(String, String)>,
    WebForm(form): WebForm<CsrfOnly>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), STAFF_PURPOSE, &form.csrf)?;
    let disabled = match action.as_str() {
        "disable" => true,
        "enable" => false,
        _ => return Err(WebError::NotFound),
    };
    let result = state.portal.set_staff_disabled(&active, &username, disabled, &source).await.map(drop);
    admin_outcome(&state, &active, &source, result).await
}

async fn admin_outcome(
    state: &AppState,
    active: &ActiveStaff,
    source: &crate::service::RequestSource,
    result: Result<(), StaffAdminError>,
) -> Result<Response, WebError> {
    match result {
        Ok(()) => Ok(Redirect::to(&Notice::StaffSaved.at("/staff/admin")).into_response()),
        Err(StaffAdminError::NotAdmin) => Err(WebError::NotPermitted(ADMIN_ONLY)),
        Err(StaffAdminError::NotFound) => Err(WebError::NotFound),
        Err(StaffAdminError::Failure(failure)) => Err(failure.into()),
        Err(other) => admin_page(state, active, source, StatusCode::BAD_REQUEST, None, vec![other.to_string()]).await,
    }
}

async fn admin_page(
    state: &AppState,
    active: &ActiveStaff,
    source: &crate::service::RequestSource,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let members = match state.portal.list_staff(active, source).await {
        Ok(members) => members,
        Err(StaffAdminError::NotAdmin) => return Err(WebError::NotPermitted(ADMIN_ONLY)),
        Err(StaffAdminError::Failure(failure)) => return Err(failure.into()),
        Err(other) => return Err(WebError::Internal(other.into())),
    };
    let page = StaffAdminPage {
        layout: Layout::staff(state, "Staff", nav(active)),
        notice,
        errors,
        csrf: active.token.derive(STAFF_PURPOSE),
        members: members
            .into_iter()
            .map(|m| StaffMemberRow {
                myself: m.id == active.staff.id,
                username: m.username,
                role: m.role.as_str(),
                disabled: m.disabled,
                created: format_time(m.created_at),
            })
            .collect(),
    };
    Ok(render(status, &page))
}
