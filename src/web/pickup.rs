//! Secure pickup: `/secure-message/{id}` asks for the passcode the recipient was given by
//! telephone, shows the message once, and it is gone.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::cookies::{self, CookieKind, PreSession};
use super::csrf::{self, SIGN_IN_PURPOSE};
use super::form::WebForm;
use super::layout::Layout;
use super::visitor::Source;
use super::{AppState, WebError};
use crate::service::mail::PickupError;

/// `/secure-message/{id}`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/secure-message/{id}", get(show).post(open))
}

/// `/secure-message/{id}`: the passcode form, then the message once.
#[derive(Template)]
#[template(path = "secure_message.html")]
pub struct SecureMessagePage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub id: String,
    /// The message, once opened.
    pub content: Option<String>,
}

pub async fn show(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    page(&state, &headers, &id, StatusCode::OK, Vec::new(), None)
}

#[derive(Deserialize)]
pub struct PasscodeForm {
    csrf: String,
    passcode: String,
}

pub async fn open(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Source(source): Source,
    headers: HeaderMap,
    WebForm(form): WebForm<PasscodeForm>,
) -> Result<Response, WebError> {
    let pre_session = cookies::read(&headers, CookieKind::PreSession, &state.web);
    csrf::check(pre_session.as_ref(), SIGN_IN_PURPOSE, &form.csrf)?;
    match state.portal.open_secure_message(&id, &form.passcode, &source).await {
        Ok(message) => {
            let rendered = state.renderer.render(&message, false).map_err(|e| WebError::Internal(e.into()))?;
            Ok(page(&state, &headers, &id, StatusCode::OK, Vec::new(), Some(rendered.text)))
        }
        Err(PickupError::WrongPasscode { remaining }) => {
            let error = format!(
                "The passcode is not correct. {remaining} more wrong attempt{} will destroy the message.",
                if remaining == 1 { "" } else { "s" }
            );
            Ok(page(&state, &headers, &id, StatusCode::BAD_REQUEST, vec![error], None))
        }
        Err(PickupError::Gone) => {
            Ok(page(&state, &headers, &id, StatusCode::NOT_FOUND, vec![gone_message(&state)], None))
        }
        Err(PickupError::Failure(failure)) => Err(failure.into()),
    }
}

fn gone_message(state: &AppState) -> String {
    format!(
        "This secure message does not exist, has already been opened, or has expired. Ask {} to send it again.",
        state.web.support_contact
    )
}

fn page(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    status: StatusCode,
    errors: Vec<String>,
    content: Option<String>,
) -> Response {
    let mut response = PreSession::page(headers, &state.web, status, |csrf| SecureMessagePage {
        layout: Layout::new(state, "Secure message", None),
        notice: None,
        errors,
        csrf,
        id: id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(64).collect(),
        content,
    });
    response.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}
