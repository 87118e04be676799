//! What My Profile's key section and the administrator's key page for a secondary login
//! share: the forms, the key as shown, and the words for a refused change.

use serde::Deserialize;

use super::WebError;
use super::layout::{format_time, group_fingerprint};
use crate::service::mail::KeyChangeError;

/// The encryption key on file, as My Profile shows it.
pub struct KeyRow {
    pub kind: &'static str,
    pub fingerprint: String,
    pub expires: String,
    pub added: String,
}

impl KeyRow {
    pub fn from_stored(key: &crate::domain::StoredKey) -> Self {
        Self {
            kind: crate::mail::keys::KeyKind::parse(&key.kind).map_or("unknown", crate::mail::keys::KeyKind::label),
            fingerprint: group_fingerprint(&key.fingerprint),
            expires: key.expires_at.map_or_else(|| "never".into(), format_time),
            added: format_time(key.created_at),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyForm {
    pub csrf: String,
    pub key_material: String,
    pub password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoveKeyForm {
    pub csrf: String,
    pub password: String,
}

/// What the user reads when a key change is refused; infrastructure failures stay errors.
pub fn key_error_message(error: KeyChangeError) -> Result<String, WebError> {
    match error {
        KeyChangeError::Failure(failure) => Err(failure.into()),
        KeyChangeError::WrongPassword => Ok("The existing password is not correct.".to_string()),
        other => Ok(format!("The key was not saved: {other}.")),
    }
}
