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

/// Runs the request inside its context and span, then logs one line for it (request id, method,
/// route pattern, status, latency: a JSON log gets them as `fields`) and counts it in the metrics.
pub async fn request_context(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let id = uuid::Uuid::now_v7().simple().to_string();
    // The route's pattern, not the path: paths can carry secrets (a recovery link's token).
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_string();
    let method = request.method().clone();
    let span = tracing::info_span!("request", id = %id, method = %method, route = %route);
    let context = RequestContext {
        id: id.clone(),
        product: state.web.product_name.clone(),
        support: state.web.support_contact.clone(),
    };
    let started = Instant::now();
    let mut response = CONTEXT.scope(context, next.run(request).instrument(span.clone())).await;
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    state.portal.metrics().request(method.as_str(), &route, status, seconds);
    span.in_scope(|| {
        // Milliseconds to the microsecond: enough to read, short in the log.
        let latency_ms = (seconds * 1_000_000.0).round() / 1000.0;
        tracing::info!(request_id = %id, method = %method, route = %route, status, latency_ms, "request");
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}
