//! SQLite: one file, WAL journal, full fsync, foreign keys on, a busy timeout (`lock_timeout_ms`)
//! so that the CLI and the server can share the file and a stuck writer yields 503s, not hangs.
//! Write transactions begin IMMEDIATE, taking the write lock before reading, so a read-then-write
//! never fails half-way with SQLITE_BUSY.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use super::Access;
use super::StoreError;
use super::chain::AuditChain;
use super::migrate::{migrate_checked, schema_current};
use super::sql::unavailable;
use crate::config::DatabaseSettings;

pub struct SqliteStore {
    pub(super) pool: SqlitePool,
    pub(super) chain: Arc<AuditChain>,
    /// This start applied the migration that keys the audit chain's head.
    pub(super) keys_the_head: bool,
}

impl SqliteStore {
    pub async fn connect(db: &DatabaseSettings, chain: AuditChain, access: Access) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(&db.url)
            .map_err(unavailable)?
            .create_if_missing(access == Access::Migrate)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(StdDuration::from_millis(db.lock_timeout_ms));
        if access == Access::Migrate {
            create_parent_dir(&options)?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(db.max_connections)
            .acquire_timeout(StdDuration::from_secs(db.acquire_timeout_seconds))
            .connect_with(options)
            .await
            .map_err(unavailable)?;
        let keys_the_head = match access {
            Access::Migrate => migrate_checked!(&pool, "migrations/sqlite")?,
            Access::ReadOnly => schema_current!(&pool, "migrations/sqlite").map(|()| false)?,
        };
        Ok(Self { pool, chain: Arc::new(chain), keys_the_head })
    }
}

/// `sqlite://data/portcullis.db` should just work on a fresh checkout.
fn create_parent_dir(options: &SqliteConnectOptions) -> Result<(), StoreError> {
    let path = options.get_filename();
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| unavailable(sqlx::Error::Io(e)))?;
    }
    Ok(())
}
