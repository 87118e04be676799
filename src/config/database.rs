//! The `[database]` section and the URL that names the backend.

use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::show::redact_url_password;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    pub max_connections: u32,
    pub acquire_timeout_seconds: u64,
    pub lock_timeout_ms: u64,
    pub statement_timeout_ms: u64,
    pub idle_in_transaction_timeout_ms: u64,
}

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database URL whose scheme names a backend this build supports. It reads as the URL text
/// (for the drivers); its `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    text: String,
    backend: Backend,
}

impl DatabaseUrl {
    /// The engine the URL's scheme names.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The whole URL, credentials included, for the driver.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let backend = if text.starts_with("sqlite:") {
            Backend::Sqlite
        } else if text.starts_with("postgres:") || text.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err("must start with sqlite:// or postgres://".into());
        };
        Ok(Self { text: text.to_string(), backend })
    }
}

impl Deref for DatabaseUrl {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&redact_url_password(&self.text), f)
    }
}

impl Serialize for DatabaseUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}
