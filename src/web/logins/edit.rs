//! One secondary login's page: its details, the form that changes them, and the action
//! buttons (which post to `actions`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::common::{Outcome, login_path, outcome, target};
use crate::domain::Login;
use crate::service::logins::{AdminError, SecondaryForm};
use crate::service::reentry::Reentered;
use crate::service::sessions::ActiveSession;
use crate::web::csrf::{self, SESSION_PURPOSE};
use crate::web::form::WebForm;
use crate::web::layout::{Layout, format_time, render};
use crate::web::nav::nav_user;
use crate::web::notice::{Notice, NoticeQuery};
use crate::web::signing::reentry_signed_out;
use crate::web::visitor::{SignedIn, Source};
use crate::web::{AppState, WebError};

/// `/logins/{name}`: one secondary login and its actions.
#[derive(Template)]
#[template(path = "login_edit.html")]
pub struct LoginEditPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub login_name: String,
    pub email: String,
    pub phone: String,
    pub authorized_contact: bool,
    pub disabled: bool,
    /// "until HH:MM UTC" while sign-in is locked after failed attempts.
    pub locked_until: Option<String>,
    pub key: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Source(source): Source,
    Path(name): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let target = target(&state, &active, &source, &name).await?;
    edit_page(&state, &active, &target, StatusCode::OK, query.text(), Vec::new()).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditForm {
    csrf: String,
    email: String,
    #[serde(default)]
    phone: String,
    authorized_contact: Option<String>,
    password: String,
}

pub async fn update(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Source(source): Source,
    Path(name): Path<String>,
    WebForm(form): WebForm<EditForm>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), SESSION_PURPOSE, &form.csrf)?;
    let target = target(&state, &active, &source, &name).await?;
    let details =
        SecondaryForm { email: &form.email, phone: &form.phone, authorized_contact: form.authorized_contact.is_some() };
    let password = Reentered::in_session(&active, form.password);
    let result = state.portal.admin_update_login(&active.login, &password, &target, &details, &source).await;
    finish(&state, &active, &target, result.map(|()| Notice::LoginSaved)).await
}

/// Back to the login's page with the notice, or the page again with the problem.
pub(super) async fn finish(
    state: &AppState,
    active: &ActiveSession,
    target: &Login,
    result: Result<Notice, AdminError>,
) -> Result<Response, WebError> {
    match outcome(result.map(|notice| notice.at(&login_path(&target.name))))? {
        Outcome::Redirect(to) => Ok(Redirect::to(&to).into_response()),
        Outcome::SignedOut => Ok(reentry_signed_out(state)),
        Outcome::Problem(message) => {
            edit_page(state, active, target, StatusCode::BAD_REQUEST, None, vec![message]).await
        }
    }
}

pub(super) async fn edit_page(
    state: &AppState,
    active: &ActiveSession,
    target: &Login,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let key = state.portal.encryption_key(target).await?;
    let page = LoginEditPage {
        layout: Layout::new(state, "Login", Some(nav_user(active))),
        notice,
        errors,
        csrf: active.token.derive(SESSION_PURPOSE),
        login_name: target.name.to_string(),
        email: target.email.clone(),
        phone: target.phone.clone().unwrap_or_default(),
        authorized_contact: target.authorized_contact,
        disabled: target.disabled,
        locked_until: state.portal.locked_until(target).map(format_time),
        key: key.map(|k| format!("{} (added {})", k.kind, format_time(k.created_at))),
    };
    Ok(render(status, &page))
}
