//! The 200,000 most common passwords (see `assets/common-passwords.SOURCE.md`), bundled into
//! the binary and loaded only when the policy refuses common passwords.

use std::collections::HashSet;
use std::io::Read;

use flate2::read::GzDecoder;

static BUNDLED: &[u8] = include_bytes!("../../assets/common-passwords.txt.gz");

#[derive(Debug, Default)]
pub struct CommonPasswords(HashSet<String>);

impl CommonPasswords {
    pub fn bundled() -> Self {
        let mut text = String::new();
        // The list is part of the binary; if it does not decompress, the build is broken.
        if GzDecoder::new(BUNDLED).read_to_string(&mut text).is_err() {
            tracing::error!("the bundled common-password list is unreadable; common passwords are not refused");
            return Self::default();
        }
        Self(text.lines().map(str::to_string).collect())
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
        let list = CommonPasswords::bundled();
        assert!(list.len() >= 100_000, "{}", list.len());
        assert!(list.contains("password"));
        assert!(list.contains("123456"));
        assert!(!list.contains("tulip-gravel-orbit-93"));
    }
}
