//! Recipients' encryption keys: an OpenPGP public key or an S/MIME certificate, recognised by
//! its armour, checked when it is uploaded and again before every use.

use time::OffsetDateTime;

use super::{openpgp, smime};

/// A key or certificate made a little "in the future" by a clock that runs ahead of ours is
/// still accepted.
pub const CLOCK_SKEW: time::Duration = time::Duration::minutes(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    OpenPgp,
    Smime,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenPgp => "openpgp",
            Self::Smime => "smime",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "openpgp" => Some(Self::OpenPgp),
            "smime" => Some(Self::Smime),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::OpenPgp => "OpenPGP",
            Self::Smime => "S/MIME",
        }
    }
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

/// Why a key cannot be used. Each message tells the user what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("this is not an ASCII-armoured OpenPGP public key or a PEM S/MIME certificate")]
    UnknownFormat,
    #[error("the key could not be read: {0}")]
    Unreadable(String),
    #[error("upload one key at a time")]
    SeveralKeys,
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
    #[error("the key is for {found}, not for {wanted}")]
    WrongAddress { found: String, wanted: String },
    #[error("encryption failed: {0}")]
    Encrypt(String),
}

/// Checks uploaded key material for the login whose address is `email`.
pub fn check(material: &str, email: &str, now: OffsetDateTime) -> Result<KeyInfo, KeyError> {
    let trimmed = material.trim();
    if trimmed.contains("PRIVATE KEY") {
        return Err(KeyError::PrivateKey);
    }
    let info = if trimmed.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----") {
        openpgp::inspect(trimmed, now)?
    } else if trimmed.starts_with("-----BEGIN CERTIFICATE-----") {
        smime::inspect(trimmed, now)?
    } else {
        return Err(KeyError::UnknownFormat);
    };
    let wanted = email.to_lowercase();
    if !info.emails.iter().any(|e| e.to_lowercase() == wanted) {
        let found = if info.emails.is_empty() { "no email address".to_string() } else { info.emails.join(", ") };
        return Err(KeyError::WrongAddress { found, wanted });
    }
    Ok(info)
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

/// Encrypts `entity` to the stored key after checking it is still usable at `now`.
pub fn encrypt(
    kind: KeyKind,
    material: &str,
    entity: &[u8],
    now: OffsetDateTime,
    smime_gcm: bool,
) -> Result<Encrypted, KeyError> {
    match kind {
        KeyKind::OpenPgp => Ok(Encrypted::OpenPgp { armored: openpgp::encrypt(material, entity, now)? }),
        KeyKind::Smime => {
            smime::inspect(material, now)?;
            let (der, smime_type) = smime::encrypt(material, entity, smime_gcm)?;
            Ok(Encrypted::Smime { der, smime_type })
        }
    }
}
