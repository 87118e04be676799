//! The buttons on a login's page, one route each: disable, enable, unlock, delete and reset.
//! Each asks for the administrator's password again; a refusal shows the login's page with
//! the problem.

use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::common::{Outcome, login_path, outcome, target};
use super::edit::{edit_page, finish};
use crate::domain::Login;
use crate::service::RequestSource;
use crate::service::mail::SecretDelivery;
use crate::service::reentry::Reentered;
use crate::service::sessions::ActiveSession;
use crate::web::csrf::{self, SESSION_PURPOSE};
use crate::web::form::WebForm;
use crate::web::layout::{Layout, render};
use crate::web::nav::nav_user;
use crate::web::notice::Notice;
use crate::web::passcode::PasscodePage;
use crate::web::signing::reentry_signed_out;
use crate::web::visitor::{SignedIn, Source};
use crate::web::{AppState, WebError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordOnlyForm {
    csrf: String,
    password: String,
    #[serde(default)]
    confirm_name: String,
}

/// What every action starts with, checked in this order before anything is done: the
/// session, where the request came from, the login named in the path, the form and its token,
/// and that the login is one this administrator manages. The password typed again goes with the
/// request to the use case, which checks it.
pub struct LoginAction {
    active: ActiveSession,
    source: RequestSource,
    target: Login,
    password: Reentered,
    confirm_name: String,
}

impl FromRequest<AppState> for LoginAction {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let SignedIn(active) = SignedIn::from_request_parts(&mut parts, state).await?;
        let Ok(Source(source)) = Source::from_request_parts(&mut parts, state).await;
        let Path(name) = Path::<String>::from_request_parts(&mut parts, state).await.map_err(|e| e.into_response())?;
        let request = Request::from_parts(parts, body);
        let WebForm(form) =
            WebForm::<PasswordOnlyForm>::from_request(request, state).await.map_err(|e| e.into_response())?;
        let checked = csrf::check(Some(&active.token), SESSION_PURPOSE, &form.csrf);
        checked.map_err(|e| e.into_response())?;
        let target = target(state, &active, &source, &name).await.map_err(|e| e.into_response())?;
        let password = Reentered::in_session(&active, form.password);
        Ok(Self { active, source, target, password, confirm_name: form.confirm_name })
    }
}

pub async fn disable(State(state): State<AppState>, action: LoginAction) -> Result<Response, WebError> {
    let LoginAction { active, source, target, password, .. } = action;
    let result = state.portal.admin_set_disabled(&active.login, &password, &target, true, &source).await;
    finish(&state, &active, &target, result.map(|_| Notice::LoginDisabled)).await
}

pub async fn enable(State(state): State<AppState>, action: LoginAction) -> Result<Response, WebError> {
    let LoginAction { active, source, target, password, .. } = action;
    let result = state.portal.admin_set_disabled(&active.login, &password, &target, false, &source).await;
    finish(&state, &active, &target, result.map(|_| Notice::LoginEnabled)).await
}

pub async fn unlock(State(state): State<AppState>, action: LoginAction) -> Result<Response, WebError> {
    let LoginAction { active, source, target, password, .. } = action;
    let result = state.portal.admin_clear_lock(&active.login, &password, &target, &source).await;
    finish(&state, &active, &target, result.map(|()| Notice::LockCleared)).await
}

/// Deleting asks for the login's name typed out as well; afterwards the list is shown.
pub async fn delete(State(state): State<AppState>, action: LoginAction) -> Result<Response, WebError> {
    let LoginAction { active, source, target, password, confirm_name } = action;
    let deleted = state.portal.admin_delete_login(&active.login, &password, &target, &confirm_name, &source).await;
    match outcome(deleted.map(|()| Notice::LoginDeleted.at("/logins")))? {
        Outcome::Redirect(to) => Ok(Redirect::to(&to).into_response()),
        Outcome::SignedOut => Ok(reentry_signed_out(&state)),
        Outcome::Problem(message) => {
            edit_page(&state, &active, &target, StatusCode::BAD_REQUEST, None, vec![message]).await
        }
    }
}

/// A temporary password: by encrypted mail (a notice), or by secure pickup (its passcode).
pub async fn reset(State(state): State<AppState>, action: LoginAction) -> Result<Response, WebError> {
    let LoginAction { active, source, target, password, .. } = action;
    let result = match state.portal.admin_reset_login(&active.login, &password, &target, &source).await {
        Ok(SecretDelivery::Pickup { passcode }) => {
            return Ok(passcode_page(&state, &active, &target, passcode));
        }
        other => other.map(|_| Notice::TemporarySent),
    };
    finish(&state, &active, &target, result).await
}

/// The secure-pickup passcode, shown this once: it is not stored anywhere readable.
fn passcode_page(state: &AppState, active: &ActiveSession, target: &Login, passcode: String) -> Response {
    let page = PasscodePage {
        layout: Layout::new(state, "Give this passcode by voice", Some(nav_user(active))),
        login_name: target.name.to_string(),
        passcode,
        back_href: login_path(&target.name),
    };
    render(StatusCode::OK, &page)
}
