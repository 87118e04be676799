use std::fmt;

/// A contact telephone number as recorded for call-backs: digits with optional `+`, spaces,
/// dashes, dots and parentheses; 5 to 20 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a valid phone number (digits, optionally with + ( ) - . and spaces)")]
pub struct PhoneError(String);

impl PhoneNumber {
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let value = input.trim();
        let allowed = value.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
        let plus_ok = value.rfind('+').is_none_or(|i| i == 0);
        let digits = value.chars().filter(char::is_ascii_digit).count();
        if !allowed || !plus_ok || !(5..=20).contains(&digits) {
            return Err(PhoneError(value.chars().take(40).collect()));
        }
        Ok(Self(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_keep_their_punctuation_but_need_digits() {
        assert_eq!(PhoneNumber::parse(" +44 (20) 7946-0958 ").unwrap().as_str(), "+44 (20) 7946-0958");
        assert!(PhoneNumber::parse("12-34").is_err());
        assert!(PhoneNumber::parse("call me").is_err());
        assert!(PhoneNumber::parse("44+1234567").is_err());
    }
}
