//! The 200,000 most common passwords (see `assets/common-passwords.SOURCE.md`), bundled into
//! the binary and loaded only when the policy refuses common passwords. A list that does not
//! load stops the start: refusing nothing would fail open.

use std::collections::HashSet;
use std::io::Read;

use flate2::read::GzDecoder;

static BUNDLED: &[u8] = include_bytes!("../../assets/common-passwords.txt.gz");

#[derive(Debug, Default)]
pub struct CommonPasswords(HashSet<String>);

impl CommonPasswords {
    pub fn bundled() -> Result<Self, String> {
        Self::from_gzip(BUNDLED)
    }

    /// A gzip-compressed list, one lower-case password a line.
    fn from_gzip(bytes: &[u8]) -> Result<Self, String> {
        let mut text = String::new();
        GzDecoder::new(bytes)
            .read_to_string(&mut text)
            .map_err(|e| format!("the bundled common-password list is unreadable: {e}"))?;
        let list: HashSet<String> = text.lines().map(str::to_string).collect();
        match list.len() {
            0 => Err("the bundled common-password list is empty".into()),
            _ => Ok(Self(list)),
        }
    }

    /// `lowered` must already be lower-case.
    pub fn contains(&self, lowered: &str) -> bool {
        self.0.contains(lowered)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_list_holds_at_least_100_000_passwords() {
        let list = CommonPasswords::bundled().unwrap();
        assert!(list.len() >= 100_000, "{}", list.len());
        assert!(list.contains("password"));
        assert!(list.contains("123456"));
        assert!(!list.contains("tulip-gravel-orbit-93"));
    }

    #[test]
    fn a_list_that_does_not_load_is_an_error_never_an_empty_list() {
        assert!(CommonPasswords::from_gzip(b"not gzip at all").is_err());
    }
}
