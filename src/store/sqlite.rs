//! SQLite: one file, WAL journal, full fsync, foreign keys on, a busy timeout (`lock_timeout_ms`)
//! so that the CLI and the server can share the file and a stuck writer yields 503s, not hangs.
//! Write transactions begin IMMEDIATE, taking the write lock before reading, so a read-then-write
//! never fails half-way with SQLITE_BUSY.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use super::Access;
use super::chain::AuditChain;
use super::migrate::{migrate_checked, schema_current};
use super::sql::sql_store;
use super::sql_audit::sql_audit;
use super::sql_cases::sql_cases;
use super::sql_gauges::sql_gauges;
use super::sql_key::sql_key;
use super::sql_lockout::sql_lockout;
use super::sql_mail::sql_mail;
use super::sql_people::sql_people;
use super::sql_recovery::sql_recovery;
use super::sql_staff::sql_staff;
use crate::config::DatabaseSettings;

pub struct SqliteStore {
    pool: SqlitePool,
    chain: Arc<AuditChain>,
    /// This start applied the migration that keys the audit chain's head.
    keys_the_head: bool,
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

sql_store!(SqliteStore, sqlx::Sqlite, sqlx::sqlite::SqliteRow, begin = "BEGIN IMMEDIATE");
sql_audit!(SqliteStore, sqlx::sqlite::SqliteRow, lock = "");
sql_mail!(SqliteStore, sqlx::sqlite::SqliteRow, skip_locked = "");
sql_recovery!(SqliteStore, sqlx::sqlite::SqliteRow);
sql_people!(SqliteStore, sqlx::sqlite::SqliteRow);
sql_cases!(SqliteStore, sqlx::sqlite::SqliteRow);
sql_staff!(SqliteStore, sqlx::sqlite::SqliteRow);
sql_lockout!(SqliteStore);
sql_gauges!(SqliteStore, sqlx::sqlite::SqliteRow);
sql_key!(SqliteStore);
