//! A login as the portal keeps it: who it is, how to reach it, and its sign-in state.

use time::OffsetDateTime;

use super::{LoginKind, LoginName, PasswordHash};

/// One login of an account (its primary login or a secondary one). Whether it is locked now
/// is the lockout rule's question: see `lockout`.
#[derive(Debug, Clone)]
pub struct Login {
    pub id: String,
    pub account_id: String,
    pub name: LoginName,
    pub kind: LoginKind,
    pub email: String,
    pub phone: Option<String>,
    pub authorized_contact: bool,
    pub password_hash: Option<PasswordHash>,
    pub disabled: bool,
    pub failed_count: i64,
    pub last_failed_at: Option<OffsetDateTime>,
    pub locked_until: Option<OffsetDateTime>,
}

/// A login's encryption key on file (OpenPGP or S/MIME), as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub login_id: String,
    /// `openpgp` or `smime`.
    pub kind: String,
    pub material: String,
    pub fingerprint: String,
    pub expires_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}
