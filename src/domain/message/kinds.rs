//! The payload of each message kind: plain data, versioned so that a message still in the
//! queue after an upgrade is read as it was written.

use serde::{Deserialize, Serialize};

/// The emailed link of "Reset your password". The link holds a secret token: the outbox keeps
/// it sealed, and it is encrypted on the way when the recipient has a key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryLink {
    pub version: u32,
    pub login_name: String,
    pub link: String,
    pub expires_at: i64,
}

impl std::fmt::Debug for RecoveryLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecoveryLink").field("login_name", &self.login_name).field("link", &"[redacted]").finish()
    }
}

/// Sent after every password change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChanged {
    pub version: u32,
    pub login_name: String,
    /// Unix seconds.
    pub changed_at: i64,
    pub source_ip: Option<String>,
    /// `my_profile`, `operator`, …
    pub via: String,
}

/// The plain notice that a sealed message waits on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurePickup {
    pub version: u32,
    pub login_name: String,
    pub pickup_id: String,
    pub expires_at: i64,
}

/// A temporary password. Never travels in clear: encrypted to the recipient's key, or sealed
/// for secure pickup.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemporaryPassword {
    pub version: u32,
    pub login_name: String,
    pub password: String,
    pub expires_at: i64,
}

impl std::fmt::Debug for TemporaryPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemporaryPassword")
            .field("login_name", &self.login_name)
            .field("password", &"[redacted]")
            .finish()
    }
}

/// A support case was opened or updated: tells the login that opened it. The comment may hold
/// account details, so it is encrypted when the login has a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseNotice {
    pub version: u32,
    pub login_name: String,
    pub case_number: i64,
    pub title: String,
    /// The status's label, e.g. "Awaiting customer".
    pub status: String,
    /// `opened`, `comment`, `status`, `temporary_password_sent`.
    pub event: String,
    pub comment: Option<String>,
}

/// Sent to a login's previous address when its account administrator changed its email: the
/// person learns of it even if the new address is not theirs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginChanged {
    pub version: u32,
    pub login_name: String,
    /// `email_changed`.
    pub change: String,
    /// The administrator's login name.
    pub by: String,
    /// Unix seconds.
    pub changed_at: i64,
}

/// Tells the account's contacts on record that support sent a temporary password for the
/// primary login: the owner hears of every reset on every address it gave. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemporaryPasswordNotice {
    pub version: u32,
    /// The login the password is for.
    pub login_name: String,
    pub contact_name: String,
    pub case_number: Option<i64>,
    /// Unix seconds.
    pub issued_at: i64,
}

/// A change to a login's security settings, told to the login's address and, for a change to the
/// account (or made by its administrator to a secondary login), to the primary login's. Holds no
/// secret, and always travels plain: a key set by someone else must not hide it from the owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityNotice {
    pub version: u32,
    /// The login whose mailbox this copy goes to.
    pub login_name: String,
    /// The login the change is about (the same as `login_name` on the login's own copy).
    pub changed_login: String,
    pub change: SecurityChange,
    /// The account administrator (primary login) who made the change, when it was not the
    /// login itself.
    pub by_administrator: Option<String>,
    /// The portal's operator made it, from the command line.
    pub by_operator: bool,
    /// Unix seconds.
    pub changed_at: i64,
    /// The client address of the request that made the change, when there was one.
    pub source_ip: Option<String>,
}

/// What a security notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecurityChange {
    QuestionsSet,
    KeySet,
    KeyRemoved,
    ContactsChanged,
    LoginDisabled,
    LoginEnabled,
    EmailChanged,
}

impl SecurityChange {
    /// The change in a few words, for the subject line.
    pub fn headline(self) -> &'static str {
        match self {
            Self::QuestionsSet => "security questions were set",
            Self::KeySet => "an encryption key was set",
            Self::KeyRemoved => "an encryption key was removed",
            Self::ContactsChanged => "the contacts on record were changed",
            Self::LoginDisabled => "a login was disabled",
            Self::LoginEnabled => "a login was enabled",
            Self::EmailChanged => "a login's email address was changed",
        }
    }
}

/// Sent when failed sign-ins lock a login: once per run of failures, not per failure. Holds
/// no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginLocked {
    pub version: u32,
    pub login_name: String,
    /// Unix seconds.
    pub locked_at: i64,
    /// Where the failure that locked it came from.
    pub source_ip: Option<String>,
}

/// `portcullis mail test`: checks the relay and the recipient's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestMessage {
    pub version: u32,
    pub login_name: String,
}
