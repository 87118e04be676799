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
pub(super) fn unreadable(detail: impl std::fmt::Display) -> KeyError {
    tracing::debug!(%detail, "key material not readable");
    KeyError::Unreadable
}

/// Encryption to a key failed; `detail` (the library's words) is only logged.
pub(super) fn encrypt_failed(detail: impl std::fmt::Display) -> KeyError {
    tracing::debug!(%detail, "encryption to a recipient key failed");
    KeyError::Encrypt
}

const PGP_BEGIN: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
const PGP_END: &str = "-----END PGP PUBLIC KEY BLOCK-----";
const PEM_BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const PEM_END: &str = "-----END CERTIFICATE-----";

/// Checks uploaded key material for the login whose address is `email`.
pub fn check(material: &str, email: &str, now: OffsetDateTime) -> Result<KeyInfo, KeyError> {
    let trimmed = material.trim();
    if trimmed.contains("PRIVATE KEY") {
        return Err(KeyError::PrivateKey);
    }
    let info = match kind_of(trimmed)? {
        KeyKind::OpenPgp => openpgp::inspect(trimmed, now)?,
        KeyKind::Smime => smime::inspect(trimmed, now)?,
    };
    let wanted = email.to_lowercase();
    if !info.emails.iter().any(|e| e.to_lowercase() == wanted) {
        tracing::debug!(found = ?info.emails, "the key is for other addresses");
        return Err(KeyError::WrongAddress { wanted });
    }
    Ok(info)
}

/// Which kind of key `trimmed` is, when it is exactly one armoured block or one PEM
/// certificate: anything after its END line is refused, so nothing rides along unseen.
fn kind_of(trimmed: &str) -> Result<KeyKind, KeyError> {
    let (kind, end) = if trimmed.starts_with(PGP_BEGIN) {
        (KeyKind::OpenPgp, PGP_END)
    } else if trimmed.starts_with(PEM_BEGIN) {
        (KeyKind::Smime, PEM_END)
    } else {
        return Err(KeyError::UnknownFormat);
    };
    let Some(at) = trimmed.find(end) else { return Err(unreadable("no END line")) };
    let rest = trimmed[at + end.len()..].trim();
    match rest {
        "" => Ok(kind),
        _ if rest.contains("-----BEGIN") => Err(KeyError::SeveralKeys),
        _ => Err(KeyError::TrailingText),
    }
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
    let trimmed = material.trim();
    if kind_of(trimmed)? != kind {
        return Err(KeyError::Unreadable);
    }
    match kind {
        KeyKind::OpenPgp => Ok(Encrypted::OpenPgp { armored: openpgp::encrypt(trimmed, entity, now)? }),
        KeyKind::Smime => {
            smime::inspect(trimmed, now)?;
            let (der, smime_type) = smime::encrypt(trimmed, entity, smime_gcm)?;
            Ok(Encrypted::Smime { der, smime_type })
        }
    }
}
