//! Outgoing messages as typed, versioned values. The outbox stores the value (sealed); the
//! worker renders it at send time, so a template fix reaches messages still in the queue.

use serde::{Deserialize, Serialize};

/// How a message may travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sensitivity {
    /// Carries a credential: only encrypted to the recipient's key, or by secure pickup.
    MustEncrypt,
    /// Encrypted when the recipient has a key on file, plain otherwise.
    EncryptIfKey,
    /// Nothing secret in it.
    Plain,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutboundMessage {
    PasswordChanged(PasswordChanged),
    SecurePickup(SecurePickup),
    TemporaryPassword(TemporaryPassword),
    Test(TestMessage),
    RecoveryLink(RecoveryLink),
    CaseUpdate(CaseNotice),
    LoginChanged(LoginChanged),
    TemporaryPasswordNotice(TemporaryPasswordNotice),
    SecurityNotice(SecurityNotice),
    LoginLocked(LoginLocked),
}

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

impl OutboundMessage {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::PasswordChanged(_) => "password_changed",
            Self::SecurePickup(_) => "secure_pickup",
            Self::TemporaryPassword(_) => "temporary_password",
            Self::Test(_) => "test",
            Self::RecoveryLink(_) => "recovery_link",
            Self::CaseUpdate(_) => "case_update",
            Self::LoginChanged(_) => "login_changed",
            Self::TemporaryPasswordNotice(_) => "temporary_password_notice",
            Self::SecurityNotice(_) => "security_notice",
            Self::LoginLocked(_) => "login_locked",
        }
    }

    pub fn sensitivity(&self) -> Sensitivity {
        match self {
            Self::TemporaryPassword(_) => Sensitivity::MustEncrypt,
            Self::PasswordChanged(_)
            | Self::Test(_)
            | Self::RecoveryLink(_)
            | Self::CaseUpdate(_)
            | Self::LoginChanged(_) => Sensitivity::EncryptIfKey,
            Self::SecurePickup(_)
            | Self::TemporaryPasswordNotice(_)
            | Self::SecurityNotice(_)
            | Self::LoginLocked(_) => Sensitivity::Plain,
        }
    }

    /// The subject line. It never holds anything sensitive: it travels in clear even when
    /// the body is encrypted.
    pub fn subject(&self, product: &str) -> String {
        match self {
            Self::PasswordChanged(_) => format!("{product}: your password was changed"),
            Self::SecurePickup(_) => format!("{product}: a secure message is waiting for you"),
            Self::TemporaryPassword(_) => format!("{product}: sign-in information"),
            Self::Test(_) => format!("{product}: test message"),
            Self::RecoveryLink(_) => format!("{product}: reset your password"),
            Self::CaseUpdate(m) => format!("{product}: support case {} was updated", m.case_number),
            Self::LoginChanged(_) => format!("{product}: the email address of your login was changed"),
            Self::TemporaryPasswordNotice(_) => {
                format!("{product}: a temporary password was sent for your primary login")
            }
            Self::SecurityNotice(m) => format!("{product}: security notice: {}", m.change.headline()),
            Self::LoginLocked(_) => format!("{product}: sign-in to your login was paused after failed attempts"),
        }
    }

    pub fn login_name(&self) -> &str {
        match self {
            Self::PasswordChanged(m) => &m.login_name,
            Self::SecurePickup(m) => &m.login_name,
            Self::TemporaryPassword(m) => &m.login_name,
            Self::Test(m) => &m.login_name,
            Self::RecoveryLink(m) => &m.login_name,
            Self::CaseUpdate(m) => &m.login_name,
            Self::LoginChanged(m) => &m.login_name,
            Self::TemporaryPasswordNotice(m) => &m.login_name,
            Self::SecurityNotice(m) => &m.login_name,
            Self::LoginLocked(m) => &m.login_name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_round_trips_through_its_stored_form() {
        let message = OutboundMessage::PasswordChanged(PasswordChanged {
            version: 1,
            login_name: "ABC1234".into(),
            changed_at: 1_700_000_000,
            source_ip: Some("192.0.2.1".into()),
            via: "my_profile".into(),
        });
        let stored = serde_json::to_string(&message).unwrap();
        assert!(stored.contains("\"kind\":\"password_changed\""));
        assert_eq!(serde_json::from_str::<OutboundMessage>(&stored).unwrap(), message);
    }

    #[test]
    fn credentials_must_be_encrypted_and_never_print() {
        let message = OutboundMessage::TemporaryPassword(TemporaryPassword {
            version: 1,
            login_name: "ABC1234".into(),
            password: "CANARY-temp".into(),
            expires_at: 0,
        });
        assert_eq!(message.sensitivity(), Sensitivity::MustEncrypt);
        assert!(!format!("{message:?}").contains("CANARY"));
        assert!(!message.subject("Portal").contains("CANARY"));
    }
}
