//! The account administrator's pages: Logins (secondary logins and their passwords) and the
//! contacts on record. A secondary login gets a 403 page; a name outside the account, 404.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use super::csrf::{self, SESSION_PURPOSE};
use super::form::WebForm;
use super::layout::{Layout, format_time, render};
use super::login::reentry_signed_out;
use super::notice::{Notice, NoticeQuery};
use super::pages::{ContactRow, ContactsPage, LoginEditPage, LoginRow, LoginsPage, PasscodePage};
use super::profile::nav_user;
use super::visitor::{SignedIn, Source};
use super::{AppState, WebError};
use crate::domain::LoginRecord;
use crate::domain::{ContactRole, LoginName};
use crate::service::RequestSource;
use crate::service::logins::{AdminError, ContactForm, SecondaryForm};
use crate::service::mail::SecretDelivery;
use crate::service::reentry::Reentered;
use crate::service::sessions::ActiveSession;

/// What a path segment may hold unencoded: RFC 3986's unreserved characters only.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `/logins/{name}`, the name percent-encoded as one path segment, for redirects and links.
pub(super) fn login_path(name: &LoginName) -> String {
    format!("/logins/{}", utf8_percent_encode(name.as_str(), SEGMENT))
}

const ADMIN_ONLY: &str = "Only the account administrator — the primary login, named like ZZZ9999 — manages logins \
                          and contacts on record. Ask your administrator for changes.";

/// An administrator action's outcome, as the page shows it.
enum Outcome {
    Redirect(String),
    Problem(String),
    /// Too many wrong passwords: the session was ended.
    SignedOut,
}

fn outcome(result: Result<String, AdminError>) -> Result<Outcome, WebError> {
    match result {
        Ok(to) => Ok(Outcome::Redirect(to)),
        Err(AdminError::NotAdministrator) => Err(WebError::NotPermitted(ADMIN_ONLY)),
        Err(AdminError::NotFound) => Err(WebError::NotFound),
        Err(AdminError::Failure(failure)) => Err(failure.into()),
        Err(AdminError::SessionEnded(_)) => Ok(Outcome::SignedOut),
        Err(problem @ (AdminError::WrongPassword | AdminError::Invalid(_) | AdminError::Refused(_))) => {
            Ok(Outcome::Problem(problem.to_string()))
        }
    }
}

async fn administrator(state: &AppState, active: &ActiveSession, source: &RequestSource) -> Result<(), WebError> {
    state.portal.require_administrator(&active.login, "logins", source).await.map_err(|e| match e {
        AdminError::NotAdministrator => WebError::NotPermitted(ADMIN_ONLY),
        AdminError::Failure(failure) => failure.into(),
        _ => WebError::Forbidden,
    })
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

pub async fn show(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Source(source): Source,
    Path(name): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let target = target(&state, &active, &source, &name).await?;
    edit_page(&state, &active, &target, StatusCode::OK, query.text(), Vec::new()).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditForm {
    csrf: String,
    email: String,
    #[serde(default)]
    phone: String,
    authorized_contact: Option<String>,
    password: String,
}

pub async fn update(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Source(source): Source,
    Path(name): Path<String>,
    WebForm(form): WebForm<EditForm>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), SESSION_PURPOSE, &form.csrf)?;
    let target = target(&state, &active, &source, &name).await?;
    let details =
        SecondaryForm { email: &form.email, phone: &form.phone, authorized_contact: form.authorized_contact.is_some() };
    let password = Reentered::in_session(&active, form.password);
    let result = state.portal.admin_update_login(&active.login, &password, &target, &details, &source).await;
    finish(&state, &active, &target, result.map(|()| Notice::LoginSaved)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordOnlyForm {
    csrf: String,
    password: String,
    #[serde(default)]
    confirm_name: String,
}

/// Disable, enable, unlock, delete or reset: `action` comes from the route.
pub async fn act(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Source(source): Source,
    Path((name, action)): Path<(String, String)>,
    WebForm(form): WebForm<PasswordOnlyForm>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), SESSION_PURPOSE, &form.csrf)?;
    let target = target(&state, &active, &source, &name).await?;
    let password = Reentered::in_session(&active, form.password);
    let portal = &state.portal;
    let admin = &active.login;
    let result = match action.as_str() {
        "disable" => {
            portal.admin_set_disabled(admin, &password, &target, true, &source).await.map(|_| Notice::LoginDisabled)
        }
        "enable" => {
            portal.admin_set_disabled(admin, &password, &target, false, &source).await.map(|_| Notice::LoginEnabled)
        }
        "unlock" => portal.admin_clear_lock(admin, &password, &target, &source).await.map(|()| Notice::LockCleared),
        "delete" => {
            let deleted = portal.admin_delete_login(admin, &password, &target, &form.confirm_name, &source).await;
            return match outcome(deleted.map(|()| Notice::LoginDeleted.at("/logins")))? {
                Outcome::Redirect(to) => Ok(Redirect::to(&to).into_response()),
                Outcome::SignedOut => Ok(reentry_signed_out(&state)),
                Outcome::Problem(message) => {
                    edit_page(&state, &active, &target, StatusCode::BAD_REQUEST, None, vec![message]).await
                }
            };
        }
        "reset" => match portal.admin_reset_login(admin, &password, &target, &source).await {
            Ok(SecretDelivery::Pickup { passcode }) => {
                return Ok(passcode_page(&state, &active, &target, passcode));
            }
            other => other.map(|_| Notice::TemporarySent),
        },
        _ => return Err(WebError::NotFound),
    };
    finish(&state, &active, &target, result).await
}

async fn finish(
    state: &AppState,
    active: &ActiveSession,
    target: &LoginRecord,
    result: Result<Notice, AdminError>,
) -> Result<Response, WebError> {
    match outcome(result.map(|notice| notice.at(&login_path(&target.name))))? {
        Outcome::Redirect(to) => Ok(Redirect::to(&to).into_response()),
        Outcome::SignedOut => Ok(reentry_signed_out(state)),
        Outcome::Problem(message) => {
            edit_page(state, active, target, StatusCode::BAD_REQUEST, None, vec![message]).await
        }
    }
}

/// The secure-pickup passcode, shown this once: it is not stored anywhere readable.
fn passcode_page(state: &AppState, active: &ActiveSession, target: &LoginRecord, passcode: String) -> Response {
    let page = PasscodePage {
        layout: Layout::new(state, "Give this passcode by voice", Some(nav_user(active))),
        login_name: target.name.to_string(),
        passcode,
        back_href: login_path(&target.name),
    };
    render(StatusCode::OK, &page)
}

async fn target(
    state: &AppState,
    active: &ActiveSession,
    source: &RequestSource,
    name: &str,
) -> Result<LoginRecord, WebError> {
    administrator(state, active, source).await?;
    match state.portal.managed_login(&active.login, name, source).await {
        Ok(login) => Ok(login),
        Err(AdminError::Failure(failure)) => Err(failure.into()),
        Err(_) => Err(WebError::NotFound),
    }
}

async fn edit_page(
    state: &AppState,
    active: &ActiveSession,
    target: &LoginRecord,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let key = state.portal.encryption_key(target).await?;
    let page = LoginEditPage {
        layout: Layout::new(state, "Login", Some(nav_user(active))),
        notice,
        errors,
        csrf: active.token.derive(SESSION_PURPOSE),
        login_name: target.name.to_string(),
        email: target.email.clone(),
        phone: target.phone.clone().unwrap_or_default(),
        authorized_contact: target.authorized_contact,
        disabled: target.disabled,
        locked_until: state.portal.locked_until(target).map(format_time),
        key: key.map(|k| format!("{} (added {})", k.kind, format_time(k.created_at))),
    };
    Ok(render(status, &page))
}

pub async fn contacts(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Source(source): Source,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    administrator(&state, &active, &source).await?;
    let stored = state.portal.contacts_on_record(&active.login.account_id).await?;
    let rows = ContactRole::ALL
        .into_iter()
        .map(|role| {
            let found = stored.iter().find(|c| c.role == role);
            ContactRow {
                role: role.as_str(),
                label: role.label(),
                name: found.map(|c| c.name.clone()).unwrap_or_default(),
                phone: found.map(|c| c.phone.clone()).unwrap_or_default(),
                email: found.map(|c| c.email.clone()).unwrap_or_default(),
            }
        })
        .collect();
    contacts_page(&state, &active, StatusCode::OK, query.text(), Vec::new(), rows)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactsForm {
    csrf: String,
    primary_name: String,
    primary_phone: String,
    primary_email: String,
    #[serde(default)]
    secondary_name: String,
    #[serde(default)]
    secondary_phone: String,
    #[serde(default)]
    secondary_email: String,
    password: String,
}

pub async fn save_contacts(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Source(source): Source,
    WebForm(form): WebForm<ContactsForm>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), SESSION_PURPOSE, &form.csrf)?;
    administrator(&state, &active, &source).await?;
    let forms = [
        ContactForm {
            role: ContactRole::Primary,
            name: &form.primary_name,
            phone: &form.primary_phone,
            email: &form.primary_email,
        },
        ContactForm {
            role: ContactRole::Secondary,
            name: &form.secondary_name,
            phone: &form.secondary_phone,
            email: &form.secondary_email,
        },
    ];
    let password = Reentered::in_session(&active, form.password.clone());
    let result = state.portal.admin_set_contacts(&active.login, &password, &forms, &source).await;
    match outcome(result.map(|()| Notice::ContactsSaved.at("/account/contacts")))? {
        Outcome::Redirect(to) => Ok(Redirect::to(&to).into_response()),
        Outcome::SignedOut => Ok(reentry_signed_out(&state)),
        Outcome::Problem(message) => {
            let rows = forms
                .iter()
                .map(|f| ContactRow {
                    role: f.role.as_str(),
                    label: f.role.label(),
                    name: f.name.to_string(),
                    phone: f.phone.to_string(),
                    email: f.email.to_string(),
                })
                .collect();
            contacts_page(&state, &active, StatusCode::BAD_REQUEST, None, vec![message], rows)
        }
    }
}

fn contacts_page(
    state: &AppState,
    active: &ActiveSession,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: Vec<String>,
    rows: Vec<ContactRow>,
) -> Result<Response, WebError> {
    let page = ContactsPage {
        layout: Layout::new(state, "Contacts on record", Some(nav_user(active))),
        notice,
        errors,
        csrf: active.token.derive(SESSION_PURPOSE),
        rows,
    };
    Ok(render(status, &page))
}
