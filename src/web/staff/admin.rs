//! Staff administration in the console: staff administrators list, add, disable and enable
//! staff members; a support agent gets a 403 page (audited).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::{Password, StaffRole};
use crate::service::staff::{ActiveStaff, StaffAdminError};
use crate::web::csrf::{self, STAFF_PURPOSE};
use crate::web::form::{CsrfOnly, WebForm};
use crate::web::layout::{Layout, format_time, render};
use crate::web::nav::nav_staff;
use crate::web::notice::{Notice, NoticeQuery};
use crate::web::visitor::{Source, StaffSignedIn};
use crate::web::{AppState, WebError};

const ADMIN_ONLY: &str = "Staff administration is only for staff administrators.";

/// A staff member, as staff administration lists them.
pub struct StaffMemberRow {
    pub username: String,
    pub role: &'static str,
    pub disabled: bool,
    pub created: String,
    pub myself: bool,
}

/// `/staff/admin`: the staff members and the form that adds one.
#[derive(Template)]
#[template(path = "staff_admin.html")]
pub struct StaffAdminPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub members: Vec<StaffMemberRow>,
}

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

pub async fn disable(
    State(state): State<AppState>,
    StaffSignedIn(active): StaffSignedIn,
    Source(source): Source,
    Path(username): Path<String>,
    WebForm(form): WebForm<CsrfOnly>,
) -> Result<Response, WebError> {
    set_disabled(&state, &active, &source, &username, &form, true).await
}

pub async fn enable(
    State(state): State<AppState>,
    StaffSignedIn(active): StaffSignedIn,
    Source(source): Source,
    Path(username): Path<String>,
    WebForm(form): WebForm<CsrfOnly>,
) -> Result<Response, WebError> {
    set_disabled(&state, &active, &source, &username, &form, false).await
}

async fn set_disabled(
    state: &AppState,
    active: &ActiveStaff,
    source: &crate::service::RequestSource,
    username: &str,
    form: &CsrfOnly,
    disabled: bool,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), STAFF_PURPOSE, &form.csrf)?;
    let result = state.portal.set_staff_disabled(active, username, disabled, source).await.map(drop);
    admin_outcome(state, active, source, result).await
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
        layout: Layout::staff(state, "Staff", nav_staff(active)),
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
