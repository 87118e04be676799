//! Headers on every response: a CSP without inline script, no framing, no sniffing, a strict
//! referrer policy, HSTS over https, and `no-store` on everything but static assets.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

pub async fn apply(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let is_asset = request.uri().path().starts_with("/static/");
    let mut response = next.run(request).await;
    let framed = response.extensions().get::<FramedByUs>().is_some();
    let headers = response.headers_mut();
    if !framed {
        set(headers, header::CONTENT_SECURITY_POLICY, CSP);
        set(headers, header::X_FRAME_OPTIONS, "DENY");
    }
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if !headers.contains_key(header::REFERRER_POLICY) {
        set(headers, header::REFERRER_POLICY, "strict-origin-when-cross-origin");
    }
    set(headers, HeaderName::from_static("cross-origin-opener-policy"), "same-origin");
    set(headers, HeaderName::from_static("permissions-policy"), "geolocation=(), camera=(), microphone=()");
    if state.web.https {
        set(headers, header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains");
    }
    if is_asset {
        set(headers, header::CACHE_CONTROL, "public, max-age=3600");
    } else {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
    response
}

/// Marks a response that our own pages may frame (the dev mailbox's message part).
#[derive(Debug, Clone, Copy)]
pub struct FramedByUs;

fn set(headers: &mut HeaderMap, name: HeaderName, value: &'static str) {
    headers.insert(name, HeaderValue::from_static(value));
}
