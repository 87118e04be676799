//! What every step of recovery shares: the guidance page for a dead end, the answer to a
//! link that no longer works, and the headers and cookie handling around them.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::domain::Login;
use crate::domain::LoginKind;
use crate::service::recovery::RecoveryError;
use crate::web::cookies::{self, CookieKind};
use crate::web::layout::{Layout, render};
use crate::web::{AppState, WebError};

/// What the questions and new-password forms' tokens derive from: the recovery cookie.
pub const RECOVERY_PURPOSE: &str = "csrf:recovery";

/// A dead end of recovery, and whom to ask instead.
#[derive(Template)]
#[template(path = "recover_guidance.html")]
pub struct RecoverGuidancePage {
    pub layout: Layout,
    pub heading: &'static str,
    pub problem: String,
    pub show_administrator: bool,
}

pub(super) fn recovery_error(state: &AppState, error: RecoveryError) -> Result<Response, WebError> {
    match error {
        RecoveryError::InvalidLink => Ok(invalid_link(state)),
        RecoveryError::TooManyAttempts => Err(WebError::TooManyAttempts { retry_after_seconds: 3600 }),
        RecoveryError::Failure(failure) => Err(failure.into()),
    }
}

pub(super) fn invalid_link(state: &AppState) -> Response {
    let problem = "This link is not valid any more: it was already used, a newer one was sent, the password was \
                   changed, or it expired. Ask for a new one from the sign-in page."
        .to_string();
    let mut response = cleared(state, guidance(state, "This link is not valid", problem, false));
    *response.status_mut() = StatusCode::GONE;
    response
}

pub(super) fn guidance(state: &AppState, heading: &'static str, problem: String, show_administrator: bool) -> Response {
    let page = RecoverGuidancePage { layout: Layout::new(state, heading, None), heading, problem, show_administrator };
    no_referrer(render(StatusCode::OK, &page))
}

pub(super) fn is_secondary(login: &Login) -> bool {
    login.kind == LoginKind::Secondary
}

/// Forgets the recovery cookie.
pub(super) fn cleared(state: &AppState, mut response: Response) -> Response {
    response.headers_mut().append(header::SET_COOKIE, cookies::clear(CookieKind::Recovery, &state.web));
    response
}

pub(super) fn no_referrer(mut response: Response) -> Response {
    response.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}
