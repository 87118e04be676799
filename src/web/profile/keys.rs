//! My Profile's encryption key: upload and removal, each after re-entering the password.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::page::profile_page;
use crate::service::mail::KeyChangeError;
use crate::service::reentry::Reentered;
use crate::service::sessions::ActiveSession;
use crate::web::csrf::{self, SESSION_PURPOSE};
use crate::web::form::WebForm;
use crate::web::keys::{KeyForm, RemoveKeyForm, key_error_message};
use crate::web::notice::Notice;
use crate::web::signing::reentry_signed_out;
use crate::web::visitor::{SignedIn, Source};
use crate::web::{AppState, WebError};

pub async fn upload_key(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Source(source): Source,
    WebForm(form): WebForm<KeyForm>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), SESSION_PURPOSE, &form.csrf)?;
    let password = Reentered::in_session(&active, form.password);
    let login = &active.login;
    match state.portal.set_encryption_key(login, login, &form.key_material, &password, &source).await {
        Ok(_) => Ok(Redirect::to(&Notice::KeySaved.at("/profile")).into_response()),
        Err(error) => key_error(&state, &active, error).await,
    }
}

pub async fn remove_key(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Source(source): Source,
    WebForm(form): WebForm<RemoveKeyForm>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), SESSION_PURPOSE, &form.csrf)?;
    let password = Reentered::in_session(&active, form.password);
    let login = &active.login;
    match state.portal.remove_encryption_key(login, login, &password, &source).await {
        Ok(()) => Ok(Redirect::to(&Notice::KeyRemoved.at("/profile")).into_response()),
        Err(error) => key_error(&state, &active, error).await,
    }
}

async fn key_error(state: &AppState, active: &ActiveSession, error: KeyChangeError) -> Result<Response, WebError> {
    if let KeyChangeError::SessionEnded(_) = error {
        return Ok(reentry_signed_out(state));
    }
    let message = key_error_message(error)?;
    profile_page(state, active, StatusCode::BAD_REQUEST, None, vec![message]).await
}
