//! What the store takes and gives back.

use time::OffsetDateTime;

use crate::crypto::PasswordHash;
use crate::domain::{EmailAddress, LoginKind, LoginName, StaffRole};

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct NewLogin {
    pub id: String,
    pub account_id: String,
    pub name: LoginName,
    pub email: EmailAddress,
    pub phone: Option<String>,
    pub authorized_contact: bool,
    pub password_hash: Option<PasswordHash>,
}

#[derive(Debug, Clone)]
pub struct LoginRecord {
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

impl LoginRecord {
    pub fn is_locked(&self, now: OffsetDateTime) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureCount {
    pub count: i64,
    pub locked_until: Option<OffsetDateTime>,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub id: String,
    pub token_hash: String,
    pub login_id: String,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: String,
    pub login_id: String,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PasswordChange {
    pub login_id: String,
    /// The hash the caller checked against; `None` when the login had no password yet.
    pub expected_current: Option<PasswordHash>,
    pub new_hash: PasswordHash,
    /// How many previous hashes to keep in the history.
    pub keep_history: usize,
}

#[derive(Debug, Clone)]
pub struct NewStaff {
    pub id: String,
    pub username: String,
    pub role: StaffRole,
    pub password_hash: PasswordHash,
}

impl LoginRecord {
    /// A login that does not exist yet, for checking a first password against the policy.
    pub fn placeholder(name: LoginName) -> Self {
        Self {
            id: String::new(),
            account_id: String::new(),
            kind: name.kind(),
            name,
            email: String::new(),
            phone: None,
            authorized_contact: false,
            password_hash: None,
            disabled: false,
            failed_count: 0,
            last_failed_at: None,
            locked_until: None,
        }
    }
}
