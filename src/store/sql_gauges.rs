//! The scrape's read in the shared SQL. Expanded after `sql_store!`.

macro_rules! sql_gauges {
    ($store:ident, $row:ty) => {
        use super::gauges::{Backlog, COUNT_CAP, GaugeStore, PoolUsage};

        #[async_trait]
        impl GaugeStore for $store {
            async fn backlog(&self, now: OffsetDateTime) -> StoreResult<Backlog> {
                // The outbox's (status, next_attempt_at) index serves the due part; the queued
                // part reads at most COUNT_CAP rows.
                let row: $row = sqlx::query(concat!(
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
                .fetch_one(&self.pool)
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
                    open: self.pool.size(),
                    idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
                    max: self.pool.options().get_max_connections(),
                }
            }
        }
    };
}

pub(super) use sql_gauges;
