//! Settings: the built-in defaults (`config/default.toml`), then an optional file, then
//! `PORTCULLIS_<SECTION>__<KEY>` environment variables. Loading checks every value, so the
//! portal refuses to start on a setting it could not honour.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::{Deserialize, Serialize};
use time::Duration;
use url::Url;

use crate::domain::{DevicePolicy, LockoutPolicy, PasswordPolicy, PolicyProfile, SessionLifetime};

pub const DEFAULTS: &str = include_str!("../config/default.toml");

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

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
    pub acquire_timeout_seconds: u64,
    pub lock_timeout_ms: u64,
    pub statement_timeout_ms: u64,
    pub idle_in_transaction_timeout_ms: u64,
}

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
pub struct MailSettings {
    pub transport: String,
    pub dir: PathBuf,
    pub smtp_url: String,
    pub smtp_timeout_seconds: u64,
    pub lease_seconds: u64,
    pub from: String,
    pub templates_dir: String,
    pub throttle_per_hour: i64,
    pub retry_first_seconds: i64,
    pub retry_max_minutes: i64,
    pub give_up_after_hours: i64,
    pub smime_cipher: String,
}

/// A lease longer than a day would only delay the mail of an instance that died.
const MAX_LEASE_SECONDS: u64 = 86_400;

impl MailSettings {
    /// How long after claiming a message its outcome may still be recorded: the lease less a
    /// quarter, a margin for clocks that differ between instances and for the claim's own commit.
    pub fn recording_window_seconds(&self) -> u64 {
        self.lease_seconds - self.lease_seconds.div_ceil(4)
    }

    /// The shortest lease whose recording window holds one whole SMTP conversation and as long
    /// again to record its outcome (retrying while the database is unavailable).
    fn shortest_lease_seconds(&self) -> u64 {
        let needed = self.smtp_timeout_seconds.saturating_mul(2);
        // window = lease - ceil(lease / 4) ≥ needed  ⇔  lease ≥ ceil(4 × needed / 3)
        needed.saturating_mul(4).div_ceil(3).max(1)
    }
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
pub struct PasswordSettings {
    pub policy: String,
    pub common_passwords: bool,
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
pub struct LogSettings {
    pub format: String,
    pub level: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    pub log_head_every: i64,
}

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

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
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
        let settings: Self = figment.extract().map_err(Box::new)?;
        settings.validate()?;
        Ok(settings)
    }

    /// The built-in defaults alone, ignoring files and the environment.
    pub fn defaults() -> Result<Self, ConfigError> {
        let settings: Self = Figment::from(Toml::string(DEFAULTS)).extract().map_err(Box::new)?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks what the types alone do not.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.backend()?;
        if self.database.max_connections == 0 {
            return Err(invalid("database.max_connections", "must be at least 1"));
        }
        // Zero would mean "wait forever" to PostgreSQL: one stuck writer would stall every instance.
        positive_u64("database.lock_timeout_ms", self.database.lock_timeout_ms)?;
        positive_u64("database.statement_timeout_ms", self.database.statement_timeout_ms)?;
        positive_u64("database.idle_in_transaction_timeout_ms", self.database.idle_in_transaction_timeout_ms)?;
        if !matches!(self.http.public_url.scheme(), "http" | "https") || self.http.public_url.host().is_none() {
            return Err(invalid("http.public_url", "must be an http:// or https:// address with a host"));
        }
        self.validate_http()?;
        self.policy_profile()?;
        positive("session.idle_timeout_minutes", self.session.idle_timeout_minutes)?;
        positive("session.absolute_timeout_hours", self.session.absolute_timeout_hours)?;
        if self.hashing.memory_kib < 8 * self.hashing.parallelism.max(1) || self.hashing.iterations == 0 {
            return Err(invalid("hashing", "memory_kib must be at least 8 × parallelism and iterations at least 1"));
        }
        if self.hashing.parallelism == 0 {
            return Err(invalid("hashing.parallelism", "must be at least 1"));
        }
        positive("lockout.free_attempts", self.lockout.free_attempts)?;
        positive("lockout.first_delay_seconds", self.lockout.first_delay_seconds)?;
        positive("lockout.max_delay_minutes", self.lockout.max_delay_minutes)?;
        positive("lockout.window_minutes", self.lockout.window_minutes)?;
        positive("lockout.device_cookie_days", self.lockout.device_cookie_days)?;
        positive("lockout.device_max_failures", self.lockout.device_max_failures)?;
        positive("rate_limit.address_max_failures", self.rate_limit.address_max_failures)?;
        positive("rate_limit.address_window_minutes", self.rate_limit.address_window_minutes)?;
        self.validate_mail()?;
        positive("pickup.lifetime_hours", self.pickup.lifetime_hours)?;
        self.validate_recovery()?;
        positive("pickup.max_attempts", self.pickup.max_attempts)?;
        positive("support.temporary_password_hours", self.support.temporary_password_hours)?;
        positive("support.verification_hours", self.support.verification_hours)?;
        positive(
            "support.temporary_passwords_per_account_per_hour",
            self.support.temporary_passwords_per_account_per_hour,
        )?;
        positive(
            "support.temporary_passwords_per_agent_per_hour",
            self.support.temporary_passwords_per_agent_per_hour,
        )?;
        positive("audit.log_head_every", self.audit.log_head_every)?;
        positive(
            "support.administrator_resets_per_account_per_hour",
            self.support.administrator_resets_per_account_per_hour,
        )?;
        if !matches!(self.log.format.as_str(), "pretty" | "json") {
            return Err(invalid("log.format", "must be \"pretty\" or \"json\""));
        }
        Ok(())
    }

    fn validate_http(&self) -> Result<(), ConfigError> {
        let http = &self.http;
        if http.max_body_bytes < 1024 {
            return Err(invalid("http.max_body_bytes", "must be at least 1024"));
        }
        if let Some(bad) = http.allowed_hosts.iter().find(|h| host_name(h).is_none()) {
            return Err(invalid(
                "http.allowed_hosts",
                format!("{bad:?} is not a bare host name such as portal.example"),
            ));
        }
        positive_u64("http.header_read_timeout_seconds", http.header_read_timeout_seconds)?;
        positive_u64("http.request_timeout_seconds", http.request_timeout_seconds)?;
        positive_u64("http.shutdown_grace_seconds", http.shutdown_grace_seconds)?;
        positive_u64("http.max_connections", u64::try_from(http.max_connections).unwrap_or(u64::MAX))?;
        // Every answer to a recovery request waits `response_ms`: the request timeout must outlast it.
        if http.request_timeout_seconds.saturating_mul(1000) <= self.recovery.response_ms {
            return Err(invalid("http.request_timeout_seconds", "must be longer than recovery.response_ms"));
        }
        Ok(())
    }

    /// Every host name the public listener answers to: `public_url`'s host, then `allowed_hosts`.
    pub fn served_hosts(&self) -> Vec<String> {
        let public = self.http.public_url.host_str().and_then(host_name);
        public.into_iter().chain(self.http.allowed_hosts.iter().filter_map(|h| host_name(h))).collect()
    }

    /// Host names the admin listener answers to: loopback names, its own address and the
    /// served hosts.
    pub fn admin_hosts(&self) -> Vec<String> {
        let own = self.http.admin_listen.map(|address| address.ip().to_string());
        ["localhost", "127.0.0.1", "::1"]
            .into_iter()
            .map(str::to_string)
            .chain(own)
            .filter_map(|h| host_name(&h).or_else(|| host_name(&format!("[{h}]"))))
            .chain(self.served_hosts())
            .collect()
    }

    fn validate_mail(&self) -> Result<(), ConfigError> {
        let mail = &self.mail;
        match mail.transport.as_str() {
            "file" => {}
            "smtp" => {
                let url = Url::parse(&mail.smtp_url).map_err(|_| {
                    invalid("mail.smtp_url", "must be smtp://host:port or smtps://user:password@host:465")
                })?;
                if !matches!(url.scheme(), "smtp" | "smtps") || url.host().is_none() {
                    return Err(invalid("mail.smtp_url", "must be smtp://host:port or smtps://user:password@host:465"));
                }
            }
            _ => return Err(invalid("mail.transport", "must be \"file\" or \"smtp\"")),
        }
        lettre::message::Mailbox::from_str(&mail.from)
            .map_err(|e| invalid("mail.from", format!("is not a valid sender address: {e}")))?;
        if !matches!(mail.smime_cipher.as_str(), "aes-256-gcm" | "aes-256-cbc") {
            return Err(invalid("mail.smime_cipher", "must be \"aes-256-gcm\" or \"aes-256-cbc\""));
        }
        positive("mail.throttle_per_hour", mail.throttle_per_hour)?;
        positive("mail.retry_first_seconds", mail.retry_first_seconds)?;
        positive("mail.retry_max_minutes", mail.retry_max_minutes)?;
        positive("mail.give_up_after_hours", mail.give_up_after_hours)?;
        positive_u64("mail.smtp_timeout_seconds", mail.smtp_timeout_seconds)?;
        if mail.lease_seconds > MAX_LEASE_SECONDS {
            return Err(invalid("mail.lease_seconds", format!("must be at most {MAX_LEASE_SECONDS} (a day)")));
        }
        let shortest = mail.shortest_lease_seconds();
        if mail.lease_seconds < shortest {
            return Err(invalid(
                "mail.lease_seconds",
                format!(
                    "must be at least {shortest} with mail.smtp_timeout_seconds = {}: a delivery and the recording \
                     of its outcome must end well before another instance may take the message again",
                    mail.smtp_timeout_seconds
                ),
            ));
        }
        Ok(())
    }

    fn validate_recovery(&self) -> Result<(), ConfigError> {
        let recovery = &self.recovery;
        if recovery.questions_required < 2 {
            return Err(invalid("recovery.questions_required", "must be at least 2 (two questions are asked)"));
        }
        let mut distinct: Vec<&str> = recovery.questions.iter().map(|q| q.trim()).filter(|q| !q.is_empty()).collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < recovery.questions_required || distinct.len() != recovery.questions.len() {
            return Err(invalid(
                "recovery.questions",
                "needs distinct, non-empty questions, at least as many as recovery.questions_required",
            ));
        }
        if !(1..=1440).contains(&recovery.link_minutes) {
            return Err(invalid("recovery.link_minutes", "must be between 1 and 1440 (24 hours)"));
        }
        positive("recovery.max_answer_attempts", recovery.max_answer_attempts)?;
        positive("recovery.pause_minutes", recovery.pause_minutes)?;
        positive("recovery.requests_per_address_per_hour", recovery.requests_per_address_per_hour)?;
        positive("recovery.requests_per_login_per_hour", recovery.requests_per_login_per_hour)?;
        positive("recovery.answers_per_address_per_hour", recovery.answers_per_address_per_hour)
    }

    /// The dev mailbox shows every message to anyone who can reach it, so it exists only in a
    /// set-up that cannot be production: the file transport, a plain-http public URL on a loopback
    /// host, the portal listening on loopback, and no reverse proxy trusted in front of it.
    pub fn dev_mailbox_enabled(&self) -> bool {
        let public = &self.http.public_url;
        let loopback_host = match public.host() {
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        self.http.dev_mailbox
            && self.mail.transport == "file"
            && public.scheme() == "http"
            && loopback_host
            && self.http.listen.ip().is_loopback()
            && self.http.trusted_proxies.is_empty()
    }

    pub fn backend(&self) -> Result<Backend, ConfigError> {
        let url = &self.database.url;
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(invalid("database.url", "must start with sqlite:// or postgres://"))
        }
    }

    pub fn policy_profile(&self) -> Result<PolicyProfile, ConfigError> {
        self.password.policy.parse().map_err(|problem: String| invalid("password.policy", problem))
    }

    pub fn password_policy(&self) -> PasswordPolicy {
        PasswordPolicy {
            refuse_common: self.password.common_passwords,
            fixed_words: vec![self.branding.product_name.clone()],
            ..PasswordPolicy::from_profile(self.policy_profile().unwrap_or(PolicyProfile::Portal))
        }
    }

    pub fn session_lifetime(&self) -> SessionLifetime {
        SessionLifetime {
            idle: Duration::minutes(self.session.idle_timeout_minutes),
            absolute: Duration::hours(self.session.absolute_timeout_hours),
        }
    }

    pub fn lockout_policy(&self) -> LockoutPolicy {
        LockoutPolicy {
            free_attempts: self.lockout.free_attempts,
            first_delay: Duration::seconds(self.lockout.first_delay_seconds),
            max_delay: Duration::minutes(self.lockout.max_delay_minutes),
            window: Duration::minutes(self.lockout.window_minutes),
        }
    }

    pub fn device_policy(&self) -> DevicePolicy {
        DevicePolicy {
            lifetime: Duration::days(self.lockout.device_cookie_days),
            max_failures: self.lockout.device_max_failures,
        }
    }

    pub fn is_https(&self) -> bool {
        self.http.public_url.scheme() == "https"
    }

    /// The settings as TOML with every secret replaced by `[redacted]`.
    pub fn redacted_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database.url = redact_url_password(&self.database.url);
        shown.mail.smtp_url = redact_url_password(&self.mail.smtp_url);
        toml_string(&shown)
    }
}

fn positive(key: &'static str, value: i64) -> Result<(), ConfigError> {
    if value <= 0 {
        return Err(invalid(key, "must be greater than 0"));
    }
    Ok(())
}

fn positive_u64(key: &'static str, value: u64) -> Result<(), ConfigError> {
    positive(key, i64::try_from(value).unwrap_or(i64::MAX))
}

/// A bare host name (or IP address) as a URL carries it: lower-cased, IDNA-encoded, without a
/// trailing dot; None for anything with a scheme, port, path, query or user part.
pub fn host_name(raw: &str) -> Option<String> {
    // A URL drops a scheme's default port (`:80`) without a trace: refuse any port here.
    let outside_brackets = raw.rsplit_once(']').map_or(raw, |(_, rest)| rest);
    if outside_brackets.contains(':') {
        return None;
    }
    let url = Url::parse(&format!("http://{raw}/")).ok()?;
    let bare = url.port().is_none()
        && url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    let host = url.host_str()?.trim_end_matches('.');
    (bare && !host.is_empty()).then(|| host.to_ascii_lowercase())
}

fn redact_url_password(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("[redacted]"));
            url.to_string().replace("%5Bredacted%5D", "[redacted]")
        }
        _ => raw.to_string(),
    }
}

fn toml_string(settings: &Settings) -> String {
    let Ok(value) = serde_json::to_value(settings) else {
        return String::new();
    };
    let mut out = String::new();
    for (section, fields) in value.as_object().into_iter().flatten() {
        out.push_str(&format!("[{section}]\n"));
        for (key, field) in fields.as_object().into_iter().flatten() {
            out.push_str(&format!("{key} = {field}\n"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_defaults_are_valid() {
        let settings = Settings::defaults().unwrap();
        assert_eq!(settings.http.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.backend().unwrap(), Backend::Sqlite);
    }

    #[test]
    fn the_dev_mailbox_is_served_only_on_a_loopback_address() {
        let mut settings = Settings::defaults().unwrap();
        assert!(settings.dev_mailbox_enabled());
        settings.http.listen = "0.0.0.0:8080".parse().unwrap();
        assert!(!settings.dev_mailbox_enabled());
    }

    #[test]
    fn the_dev_mailbox_is_off_behind_a_proxy_or_with_a_public_address() {
        let on = Settings::defaults().unwrap();
        let changes: [fn(&mut Settings); 4] = [
            |s| s.http.public_url = "https://127.0.0.1:8080".parse().unwrap(),
            |s| s.http.public_url = "http://portal.example".parse().unwrap(),
            |s| s.http.trusted_proxies = vec!["127.0.0.1".parse().unwrap()],
            |s| s.mail.transport = "smtp".into(),
        ];
        for change in changes {
            let mut settings = on.clone();
            change(&mut settings);
            assert!(!settings.dev_mailbox_enabled(), "{:?}", settings.http);
        }
        let mut named = on;
        named.http.public_url = "http://localhost:8080".parse().unwrap();
        assert!(named.dev_mailbox_enabled());
    }

    #[test]
    fn allowed_hosts_are_bare_host_names() {
        assert_eq!(host_name("Portal.Example"), Some("portal.example".into()));
        assert_eq!(host_name("[::1]"), Some("[::1]".into()));
        assert_eq!(host_name("portal.example."), Some("portal.example".into()));
        for bad in [
            "portal.example:8080",
            "portal.example:80",
            "[::1]:80",
            "https://portal.example",
            "portal.example/x",
            "a@portal.example",
            "",
        ] {
            assert_eq!(host_name(bad), None, "{bad}");
        }
        let mut settings = Settings::defaults().unwrap();
        settings.http.allowed_hosts = vec!["portal.example:443".into()];
        assert!(settings.validate().is_err());
    }

    #[test]
    fn an_empty_admin_listen_means_no_admin_listener() {
        let settings = Settings::defaults().unwrap();
        assert_eq!(settings.http.admin_listen, None);
        assert!(settings.redacted_toml().contains("admin_listen = \"\""));
    }

    #[test]
    fn a_database_timeout_of_zero_which_would_mean_wait_forever_is_refused() {
        let mut settings = Settings::defaults().unwrap();
        assert_eq!(settings.database.lock_timeout_ms, 5000);
        settings.database.lock_timeout_ms = 0;
        assert!(settings.validate().is_err());
        let mut settings = Settings::defaults().unwrap();
        settings.database.idle_in_transaction_timeout_ms = 0;
        assert!(settings.validate().is_err());
    }

    #[test]
    fn a_mail_lease_too_short_for_one_smtp_conversation_and_its_recording_is_refused() {
        let mut settings = Settings::defaults().unwrap();
        assert_eq!((settings.mail.lease_seconds, settings.mail.smtp_timeout_seconds), (60, 20));
        assert_eq!(settings.mail.recording_window_seconds(), 45);
        settings.mail.smtp_timeout_seconds = 30;
        let refused = settings.validate().unwrap_err().to_string();
        assert!(refused.contains("mail.lease_seconds: must be at least 80"), "{refused}");
        settings.mail.lease_seconds = 80;
        settings.validate().unwrap();
        assert!(settings.mail.recording_window_seconds() >= 2 * settings.mail.smtp_timeout_seconds);
        for unusable in [0, 86_401, u64::MAX] {
            settings.mail.lease_seconds = unusable;
            assert!(settings.validate().is_err(), "{unusable}");
        }
    }

    #[test]
    fn a_database_password_is_never_shown() {
        assert_eq!(
            redact_url_password("postgres://app:s3cret@db:5432/portal"),
            "postgres://app:[redacted]@db:5432/portal"
        );
        assert_eq!(redact_url_password("sqlite://data/p.db"), "sqlite://data/p.db");
    }
}
