//! The random parts of two-step verification: an authenticator app's secret and a set of
//! recovery codes, from the OS generator. Of a recovery code only its digest is ever stored.

use super::token::{digest_hex, fill_random};
use crate::domain::recovery_code::{CODE_LENGTH, CODES_PER_SET, RecoveryCode};
use crate::domain::totp::{SECRET_BYTES, TotpSecret};

/// A new authenticator-app secret (160 random bits).
pub fn new_totp_secret() -> TotpSecret {
    let mut bytes = [0u8; SECRET_BYTES];
    fill_random(&mut bytes);
    TotpSecret::from_bytes(bytes)
}

/// A new set of recovery codes, all different.
pub fn new_recovery_codes() -> Vec<RecoveryCode> {
    let mut codes: Vec<RecoveryCode> = Vec::with_capacity(CODES_PER_SET);
    while codes.len() < CODES_PER_SET {
        let mut bytes = [0u8; CODE_LENGTH];
        fill_random(&mut bytes);
        let code = RecoveryCode::from_random(bytes);
        // 50 bits each: a repeat within a set is all but impossible, but a set must not hold one.
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes
}

/// What is stored of a recovery code: a digest, so that the database alone cannot give one away.
/// A code has 50 random bits, beyond guessing at the lockout's pace, so a fast digest suffices.
pub fn recovery_code_digest(code: &RecoveryCode) -> String {
    digest_hex(code.expose().as_bytes())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn a_set_holds_ten_different_codes_and_sets_differ() {
        let first = new_recovery_codes();
        let second = new_recovery_codes();
        let shown: HashSet<String> = first.iter().chain(&second).map(RecoveryCode::shown).collect();
        assert_eq!(first.len(), 10);
        assert_eq!(shown.len(), 20);
    }

    #[test]
    fn a_code_is_found_again_by_its_digest_however_it_was_typed() {
        let code = new_recovery_codes().remove(0);
        let typed = RecoveryCode::parse(&code.shown().to_uppercase()).unwrap();
        assert_eq!(recovery_code_digest(&typed), recovery_code_digest(&code));
        assert!(!recovery_code_digest(&code).contains(code.expose()));
    }

    #[test]
    fn secrets_are_random() {
        assert_ne!(new_totp_secret(), new_totp_secret());
    }
}
