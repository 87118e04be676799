//! PostgreSQL: any number of portal instances share one database. Row locks (`FOR UPDATE` on
//! the audit head, the conditional UPDATEs) keep concurrent writers correct under READ COMMITTED.
//! Every connection carries lock, statement and idle-in-transaction timeouts, so an instance that
//! freezes while holding a lock makes the others answer 503 for a moment instead of hanging.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::Access;
use super::StoreError;
use super::chain::AuditChain;
use super::migrate::{migrate_checked, schema_current};
use super::sql::unavailable;
use crate::config::DatabaseSettings;

pub struct PostgresStore {
    pub(super) pool: PgPool,
    pub(super) chain: Arc<AuditChain>,
    /// This start applied the migration that keys the audit chain's head.
    pub(super) keys_the_head: bool,
}

impl PostgresStore {
    pub async fn connect(db: &DatabaseSettings, chain: AuditChain, access: Access) -> Result<Self, StoreError> {
        let keys_the_head = match access {
            Access::Migrate => migrate(db).await?,
            Access::ReadOnly => false,
        };
        let pool = pool(db, db.max_connections).connect_with(timed_options(db)?).await.map_err(unavailable)?;
        if access == Access::ReadOnly {
            schema_current!(&pool, "migrations/postgres")?;
        }
        Ok(Self { pool, chain: Arc::new(chain), keys_the_head })
    }
}

fn pool(db: &DatabaseSettings, max: u32) -> PgPoolOptions {
    PgPoolOptions::new().max_connections(max).acquire_timeout(StdDuration::from_secs(db.acquire_timeout_seconds))
}

/// Migrates on a connection of its own without the request timeouts: a migration may wait for
/// another starting instance's migration lock, or rebuild a large table, for longer than a
/// request should.
async fn migrate(db: &DatabaseSettings) -> Result<bool, StoreError> {
    let options: PgConnectOptions = db.url.parse().map_err(unavailable)?;
    let pool = pool(db, 1).connect_with(options).await.map_err(unavailable)?;
    let keys_the_head = migrate_checked!(&pool, "migrations/postgres")?;
    pool.close().await;
    Ok(keys_the_head)
}

/// The URL's options plus the timeouts, sent as startup parameters so that every connection
/// the pool opens (also after a database restart) has them before its first statement.
fn timed_options(db: &DatabaseSettings) -> Result<PgConnectOptions, StoreError> {
    let options: PgConnectOptions = db.url.parse().map_err(unavailable)?;
    Ok(options.options([
        ("lock_timeout", db.lock_timeout_ms),
        ("statement_timeout", db.statement_timeout_ms),
        ("idle_in_transaction_session_timeout", db.idle_in_transaction_timeout_ms),
    ]))
}
