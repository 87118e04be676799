//! The account administrator manages the encryption keys of the account's secondary logins
//! (`/logins/{name}/encryption`). Names outside the administrator's account are "not found".

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::common::login_path;
use crate::domain::Login;
use crate::service::RequestSource;
use crate::service::mail::KeyChangeError;
use crate::service::reentry::Reentered;
use crate::service::sessions::ActiveSession;
use crate::web::csrf::{self, SESSION_PURPOSE};
use crate::web::form::WebForm;
use crate::web::keys::{KeyForm, KeyRow, RemoveKeyForm, key_error_message};
use crate::web::layout::{Layout, render};
use crate::web::nav::nav_user;
use crate::web::notice::{Notice, NoticeQuery};
use crate::web::signing::reentry_signed_out;
use crate::web::visitor::{SignedIn, Source};
use crate::web::{AppState, WebError};

/// `/logins/{name}/encryption`: a secondary login's key, as its administrator manages it.
#[derive(Template)]
#[template(path = "login_key.html")]
pub struct LoginKeyPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub login_name: String,
    pub email: String,
    pub key: Option<KeyRow>,
    pub key_action: String,
}

pub async fn show(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Source(source): Source,
    Path(name): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let target = subject(&state, &active, &source, &name).await?;
    page(&state, &active, &target, StatusCode::OK, query.text(), Vec::new()).await
}

pub async fn upload(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Source(source): Source,
    Path(name): Path<String>,
    WebForm(form): WebForm<KeyForm>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), SESSION_PURPOSE, &form.csrf)?;
    let target = subject(&state, &active, &source, &name).await?;
    let password = Reentered::in_session(&active, form.password);
    match state.portal.set_encryption_key(&active.login, &target, &form.key_material, &password, &source).await {
        Ok(_) => Ok(Redirect::to(&Notice::LoginKeySaved.at(&format!("{}/encryption", login_path(&target.name))))
            .into_response()),
        Err(KeyChangeError::SessionEnded(_)) => Ok(reentry_signed_out(&state)),
        Err(error) => {
            page(&state, &active, &target, StatusCode::BAD_REQUEST, None, vec![key_error_message(error)?]).await
        }
    }
}

pub async fn remove(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Source(source): Source,
    Path(name): Path<String>,
    WebForm(form): WebForm<RemoveKeyForm>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), SESSION_PURPOSE, &form.csrf)?;
    let target = subject(&state, &active, &source, &name).await?;
    let password = Reentered::in_session(&active, form.password);
    match state.portal.remove_encryption_key(&active.login, &target, &password, &source).await {
        Ok(()) => Ok(Redirect::to(&Notice::LoginKeyRemoved.at(&format!("{}/encryption", login_path(&target.name))))
            .into_response()),
        Err(KeyChangeError::SessionEnded(_)) => Ok(reentry_signed_out(&state)),
        Err(error) => {
            page(&state, &active, &target, StatusCode::BAD_REQUEST, None, vec![key_error_message(error)?]).await
        }
    }
}

/// The login whose key the request is about; anything the actor may not manage is "not found",
/// and audited.
async fn subject(
    state: &AppState,
    active: &ActiveSession,
    source: &RequestSource,
    name: &str,
) -> Result<Login, WebError> {
    match state.portal.key_subject(&active.login, name).await? {
        Some(login) => Ok(login),
        None => {
            state.portal.audit_login_miss(&active.login, name, source).await?;
            Err(WebError::NotFound)
        }
    }
}

async fn page(
    state: &AppState,
    active: &ActiveSession,
    target: &Login,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let key = state.portal.encryption_key(target).await?.as_ref().map(KeyRow::from_stored);
    let page = LoginKeyPage {
        layout: Layout::new(state, "Email encryption", Some(nav_user(active))),
        notice,
        errors,
        csrf: active.token.derive(SESSION_PURPOSE),
        login_name: target.name.to_string(),
        email: target.email.clone(),
        key,
        key_action: format!("{}/encryption", login_path(&target.name)),
    };
    Ok(render(status, &page))
}
