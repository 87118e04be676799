//! What the operator's metrics read from the database at each scrape: the outbox's backlog,
//! the logins locked now, and the connection pool. Every count stops at `COUNT_CAP` rows, so a
//! scrape costs the same however large a backlog grows.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::StoreResult;

/// Counts stop here: beyond it the exact number no longer changes what an operator does.
pub const COUNT_CAP: i64 = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    pub outbox_queued: i64,
    pub outbox_due: i64,
    /// When the oldest due message became due.
    pub oldest_due_at: Option<OffsetDateTime>,
    /// When the oldest message still queued was queued.
    pub oldest_queued_at: Option<OffsetDateTime>,
    pub logins_locked: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

#[async_trait]
pub trait GaugeStore: Send + Sync {
    /// One read, no writes.
    async fn backlog(&self, now: OffsetDateTime) -> StoreResult<Backlog>;
    /// The connection pool as it is; no database round trip.
    fn pool_usage(&self) -> PoolUsage;
}
