//! Signing and checking device cookies. The value is `LOGIN_ID.ISSUED.NONCE.MAC`: the login
//! it vouches for, when it was issued (Unix seconds), 128 random bits, and an HMAC-SHA256 of
//! the rest under a key derived from the installation's secret key. The key is never stored in
//! the database, so a copy of the database cannot mint cookies.
//!
//! The MAC also covers the login's current password hash (never written into the cookie), so a
//! password change or reset turns every cookie issued before it into none: an intruder's cookie
//! does not outlive the password it was earned with.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::OffsetDateTime;

use super::seal::MasterKey;
use super::token::{digest_hex, fill_random};
use crate::domain::{DeviceCookie, Secret};

type HmacSha256 = Hmac<Sha256>;

/// Longest value worth looking at; anything longer is not one of ours.
const MAX_LEN: usize = 200;

#[derive(Clone)]
pub struct DeviceKey(Secret<[u8; 32]>);

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceKey([redacted])")
    }
}

impl DeviceKey {
    pub fn new(master: &MasterKey) -> Self {
        Self(master.derive_bytes("device-cookie"))
    }

    /// A new cookie value for `login_id`, bound to its `password` (the stored hash).
    pub fn issue(&self, login_id: &str, password: &str, now: OffsetDateTime) -> String {
        let mut nonce = [0u8; 16];
        fill_random(&mut nonce);
        let body = format!("{login_id}.{}.{}", now.unix_timestamp(), URL_SAFE_NO_PAD.encode(nonce));
        let mac = URL_SAFE_NO_PAD.encode(self.mac(&body, password).finalize().into_bytes());
        format!("{body}.{mac}")
    }

    /// The cookie in `value` if this installation signed it while the login's password was
    /// `password` (the stored hash); None for anything else.
    pub fn verify(&self, value: &str, password: &str) -> Option<DeviceCookie> {
        if value.len() > MAX_LEN {
            return None;
        }
        let (body, mac) = value.rsplit_once('.')?;
        let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
        // `verify_slice` compares in constant time.
        self.mac(body, password).verify_slice(&mac).ok()?;
        let mut parts = body.split('.');
        let (login_id, issued, nonce) = (parts.next()?, parts.next()?, parts.next()?);
        let issued_at = OffsetDateTime::from_unix_timestamp(issued.parse().ok()?).ok()?;
        Some(DeviceCookie { login_id: login_id.to_string(), issued_at, nonce: nonce.to_string() })
    }

    fn mac(&self, body: &str, password: &str) -> HmacSha256 {
        #[allow(clippy::expect_used)]
        let mut mac = HmacSha256::new_from_slice(self.0.expose()).expect("HMAC takes a key of any length");
        mac.update(b"portcullis device v2\0");
        // Length-prefixed: no split between the two parts can forge another pair.
        mac.update(&(password.len() as u64).to_be_bytes());
        mac.update(password.as_bytes());
        mac.update(body.as_bytes());
        mac
    }
}

/// What the store keys a cookie's failure count by: never the nonce itself.
pub fn nonce_digest(cookie: &DeviceCookie) -> String {
    digest_hex(cookie.nonce.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: OffsetDateTime = OffsetDateTime::UNIX_EPOCH;

    const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";

    #[test]
    fn a_cookie_verifies_under_its_own_key_only() {
        let key = DeviceKey::new(&MasterKey::generate());
        let value = key.issue("login-1", HASH, NOW);
        let cookie = key.verify(&value, HASH).unwrap();
        assert_eq!((cookie.login_id.as_str(), cookie.issued_at), ("login-1", NOW));
        assert!(DeviceKey::new(&MasterKey::generate()).verify(&value, HASH).is_none());
        assert_ne!(key.issue("login-1", HASH, NOW), value, "every cookie has its own nonce");
    }

    #[test]
    fn a_cookie_issued_under_another_password_does_not_verify() {
        let key = DeviceKey::new(&MasterKey::generate());
        let value = key.issue("login-1", HASH, NOW);
        assert!(key.verify(&value, &format!("{HASH}x")).is_none());
        assert!(key.verify(&value, "").is_none());
        assert!(!value.contains("aGFzaA"), "the hash is not written into the cookie");
    }

    #[test]
    fn a_changed_login_or_time_breaks_the_signature() {
        let key = DeviceKey::new(&MasterKey::generate());
        let value = key.issue("login-1", HASH, NOW);
        assert!(key.verify(&value.replacen("login-1", "login-2", 1), HASH).is_none());
        assert!(key.verify(&value.replacen(".0.", ".1.", 1), HASH).is_none());
        assert!(key.verify("garbage", HASH).is_none());
        assert!(key.verify(&format!("{value}{}", "A".repeat(MAX_LEN)), HASH).is_none());
        assert_eq!(format!("{key:?}"), "DeviceKey([redacted])");
    }
}
