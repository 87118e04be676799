use std::fmt;

use unicode_normalization::UnicodeNormalization;

/// A password as typed. It never prints, and is compared and hashed in its NFKC form so that
/// the same characters typed on different keyboards are the same password.
#[derive(Clone)]
pub struct Password(String);

/// The longest input we ever look at: far above any policy's maximum, so a policy can still
/// name the `too long` rule, yet small enough that nobody can make us hash megabytes.
pub const MAX_PASSWORD_INPUT_BYTES: usize = 4096;

impl Password {
    pub fn new(raw: impl Into<String>) -> Self {
        let mut raw: String = raw.into();
        if raw.len() > MAX_PASSWORD_INPUT_BYTES {
            let mut end = MAX_PASSWORD_INPUT_BYTES;
            while !raw.is_char_boundary(end) {
                end -= 1;
            }
            raw.truncate(end);
            // A truncated input is still over every policy's maximum, so it is refused, never stored.
        }
        Self(raw)
    }

    /// The form that is hashed and checked against the policy.
    pub fn normalized(&self) -> String {
        self.0.nfkc().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_never_prints() {
        assert_eq!(format!("{:?}", Password::new("Secret#1")), "Password([redacted])");
    }

    #[test]
    fn composed_and_decomposed_forms_are_the_same_password() {
        let nfd = Password::new("pa\u{0301}ss");
        let nfc = Password::new("pá\u{73}s");
        assert_eq!(nfd.normalized(), nfc.normalized());
    }
}
