//! The cookies: the session, a pre-session cookie that binds the sign-in form's CSRF token,
//! and one long-lived device cookie per login the browser signed in to. Over https all take
//! the `__Host-` prefix (Secure, Path=/, no Domain), so no other host can plant them.

use axum::http::{HeaderMap, HeaderValue, header};

use super::WebSettings;
use crate::crypto::RandomToken;
use crate::service::auth::IssuedDevice;

#[derive(Debug, Clone, Copy)]
pub enum CookieKind {
    Session,
    PreSession,
    /// The recovery link's token, moved out of the address bar.
    Recovery,
    /// A staff member's session: never the same cookie as a customer's.
    Staff,
}

impl CookieKind {
    fn name(self, https: bool) -> &'static str {
        match (self, https) {
            (Self::Session, true) => "__Host-portcullis_session",
            (Self::Session, false) => "portcullis_session",
            (Self::PreSession, true) => "__Host-portcullis_pre",
            (Self::PreSession, false) => "portcullis_pre",
            (Self::Recovery, true) => "__Host-portcullis_recovery",
            (Self::Recovery, false) => "portcullis_recovery",
            (Self::Staff, true) => "__Host-portcullis_staff",
            (Self::Staff, false) => "portcullis_staff",
        }
    }
}

/// The token in a request's cookie of `kind`, if it has the shape of one we issue.
pub fn read(headers: &HeaderMap, kind: CookieKind, web: &WebSettings) -> Option<RandomToken> {
    let wanted = kind.name(web.https);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .and_then(|(_, value)| RandomToken::from_presented(value))
}

/// `Set-Cookie` for a new value; session cookies end with the browser session, the server
/// enforces the real lifetime.
pub fn set(kind: CookieKind, token: &RandomToken, web: &WebSettings) -> HeaderValue {
    cookie_header(kind, token.expose(), "", web)
}

/// `Set-Cookie` that removes the cookie.
pub fn clear(kind: CookieKind, web: &WebSettings) -> HeaderValue {
    cookie_header(kind, "", "; Max-Age=0", web)
}

fn cookie_header(kind: CookieKind, value: &str, extra: &str, web: &WebSettings) -> HeaderValue {
    named_cookie(kind.name(web.https), value, "Lax", extra, web)
}

fn named_cookie(name: &str, value: &str, same_site: &str, extra: &str, web: &WebSettings) -> HeaderValue {
    let secure = if web.https { "; Secure" } else { "" };
    let text = format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}{secure}{extra}");
    // Names and values are base64url or empty: always a valid header value.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

fn device_prefix(https: bool) -> &'static str {
    if https { "__Host-portcullis_device_" } else { "portcullis_device_" }
}

/// The values of every device cookie the browser sent, whatever login each is for: the
/// portal checks their signatures.
pub fn device_values(headers: &HeaderMap, web: &WebSettings) -> Vec<String> {
    let prefix = device_prefix(web.https);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| name.starts_with(prefix))
        .map(|(_, value)| value.to_string())
        .collect()
}

/// `Set-Cookie` for a login's device cookie: one per login (named by its id, so a new one
/// replaces the old), kept across browser restarts. SameSite=Strict: only the portal's own
/// sign-in form needs it.
pub fn set_device(device: &IssuedDevice, web: &WebSettings) -> HeaderValue {
    let name = format!("{}{}", device_prefix(web.https), device.login_id.replace('-', ""));
    let max_age = format!("; Max-Age={}", device.lifetime.whole_seconds());
    named_cookie(&name, &device.value, "Strict", &max_age, web)
}

/// The pre-session cookie of a signed-out page: the one the browser has, or a new one that the
/// response must set. Its derived value is the CSRF token of the page's form.
pub struct PreSession {
    token: RandomToken,
    is_new: bool,
}

impl PreSession {
    pub fn of(headers: &HeaderMap, web: &WebSettings) -> Self {
        match read(headers, CookieKind::PreSession, web) {
            Some(token) => Self { token, is_new: false },
            None => Self { token: RandomToken::generate(), is_new: true },
        }
    }

    pub fn csrf(&self) -> String {
        self.token.derive(super::csrf::SIGN_IN_PURPOSE)
    }

    /// Renders a signed-out page whose form is bound to this browser's pre-session cookie:
    /// `build` gets the form's CSRF token; the cookie is set when the browser had none.
    pub fn page<P: askama::Template>(
        headers: &HeaderMap,
        web: &WebSettings,
        status: axum::http::StatusCode,
        build: impl FnOnce(String) -> P,
    ) -> axum::response::Response {
        let pre_session = Self::of(headers, web);
        let mut response = super::layout::render(status, &build(pre_session.csrf()));
        pre_session.attach(&mut response, web);
        response
    }

    /// Sets the cookie on `response` when the browser did not have it yet.
    pub fn attach(&self, response: &mut axum::response::Response, web: &WebSettings) {
        if self.is_new {
            response
                .headers_mut()
                .append(axum::http::header::SET_COOKIE, set(CookieKind::PreSession, &self.token, web));
        }
    }
}
