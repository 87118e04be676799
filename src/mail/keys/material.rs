//! Key material as uploaded or stored: which kind it is, by its armour, and the checks and
//! encryption of that kind.

use time::OffsetDateTime;

use super::{Encrypted, KeyError, KeyInfo, KeyKind, openpgp, smime, unreadable};

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
