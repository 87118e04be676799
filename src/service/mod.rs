//! Use cases. Each takes parsed domain values, does its checks, and hands the store one
//! transaction per change (with its audit entries). Web pages, the CLI and tests all go
//! through here, so every path applies the same rules.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod common_passwords;
pub mod password;
pub mod sessions;

use std::sync::Arc;

use time::Duration;

use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::{HashPool, HashingParams};
use crate::domain::{LockoutPolicy, PasswordPolicy, SessionLifetime};
use crate::store::{Store, StoreError};
pub use common_passwords::CommonPasswords;

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

/// Everything the use cases need, built once from the settings and shared.
#[derive(Clone)]
pub struct Portal {
    pub store: Arc<dyn Store>,
    pub hasher: HashPool,
    pub clock: Arc<dyn Clock>,
    pub policy: PasswordPolicy,
    pub common_passwords: Arc<CommonPasswords>,
    pub lockout: LockoutPolicy,
    pub session_lifetime: SessionLifetime,
    pub address_limit: AddressLimit,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("invalid hashing parameters: {0}")]
    Hashing(argon2::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Portal {
    pub async fn build(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Self, BuildError> {
        let store = crate::store::connect(settings).await?;
        Self::with_store(settings, store, clock)
    }

    pub fn with_store(settings: &Settings, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Result<Self, BuildError> {
        let hashing = &settings.hashing;
        let params = HashingParams {
            memory_kib: hashing.memory_kib,
            iterations: hashing.iterations,
            parallelism: hashing.parallelism,
        };
        let hasher = HashPool::new(params, hashing.workers, hashing.queue).map_err(BuildError::Hashing)?;
        let policy = settings.password_policy();
        let common_passwords =
            Arc::new(if policy.refuse_common { CommonPasswords::bundled() } else { CommonPasswords::default() });
        Ok(Self {
            store,
            hasher,
            clock,
            policy,
            common_passwords,
            lockout: settings.lockout_policy(),
            session_lifetime: settings.session_lifetime(),
            address_limit: AddressLimit {
                max_failures: settings.rate_limit.address_max_failures,
                window: Duration::minutes(settings.rate_limit.address_window_minutes),
            },
        })
    }
}

/// A new row id: UUIDv7, time-ordered. Ids are not secrets; tokens come from `RandomToken`.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
