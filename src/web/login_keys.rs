//! The account administrator manages the encryption keys of the account's secondary logins
//! (`/logins/{name}/encryption`). Names outside the administrator's account are "not found".

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::csrf::{self, SESSION_PURPOSE};
use super::form::WebForm;
use super::layout::{Layout, render};
use super::login::reentry_signed_out;
use super::logins::login_path;
use super::notice::{Notice, NoticeQuery};
use super::pages::{KeyRow, LoginKeyPage};
use super::profile::{KeyForm, RemoveKeyForm, key_error_message, nav_user};
use super::visitor::{SignedIn, Source};
use super::{AppState, WebError};
use crate::domain::LoginRecord;
use crate::service::RequestSource;
use crate::service::mail::KeyChangeError;
use crate::service::reentry::Reentered;
use crate::service::sessions::ActiveSession;

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
) -> Result<LoginRecord, WebError> {
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
    target: &LoginRecord,
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
