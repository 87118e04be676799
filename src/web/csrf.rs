//! CSRF defence in two layers. Every form carries a token derived from the cookie it belongs
//! to (the session, or the pre-session cookie on the sign-in page) and each handler checks it.
//! In front of that, this middleware refuses any state-changing request that the browser says
//! came from another site (`Sec-Fetch-Site: cross-site`) or whose `Origin` is not ours.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{AppState, WebError};
use crate::crypto::RandomToken;

pub const SESSION_PURPOSE: &str = "csrf:session";
pub const SIGN_IN_PURPOSE: &str = "csrf:sign-in";
pub const STAFF_PURPOSE: &str = "csrf:staff";

pub async fn reject_cross_site(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !same_origin(request.headers(), &state.web.public_origin) {
        return WebError::Forbidden.into_response();
    }
    next.run(request).await
}

fn same_origin(headers: &HeaderMap, public_origin: &str) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let fetch_site = header("sec-fetch-site");
    if fetch_site == Some("cross-site") {
        return false;
    }
    match header("origin") {
        // Pages sent with `Referrer-Policy: no-referrer` (recovery, secure pickup) make browsers
        // send `Origin: null`; the browser's own Sec-Fetch-Site then says where the form came from.
        Some("null") => fetch_site == Some("same-origin"),
        Some(origin) => origin == public_origin,
        None => true,
    }
}

/// Checks a form's token against the cookie it must derive from.
pub fn check(cookie: Option<&RandomToken>, purpose: &str, presented: &str) -> Result<(), WebError> {
    match cookie {
        Some(token) if token.derived_matches(purpose, presented) => Ok(()),
        _ => Err(WebError::Forbidden),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn requests_from_other_sites_are_refused() {
        let ours = "https://portal.example.com";
        assert!(same_origin(&headers(&[]), ours));
        assert!(same_origin(&headers(&[("origin", "https://portal.example.com")]), ours));
        assert!(!same_origin(&headers(&[("origin", "https://evil.example")]), ours));
        assert!(!same_origin(&headers(&[("origin", "null")]), ours));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "cross-site")]), ours));
        assert!(same_origin(&headers(&[("origin", "null"), ("sec-fetch-site", "same-origin")]), ours));
        assert!(!same_origin(&headers(&[("origin", "null"), ("sec-fetch-site", "same-site")]), ours));
    }
}
