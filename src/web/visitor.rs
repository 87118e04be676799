//! Extractors for who is asking: the client's address (believing `X-Forwarded-For` only from
//! configured proxies) and the signed-in session, if any.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};

use super::cookies::{self, CookieKind};
use super::notice::Notice;
use super::{AppState, WebError};
use crate::service::RequestSource;
use crate::service::sessions::ActiveSession;
use crate::service::staff::ActiveStaff;

/// The request's source: client address and user agent.
pub struct Source(pub RequestSource);

impl FromRequestParts<AppState> for Source {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
        let ip = client_ip(peer, &parts.headers, &state.web.trusted_proxies);
        let user_agent = parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().filter(|c| !c.is_control()).take(256).collect());
        Ok(Self(RequestSource { ip: ip.map(|ip| ip.to_string()), user_agent }))
    }
}

/// The peer, unless it is a trusted proxy: then the right-most address in `X-Forwarded-For`
/// that is not itself a trusted proxy.
fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|part| part.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    forwarded.into_iter().rev().find(|ip| !trusted.contains(ip)).or(Some(peer))
}

/// The session, when the request has a live one.
pub struct Visitor(pub Option<ActiveSession>);

impl FromRequestParts<AppState> for Visitor {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = cookies::read(&parts.headers, CookieKind::Session, &state.web) else {
            return Ok(Self(None));
        };
        Ok(Self(state.portal.session(&token).await?))
    }
}

/// A page that needs a signed-in login; everyone else is sent to the sign-in page. A session
/// opened with a temporary password is sent to the forced change instead: it can do nothing else.
pub struct SignedIn(pub ActiveSession);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let AnySession(active) = AnySession::from_request_parts(parts, state).await?;
        match active.session.restricted {
            true => Err(Redirect::to(FORCED_CHANGE).into_response()),
            false => Ok(Self(active)),
        }
    }
}

/// Where a restricted session is always sent.
pub const FORCED_CHANGE: &str = "/password/new";

/// Any live session, restricted or not: for the forced change itself and for signing out.
pub struct AnySession(pub ActiveSession);

impl FromRequestParts<AppState> for AnySession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let had_cookie = cookies::read(&parts.headers, CookieKind::Session, &state.web).is_some();
        match Visitor::from_request_parts(parts, state).await {
            Ok(Visitor(Some(active))) => Ok(Self(active)),
            Ok(Visitor(None)) if had_cookie => {
                let clear = [(axum::http::header::SET_COOKIE, cookies::clear(CookieKind::Session, &state.web))];
                Err((clear, Redirect::to(&Notice::SessionExpired.at("/login"))).into_response())
            }
            Ok(Visitor(None)) => Err(Redirect::to("/login").into_response()),
            Err(error) => Err(error.into_response()),
        }
    }
}

/// A staff console page: needs a live staff session (its own cookie); others go to the
/// staff sign-in. A customer's session never counts here.
pub struct StaffSignedIn(pub ActiveStaff);

impl FromRequestParts<AppState> for StaffSignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = cookies::read(&parts.headers, CookieKind::Staff, &state.web) else {
            return Err(Redirect::to("/staff/login").into_response());
        };
        match state.portal.staff_session(&token).await {
            Ok(Some(active)) => Ok(Self(active)),
            Ok(None) => {
                let clear = [(axum::http::header::SET_COOKIE, cookies::clear(CookieKind::Staff, &state.web))];
                Err((clear, Redirect::to(&Notice::SessionExpired.at("/staff/login"))).into_response())
            }
            Err(error) => Err(WebError::from(error).into_response()),
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("198.51.100.1, 203.0.113.7"));
        assert_eq!(client_ip(Some(client), &headers, &[]), Some(client));
        assert_eq!(client_ip(Some(proxy), &headers, &[]), Some(proxy));
        assert_eq!(client_ip(Some(proxy), &headers, &[proxy]), Some(client));
    }
}
