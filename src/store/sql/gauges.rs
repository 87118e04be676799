//! What the operator's probes read from the database: whether it answers at all, and at each
//! scrape the outbox's backlog, the logins locked now, and the connection pool. Every count
//! stops at `COUNT_CAP` rows, so a scrape costs the same however large a backlog grows.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::columns::col;
use super::statement::sql;
use super::{SqlBackend, optional_time, unavailable};
use crate::store::StoreResult;
use crate::store::gauges::{Backlog, COUNT_CAP, PoolUsage};

/// The operator's probes: health and the metrics' gauges. Nothing here writes.
#[async_trait]
pub trait GaugeStore: Send + Sync {
    /// Whether the database answers a trivial query.
    async fn ping(&self) -> StoreResult<()>;
    /// One read, no writes.
    async fn backlog(&self, now: OffsetDateTime) -> StoreResult<Backlog>;
    /// The connection pool as it is; no database round trip.
    fn pool_usage(&self) -> PoolUsage;
}

#[async_trait]
impl<B: SqlBackend> GaugeStore for B {
    async fn ping(&self) -> StoreResult<()> {
        sql("SELECT 1").execute(self).await.map_err(unavailable)?;
        Ok(())
    }

    async fn backlog(&self, now: OffsetDateTime) -> StoreResult<Backlog> {
        // The outbox's (status, next_attempt_at) index serves the due part; the queued
        // part reads at most COUNT_CAP rows.
        let row = sql(concat!(
            "SELECT ",
            "(SELECT COUNT(*) FROM (SELECT 1 FROM mail_outbox WHERE status = 'queued' LIMIT $2) AS q) AS queued, ",
            "(SELECT COUNT(*) FROM (SELECT 1 FROM mail_outbox WHERE status = 'queued' ",
            "AND next_attempt_at <= $1 LIMIT $2) AS d) AS due, ",
            "(SELECT MIN(next_attempt_at) FROM mail_outbox WHERE status = 'queued' ",
            "AND next_attempt_at <= $1) AS oldest_due, ",
            "(SELECT MIN(created_at) FROM (SELECT created_at FROM mail_outbox WHERE status = 'queued' ",
            "LIMIT $2) AS c) AS oldest_queued, ",
            "(SELECT COUNT(*) FROM (SELECT 1 FROM logins WHERE locked_until > $1 LIMIT $2) AS l) AS locked",
        ))
        .bind(now.unix_timestamp())
        .bind(COUNT_CAP)
        .fetch_one(self)
        .await
        .map_err(unavailable)?;
        Ok(Backlog {
            outbox_queued: col(&row, "queued")?,
            outbox_due: col(&row, "due")?,
            oldest_due_at: optional_time(col(&row, "oldest_due")?)?,
            oldest_queued_at: optional_time(col(&row, "oldest_queued")?)?,
            logins_locked: col(&row, "locked")?,
        })
    }

    fn pool_usage(&self) -> PoolUsage {
        PoolUsage {
            open: self.pool().size(),
            idle: u32::try_from(self.pool().num_idle()).unwrap_or(u32::MAX),
            max: self.pool().options().get_max_connections(),
        }
    }
}
