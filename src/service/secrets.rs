//! Secrets that may only travel encrypted: to the recipient's key when one is on file and
//! usable, else sealed on the server for secure pickup with a passcode given by voice.

use super::sealing::{serialise, unsealable};
use super::{Failure, Portal, RequestSource, failure_conversions};
use crate::crypto::token::fill_random;
use crate::domain::message::{OutboundMessage, SecurePickup};
use crate::domain::new_id;
use crate::domain::{Actor, AuditAction, AuditEvent};
use crate::mail::keys::{self, KeyError};
use crate::store::{Login, NewSecureMessage, SecretParcel, StoredKey};

/// How a secret was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretDelivery {
    /// Encrypted to the recipient's key.
    Encrypted,
    /// Sealed on the server; the recipient needs this passcode, to be given by voice.
    Pickup { passcode: String },
}

#[derive(Debug, thiserror::Error)]
pub enum PickupError {
    #[error("this secure message does not exist, has already been opened, or has expired")]
    Gone,
    #[error("the passcode is not correct")]
    WrongPasscode { remaining: i64 },
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_conversions!(PickupError);

/// Why a secret could not be prepared for sending; nothing was stored or queued.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The login's key passed its checks but encrypting to it failed.
    #[error("the login's encryption key cannot encrypt it")]
    Encryption(#[from] KeyError),
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_conversions!(SecretError);

/// Readable passcode characters: no 0/O, 1/I/L.
const PASSCODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

impl Portal {
    /// Prepares a must-encrypt message for storing: an outbox row when the login has a usable
    /// key (the worker encrypts it), else a sealed pickup message and its notice, with the
    /// passcode for the issuer. Nothing is written here; any failure is an error, so that the
    /// caller stores nothing rather than an empty or unreadable secret.
    #[tracing::instrument(skip_all, fields(login = %login.name))]
    pub async fn seal_secret(
        &self,
        login: &Login,
        message: &OutboundMessage,
    ) -> Result<(SecretParcel, SecretDelivery), SecretError> {
        let now = self.clock.now();
        let key = self.store.recipient_key(&login.id).await?;
        if let Some(key) = key.filter(|k| keys::material::check(&k.material, &login.email, now).is_ok()) {
            self.try_encryption(&key, message)?;
            return Ok((SecretParcel::Mail(self.new_mail(login, message)?), SecretDelivery::Encrypted));
        }
        let passcode = new_passcode();
        let mut salt = [0u8; 16];
        fill_random(&mut salt);
        let id = new_id();
        let sealed_key = self.pickup_key.with_passcode(&normalize_passcode(&passcode), &salt).map_err(unsealable)?;
        let sealed = sealed_key.seal(&serialise(message)?, &id).map_err(unsealable)?;
        let expires_at = now + self.mail.pickup_lifetime;
        let record = NewSecureMessage {
            id: id.clone(),
            login_id: login.id.clone(),
            sealed,
            salt: hex::encode(salt),
            expires_at,
        };
        let notice = OutboundMessage::SecurePickup(SecurePickup {
            version: 1,
            login_name: login.name.to_string(),
            pickup_id: id,
            expires_at: expires_at.unix_timestamp(),
        });
        let parcel = SecretParcel::Pickup { message: record, notice: self.new_mail(login, &notice)? };
        Ok((parcel, SecretDelivery::Pickup { passcode }))
    }

    /// Encrypts the message once to the stored key and throws the result away: a key that
    /// passes its checks but cannot encrypt stops the sending now, before anything is stored,
    /// instead of leaving a secret in the queue that can never be sent.
    fn try_encryption(&self, key: &StoredKey, message: &OutboundMessage) -> Result<(), SecretError> {
        let kind = keys::KeyKind::parse(&key.kind).ok_or(KeyError::Encrypt)?;
        keys::material::encrypt(kind, &key.material, &serialise(message)?, self.clock.now(), self.mail.smime_gcm)?;
        Ok(())
    }

    /// Opens a secure-pickup message once; wrong passcodes count, and the last one destroys it.
    #[tracing::instrument(skip_all)]
    pub async fn open_secure_message(
        &self,
        id: &str,
        passcode: &str,
        source: &RequestSource,
    ) -> Result<OutboundMessage, PickupError> {
        let now = self.clock.now();
        let record = self.store.secure_message(id).await?.filter(|r| r.expires_at > now).ok_or(PickupError::Gone)?;
        let salt = hex::decode(&record.salt).map_err(|_| PickupError::Gone)?;
        let max = self.mail.pickup_max_attempts;
        // The attempt is taken before the passcode is checked: parallel guesses cannot exceed it.
        let attempts = self.store.reserve_pickup_attempt(id, max, now).await?.ok_or(PickupError::Gone)?;
        let candidate = normalize_passcode(passcode);
        let key = self.pickup_key.clone();
        // Stretching the passcode is Argon2 work: it goes through the bounded pool.
        let opened = self
            .hasher
            .run_job(move || {
                // A key that cannot be derived is a failure, never a wrong passcode.
                key.with_passcode(&candidate, &salt).map(|k| k.open(&record.sealed, &record.id).ok())
            })
            .await?
            .map_err(unsealable)?;
        let event =
            |action| AuditEvent::new(action, Actor::Anonymous).subject(id.to_string()).from_address(source.ip.clone());
        let Some(bytes) = opened else {
            let last = attempts >= max;
            self.store.record_pickup_failure(id, last, &event(AuditAction::SecureMessageWrongPasscode), now).await?;
            return Err(if last {
                PickupError::Gone
            } else {
                PickupError::WrongPasscode { remaining: max - attempts }
            });
        };
        if !self.store.consume_secure_message(id, &event(AuditAction::SecureMessageOpened), now).await? {
            return Err(PickupError::Gone);
        }
        serde_json::from_slice(&bytes).map_err(|_| PickupError::Gone)
    }
}

/// Ten characters from an alphabet that reads unambiguously aloud, as `ABCDE-FGHJK`.
fn new_passcode() -> String {
    let mut random = [0u8; 10];
    fill_random(&mut random);
    let chars: String =
        random.iter().map(|b| char::from(PASSCODE_ALPHABET[usize::from(*b) % PASSCODE_ALPHABET.len()])).collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

/// What people type: any case, with or without spaces and dashes.
fn normalize_passcode(typed: &str) -> String {
    typed.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passcodes_are_readable_and_typed_loosely() {
        let passcode = new_passcode();
        assert_eq!(passcode.len(), 11);
        assert!(passcode.chars().all(|c| c == '-' || PASSCODE_ALPHABET.contains(&(c as u8))));
        assert_eq!(normalize_passcode(" abcde fghjk "), "ABCDEFGHJK");
        assert_eq!(normalize_passcode(&passcode.to_lowercase()), normalize_passcode(&passcode));
    }
}
