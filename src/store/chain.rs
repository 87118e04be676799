//! The audit chain's key travels with every write transaction, so each audit entry appended in
//! it is sealed under the key without every write having to pass the key along; the head is
//! logged only once the transaction that wrote it has committed.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use sqlx::Database;

use super::sql::SqlBackend;
use crate::domain::audit::ChainKey;

/// How the store seals the audit chain.
#[derive(Debug, Clone)]
pub struct AuditChain {
    pub key: ChainKey,
    /// Log the head whenever an entry's seq is a multiple of this, so that a copy of the log
    /// kept elsewhere can prove that entries were cut off the end.
    pub log_head_every: i64,
}

impl AuditChain {
    pub fn marks(&self, seq: i64) -> bool {
        self.log_head_every > 0 && seq % self.log_head_every == 0
    }
}

/// A write transaction; dereferences to its connection, like `sqlx::Transaction`.
pub struct ChainTx<B: SqlBackend> {
    inner: sqlx::Transaction<'static, B::Db>,
    chain: Arc<AuditChain>,
    head_to_log: Option<(i64, String)>,
}

impl<B: SqlBackend> ChainTx<B> {
    pub fn new(inner: sqlx::Transaction<'static, B::Db>, chain: Arc<AuditChain>) -> Self {
        Self { inner, chain, head_to_log: None }
    }

    pub fn chain(&self) -> &AuditChain {
        &self.chain
    }

    /// Asks for `(seq, hash)` to be logged once this transaction commits.
    pub fn log_head_on_commit(&mut self, seq: i64, hash: &str) {
        self.head_to_log = Some((seq, hash.to_string()));
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.inner.commit().await?;
        if let Some((seq, hash)) = self.head_to_log {
            tracing::info!(target: "portcullis::audit", seq, hash = %hash, "audit head");
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.inner.rollback().await
    }
}

impl<B: SqlBackend> Deref for ChainTx<B> {
    type Target = <B::Db as Database>::Connection;

    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl<B: SqlBackend> DerefMut for ChainTx<B> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.inner
    }
}
