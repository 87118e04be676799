//! Recipients' encryption keys: an OpenPGP public key or an S/MIME certificate, recognised by
//! its armour, checked when it is uploaded and again before every use. This module holds what
//! both kinds share; `material` tells them apart and hands each to its own module.

pub mod material;
pub mod openpgp;
pub mod smime;

use time::OffsetDateTime;

/// A key or certificate made a little "in the future" by a clock that runs ahead of ours is
/// still accepted.
pub const CLOCK_SKEW: time::Duration = time::Duration::minutes(5);

/// Which of the two kinds of key a recipient has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    OpenPgp,
    Smime,
}

impl KeyKind {
    /// The name the store keeps.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenPgp => "openpgp",
            Self::Smime => "smime",
        }
    }

    /// The kind a stored name stands for.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "openpgp" => Some(Self::OpenPgp),
            "smime" => Some(Self::Smime),
            _ => None,
        }
    }

    /// The name people know it by.
    pub fn label(self) -> &'static str {
        match self {
            Self::OpenPgp => "OpenPGP",
            Self::Smime => "S/MIME",
        }
    }
}

/// A recipient's key as the mailer is handed it: its kind as stored (which the mailer reads,
/// so that a kind it does not know stops only the messages that would need the key) and its
/// armoured material.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecipientKey<'a> {
    pub kind: &'a str,
    pub material: &'a str,
}

/// What the portal shows and stores about a checked key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub kind: KeyKind,
    /// Upper-case hex: the OpenPGP fingerprint, or the SHA-256 of the certificate.
    pub fingerprint: String,
    pub expires_at: Option<OffsetDateTime>,
    pub emails: Vec<String>,
}

/// Why a key cannot be used. Each message is fixed and tells the user what to fix; what the
/// libraries said goes to the log at debug level, never to the page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("this is not an ASCII-armoured OpenPGP public key or a PEM S/MIME certificate")]
    UnknownFormat,
    #[error("this is not a usable key: it is damaged, incomplete or of a kind the portal cannot read")]
    Unreadable,
    #[error("more than one key was given; upload one key at a time")]
    SeveralKeys,
    #[error("there is text after the key's END line; upload the key alone")]
    TrailingText,
    #[error("this is a private key; upload only the public key (never share the private one)")]
    PrivateKey,
    #[error("the key cannot be used for encryption")]
    CannotEncrypt,
    #[error("the key has expired")]
    Expired,
    #[error("the certificate is not valid yet")]
    NotYetValid,
    #[error("the key has been revoked")]
    Revoked,
    #[error("the key is not for {wanted}, the login's address")]
    WrongAddress { wanted: String },
    #[error("encrypting to the key failed")]
    Encrypt,
}

/// An unreadable key; `detail` (the library's words) is only logged.
fn unreadable(detail: impl std::fmt::Display) -> KeyError {
    tracing::debug!(%detail, "key material not readable");
    KeyError::Unreadable
}

/// Encryption to a key failed; `detail` (the library's words) is only logged.
fn encrypt_failed(detail: impl std::fmt::Display) -> KeyError {
    tracing::debug!(%detail, "encryption to a recipient key failed");
    KeyError::Encrypt
}

/// The encrypted form of a MIME entity, ready to be wrapped in a message.
pub enum Encrypted {
    /// RFC 3156: an ASCII-armoured OpenPGP message.
    OpenPgp { armored: String },
    /// RFC 8551: DER of the CMS structure, and its `smime-type`.
    Smime { der: Vec<u8>, smime_type: &'static str },
}

impl Encrypted {
    /// How the message travels, for the outbox and the dev mailbox.
    pub fn describe(&self) -> String {
        match self {
            Self::OpenPgp { .. } => "openpgp".into(),
            Self::Smime { smime_type, .. } => format!("smime ({smime_type})"),
        }
    }
}
