//! The forced change after signing in with a temporary password: the only page such a session
//! reaches (besides signing out). No cancel, no way around it.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use super::csrf::{self, SESSION_PURPOSE};
use super::form::WebForm;
use super::layout::{Layout, render};
use super::nav::nav_user;
use super::notice::Notice;
use super::password_rules::{RuleRow, rule_rows};
use super::signing::signed_out_redirect;
use super::visitor::{AnySession, Source};
use super::{AppState, WebError};
use crate::domain::Password;
use crate::service::password::{ChangeError, ChangeProblem};
use crate::service::sessions::ActiveSession;

/// `/password/new`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/password/new", get(show).post(submit))
}

/// `/password/new`: the only page a temporary password's session reaches.
#[derive(Template)]
#[template(path = "forced_change.html")]
pub struct ForcedChangePage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub login_name: String,
    pub rules: Vec<RuleRow>,
}

pub async fn show(State(state): State<AppState>, AnySession(active): AnySession) -> Response {
    if !active.session.restricted {
        return Redirect::to("/profile/password").into_response();
    }
    page(&state, &active, StatusCode::OK, &[])
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForcedForm {
    csrf: String,
    new_password: String,
    confirm: String,
}

pub async fn submit(
    State(state): State<AppState>,
    AnySession(active): AnySession,
    Source(source): Source,
    WebForm(form): WebForm<ForcedForm>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), SESSION_PURPOSE, &form.csrf)?;
    if !active.session.restricted {
        return Ok(Redirect::to("/profile/password").into_response());
    }
    let new = Password::new(form.new_password);
    let confirm = Password::new(form.confirm);
    match state.portal.complete_forced_change(&active, &new, &confirm, &source).await {
        Ok(()) => Ok(signed_out_redirect(&state, &Notice::PasswordSet.at("/login"))),
        Err(ChangeError::Refused(problems)) => Ok(page(&state, &active, StatusCode::BAD_REQUEST, &problems)),
        Err(ChangeError::Conflict | ChangeError::UnknownLogin | ChangeError::SessionEnded(_)) => {
            Ok(signed_out_redirect(&state, &Notice::SessionExpired.at("/login")))
        }
        Err(ChangeError::Failure(failure)) => Err(failure.into()),
    }
}

fn page(state: &AppState, active: &ActiveSession, status: StatusCode, problems: &[ChangeProblem]) -> Response {
    let page = ForcedChangePage {
        layout: Layout::new(state, "Set a new password", Some(nav_user(active))),
        notice: None,
        errors: problems.iter().map(|p| p.message()).collect(),
        csrf: active.token.derive(SESSION_PURPOSE),
        login_name: active.login.name.to_string(),
        rules: rule_rows(state.portal.password_policy(), problems),
    };
    render(status, &page)
}
