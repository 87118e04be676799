//! Settings: the built-in defaults (`config/default.toml`), then an optional file, then
//! `PORTCULLIS_<SECTION>__<KEY>` environment variables. Loading checks every value and turns
//! every choice into its type, so the portal refuses to start on a setting it could not honour
//! and no later code compares strings.

mod choice;
mod database;
mod derived;
mod log;
mod mail;
mod password;
mod sections;
mod show;
mod validate;

#[cfg(test)]
mod tests;

use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::{Deserialize, Serialize};

pub use choice::Choice;
pub use database::{Backend, DatabaseSettings, DatabaseUrl};
pub use derived::host_name;
pub use log::{LogFormat, LogSettings};
pub use mail::{MailSettings, MailTransport, SmimeCipher};
pub use password::PasswordSettings;
pub use sections::{
    AuditSettings, BrandingSettings, HashingSettings, HttpSettings, LockoutSettings, PickupSettings, RateLimitSettings,
    RecoverySettings, SecretsSettings, SessionSettings, SupportSettings,
};

pub const DEFAULTS: &str = include_str!("../../config/default.toml");

/// Every setting, one section per component. `Debug` hides the credentials in the database
/// and SMTP URLs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub http: HttpSettings,
    pub branding: BrandingSettings,
    pub secrets: SecretsSettings,
    pub mail: MailSettings,
    pub pickup: PickupSettings,
    pub recovery: RecoverySettings,
    pub support: SupportSettings,
    pub session: SessionSettings,
    pub password: PasswordSettings,
    pub hashing: HashingSettings,
    pub lockout: LockoutSettings,
    pub rate_limit: RateLimitSettings,
    pub log: LogSettings,
    pub audit: AuditSettings,
}

/// Why the settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read settings: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("setting {key}: {problem}")]
    Invalid { key: &'static str, problem: String },
}

fn invalid(key: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { key, problem: problem.into() }
}

impl Settings {
    /// Defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Toml::string(DEFAULTS));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(invalid("--config", format!("no such file: {}", path.display())));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        // Only PORTCULLIS_<SECTION>__<KEY> names are settings; other PORTCULLIS_* variables
        // (e.g. a script's PORTCULLIS_BIN) are not ours to refuse.
        figment = figment.merge(Env::prefixed("PORTCULLIS_").filter(|key| key.as_str().contains("__")).split("__"));
        Self::extract(figment)
    }

    /// The built-in defaults alone, ignoring files and the environment.
    pub fn defaults() -> Result<Self, ConfigError> {
        Self::extract(Figment::from(Toml::string(DEFAULTS)))
    }

    fn extract(figment: Figment) -> Result<Self, ConfigError> {
        let settings: Self = figment.extract().map_err(choice::refusal)?;
        settings.validate()?;
        Ok(settings)
    }
}
