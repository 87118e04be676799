//! Sealing data at rest with XChaCha20-Poly1305: outbox payloads that carry a secret, and
//! secure-pickup messages. Keys come from the installation's secret key (never stored in the
//! database) and, for secure pickup, also from a passcode stretched with Argon2id, so that a
//! copy of the database alone opens nothing.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

use super::token::fill_random;
use crate::domain::Secret;
use crate::domain::audit::ChainKey;

/// The installation's secret key: 32 random bytes from the key file.
#[derive(Clone)]
pub struct MasterKey(Secret<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the sealed data is damaged or the key is wrong")]
    Open,
    #[error("the sealing key could not be derived")]
    Derive,
    #[error("the data could not be sealed")]
    Seal,
}

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Secret::new(bytes))
    }

    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        fill_random(&mut bytes);
        Self::from_bytes(bytes)
    }

    /// Reads the key file, or creates it (readable by its owner only) when it does not exist.
    pub fn load_or_create(path: &std::path::Path) -> Result<Self, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_hex(&text)
                .ok_or_else(|| format!("{}: not a secret key (expected 64 hex characters)", path.display())),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                match write_private(path, &key.to_hex()) {
                    Ok(()) => {
                        tracing::info!(path = %path.display(), "created a new secret key");
                        Ok(key)
                    }
                    // Another process created it first: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Self::load_or_create(path),
                    Err(e) => Err(format!("{}: cannot create: {e}", path.display())),
                }
            }
            Err(error) => Err(format!("{}: cannot read: {error}", path.display())),
        }
    }

    /// Reads an existing key file; unlike `load_or_create`, a missing file is an error.
    pub fn load(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        Self::from_hex(&text)
            .ok_or_else(|| format!("{}: not a secret key (expected 64 hex characters)", path.display()))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0.expose())
    }

    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes: [u8; 32] = hex::decode(text.trim()).ok()?.try_into().ok()?;
        Some(Self::from_bytes(bytes))
    }

    /// A key for one purpose; keys for different purposes are unrelated.
    pub fn derive(&self, purpose: &str) -> SealingKey {
        SealingKey(self.derive_bytes(purpose))
    }

    /// The raw key for one purpose, for primitives other than sealing (an HMAC, say).
    pub(super) fn derive_bytes(&self, purpose: &str) -> Secret<[u8; 32]> {
        let mut hasher = Sha256::new();
        hasher.update(b"portcullis seal v1\0");
        hasher.update(purpose.as_bytes());
        hasher.update([0]);
        hasher.update(self.0.expose());
        Secret::new(hasher.finalize().into())
    }
}

impl MasterKey {
    /// The key of the audit chain's HMACs: HKDF-SHA-256 of the secret key with a label of its
    /// own, so it is unrelated to every sealing key.
    pub fn audit_chain_key(&self) -> ChainKey {
        let mut okm = [0u8; 32];
        hkdf::Hkdf::<Sha256>::new(Some(b"portcullis"), self.0.expose())
            .expand(b"audit chain hmac v1", &mut okm)
            .expect("32 bytes is a valid HKDF-SHA-256 output length");
        ChainKey::from_bytes(okm)
    }
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

#[derive(Clone)]
pub struct SealingKey(Secret<[u8; 32]>);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey([redacted])")
    }
}

impl SealingKey {
    /// Combines this key with a passcode stretched by Argon2id under `salt`.
    pub fn with_passcode(&self, passcode: &str, salt: &[u8]) -> Result<Self, SealError> {
        let mut stretched = [0u8; 32];
        Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
            .hash_password_into(passcode.as_bytes(), salt, &mut stretched)
            .map_err(|_| SealError::Derive)?;
        let mut hasher = Sha256::new();
        hasher.update(b"portcullis passcode v1\0");
        hasher.update(stretched);
        hasher.update(self.0.expose());
        Ok(Self(Secret::new(hasher.finalize().into())))
    }

    /// Encrypts `plaintext`, bound to `context` (which must be given again to open it).
    /// Returns base64 of nonce ‖ ciphertext. A failure is an error, never an empty value.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Result<String, SealError> {
        let mut nonce = [0u8; 24];
        fill_random(&mut nonce);
        let cipher = XChaCha20Poly1305::new(self.0.expose().into());
        let payload = Payload { msg: plaintext, aad: context.as_bytes() };
        let ciphertext = cipher.encrypt(&XNonce::from(nonce), payload).map_err(|_| SealError::Seal)?;
        let mut out = nonce.to_vec();
        out.extend(ciphertext);
        Ok(STANDARD.encode(out))
    }

    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, SealError> {
        let bytes = STANDARD.decode(sealed).map_err(|_| SealError::Open)?;
        if bytes.len() < 24 + 16 {
            return Err(SealError::Open);
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        let nonce = XNonce::try_from(nonce).map_err(|_| SealError::Open)?;
        let cipher = XChaCha20Poly1305::new(self.0.expose().into());
        cipher.decrypt(&nonce, Payload { msg: ciphertext, aad: context.as_bytes() }).map_err(|_| SealError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_data_opens_only_with_the_same_key_and_context() {
        let master = MasterKey::generate();
        let key = master.derive("outbox");
        let sealed = key.seal(b"CANARY-secret", "message-1").unwrap();
        assert!(!sealed.contains("CANARY"));
        assert_eq!(key.open(&sealed, "message-1").unwrap(), b"CANARY-secret");
        assert_eq!(key.open(&sealed, "message-2"), Err(SealError::Open));
        assert_eq!(master.derive("pickup").open(&sealed, "message-1"), Err(SealError::Open));
        assert_eq!(MasterKey::generate().derive("outbox").open(&sealed, "message-1"), Err(SealError::Open));
    }

    #[test]
    fn a_passcode_is_needed_as_well_as_the_server_key() {
        let key = MasterKey::generate().derive("pickup");
        let salt = [7u8; 16];
        let sealed = key.with_passcode("K7QM-4XPD", &salt).unwrap().seal(b"secret", "pickup-1").unwrap();
        assert!(key.with_passcode("K7QM-4XPD", &salt).unwrap().open(&sealed, "pickup-1").is_ok());
        assert!(key.with_passcode("K7QM-4XPE", &salt).unwrap().open(&sealed, "pickup-1").is_err());
        assert!(key.open(&sealed, "pickup-1").is_err());
    }

    #[test]
    fn the_master_key_round_trips_through_hex() {
        let master = MasterKey::generate();
        let again = MasterKey::from_hex(&master.to_hex()).unwrap();
        let sealed = master.derive("x").seal(b"a", "c").unwrap();
        assert_eq!(again.derive("x").seal(b"a", "c").unwrap().len(), sealed.len());
        assert!(again.derive("x").open(&sealed, "c").is_ok());
        assert!(MasterKey::from_hex("00").is_none());
        assert_eq!(format!("{master:?}"), "MasterKey([redacted])");
    }
}
