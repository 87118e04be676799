//! Use cases. Each takes parsed domain values, does its checks, and hands the store one
//! transaction per change (with its audit entries). Web pages, the CLI and tests all go
//! through here, so every path applies the same rules.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod cases;
pub mod common_passwords;
mod failure;
mod key_check;
pub mod lockout;
pub mod logins;
pub mod mail;
pub mod notices;
pub mod operations;
pub mod outbox;
pub mod password;
pub mod questions;
pub mod recovery;
pub mod reentry;
mod sealing;
pub mod secrets;
pub mod sessions;
pub mod staff;
pub mod support;
pub mod temporary;

use std::sync::Arc;

use time::Duration;

use crate::clock::Clock;
use crate::config::{Settings, SmimeCipher};
use crate::crypto::device::DeviceKey;
use crate::crypto::seal::{MasterKey, SealingKey};
use crate::crypto::{HashPool, HashingParams};
use crate::domain::audit::ChainKey;
use crate::domain::{DevicePolicy, LockoutPolicy, PasswordPolicy, SessionLifetime};
use crate::store::{Access, AuditChain, Store, StoreError};
pub use common_passwords::CommonPasswords;
pub use failure::Failure;
pub(crate) use failure::failure_conversions;

/// Where a request came from, for the audit log and per-address limits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestSource {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl RequestSource {
    pub fn operator() -> Self {
        Self { ip: None, user_agent: Some("portcullis-cli".into()) }
    }
}

/// Per-address failure budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressLimit {
    pub max_failures: i64,
    pub window: Duration,
}

/// Mail rules: throttling, retries, secure-pickup limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailPolicy {
    pub throttle_per_hour: i64,
    pub retry_first: Duration,
    pub retry_max: Duration,
    pub give_up_after: Duration,
    pub pickup_lifetime: Duration,
    pub pickup_max_attempts: i64,
    /// S/MIME with AES-256-GCM (else AES-256-CBC), as the mail worker will encrypt.
    pub smime_gcm: bool,
}

impl MailPolicy {
    /// The wait before the next attempt, after `attempts` failed ones: doubling, capped.
    pub fn retry_delay(&self, attempts: i64) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
        self.retry_first.saturating_mul(2_i32.saturating_pow(doublings)).min(self.retry_max)
    }
}

/// Recovery rules from the settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryPolicy {
    pub catalogue: Vec<String>,
    pub questions_required: usize,
    pub link_lifetime: Duration,
    pub max_answer_attempts: i64,
    pub pause: Duration,
    pub requests_per_address: i64,
    pub requests_per_login: i64,
    pub answers_per_address: i64,
    /// `http.public_url` without a trailing slash: links are built from it, never from a request.
    pub public_url: String,
}

/// Temporary passwords and the support procedure around them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupportPolicy {
    pub temporary_lifetime: Duration,
    pub verification_validity: Duration,
    pub four_eyes: bool,
    /// Support's sendings to an account's primary login.
    pub temporary_per_account_per_hour: i64,
    pub temporary_per_agent_per_hour: i64,
    /// The administrator's resets of the account's secondary logins: a budget of its own.
    pub administrator_resets_per_account_per_hour: i64,
}

/// Everything the use cases need, built once from the settings and shared. Its parts are the
/// use cases' own: callers go through the methods, so every path applies the same rules.
#[derive(Clone)]
pub struct Portal {
    store: Arc<dyn Store>,
    hasher: HashPool,
    clock: Arc<dyn Clock>,
    policy: PasswordPolicy,
    common_passwords: Arc<CommonPasswords>,
    lockout: LockoutPolicy,
    /// Device cookies: their lifetime and their own failure budget.
    device: DevicePolicy,
    /// Signs device cookies.
    device_key: DeviceKey,
    session_lifetime: SessionLifetime,
    address_limit: AddressLimit,
    mail: MailPolicy,
    recovery: Arc<RecoveryPolicy>,
    support: SupportPolicy,
    /// Seals outbox payloads.
    outbox_key: SealingKey,
    /// Seals secure-pickup messages (together with each message's passcode).
    pickup_key: SealingKey,
    /// Checks the audit chain's HMACs.
    audit_key: ChainKey,
    /// Wakes this instance's mail worker when a message is queued.
    mail_wake: Arc<tokio::sync::Notify>,
    /// This instance's Prometheus metrics.
    metrics: Arc<crate::telemetry::metrics::Metrics>,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("hashing: {0}")]
    Hashing(crate::crypto::hashing::PoolError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("secrets.key_file: {0}")]
    SecretKey(String),
    #[error("password.common_passwords: {0}")]
    CommonPasswords(String),
    #[error(
        "secrets.key_file holds another secret key than the one this database was set up with (their \
         fingerprints differ). Every instance sharing a database needs the same key file: copy it from an \
         instance that runs (or restore it from this installation's backup) and start again. Do not make a \
         new key: what was sealed with the old one could no longer be opened"
    )]
    KeyMismatch,
}

impl Portal {
    /// The password rules, for the pages that list them beside a password form.
    pub fn password_policy(&self) -> &PasswordPolicy {
        &self.policy
    }

    /// The recovery rules, for the pages that show the question catalogue and the link's
    /// lifetime.
    pub fn recovery_policy(&self) -> &RecoveryPolicy {
        &self.recovery
    }

    /// The support procedure's rules, for the pages that show which steps apply.
    pub fn support_policy(&self) -> &SupportPolicy {
        &self.support
    }

    /// This instance's metrics, for recording request timings and sign-in outcomes.
    pub fn metrics(&self) -> &crate::telemetry::metrics::Metrics {
        &self.metrics
    }

    pub async fn build(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Self, BuildError> {
        let master = MasterKey::load_or_create(&settings.secrets.key_file).map_err(BuildError::SecretKey)?;
        let fingerprint = master.fingerprint();
        let portal = Self::connect(settings, master, Access::Migrate, clock).await?;
        portal.refuse_other_key(&fingerprint).await?;
        let opening = portal.open_audit_chain().await?;
        portal.settle_key(&fingerprint, &opening).await?;
        Ok(portal)
    }

    /// For commands that only read (the audit log's list, export and verify): the key file
    /// must exist already and the schema be this version's; nothing is migrated, created or
    /// anchored.
    pub async fn build_read_only(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Self, BuildError> {
        let master = MasterKey::load(&settings.secrets.key_file).map_err(BuildError::SecretKey)?;
        let fingerprint = master.fingerprint();
        let portal = Self::connect(settings, master, Access::ReadOnly, clock).await?;
        portal.refuse_other_key(&fingerprint).await?;
        Ok(portal)
    }

    /// Migrates, but leaves the audit chain as it is: for the operator's `audit anchor`.
    pub async fn build_unopened(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Self, BuildError> {
        let master = MasterKey::load_or_create(&settings.secrets.key_file).map_err(BuildError::SecretKey)?;
        let fingerprint = master.fingerprint();
        let portal = Self::connect(settings, master, Access::Migrate, clock).await?;
        portal.refuse_other_key(&fingerprint).await?;
        Ok(portal)
    }

    async fn connect(
        settings: &Settings,
        master: MasterKey,
        access: Access,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, BuildError> {
        let chain = AuditChain { key: master.audit_chain_key(), log_head_every: settings.audit.log_head_every };
        let store = crate::store::connect(&settings.database, chain, access).await?;
        Self::with_master(settings, store, clock, &master)
    }

    fn with_master(
        settings: &Settings,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        master: &MasterKey,
    ) -> Result<Self, BuildError> {
        let hashing = &settings.hashing;
        let params = HashingParams {
            memory_kib: hashing.memory_kib,
            iterations: hashing.iterations,
            parallelism: hashing.parallelism,
        };
        let hasher = HashPool::new(params, hashing.workers, hashing.queue).map_err(BuildError::Hashing)?;
        let metrics = operations::metrics_for(settings, &hasher);
        let policy = settings.password_policy();
        let common_passwords = Arc::new(match policy.refuse_common {
            true => CommonPasswords::bundled().map_err(BuildError::CommonPasswords)?,
            false => CommonPasswords::default(),
        });
        Ok(Self {
            store,
            hasher,
            clock,
            policy,
            common_passwords,
            lockout: settings.lockout_policy(),
            device: settings.device_policy(),
            device_key: DeviceKey::new(master),
            session_lifetime: settings.session_lifetime(),
            address_limit: AddressLimit {
                max_failures: settings.rate_limit.address_max_failures,
                window: Duration::minutes(settings.rate_limit.address_window_minutes),
            },
            mail: MailPolicy {
                throttle_per_hour: settings.mail.throttle_per_hour,
                retry_first: Duration::seconds(settings.mail.retry_first_seconds),
                retry_max: Duration::minutes(settings.mail.retry_max_minutes),
                give_up_after: Duration::hours(settings.mail.give_up_after_hours),
                pickup_lifetime: Duration::hours(settings.pickup.lifetime_hours),
                pickup_max_attempts: settings.pickup.max_attempts,
                smime_gcm: settings.mail.smime_cipher == SmimeCipher::Aes256Gcm,
            },
            recovery: Arc::new(RecoveryPolicy {
                catalogue: settings.recovery.questions.clone(),
                questions_required: settings.recovery.questions_required,
                link_lifetime: Duration::minutes(settings.recovery.link_minutes),
                max_answer_attempts: settings.recovery.max_answer_attempts,
                pause: Duration::minutes(settings.recovery.pause_minutes),
                requests_per_address: settings.recovery.requests_per_address_per_hour,
                requests_per_login: settings.recovery.requests_per_login_per_hour,
                answers_per_address: settings.recovery.answers_per_address_per_hour,
                public_url: settings.http.public_url.as_str().trim_end_matches('/').to_string(),
            }),
            support: SupportPolicy {
                temporary_lifetime: Duration::hours(settings.support.temporary_password_hours),
                verification_validity: Duration::hours(settings.support.verification_hours),
                four_eyes: settings.support.four_eyes,
                temporary_per_account_per_hour: settings.support.temporary_passwords_per_account_per_hour,
                temporary_per_agent_per_hour: settings.support.temporary_passwords_per_agent_per_hour,
                administrator_resets_per_account_per_hour: settings.support.administrator_resets_per_account_per_hour,
            },
            outbox_key: master.derive("outbox"),
            pickup_key: master.derive("secure-pickup"),
            audit_key: master.audit_chain_key(),
            mail_wake: Arc::new(tokio::sync::Notify::new()),
            metrics,
        })
    }
}
