//! Staff sign-in and sign-out: its own form, cookie and lockout, apart from customers'.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use crate::domain::Password;
use crate::service::auth::SignInError;
use crate::web::cookies::{self, CookieKind, PreSession};
use crate::web::csrf::{self, SIGN_IN_PURPOSE, STAFF_PURPOSE};
use crate::web::form::{CsrfOnly, WebForm};
use crate::web::layout::Layout;
use crate::web::notice::{Notice, NoticeQuery};
use crate::web::signing::{SIGN_IN_FAILED, signed_in_redirect, signed_out_of};
use crate::web::visitor::{Source, StaffSignedIn};
use crate::web::{AppState, WebError};

/// `/staff/login`: the staff sign-in form.
#[derive(Template)]
#[template(path = "staff_login.html")]
pub struct StaffLoginPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub username: String,
}

pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<NoticeQuery>,
) -> Response {
    login_page(&state, &headers, StatusCode::OK, query.text(), Vec::new(), String::new())
}

#[derive(Deserialize)]
pub struct StaffLoginForm {
    csrf: String,
    username: String,
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    Source(source): Source,
    headers: HeaderMap,
    WebForm(form): WebForm<StaffLoginForm>,
) -> Result<Response, WebError> {
    let pre_session = cookies::read(&headers, CookieKind::PreSession, &state.web);
    csrf::check(pre_session.as_ref(), SIGN_IN_PURPOSE, &form.csrf)?;
    let outcome = state.portal.staff_sign_in(&form.username, &Password::new(form.password), &source).await;
    state.portal.metrics().staff_sign_in(crate::web::metrics::sign_in_outcome(&outcome, |_| false));
    match outcome {
        Ok((token, _)) => Ok(signed_in_redirect(&state, CookieKind::Staff, &token, "/staff")),
        Err(SignInError::AddressThrottled { retry_after }) => {
            Err(WebError::TooManyAttempts { retry_after_seconds: retry_after.whole_seconds() })
        }
        Err(SignInError::Failure(failure)) => Err(failure.into()),
        Err(_) => {
            let typed: String = form.username.chars().take(64).collect();
            Ok(login_page(&state, &headers, StatusCode::UNAUTHORIZED, None, vec![SIGN_IN_FAILED.into()], typed))
        }
    }
}

fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: Vec<String>,
    username: String,
) -> Response {
    PreSession::page(headers, &state.web, status, |csrf| StaffLoginPage {
        layout: Layout::new(state, "Staff sign in", None),
        notice,
        errors,
        csrf,
        username,
    })
}

pub async fn logout(
    State(state): State<AppState>,
    StaffSignedIn(active): StaffSignedIn,
    Source(source): Source,
    WebForm(form): WebForm<CsrfOnly>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), STAFF_PURPOSE, &form.csrf)?;
    state.portal.staff_sign_out(&active, &source).await?;
    Ok(signed_out_of(&state, CookieKind::Staff, &Notice::SignedOut.at("/staff/login")))
}
