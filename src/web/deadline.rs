//! The whole-request deadline: a request that takes longer (a client trickling its body, a
//! database that does not answer) is ended with a clear 408 rather than holding its connection
//! and whatever it waits on. It covers requests only; the mail worker runs outside it.

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::context::RequestContext;

pub async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(state.web.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(seconds = state.web.request_timeout.as_secs(), "request timed out");
            let id = RequestContext::current().id;
            let body = format!("The request took too long and was stopped. Please try again.\nRequest id: {id}\n");
            let headers = [(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CONNECTION, "close")];
            (StatusCode::REQUEST_TIMEOUT, headers, body).into_response()
        }
    }
}
