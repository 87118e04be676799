//! Per-request context: a request id that is logged with every line of the request, returned
//! in `x-request-id`, and shown on error pages so a user can quote it to support.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use super::AppState;

#[derive(Debug, Clone)]
pub struct RequestContext {
    pub id: String,
    pub product: String,
    pub support: String,
}

tokio::task_local! {
    static CONTEXT: RequestContext;
}

impl RequestContext {
    /// The current request's context; outside a request, placeholders.
    pub fn current() -> Self {
        CONTEXT.try_with(Clone::clone).unwrap_or_else(|_| Self {
            id: "-".into(),
            product: "Customer Portal".into(),
            support: "support".into(),
        })
    }
}

pub async fn request_context(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let id = uuid::Uuid::now_v7().simple().to_string();
    // The route's pattern, not the path: paths can carry secrets (a recovery link's token).
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_string();
    let span = tracing::info_span!("request", id = %id, method = %request.method(), route = %route);
    let context = RequestContext {
        id: id.clone(),
        product: state.web.product_name.clone(),
        support: state.web.support_contact.clone(),
    };
    let started = Instant::now();
    let mut response = CONTEXT.scope(context, next.run(request).instrument(span.clone())).await;
    span.in_scope(|| {
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        tracing::info!(status = response.status().as_u16(), elapsed_ms, "done");
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}
