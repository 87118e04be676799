//! Recovery codes: single-use codes a person keeps on paper for the day the phone or the
//! security key is gone. Ten characters from Crockford's base32 alphabet (no I, L, O or U, so
//! nothing reads as another character), 50 bits each, shown as two groups of five. Typing is
//! forgiving: case, spaces and dashes do not matter, and I/L read as 1, O as 0.

use std::fmt;

use super::Secret;

/// Characters of a code: Crockford's base32, lower-case.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Characters per code.
pub const CODE_LENGTH: usize = 10;
/// Codes per set.
pub const CODES_PER_SET: usize = 10;

/// One recovery code, normalised. It never prints; what is stored is only its digest.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(Secret<String>);

impl RecoveryCode {
    /// A code from random bytes (the caller brings the randomness): each byte gives one
    /// character from its low five bits, which keeps every character equally likely.
    pub fn from_random(bytes: [u8; CODE_LENGTH]) -> Self {
        let code = bytes.iter().map(|b| char::from(ALPHABET[usize::from(b & 31)])).collect();
        Self(Secret::new(code))
    }

    /// What a person typed, if it can be a code at all.
    pub fn parse(typed: &str) -> Option<Self> {
        let mut code = String::with_capacity(CODE_LENGTH);
        for c in typed.chars().filter(|c| !c.is_whitespace() && *c != '-') {
            let c = match c.to_ascii_lowercase() {
                'i' | 'l' => '1',
                'o' => '0',
                other => other,
            };
            if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
                return None;
            }
            code.push(c);
        }
        (code.len() == CODE_LENGTH).then(|| Self(Secret::new(code)))
    }

    /// The normalised code, for its digest.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// `abcde-fghjk`: how the code is shown once, when the set is made.
    pub fn shown(&self) -> String {
        let code = self.expose();
        format!("{}-{}", &code[..CODE_LENGTH / 2], &code[CODE_LENGTH / 2..])
    }
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_made_from_random_bytes_is_shown_in_two_groups_and_reads_back() {
        let code = RecoveryCode::from_random([0, 1, 2, 3, 4, 31, 30, 29, 28, 255]);
        assert_eq!(code.shown(), "01234-zyxwz");
        assert_eq!(RecoveryCode::parse(&code.shown()), Some(code));
    }

    #[test]
    fn typing_is_forgiving_about_case_spaces_dashes_and_look_alikes() {
        let code = RecoveryCode::parse("01234-zyxwz").unwrap();
        for typed in ["01234zyxwz", " 0123 4-ZYXW z ", "O1234-ZYXWZ", "oI234zyxwz", "0L234ZYXWZ"] {
            assert_eq!(RecoveryCode::parse(typed).as_ref(), Some(&code), "{typed:?}");
        }
    }

    #[test]
    fn anything_else_is_not_a_code() {
        for typed in ["", "01234-zyxw", "01234-zyxwzz", "01234-zyxwu", "01234-zyxw!", "01234-zyxwé"] {
            assert_eq!(RecoveryCode::parse(typed), None, "{typed:?}");
        }
    }

    #[test]
    fn a_code_never_prints() {
        let code = RecoveryCode::parse("01234-zyxwz").unwrap();
        assert!(!format!("{code:?}").contains("01234"));
    }
}
