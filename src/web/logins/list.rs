//! The list of the account's logins and the form that adds a secondary login.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::common::{Outcome, administrator, login_path, outcome};
use crate::service::logins::{AdminError, SecondaryForm};
use crate::service::reentry::Reentered;
use crate::service::sessions::ActiveSession;
use crate::web::csrf::{self, SESSION_PURPOSE};
use crate::web::form::WebForm;
use crate::web::layout::{Layout, render};
use crate::web::nav::nav_user;
use crate::web::notice::{Notice, NoticeQuery};
use crate::web::signing::reentry_signed_out;
use crate::web::visitor::{SignedIn, Source};
use crate::web::{AppState, WebError};

/// One login of the account, as the Logins page lists it.
pub struct LoginRow {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub authorized_contact: bool,
    pub has_key: bool,
    pub status: &'static str,
}

/// `/logins`: the account's logins and the form that adds one.
#[derive(Template)]
#[template(path = "logins.html")]
pub struct LoginsPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub rows: Vec<LoginRow>,
    pub login_name: String,
    pub email: String,
    pub phone: String,
    pub authorized_contact: bool,
}

pub async fn list(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Source(source): Source,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    administrator(&state, &active, &source).await?;
    list_page(&state, &active, StatusCode::OK, query.text(), Vec::new(), NewLoginForm::default()).await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NewLoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    authorized_contact: Option<String>,
    #[serde(default)]
    password: String,
}

pub async fn create(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Source(source): Source,
    WebForm(form): WebForm<NewLoginForm>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), SESSION_PURPOSE, &form.csrf)?;
    administrator(&state, &active, &source).await?;
    let details =
        SecondaryForm { email: &form.email, phone: &form.phone, authorized_contact: form.authorized_contact.is_some() };
    let password = Reentered::in_session(&active, form.password.clone());
    let result = state
        .portal
        .admin_create_login(&active.login, &password, &form.login_name, &details, &source)
        .await
        .map(|login| Notice::LoginCreated.at(&login_path(&login.name)));
    match outcome(result)? {
        Outcome::Redirect(to) => Ok(Redirect::to(&to).into_response()),
        Outcome::SignedOut => Ok(reentry_signed_out(&state)),
        Outcome::Problem(message) => {
            list_page(&state, &active, StatusCode::BAD_REQUEST, None, vec![message], form).await
        }
    }
}

async fn list_page(
    state: &AppState,
    active: &ActiveSession,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: Vec<String>,
    typed: NewLoginForm,
) -> Result<Response, WebError> {
    let rows = state
        .portal
        .managed_logins(&active.login)
        .await
        .map_err(|e| match e {
            AdminError::Failure(failure) => failure.into(),
            other => WebError::Internal(other.into()),
        })?
        .into_iter()
        .map(|m| LoginRow {
            status: match (m.login.disabled, m.temporary_pending) {
                (true, _) => "Disabled",
                (false, true) => "Temporary password sent",
                (false, false) if m.login.password_hash.is_none() => "No password yet",
                (false, false) => "Active",
            },
            name: m.login.name.to_string(),
            email: m.login.email,
            phone: m.login.phone.unwrap_or_default(),
            authorized_contact: m.login.authorized_contact,
            has_key: m.has_key,
        })
        .collect();
    let page = LoginsPage {
        layout: Layout::new(state, "Logins", Some(nav_user(active))),
        notice,
        errors,
        csrf: active.token.derive(SESSION_PURPOSE),
        rows,
        login_name: typed.login_name,
        email: typed.email,
        phone: typed.phone,
        authorized_contact: typed.authorized_contact.is_some(),
    };
    Ok(render(status, &page))
}
