//! PostgreSQL: any number of portal instances share one database. Row locks (`FOR UPDATE` on
//! the audit head, the conditional UPDATEs) keep concurrent writers correct under READ COMMITTED.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use sqlx::postgres::{PgPool, PgPoolOptions};

use super::Access;
use super::chain::AuditChain;
use super::migrate::{migrate_checked, schema_current};
use super::sql::sql_store;
use super::sql_audit::sql_audit;
use super::sql_cases::sql_cases;
use super::sql_lockout::sql_lockout;
use super::sql_mail::sql_mail;
use super::sql_people::sql_people;
use super::sql_recovery::sql_recovery;
use super::sql_staff::sql_staff;

pub struct PostgresStore {
    pool: PgPool,
    chain: Arc<AuditChain>,
    /// This start applied the migration that keys the audit chain's head.
    keys_the_head: bool,
}

impl PostgresStore {
    pub async fn connect(
        url: &str,
        max_connections: u32,
        acquire_timeout: StdDuration,
        chain: AuditChain,
        access: Access,
    ) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(acquire_timeout)
            .connect(url)
            .await
            .map_err(unavailable)?;
        let keys_the_head = match access {
            Access::Migrate => migrate_checked!(&pool, "migrations/postgres")?,
            Access::ReadOnly => schema_current!(&pool, "migrations/postgres").map(|()| false)?,
        };
        Ok(Self { pool, chain: Arc::new(chain), keys_the_head })
    }
}

sql_store!(PostgresStore, sqlx::Postgres, sqlx::postgres::PgRow, begin = "BEGIN");
sql_audit!(PostgresStore, sqlx::postgres::PgRow, lock = " FOR UPDATE");
sql_mail!(PostgresStore, sqlx::postgres::PgRow, skip_locked = " FOR UPDATE SKIP LOCKED");
sql_recovery!(PostgresStore, sqlx::postgres::PgRow);
sql_people!(PostgresStore, sqlx::postgres::PgRow);
sql_cases!(PostgresStore, sqlx::postgres::PgRow);
sql_staff!(PostgresStore, sqlx::postgres::PgRow);
sql_lockout!(PostgresStore);
