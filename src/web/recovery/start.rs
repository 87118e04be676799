//! The help page's choice and the form that asks for a username and emails a link.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::common::{guidance, no_referrer};
use crate::web::cookies::{self, CookieKind, PreSession};
use crate::web::csrf::{self, SIGN_IN_PURPOSE};
use crate::web::form::WebForm;
use crate::web::layout::{Layout, render};
use crate::web::visitor::Source;
use crate::web::{AppState, WebError};

/// `/help`: Having trouble logging in?
#[derive(Template)]
#[template(path = "help.html")]
pub struct HelpPage {
    pub layout: Layout,
}

/// `/recover`: Enter your username, and the same page once a link may have been sent.
#[derive(Template)]
#[template(path = "recover_start.html")]
pub struct RecoverStartPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub sent: bool,
    pub link_minutes: i64,
}

pub async fn help(State(state): State<AppState>) -> Response {
    no_referrer(render(StatusCode::OK, &HelpPage { layout: Layout::new(&state, "Having trouble logging in?", None) }))
}

#[derive(Deserialize)]
pub struct HelpChoice {
    choice: Option<String>,
}

pub async fn start(State(state): State<AppState>, Query(query): Query<HelpChoice>, headers: HeaderMap) -> Response {
    if query.choice.as_deref() == Some("support") {
        let problem = "Your password can be reset by support or by your organisation's administrator.".to_string();
        return guidance(&state, "Contact support", problem, true);
    }
    start_page(&state, &headers, false, Vec::new())
}

#[derive(Deserialize)]
pub struct UsernameForm {
    csrf: String,
    username: String,
}

/// Always the same page after the same time: the work happens inside a fixed deadline.
pub async fn request(
    State(state): State<AppState>,
    Source(source): Source,
    headers: HeaderMap,
    WebForm(form): WebForm<UsernameForm>,
) -> Result<Response, WebError> {
    let deadline = tokio::time::Instant::now() + state.web.recovery_response;
    let pre_session = cookies::read(&headers, CookieKind::PreSession, &state.web);
    csrf::check(pre_session.as_ref(), SIGN_IN_PURPOSE, &form.csrf)?;
    let outcome = state.portal.request_recovery(&form.username, &source).await;
    tokio::time::sleep_until(deadline).await;
    outcome?;
    Ok(start_page(&state, &headers, true, Vec::new()))
}

fn start_page(state: &AppState, headers: &HeaderMap, sent: bool, errors: Vec<String>) -> Response {
    no_referrer(PreSession::page(headers, &state.web, StatusCode::OK, |csrf| RecoverStartPage {
        layout: Layout::new(state, "Reset your password", None),
        notice: None,
        errors,
        csrf,
        sent,
        link_minutes: state.portal.recovery_policy().link_lifetime.whole_minutes(),
    }))
}
