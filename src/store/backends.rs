//! The two backends as the shared SQL sees them. Each `impl SqlBackend` below is all that a
//! backend provides; with it, the backend gets every area of the store, implemented once in
//! `sql/` for any `SqlBackend`:
//! accounts, sessions, recovery, outbox, recipient keys, pickup, audit, cases, staff, people,
//! lockout, gauges and the key fingerprint (declared complete at the end of this file).

use std::sync::Arc;

use async_trait::async_trait;
use sqlx::postgres::{PgPool, PgRow};
use sqlx::sqlite::{SqlitePool, SqliteRow};

use super::chain::AuditChain;
use super::sql::{Columns, Exec, SqlBackend, Statement, Value};
use super::{PostgresStore, SqliteStore};

/// Binds a `Statement`'s parameters to a query on database `$db` and runs `$method` (one of
/// sqlx's `execute`, `fetch_one`, `fetch_optional`, `fetch_all`) where `$on` says. A macro,
/// because the generic form needs sqlx's encode and executor bounds spelled out for each type.
macro_rules! run {
    ($db:ty, $on:expr, $statement:expr, $method:ident) => {{
        let Statement { sql, args } = $statement;
        let mut query = sqlx::query::<$db>(sqlx::AssertSqlSafe(sql));
        for arg in args {
            query = match arg {
                Value::Text(value) => query.bind(value),
                Value::Int(value) => query.bind(value),
                Value::Bool(value) => query.bind(value),
            };
        }
        match $on {
            Exec::Pool(store) => query.$method(store.pool()).await,
            Exec::Tx(tx) => query.$method(&mut **tx).await,
        }
    }};
}

/// Implements `Columns` for a row type of sqlx: each read is sqlx's `try_get` by name.
macro_rules! columns {
    ($row:ty) => {
        impl Columns for $row {
            fn text(&self, name: &str) -> sqlx::Result<String> {
                sqlx::Row::try_get(self, name)
            }
            fn text_opt(&self, name: &str) -> sqlx::Result<Option<String>> {
                sqlx::Row::try_get(self, name)
            }
            fn int(&self, name: &str) -> sqlx::Result<i64> {
                sqlx::Row::try_get(self, name)
            }
            fn int_opt(&self, name: &str) -> sqlx::Result<Option<i64>> {
                sqlx::Row::try_get(self, name)
            }
            fn flag(&self, name: &str) -> sqlx::Result<bool> {
                sqlx::Row::try_get(self, name)
            }
        }
    };
}

columns!(SqliteRow);
columns!(PgRow);

#[async_trait]
impl SqlBackend for SqliteStore {
    type Db = sqlx::Sqlite;
    type Row = SqliteRow;
    const BEGIN: &'static str = "BEGIN IMMEDIATE";
    const ROW_LOCK: &'static str = "";
    // An IMMEDIATE transaction already makes a claim exclusive.
    const SKIP_LOCKED: &'static str = "";

    fn pool(&self) -> &SqlitePool {
        &self.pool
    }
    fn chain(&self) -> &Arc<AuditChain> {
        &self.chain
    }
    fn keys_the_head(&self) -> bool {
        self.keys_the_head
    }

    async fn execute(on: Exec<'_, Self>, statement: Statement) -> sqlx::Result<u64> {
        Ok(run!(sqlx::Sqlite, on, statement, execute)?.rows_affected())
    }
    async fn fetch_one(on: Exec<'_, Self>, statement: Statement) -> sqlx::Result<SqliteRow> {
        run!(sqlx::Sqlite, on, statement, fetch_one)
    }
    async fn fetch_optional(on: Exec<'_, Self>, statement: Statement) -> sqlx::Result<Option<SqliteRow>> {
        run!(sqlx::Sqlite, on, statement, fetch_optional)
    }
    async fn fetch_all(on: Exec<'_, Self>, statement: Statement) -> sqlx::Result<Vec<SqliteRow>> {
        run!(sqlx::Sqlite, on, statement, fetch_all)
    }
}

#[async_trait]
impl SqlBackend for PostgresStore {
    type Db = sqlx::Postgres;
    type Row = PgRow;
    const BEGIN: &'static str = "BEGIN";
    // Row locks keep concurrent writers correct under READ COMMITTED.
    const ROW_LOCK: &'static str = " FOR UPDATE";
    // Several workers claim from one queue without waiting on each other.
    const SKIP_LOCKED: &'static str = " FOR UPDATE SKIP LOCKED";

    fn pool(&self) -> &PgPool {
        &self.pool
    }
    fn chain(&self) -> &Arc<AuditChain> {
        &self.chain
    }
    fn keys_the_head(&self) -> bool {
        self.keys_the_head
    }

    async fn execute(on: Exec<'_, Self>, statement: Statement) -> sqlx::Result<u64> {
        Ok(run!(sqlx::Postgres, on, statement, execute)?.rows_affected())
    }
    async fn fetch_one(on: Exec<'_, Self>, statement: Statement) -> sqlx::Result<PgRow> {
        run!(sqlx::Postgres, on, statement, fetch_one)
    }
    async fn fetch_optional(on: Exec<'_, Self>, statement: Statement) -> sqlx::Result<Option<PgRow>> {
        run!(sqlx::Postgres, on, statement, fetch_optional)
    }
    async fn fetch_all(on: Exec<'_, Self>, statement: Statement) -> sqlx::Result<Vec<PgRow>> {
        run!(sqlx::Postgres, on, statement, fetch_all)
    }
}

// Both backends are complete stores: each of these compiles only while every area's trait holds.
impl super::Store for SqliteStore {}
impl super::Store for PostgresStore {}
