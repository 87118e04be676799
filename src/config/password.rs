//! The `[password]` section.

use serde::{Deserialize, Serialize};

use super::choice::{self, Choice};
use crate::domain::PolicyProfile;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordSettings {
    #[serde(with = "choice")]
    pub policy: PolicyProfile,
    pub common_passwords: bool,
}

impl Choice for PolicyProfile {
    fn parse(word: &str) -> Result<Self, String> {
        word.parse()
    }

    fn word(self) -> &'static str {
        match self {
            Self::Portal => "portal",
            Self::Nist => "nist",
        }
    }
}
