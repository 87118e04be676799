//! My Profile: login details, Create New Password, active sessions.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::csrf::{self, SESSION_PURPOSE};
use super::form::WebForm;
use super::layout::{Layout, NavUser, format_time, group_fingerprint, render};
use super::login::{reentry_signed_out, signed_out_redirect};
use super::notice::{Notice, NoticeQuery};
use super::pages::{ChangePasswordPage, KeyRow, ManagedKeyRow, ProfilePage, SessionRow};
use super::password_rules::rule_rows;
use super::visitor::{SignedIn, Source};
use super::{AppState, WebError};
use crate::domain::{LoginKind, Password};
use crate::service::mail::KeyChangeError;
use crate::service::password::{ChangeError, ChangeProblem, PasswordChangeForm};
use crate::service::reentry::Reentered;
use crate::service::sessions::ActiveSession;

pub fn nav_user(active: &ActiveSession) -> NavUser {
    NavUser {
        name: active.login.name.to_string(),
        csrf: active.token.derive(SESSION_PURPOSE),
        administrator: active.login.kind == LoginKind::Primary,
        restricted: active.session.restricted,
    }
}

pub async fn show(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    profile_page(&state, &active, StatusCode::OK, query.text(), Vec::new()).await
}

async fn profile_page(
    state: &AppState,
    active: &ActiveSession,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let sessions = state.portal.sessions_of(&active.login).await?;
    let rows = sessions
        .into_iter()
        .map(|s| SessionRow {
            current: s.id == active.session.id,
            created: format_time(s.created_at),
            last_seen: format_time(s.last_seen_at),
            address: s.source_ip.unwrap_or_else(|| "unknown".into()),
            browser: s.user_agent.unwrap_or_else(|| "unknown".into()),
            id: s.id,
        })
        .collect();
    let key = state.portal.encryption_key(&active.login).await?.as_ref().map(KeyRow::from_stored);
    let managed = state
        .portal
        .managed_keys(&active.login)
        .await?
        .into_iter()
        .map(|(login, key)| ManagedKeyRow {
            name: login.name.to_string(),
            email: login.email,
            key: key.map_or_else(
                || "none".into(),
                |k| format!("{} {}", KeyRow::from_stored(&k).kind, group_fingerprint(&k.fingerprint)),
            ),
        })
        .collect();
    let login = &active.login;
    let page = ProfilePage {
        layout: Layout::new(state, "My Profile", Some(nav_user(active))),
        notice,
        errors,
        csrf: active.token.derive(SESSION_PURPOSE),
        login_name: login.name.to_string(),
        kind: match login.kind {
            LoginKind::Primary => "Primary login (account administrator)",
            LoginKind::Secondary => "Secondary login",
        },
        email: login.email.clone(),
        sessions: rows,
        key,
        key_action: "/profile/encryption".into(),
        managed,
        questions: state.portal.questions_of(&active.login).await?,
    };
    Ok(render(status, &page))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyForm {
    pub csrf: String,
    pub key_material: String,
    pub password: String,
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoveKeyForm {
    pub csrf: String,
    pub password: String,
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

/// What the user reads when a key change is refused; infrastructure failures stay errors.
pub fn key_error_message(error: KeyChangeError) -> Result<String, WebError> {
    match error {
        KeyChangeError::Failure(failure) => Err(failure.into()),
        KeyChangeError::WrongPassword => Ok("The existing password is not correct.".to_string()),
        other => Ok(format!("The key was not saved: {other}.")),
    }
}

pub async fn password_form(State(state): State<AppState>, SignedIn(active): SignedIn) -> Response {
    password_page(&state, &active, StatusCode::OK, Vec::new())
}

#[derive(Deserialize)]
pub struct ChangePasswordForm {
    csrf: String,
    existing: String,
    new_password: String,
    confirm: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Source(source): Source,
    WebForm(form): WebForm<ChangePasswordForm>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), SESSION_PURPOSE, &form.csrf)?;
    let change = PasswordChangeForm {
        existing: Password::new(form.existing),
        new: Password::new(form.new_password),
        confirm: Password::new(form.confirm),
    };
    match state.portal.change_password(&active, &change, &source).await {
        Ok(()) => Ok(signed_out_redirect(&state, &Notice::PasswordChanged.at("/login"))),
        Err(ChangeError::Refused(problems)) => Ok(password_page(&state, &active, StatusCode::BAD_REQUEST, problems)),
        Err(ChangeError::Conflict) => Ok(password_page(&state, &active, StatusCode::CONFLICT, Vec::new())),
        Err(ChangeError::UnknownLogin) => Err(WebError::NotFound),
        Err(ChangeError::SessionEnded(_)) => Ok(reentry_signed_out(&state)),
        Err(ChangeError::Failure(failure)) => Err(failure.into()),
    }
}

#[derive(Deserialize)]
pub struct RevokeForm {
    csrf: String,
    session_id: String,
}

pub async fn revoke_session(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Source(source): Source,
    WebForm(form): WebForm<RevokeForm>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), SESSION_PURPOSE, &form.csrf)?;
    if !state.portal.revoke_session(&active, &form.session_id, &source).await? {
        return Err(WebError::NotFound);
    }
    if form.session_id == active.session.id {
        return Ok(signed_out_redirect(&state, &Notice::SignedOut.at("/login")));
    }
    Ok(Redirect::to(&Notice::SessionRevoked.at("/profile")).into_response())
}

fn password_page(
    state: &AppState,
    active: &ActiveSession,
    status: StatusCode,
    problems: Vec<ChangeProblem>,
) -> Response {
    let rules = rule_rows(state.portal.password_policy(), &problems);
    let mut errors: Vec<String> = problems.iter().map(|p| p.message()).collect();
    if status == StatusCode::CONFLICT {
        errors.push("Your password was changed elsewhere at the same moment. Please try again.".into());
    }
    let page = ChangePasswordPage {
        layout: Layout::new(state, "Create New Password", Some(nav_user(active))),
        notice: None,
        errors,
        csrf: active.token.derive(SESSION_PURPOSE),
        login_name: active.login.name.to_string(),
        rules,
    };
    render(status, &page)
}
