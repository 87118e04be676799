//! OpenPGP with rPGP (pure Rust). rPGP parses and encrypts but leaves it to us to decide
//! whether a key may be used: revocation, expiry and key flags are checked here. Messages are
//! SEIPD v1 with AES-256, which every current OpenPGP implementation (gpg 2.2 included) reads.

use pgp::composed::{ArmorOptions, Deserializable, MessageBuilder, SignedPublicKey, SignedPublicSubKey};
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::packet::{DataMode, Signature, SignatureType};
use pgp::types::KeyDetails;
use time::OffsetDateTime;

use super::{CLOCK_SKEW, KeyError, KeyInfo, KeyKind, encrypt_failed, unreadable};

/// The parsed key and which of its keys to encrypt to.
struct Usable {
    key: SignedPublicKey,
    info: KeyInfo,
    /// None: the primary key itself encrypts.
    subkey: Option<usize>,
}

pub fn inspect(armored: &str, now: OffsetDateTime) -> Result<KeyInfo, KeyError> {
    usable(armored, now).map(|u| u.info)
}

pub fn encrypt(armored: &str, entity: &[u8], now: OffsetDateTime) -> Result<String, KeyError> {
    let usable = usable(armored, now)?;
    let fail = encrypt_failed;
    let mut rng = rand08::thread_rng();
    let mut builder = MessageBuilder::from_bytes("", entity.to_vec()).seipd_v1(&mut rng, SymmetricKeyAlgorithm::AES256);
    builder.data_mode(DataMode::Binary).map_err(fail)?;
    match usable.subkey {
        Some(index) => builder.encrypt_to_key(&mut rng, &usable.key.public_subkeys[index].key).map_err(fail)?,
        None => builder.encrypt_to_key(&mut rng, &usable.key.primary_key).map_err(fail)?,
    };
    builder.to_armored_string(&mut rng, ArmorOptions::default()).map_err(fail)
}

/// The one key in `armored`. The parser is given only what it was built for; should it still
/// panic on hostile input, that is an unreadable key, not a failed request.
fn parse_one(armored: &str) -> Result<SignedPublicKey, KeyError> {
    std::panic::catch_unwind(|| parse_checked(armored)).unwrap_or_else(|_| Err(unreadable("the parser panicked")))
}

fn parse_checked(armored: &str) -> Result<SignedPublicKey, KeyError> {
    let (mut keys, _headers) = SignedPublicKey::from_string_many(armored).map_err(unreadable)?;
    let key = keys.next().ok_or_else(|| unreadable("no key found"))?.map_err(unreadable)?;
    if keys.next().is_some() {
        return Err(KeyError::SeveralKeys);
    }
    key.verify_bindings().map_err(|e| unreadable(format_args!("its signatures do not verify: {e}")))?;
    Ok(key)
}

fn usable(armored: &str, now: OffsetDateTime) -> Result<Usable, KeyError> {
    let key = parse_one(armored)?;
    let now = u32::try_from(now.unix_timestamp()).unwrap_or(u32::MAX);
    let primary = &key.primary_key;
    let fingerprint = format!("{:X}", primary.fingerprint());
    let revoked = key
        .details
        .revocation_signatures
        .iter()
        .any(|s| s.typ() == Some(SignatureType::KeyRevocation) && s.verify_key(primary).is_ok());
    if revoked {
        return Err(KeyError::Revoked);
    }
    let (self_signature, emails) = self_signature_and_emails(&key)?;
    let created = primary.created_at().as_secs();
    let expires = expiry(created, self_signature);
    if expires.is_some_and(|at| at <= now) {
        return Err(KeyError::Expired);
    }
    let subkey = key.public_subkeys.iter().position(|sk| subkey_usable(&key, sk, now));
    let primary_encrypts = {
        let flags = self_signature.key_flags();
        (flags.encrypt_comms() || flags.encrypt_storage()) && primary.algorithm().can_encrypt()
    };
    if subkey.is_none() && !primary_encrypts {
        return Err(KeyError::CannotEncrypt);
    }
    let expires_at = expires.and_then(|at| OffsetDateTime::from_unix_timestamp(i64::from(at)).ok());
    let info = KeyInfo { kind: KeyKind::OpenPgp, fingerprint, expires_at, emails };
    Ok(Usable { key, info, subkey })
}

/// The self-signature that governs the primary key (the primary user id's newest one), and the
/// addresses of the user ids that are validly signed and not revoked.
fn self_signature_and_emails(key: &SignedPublicKey) -> Result<(&Signature, Vec<String>), KeyError> {
    let mut emails = Vec::new();
    let mut signatures = Vec::new();
    for user in &key.details.users {
        if user.verify_bindings(&key.primary_key).is_err() {
            continue;
        }
        let Some(newest) = newest(user.signatures.iter()) else { continue };
        if newest.typ() == Some(SignatureType::CertRevocation) {
            continue;
        }
        signatures.push(newest);
        if let Some(email) = user.id.as_str().and_then(email_of) {
            emails.push(email);
        }
    }
    let chosen = newest(signatures.iter().copied().filter(|s| s.is_primary()))
        .or_else(|| newest(signatures.iter().copied()))
        .ok_or_else(|| unreadable("the key has no valid user id"))?;
    Ok((chosen, emails))
}

fn subkey_usable(key: &SignedPublicKey, subkey: &SignedPublicSubKey, now: u32) -> bool {
    let primary = &key.primary_key;
    let revoked = subkey.signatures.iter().any(|s| {
        s.typ() == Some(SignatureType::SubkeyRevocation) && s.verify_subkey_binding(primary, &subkey.key).is_ok()
    });
    let binding = newest(subkey.signatures.iter().filter(|s| {
        s.typ() == Some(SignatureType::SubkeyBinding) && s.verify_subkey_binding(primary, &subkey.key).is_ok()
    }));
    let Some(binding) = binding else { return false };
    let flags = binding.key_flags();
    let created = subkey.key.created_at().as_secs();
    !revoked
        && (flags.encrypt_comms() || flags.encrypt_storage())
        && subkey.key.algorithm().can_encrypt()
        && i64::from(created) <= i64::from(now) + CLOCK_SKEW.whole_seconds()
        && expiry(created, binding).is_none_or(|at| at > now)
}

/// When a key made at `created` expires under `signature` (0 or absent: never).
fn expiry(created: u32, signature: &Signature) -> Option<u32> {
    let seconds = signature.key_expiration_time()?.as_secs();
    (seconds != 0).then(|| created.saturating_add(seconds))
}

fn newest<'a>(signatures: impl Iterator<Item = &'a Signature>) -> Option<&'a Signature> {
    signatures.max_by_key(|s| s.created().map_or(0, |t| t.as_secs()))
}

/// `Name <a@b>` or a bare `a@b`.
fn email_of(user_id: &str) -> Option<String> {
    let inner = match (user_id.rfind('<'), user_id.rfind('>')) {
        (Some(open), Some(close)) if open < close => &user_id[open + 1..close],
        _ => user_id.trim(),
    };
    inner.contains('@').then(|| inner.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_read_from_user_ids() {
        assert_eq!(email_of("Alice <Alice@Example.com>").as_deref(), Some("alice@example.com"));
        assert_eq!(email_of("bob@example.com").as_deref(), Some("bob@example.com"));
        assert_eq!(email_of("No Address"), None);
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        let error = inspect(
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n-----END PGP PUBLIC KEY BLOCK-----",
            OffsetDateTime::UNIX_EPOCH,
        );
        assert_eq!(error, Err(KeyError::Unreadable));
    }
}
