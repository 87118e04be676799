//! The dev mailbox (file transport only): what the portal would have sent, and how.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::layout::{Layout, render};
use super::nav::nav_user;
use super::security_headers::FramedByUs;
use super::visitor::Visitor;
use super::{AppState, WebError};
use crate::mail::mailbox;

const SHOWN: usize = 200;

/// `/dev/mailbox` and its messages, for the direct listener only (the caller adds that guard).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dev/mailbox", get(list))
        .route("/dev/mailbox/{file}", get(show))
        .route("/dev/mailbox/{file}/html", get(html_part))
}

/// `/dev/mailbox`: what the portal would have sent.
#[derive(Template)]
#[template(path = "dev_mailbox.html")]
pub struct DevMailboxPage {
    pub layout: Layout,
    pub messages: Vec<mailbox::Summary>,
}

/// `/dev/mailbox/{file}`: one message and how it would have gone out.
#[derive(Template)]
#[template(path = "dev_message.html")]
pub struct DevMessagePage {
    pub layout: Layout,
    pub message: mailbox::Opened,
}

pub async fn list(State(state): State<AppState>, Visitor(visitor): Visitor) -> Result<Response, WebError> {
    let dir = state.web.dev_mailbox.clone().ok_or(WebError::NotFound)?;
    let messages = tokio::task::spawn_blocking(move || mailbox::list(&dir, SHOWN))
        .await
        .map_err(|e| WebError::Internal(e.into()))?;
    let page = DevMailboxPage { layout: Layout::new(&state, "Dev mailbox", visitor.as_ref().map(nav_user)), messages };
    Ok(render(StatusCode::OK, &page))
}

pub async fn show(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
    Path(file): Path<String>,
) -> Result<Response, WebError> {
    let message = open(&state, file).await?;
    let page = DevMessagePage { layout: Layout::new(&state, "Dev mailbox", visitor.as_ref().map(nav_user)), message };
    Ok(render(StatusCode::OK, &page))
}

/// The HTML part on its own, for the viewer's frame: no script, no network, nothing of ours.
pub async fn html_part(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response, WebError> {
    let html = open(&state, file).await?.html.ok_or(WebError::NotFound)?;
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    response.extensions_mut().insert(FramedByUs);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'",
        ),
    );
    Ok(response)
}

async fn open(state: &AppState, file: String) -> Result<mailbox::Opened, WebError> {
    let dir = state.web.dev_mailbox.clone().ok_or(WebError::NotFound)?;
    tokio::task::spawn_blocking(move || mailbox::open(&dir, &file))
        .await
        .map_err(|e| WebError::Internal(e.into()))?
        .ok_or(WebError::NotFound)
}
