//! Which host a request is for. The portal answers only to the host names it is configured for,
//! so a page reached through a hostile name (DNS rebinding) is refused before anything runs; the
//! load balancer's probes answer whatever the name. The dev mailbox is stricter still: only a
//! direct request, naming the public URL's own host, reaches it.

use axum::extract::{Request, State};
use axum::http::uri::Authority;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::context::RequestContext;
use super::{AppState, WebError};

/// Paths a load balancer probes, often by IP address: answered whatever the host.
const PROBES: [&str; 2] = ["/healthz", "/readyz"];

/// Headers a reverse proxy adds: their presence means the request did not come straight from
/// the browser on this machine.
const PROXY_HEADERS: [&str; 5] = ["forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip"];

/// Refuses (400) a request whose Host (or absolute request target) names a host not served.
pub async fn refuse_foreign_host(State(state): State<AppState>, request: Request, next: Next) -> Response {
    refuse_unless_named(&state.web.served_hosts, request, next).await
}

/// The admin listener's check: loopback names, the listener's own address and the served
/// hosts. A web page opened on the operator's machine cannot read `/metrics` through a name
/// it rebinds to 127.0.0.1.
pub async fn refuse_foreign_admin_host(State(state): State<AppState>, request: Request, next: Next) -> Response {
    refuse_unless_named(&state.web.admin_hosts, request, next).await
}

async fn refuse_unless_named(hosts: &[String], request: Request, next: Next) -> Response {
    if PROBES.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let served = named_hosts(&request).is_some_and(|named| named.iter().all(|h| hosts.contains(h)));
    if !served {
        tracing::debug!(host = ?request.headers().get(header::HOST), "request for a host not served refused");
        return foreign_host();
    }
    next.run(request).await
}

/// The dev mailbox answers 404 to anything but a direct request for the public URL's own host.
pub async fn direct_only(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let proxied = PROXY_HEADERS.iter().any(|name| request.headers().contains_key(*name));
    let own_host = named_hosts(&request).is_some_and(|hosts| hosts.iter().all(|h| *h == state.web.public_host));
    if proxied || !own_host {
        return WebError::NotFound.into_response();
    }
    next.run(request).await
}

/// The host names a request gives (Host header and, in absolute form, the target's authority),
/// lower-cased without port or trailing dot; None when it gives none or one is malformed.
fn named_hosts(request: &Request) -> Option<Vec<String>> {
    let mut hosts = Vec::with_capacity(2);
    if let Some(authority) = request.uri().authority() {
        hosts.push(host_of(authority)?);
    }
    if let Some(value) = request.headers().get(header::HOST) {
        hosts.push(host_of(&value.to_str().ok()?.parse().ok()?)?);
    }
    (!hosts.is_empty()).then_some(hosts)
}

fn host_of(authority: &Authority) -> Option<String> {
    if authority.as_str().contains('@') {
        return None;
    }
    let host = authority.host().trim_end_matches('.');
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

fn foreign_host() -> Response {
    let id = RequestContext::current().id;
    let body = format!(
        "This portal is not served at the address you used. Check the address and try again.\nRequest id: {id}\n"
    );
    (StatusCode::BAD_REQUEST, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(raw: &str) -> Option<String> {
        host_of(&raw.parse().ok()?)
    }

    #[test]
    fn a_host_is_compared_without_port_case_or_trailing_dot() {
        assert_eq!(host("Portal.Example.:443"), Some("portal.example".into()));
        assert_eq!(host("[::1]:8080"), Some("[::1]".into()));
        assert_eq!(host("127.0.0.1"), Some("127.0.0.1".into()));
    }

    #[test]
    fn a_host_with_a_user_part_is_malformed() {
        assert_eq!(host("www.example:dr.frankenstein@evil.tld"), None);
        assert_eq!(host("user@portal.example"), None);
        assert_eq!(host(""), None);
    }
}
