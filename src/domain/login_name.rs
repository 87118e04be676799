use std::fmt;

/// Which of the two kinds of login a name belongs to; the kind follows from the name's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginKind {
    /// The account's administrator: exactly three letters and four digits, e.g. `ZZZ9999`.
    Primary,
    /// Any other valid name, created by the account's administrator.
    Secondary,
}

impl LoginKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Secondary => "secondary",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "primary" => Some(Self::Primary),
            "secondary" => Some(Self::Secondary),
            _ => None,
        }
    }
}

/// A login name, parsed once at the edge. Primary names are shown upper-case; every name
/// compares case-insensitively through [`LoginName::key`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginName {
    display: String,
    kind: LoginKind,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginNameError {
    #[error("a login name must be 3 to 64 characters long")]
    Length,
    #[error("a login name may contain only letters, digits and . _ - @")]
    Characters,
    #[error("a secondary login name must not look like a primary login (3 letters followed by 4 digits)")]
    PrimaryShape,
}

pub const MAX_LOGIN_NAME_LEN: usize = 64;

impl LoginName {
    /// Parses what a person typed: surrounding spaces are ignored, and a name of the primary
    /// shape in any case is that primary login.
    pub fn parse(input: &str) -> Result<Self, LoginNameError> {
        let trimmed = input.trim();
        let length = trimmed.chars().count();
        if !(3..=MAX_LOGIN_NAME_LEN).contains(&length) {
            return Err(LoginNameError::Length);
        }
        if !trimmed.chars().all(is_name_char) {
            return Err(LoginNameError::Characters);
        }
        if has_primary_shape(trimmed) {
            return Ok(Self { display: trimmed.to_ascii_uppercase(), kind: LoginKind::Primary });
        }
        Ok(Self { display: trimmed.to_string(), kind: LoginKind::Secondary })
    }

    /// Parses a name that is to become a secondary login: the primary shape is refused.
    pub fn parse_secondary(input: &str) -> Result<Self, LoginNameError> {
        let name = Self::parse(input)?;
        match name.kind {
            LoginKind::Primary => Err(LoginNameError::PrimaryShape),
            LoginKind::Secondary => Ok(name),
        }
    }

    /// Builds a primary login name from random bytes (3 letters, 4 digits).
    pub fn primary_from_random(random: [u8; 7]) -> Self {
        let mut display = String::with_capacity(7);
        for byte in &random[..3] {
            display.push(char::from(b'A' + byte % 26));
        }
        for byte in &random[3..] {
            display.push(char::from(b'0' + byte % 10));
        }
        Self { display, kind: LoginKind::Primary }
    }

    pub fn kind(&self) -> LoginKind {
        self.kind
    }

    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// The case-insensitive identity used for uniqueness and look-ups.
    pub fn key(&self) -> String {
        self.display.to_lowercase()
    }
}

impl fmt::Display for LoginName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')
}

fn has_primary_shape(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() == 7 && bytes[..3].iter().all(u8::is_ascii_alphabetic) && bytes[3..].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_primary_name_is_canonicalised_to_upper_case() {
        let name = LoginName::parse(" abc1234 ").unwrap();
        assert_eq!(name.kind(), LoginKind::Primary);
        assert_eq!(name.as_str(), "ABC1234");
        assert_eq!(name.key(), "abc1234");
    }

    #[test]
    fn other_shapes_are_secondary_and_keep_their_case() {
        for input in ["AB12345", "ABCD1234", "jane.doe@example.com", "Ops_Team-2"] {
            let name = LoginName::parse(input).unwrap();
            assert_eq!(name.kind(), LoginKind::Secondary, "{input}");
            assert_eq!(name.as_str(), input);
        }
    }

    #[test]
    fn a_secondary_name_may_not_take_the_primary_shape() {
        assert_eq!(LoginName::parse_secondary("zzz9999"), Err(LoginNameError::PrimaryShape));
    }

    #[test]
    fn bad_names_are_refused_with_the_reason() {
        assert_eq!(LoginName::parse("ab"), Err(LoginNameError::Length));
        assert_eq!(LoginName::parse(&"a".repeat(65)), Err(LoginNameError::Length));
        assert_eq!(LoginName::parse("jane doe"), Err(LoginNameError::Characters));
        assert_eq!(LoginName::parse("a\r\nb"), Err(LoginNameError::Characters));
    }

    #[test]
    fn generated_primary_names_have_the_primary_shape() {
        let name = LoginName::primary_from_random([0, 25, 51, 0, 9, 19, 255]);
        assert_eq!(name.as_str(), "AZZ0995");
        assert_eq!(LoginName::parse(name.as_str()).unwrap(), name);
    }
}
