//! What every page of the area checks first (the administrator, the login named in the path)
//! and how an administrator action's outcome becomes a response.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::domain::Login;
use crate::domain::LoginName;
use crate::service::RequestSource;
use crate::service::logins::AdminError;
use crate::service::sessions::ActiveSession;
use crate::web::{AppState, WebError};

/// What a path segment may hold unencoded: RFC 3986's unreserved characters only.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `/logins/{name}`, the name percent-encoded as one path segment, for redirects and links.
pub fn login_path(name: &LoginName) -> String {
    format!("/logins/{}", utf8_percent_encode(name.as_str(), SEGMENT))
}

/// The 403 page's words for a secondary login.
pub const ADMIN_ONLY: &str = "Only the account administrator — the primary login, named like ZZZ9999 — manages logins \
                          and contacts on record. Ask your administrator for changes.";

/// An administrator action's outcome, as the page shows it.
pub enum Outcome {
    Redirect(String),
    Problem(String),
    /// Too many wrong passwords: the session was ended.
    SignedOut,
}

/// Sorts a use case's result: what the page shows, and what stays an error.
pub fn outcome(result: Result<String, AdminError>) -> Result<Outcome, WebError> {
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

/// Only the primary login may use these pages (a refusal is audited).
pub async fn administrator(state: &AppState, active: &ActiveSession, source: &RequestSource) -> Result<(), WebError> {
    state.portal.require_administrator(&active.login, "logins", source).await.map_err(|e| match e {
        AdminError::NotAdministrator => WebError::NotPermitted(ADMIN_ONLY),
        AdminError::Failure(failure) => failure.into(),
        _ => WebError::Forbidden,
    })
}

/// The login named in the path, if it belongs to the administrator's account.
pub async fn target(
    state: &AppState,
    active: &ActiveSession,
    source: &RequestSource,
    name: &str,
) -> Result<Login, WebError> {
    administrator(state, active, source).await?;
    match state.portal.managed_login(&active.login, name, source).await {
        Ok(login) => Ok(login),
        Err(AdminError::Failure(failure)) => Err(failure.into()),
        Err(_) => Err(WebError::NotFound),
    }
}
