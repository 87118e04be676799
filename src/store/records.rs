//! What the store takes and gives back.

use time::OffsetDateTime;

use crate::crypto::PasswordHash;
use crate::domain::{EmailAddress, LoginName, StaffRole};
pub use crate::domain::{Login, StoredKey};

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
    /// Started with a temporary password: may only set a new password or sign out.
    pub restricted: bool,
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

impl Login {
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

/// A message for the outbox; `payload` is already sealed.
#[derive(Debug, Clone)]
pub struct NewMail {
    pub id: String,
    pub kind: String,
    pub login_id: Option<String>,
    pub recipient: String,
    pub payload: String,
    /// Messages of this kind to this recipient allowed in the last hour.
    pub throttle_per_hour: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRecord {
    pub id: String,
    pub kind: String,
    pub login_id: Option<String>,
    pub recipient: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: OffsetDateTime,
    pub last_error: Option<String>,
    pub encryption: Option<String>,
    pub created_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
}

/// How a delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailOutcome {
    /// Handed to the relay (or written); `encryption` says how it travelled.
    Sent { encryption: String },
    /// Try again at `at`.
    Retry { error: String, at: OffsetDateTime },
    /// Given up: `abandoned` (the relay kept refusing) or `failed_encryption` (never sent in clear).
    Failed { status: &'static str, error: String },
}

#[derive(Debug, Clone)]
pub struct NewSecureMessage {
    pub id: String,
    pub login_id: String,
    pub sealed: String,
    pub salt: String,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecureMessageRecord {
    pub id: String,
    pub login_id: Option<String>,
    pub sealed: String,
    pub salt: String,
    pub attempts: i64,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub position: i64,
    pub question: String,
    pub hash: PasswordHash,
}

#[derive(Debug, Clone)]
pub struct NewTicket {
    pub id: String,
    pub token_hash: String,
    pub login_id: String,
    /// Positions of the answers that will be asked.
    pub questions: Vec<i64>,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRecord {
    pub id: String,
    pub login_id: String,
    pub questions: Vec<i64>,
    pub attempts: i64,
    pub answered: bool,
    pub used: bool,
    pub voided: bool,
    pub expires_at: OffsetDateTime,
}

impl TicketRecord {
    /// Still usable at `now`: not used, not voided, and `now` is at or before its expiry.
    pub fn is_open(&self, now: OffsetDateTime) -> bool {
        !self.used && !self.voided && now <= self.expires_at
    }
}
