//! Authenticator-app codes: RFC 6238 with the parameters every app reads (HMAC-SHA-1, 6 digits,
//! 30-second steps). A code is accepted one step either side of now, for a phone clock a little
//! off, and only once: the step it matched is handed back so that the store keeps it, and a code
//! of that step or an earlier one is refused from then on (RFC 6238 §5.2).

use time::OffsetDateTime;
use totp_rs::{Algorithm, Builder, Totp};

use super::Secret;

/// Seconds per step: what every authenticator app assumes.
pub const STEP_SECONDS: u64 = 30;
/// Digits per code: what every authenticator app shows.
pub const DIGITS: u8 = 6;
/// Steps accepted either side of now.
const SKEW_STEPS: u16 = 1;
/// 160 bits, the length RFC 4226 recommends (and the common apps expect).
pub const SECRET_BYTES: usize = 20;

/// The shared secret of one login's authenticator app. It never prints; it is stored only
/// sealed under the server key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpSecret(Secret<[u8; SECRET_BYTES]>);

/// What a typed code turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// A valid code of `step`: keep the step, so that the code cannot be used again.
    Accepted { step: u64 },
    /// A code of a step already used (or older than the last used one).
    Replayed,
    /// Not a code of any step in the window, or not six digits at all.
    Wrong,
}

impl TotpSecret {
    pub fn from_bytes(bytes: [u8; SECRET_BYTES]) -> Self {
        Self(Secret::new(bytes))
    }

    pub fn expose(&self) -> &[u8; SECRET_BYTES] {
        self.0.expose()
    }

    /// The secret as the app's "enter a setup key" screen wants it: base32, in groups of four
    /// letters so that a person can type it without losing their place.
    pub fn grouped_base32(&self) -> String {
        let plain = self.totp("-", "-").secret().to_base32();
        plain.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
    }

    /// The `otpauth://` address the QR code carries, naming the portal and the login so the app
    /// can label the entry.
    pub fn otpauth_url(&self, issuer: &str, account: &str) -> String {
        // Built from valid parts (the colon is the only character the format refuses in them).
        let totp = self.totp(&issuer.replace(':', " "), &account.replace(':', " "));
        totp.to_url().unwrap_or_default()
    }

    /// Checks `typed` at `now`, refusing a step at or before `last_used_step`.
    pub fn check(&self, typed: &str, now: OffsetDateTime, last_used_step: Option<u64>) -> CodeCheck {
        let code: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != usize::from(DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return CodeCheck::Wrong;
        }
        let Ok(seconds) = u64::try_from(now.unix_timestamp()) else {
            return CodeCheck::Wrong;
        };
        match self.totp("-", "-").check(&code, seconds) {
            None => CodeCheck::Wrong,
            Some(step) if last_used_step.is_some_and(|used| step <= used) => CodeCheck::Replayed,
            Some(step) => CodeCheck::Accepted { step },
        }
    }

    fn totp(&self, issuer: &str, account: &str) -> Totp {
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS)
            .with_skew(SKEW_STEPS)
            .with_step_duration(STEP_SECONDS)
            .with_secret(self.expose().to_vec().into_boxed_slice())
            .with_issuer(Some(issuer))
            .with_account_name(account)
            // The parameters are the RFC's own; only a secret shorter than 128 bits would make
            // the checked build refuse, and ours is 160.
            .build_noncompliant()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret: "12345678901234567890".
    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(*b"12345678901234567890")
    }

    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(seconds).unwrap()
    }

    #[test]
    fn the_rfc_test_vectors_check_with_six_digits() {
        // Appendix B: 94287082 at T=59, 07081804 at T=1111111109, 14050471 at T=1111111111.
        for (seconds, code) in [(59, "287082"), (1_111_111_109, "081804"), (1_111_111_111, "050471")] {
            assert!(matches!(rfc_secret().check(code, at(seconds), None), CodeCheck::Accepted { .. }), "{seconds}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_no_further() {
        let step = 1_111_111_109 / 30; // the step of "081804"
        let start = i64::try_from(step * 30).unwrap();
        let check = |seconds| rfc_secret().check("081804", at(seconds), None);
        assert_eq!(check(start), CodeCheck::Accepted { step });
        assert_eq!(check(start - 30), CodeCheck::Accepted { step }, "a phone one step ahead");
        assert_eq!(check(start + 30 + 29), CodeCheck::Accepted { step }, "a phone one step behind");
        assert_eq!(check(start - 31), CodeCheck::Wrong, "two steps early");
        assert_eq!(check(start + 60), CodeCheck::Wrong, "two steps late");
    }

    #[test]
    fn a_used_step_and_every_earlier_one_are_refused_as_replays() {
        let step = 1_111_111_109 / 30;
        let now = at(1_111_111_109);
        assert_eq!(rfc_secret().check("081804", now, Some(step)), CodeCheck::Replayed);
        assert_eq!(rfc_secret().check("081804", now, Some(step + 1)), CodeCheck::Replayed);
        assert_eq!(rfc_secret().check("081804", now, Some(step - 1)), CodeCheck::Accepted { step });
    }

    #[test]
    fn anything_but_six_digits_is_wrong_and_spaces_are_forgiven() {
        let now = at(59);
        assert!(matches!(rfc_secret().check("287 082", now, None), CodeCheck::Accepted { .. }));
        for typed in ["", "28708", "2870822", "28708a", "２８７０８２", "94287082"] {
            assert_eq!(rfc_secret().check(typed, now, None), CodeCheck::Wrong, "{typed:?}");
        }
    }

    #[test]
    fn the_setup_key_and_address_carry_the_secret_as_apps_read_it() {
        let secret = rfc_secret();
        assert_eq!(secret.grouped_base32(), "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ");
        let url = secret.otpauth_url("Portcullis", "ABC1234");
        assert!(url.starts_with("otpauth://totp/Portcullis:ABC1234?"), "{url}");
        assert!(url.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), "{url}");
        assert!(url.contains("issuer=Portcullis"), "{url}");
    }

    #[test]
    fn the_secret_never_prints() {
        assert!(!format!("{:?}", rfc_secret()).contains("1234"));
    }
}
