//! What a database backend provides to the shared SQL, in one place: its pool, how a write
//! transaction begins, its locking clauses, and running a `Statement`. SQLite and PostgreSQL
//! accept the same statements otherwise (`$n` parameters, `ON CONFLICT`, `RETURNING`).

use std::sync::Arc;

use async_trait::async_trait;

use super::columns::Columns;
use super::statement::{Exec, Statement};
use super::unavailable;
use crate::store::StoreResult;
use crate::store::chain::{AuditChain, ChainTx};

/// A database the shared SQL runs on; implemented by `SqliteStore` and `PostgresStore` in
/// `backends.rs`. Every area of the store is implemented once for any `SqlBackend`.
#[async_trait]
pub trait SqlBackend: Send + Sync + Sized + 'static {
    type Db: sqlx::Database;
    type Row: Columns + Send + Sync + 'static;

    /// Begins a write transaction. SQLite's `BEGIN IMMEDIATE` takes the write lock up front, so
    /// that a read-then-write never fails half-way with SQLITE_BUSY.
    const BEGIN: &'static str;
    /// Appended to a read inside a write transaction to lock the row until it ends (`FOR
    /// UPDATE` on PostgreSQL; SQLite's write transaction already excludes other writers).
    const ROW_LOCK: &'static str;
    /// Appended to the select of a claim so that concurrent claimers skip each other's rows.
    const SKIP_LOCKED: &'static str;

    fn pool(&self) -> &sqlx::Pool<Self::Db>;
    /// The audit chain's key, carried by every write transaction.
    fn chain(&self) -> &Arc<AuditChain>;
    /// This start applied the migration that keys the audit chain's head.
    fn keys_the_head(&self) -> bool;

    /// Runs `statement`; yields the number of rows it changed.
    async fn execute(on: Exec<'_, Self>, statement: Statement) -> sqlx::Result<u64>;
    async fn fetch_one(on: Exec<'_, Self>, statement: Statement) -> sqlx::Result<Self::Row>;
    async fn fetch_optional(on: Exec<'_, Self>, statement: Statement) -> sqlx::Result<Option<Self::Row>>;
    async fn fetch_all(on: Exec<'_, Self>, statement: Statement) -> sqlx::Result<Vec<Self::Row>>;

    /// A write transaction carrying the audit chain's key.
    async fn write(&self) -> StoreResult<ChainTx<Self>> {
        let tx = self.pool().begin_with(Self::BEGIN).await.map_err(unavailable)?;
        Ok(ChainTx::new(tx, self.chain().clone()))
    }
}
