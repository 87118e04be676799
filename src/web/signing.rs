//! What customer and staff sign-in share: the one message for a failed attempt and the
//! redirects that set or clear a session cookie.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::cookies::{self, CookieKind};
use super::notice::Notice;
use crate::crypto::RandomToken;

/// The one message for every failed sign-in, whatever the reason.
pub const SIGN_IN_FAILED: &str = "The login name or password is incorrect, or the login is temporarily locked. \
                                  Check them and try again.";

/// A redirect after signing in: the new session's cookie replaces the pre-session cookie, so
/// nothing set before sign-in carries over.
pub fn signed_in_redirect(state: &AppState, kind: CookieKind, token: &RandomToken, to: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    let out = response.headers_mut();
    out.append(header::SET_COOKIE, cookies::set(kind, token, &state.web));
    out.append(header::SET_COOKIE, cookies::clear(CookieKind::PreSession, &state.web));
    response
}

/// A redirect that removes the session cookie and asks the browser to forget cached pages.
/// Not every cookie: the browser keeps its device cookies, which vouch for it at the next sign-in.
pub fn signed_out_redirect(state: &AppState, to: &str) -> Response {
    signed_out_of(state, CookieKind::Session, to)
}

/// The session was ended after too many wrong passwords typed again in it.
pub fn reentry_signed_out(state: &AppState) -> Response {
    signed_out_redirect(state, &Notice::WrongPasswordSignedOut.at("/login"))
}

/// The same for a cookie of `kind` (a customer's or a staff member's session).
pub fn signed_out_of(state: &AppState, kind: CookieKind, to: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, cookies::clear(kind, &state.web));
    headers.insert("clear-site-data", HeaderValue::from_static("\"cache\", \"storage\""));
    response
}
