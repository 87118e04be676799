//! Outgoing messages as typed, versioned values. The outbox stores the value (sealed) and it is
//! rendered only at send time, so a template fix reaches messages still in the queue.

use serde::{Deserialize, Serialize};

mod kinds;

pub use kinds::{
    CaseNotice, LoginChanged, LoginLocked, PasswordChanged, RecoveryLink, SecurePickup, SecurityChange, SecurityNotice,
    TemporaryPassword, TemporaryPasswordNotice, TestMessage,
};

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

/// One message to one recipient, as the outbox keeps it; `kind` tags the stored form.
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

impl OutboundMessage {
    /// The kind's stored name, which also names its templates.
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

    /// How this kind may travel.
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

    /// The login the message is for.
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
