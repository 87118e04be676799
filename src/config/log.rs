//! The `[log]` section.

use serde::{Deserialize, Serialize};

use super::choice::{self, Choice};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    #[serde(with = "choice")]
    pub format: LogFormat,
    /// Filter directives such as `info` or `info,portcullis=debug` (`RUST_LOG` wins).
    pub level: String,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// For a person reading them.
    Pretty,
    /// One JSON object a line, for a log collector.
    Json,
}

impl Choice for LogFormat {
    fn parse(word: &str) -> Result<Self, String> {
        match word {
            "pretty" => Ok(Self::Pretty),
            "json" => Ok(Self::Json),
            _ => Err("must be \"pretty\" or \"json\"".into()),
        }
    }

    fn word(self) -> &'static str {
        match self {
            Self::Pretty => "pretty",
            Self::Json => "json",
        }
    }
}
