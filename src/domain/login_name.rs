use std::fmt;

use unicode_normalization::UnicodeNormalization;

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

/// A login name, parsed once at the edge: plain ASCII letters, digits and `. _ - @`, so that no
/// name can pass for another by looking alike. Primary names are shown upper-case; every name
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
    #[error(
        "a login name may contain only letters, digits (plain ASCII: A-Z, a-z, 0-9) and . _ - @; {} is not one of them",
        describe(*found)
    )]
    Characters { found: char },
    #[error(
        "{} only looks like a plain letter or digit; type the name with the letters A-Z, a-z and the digits 0-9",
        describe(*found)
    )]
    LookAlike { found: char },
    #[error(
        "a secondary login name must not look like a primary login (3 letters followed by 4 digits), \
         however its letters and digits are written"
    )]
    PrimaryShape,
}

pub const MAX_LOGIN_NAME_LEN: usize = 64;

impl LoginName {
    /// Parses what a person typed to find a login: surrounding spaces are ignored, look-alike
    /// forms (full-width digits, the Kelvin sign, …) are compared as what they stand for
    /// (NFKC), and a name of the primary shape in any case is that primary login.
    pub fn parse(input: &str) -> Result<Self, LoginNameError> {
        let normalized: String = input.trim().nfkc().collect();
        let length = normalized.chars().count();
        if !(3..=MAX_LOGIN_NAME_LEN).contains(&length) {
            return Err(LoginNameError::Length);
        }
        if let Some(found) = normalized.chars().find(|c| !is_name_char(*c)) {
            return Err(LoginNameError::Characters { found });
        }
        if has_primary_shape(&normalized) {
            return Ok(Self { display: normalized.to_ascii_uppercase(), kind: LoginKind::Primary });
        }
        Ok(Self { display: normalized, kind: LoginKind::Secondary })
    }

    /// Parses a name that is to become a secondary login: the primary shape is refused, and so
    /// is any character that only looks like an ASCII one, so that the new name is exactly
    /// what it appears to be.
    pub fn parse_secondary(input: &str) -> Result<Self, LoginNameError> {
        let name = Self::parse(input)?;
        if name.kind == LoginKind::Primary {
            return Err(LoginNameError::PrimaryShape);
        }
        if let Some(found) = input.trim().chars().find(|c| !c.is_ascii()) {
            return Err(LoginNameError::LookAlike { found });
        }
        Ok(name)
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
        self.display.to_ascii_lowercase()
    }

    /// Whether a stored name is exactly what parsing it gives, of the stored kind: names
    /// stored before the ASCII rule may not be, and must be renamed by hand.
    pub fn is_canonical(stored: &str, kind: LoginKind) -> bool {
        let parsed = match kind {
            LoginKind::Primary => Self::parse(stored),
            LoginKind::Secondary => Self::parse_secondary(stored),
        };
        parsed.is_ok_and(|name| name.display == stored && name.kind == kind)
    }
}

impl fmt::Display for LoginName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')
}

/// A character as an error message shows it: visible, with its code point.
fn describe(c: char) -> String {
    if c.is_whitespace() || c.is_control() {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("'{c}' (U+{:04X})", u32::from(c))
    }
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
        assert_eq!(LoginName::parse("jane doe"), Err(LoginNameError::Characters { found: ' ' }));
        assert_eq!(LoginName::parse("a\r\nb"), Err(LoginNameError::Characters { found: '\r' }));
    }

    #[test]
    fn look_alike_names_are_refused_for_secondaries_and_say_why() {
        let full_width = LoginName::parse_secondary("FJP８９０８");
        assert_eq!(full_width, Err(LoginNameError::PrimaryShape));
        assert!(full_width.unwrap_err().to_string().contains("look like a primary login"));
        let cyrillic = LoginName::parse_secondary("jane.а").unwrap_err();
        assert_eq!(cyrillic, LoginNameError::Characters { found: 'а' });
        assert!(cyrillic.to_string().contains("'а' (U+0430) is not one of them"), "{cyrillic}");
        let kelvin = LoginName::parse_secondary("\u{212A}elvin.a").unwrap_err();
        assert_eq!(kelvin, LoginNameError::LookAlike { found: '\u{212A}' });
        assert!(kelvin.to_string().contains("(U+212A) only looks like a plain letter"), "{kelvin}");
        assert!(LoginName::parse_secondary("jané").is_err(), "accents are not ASCII");
    }

    #[test]
    fn names_are_compared_after_nfkc_and_ascii_case_folding() {
        assert_eq!(LoginName::parse("FJP８９０８").unwrap(), LoginName::parse("fjp8908").unwrap());
        assert_eq!(LoginName::parse("\u{212A}elvin.a").unwrap().key(), LoginName::parse("kelvin.A").unwrap().key());
        assert_eq!(LoginName::parse("Jane.Doe").unwrap().key(), "jane.doe");
    }

    #[test]
    fn stored_names_are_canonical_only_when_parsing_gives_them_back() {
        assert!(LoginName::is_canonical("ABC1234", LoginKind::Primary));
        assert!(LoginName::is_canonical("jane.doe", LoginKind::Secondary));
        assert!(!LoginName::is_canonical("FJP８９０８", LoginKind::Secondary));
        assert!(!LoginName::is_canonical("jane.а", LoginKind::Secondary));
        assert!(!LoginName::is_canonical("\u{212A}elvin.a", LoginKind::Secondary));
        assert!(!LoginName::is_canonical("abc1234", LoginKind::Primary), "primaries are stored upper-case");
        assert!(!LoginName::is_canonical("ABC1234", LoginKind::Secondary));
    }

    #[test]
    fn generated_primary_names_have_the_primary_shape() {
        let name = LoginName::primary_from_random([0, 25, 51, 0, 9, 19, 255]);
        assert_eq!(name.as_str(), "AZZ0995");
        assert_eq!(LoginName::parse(name.as_str()).unwrap(), name);
    }
}
