//! Sign-in and sign-out.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::cookies::{self, CookieKind, PreSession};
use super::csrf::{self, SESSION_PURPOSE, SIGN_IN_PURPOSE};
use super::form::WebForm;
use super::layout::Layout;
use super::notice::{Notice, NoticeQuery};
use super::signing::{SIGN_IN_FAILED, signed_in_redirect, signed_out_redirect};
use super::visitor::{AnySession, Source, Visitor};
use super::{AppState, WebError};
use crate::domain::Password;
use crate::service::auth::SignInError;

/// `/`, `/login` and `/logout`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(root)).route("/login", get(show).post(submit)).route("/logout", post(sign_out))
}

/// `/login`: the customer sign-in form.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub login_name: String,
}

pub async fn root(Visitor(visitor): Visitor) -> Redirect {
    match visitor {
        Some(_) => Redirect::to("/profile"),
        None => Redirect::to("/login"),
    }
}

pub async fn show(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
    Query(query): Query<NoticeQuery>,
    headers: HeaderMap,
) -> Response {
    if visitor.is_some() {
        return Redirect::to("/profile").into_response();
    }
    login_page(&state, &headers, StatusCode::OK, query.text(), Vec::new(), String::new())
}

#[derive(Deserialize)]
pub struct SignInForm {
    csrf: String,
    login_name: String,
    password: String,
}

pub async fn submit(
    State(state): State<AppState>,
    Source(source): Source,
    headers: HeaderMap,
    WebForm(form): WebForm<SignInForm>,
) -> Result<Response, WebError> {
    let deadline = tokio::time::Instant::now() + state.web.failed_sign_in;
    let pre_session = cookies::read(&headers, CookieKind::PreSession, &state.web);
    csrf::check(pre_session.as_ref(), SIGN_IN_PURPOSE, &form.csrf)?;
    let password = Password::new(form.password);
    let devices = cookies::device_values(&headers, &state.web);
    let outcome = state.portal.sign_in(&form.login_name, &password, &devices, &source).await;
    state.portal.metrics().customer_sign_in(super::metrics::sign_in_outcome(&outcome, |s| s.restricted));
    // Failures are answered at a fixed earliest time: whether the name exists does not show.
    if matches!(outcome, Err(SignInError::Rejected | SignInError::AddressThrottled { .. })) {
        tokio::time::sleep_until(deadline).await;
    }
    match outcome {
        Ok(signed_in) => {
            let next = if signed_in.restricted { super::visitor::FORCED_CHANGE } else { "/profile" };
            let mut response = signed_in_redirect(&state, CookieKind::Session, &signed_in.token, next);
            if let Some(device) = &signed_in.device {
                response.headers_mut().append(header::SET_COOKIE, cookies::set_device(device, &state.web));
            }
            Ok(response)
        }
        Err(SignInError::Rejected) => {
            let typed: String = form.login_name.chars().take(64).collect();
            let errors = vec![SIGN_IN_FAILED.to_string()];
            Ok(login_page(&state, &headers, StatusCode::UNAUTHORIZED, None, errors, typed))
        }
        Err(SignInError::TemporaryUnusable { ask }) => {
            let typed: String = form.login_name.chars().take(64).collect();
            let errors = vec![expired_message(&ask, &state.web.support_contact)];
            Ok(login_page(&state, &headers, StatusCode::UNAUTHORIZED, None, errors, typed))
        }
        Err(SignInError::AddressThrottled { retry_after }) => {
            Err(WebError::TooManyAttempts { retry_after_seconds: retry_after.whole_seconds() })
        }
        Err(SignInError::Failure(failure)) => Err(failure.into()),
    }
}

#[derive(Deserialize)]
pub struct SignOutForm {
    csrf: String,
}

pub async fn sign_out(
    State(state): State<AppState>,
    AnySession(active): AnySession,
    Source(source): Source,
    WebForm(form): WebForm<SignOutForm>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), SESSION_PURPOSE, &form.csrf)?;
    state.portal.sign_out(&active, &source).await?;
    Ok(signed_out_redirect(&state, &Notice::SignedOut.at("/login")))
}

/// Only someone holding the right temporary password sees this, so naming its issuer tells a
/// stranger nothing.
fn expired_message(ask: &str, support: &str) -> String {
    let whom = match ask.strip_prefix("administrator:") {
        Some(admin) => format!("your account administrator (the primary login {admin})"),
        None => support.to_string(),
    };
    format!("This temporary password has expired or was already used. Ask {whom} for a new one.")
}

/// The sign-in page, with a pre-session cookie whose derived value is the form's CSRF token.
fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: Vec<String>,
    login_name: String,
) -> Response {
    PreSession::page(headers, &state.web, status, |csrf| LoginPage {
        layout: Layout::new(state, "Sign in", None),
        notice,
        errors,
        csrf,
        login_name,
    })
}
