use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::Secret;

/// 256 bits from the operating system's generator, shown as 43 base64url characters.
/// Only [`RandomToken::digest`] is ever stored.
#[derive(Debug, Clone)]
pub struct RandomToken(Secret<String>);

impl RandomToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        fill_random(&mut bytes);
        Self(Secret::new(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// A token presented by a client; it is only ever hashed and compared.
    pub fn from_presented(value: &str) -> Option<Self> {
        let valid = value.len() == 43 && URL_SAFE_NO_PAD.decode(value).is_ok_and(|b| b.len() == 32);
        valid.then(|| Self(Secret::new(value.to_string())))
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    pub fn digest(&self) -> String {
        digest_hex(self.0.expose().as_bytes())
    }

    /// A value derived from this token for another purpose (e.g. the CSRF token of a session),
    /// which reveals nothing about the token itself.
    pub fn derive(&self, purpose: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(purpose.as_bytes());
        hasher.update([0]);
        hasher.update(self.0.expose().as_bytes());
        URL_SAFE_NO_PAD.encode(hasher.finalize())
    }

    /// Compares a presented derived value in constant time.
    pub fn derived_matches(&self, purpose: &str, presented: &str) -> bool {
        self.derive(purpose).as_bytes().ct_eq(presented.as_bytes()).into()
    }
}

pub fn digest_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Fills `buf` from the OS generator. There is no safe fallback if the OS cannot give
/// randomness, so the process stops rather than hand out guessable secrets.
pub fn fill_random(buf: &mut [u8]) {
    #[allow(clippy::expect_used)]
    getrandom::fill(buf).expect("the operating system's random number generator failed");
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn tokens_are_long_unique_and_only_their_digest_is_kept() {
        let tokens: HashSet<String> = (0..100_000).map(|_| RandomToken::generate().expose().to_string()).collect();
        assert_eq!(tokens.len(), 100_000);
        let token = RandomToken::generate();
        assert_eq!(token.expose().len(), 43);
        assert_eq!(token.digest().len(), 64);
        assert!(!token.digest().contains(token.expose()));
    }

    #[test]
    fn presented_tokens_must_have_the_generated_shape() {
        let token = RandomToken::generate();
        assert!(RandomToken::from_presented(token.expose()).is_some());
        assert!(RandomToken::from_presented("short").is_none());
        assert!(RandomToken::from_presented(&"!".repeat(43)).is_none());
    }

    #[test]
    fn derived_values_match_only_their_purpose() {
        let token = RandomToken::generate();
        let csrf = token.derive("csrf");
        assert!(token.derived_matches("csrf", &csrf));
        assert!(!token.derived_matches("other", &csrf));
        assert!(!RandomToken::generate().derived_matches("csrf", &csrf));
    }
}
