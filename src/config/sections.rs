//! The sections that hold plain values: numbers, addresses, names and paths.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use url::Url;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    pub listen: SocketAddr,
    pub public_url: Url,
    pub trusted_proxies: Vec<IpAddr>,
    pub max_body_bytes: usize,
    pub dev_mailbox: bool,
    /// Host names answered besides `public_url`'s host.
    pub allowed_hosts: Vec<String>,
    /// Where /metrics, /healthz and /readyz are served for the operator; None: nowhere.
    #[serde(with = "optional_address")]
    pub admin_listen: Option<SocketAddr>,
    pub header_read_timeout_seconds: u64,
    pub request_timeout_seconds: u64,
    pub max_connections: usize,
    pub shutdown_grace_seconds: u64,
}

/// An address setting where the empty string means "off".
mod optional_address {
    use std::net::SocketAddr;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<SocketAddr>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&value.map(|a| a.to_string()).unwrap_or_default())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<SocketAddr>, D::Error> {
        let raw = String::deserialize(deserializer)?;
        match raw.trim() {
            "" => Ok(None),
            text => text.parse().map(Some).map_err(|_| {
                serde::de::Error::custom(format!("{text:?} is not an address such as 127.0.0.1:9464 (or \"\" for off)"))
            }),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsSettings {
    pub key_file: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoverySettings {
    pub questions_required: usize,
    pub link_minutes: i64,
    pub max_answer_attempts: i64,
    pub pause_minutes: i64,
    pub response_ms: u64,
    pub requests_per_address_per_hour: i64,
    pub requests_per_login_per_hour: i64,
    pub answers_per_address_per_hour: i64,
    pub questions: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PickupSettings {
    pub lifetime_hours: i64,
    pub max_attempts: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportSettings {
    pub temporary_password_hours: i64,
    pub verification_hours: i64,
    pub four_eyes: bool,
    pub temporary_passwords_per_account_per_hour: i64,
    pub temporary_passwords_per_agent_per_hour: i64,
    pub administrator_resets_per_account_per_hour: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandingSettings {
    pub product_name: String,
    pub support_contact: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    pub idle_timeout_minutes: i64,
    pub absolute_timeout_hours: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashingSettings {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    pub workers: usize,
    pub queue: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockoutSettings {
    pub free_attempts: i64,
    pub first_delay_seconds: i64,
    pub max_delay_minutes: i64,
    pub window_minutes: i64,
    pub device_cookie_days: i64,
    pub device_max_failures: i64,
    pub failed_sign_in_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    pub address_max_failures: i64,
    pub address_window_minutes: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    pub log_head_every: i64,
}
