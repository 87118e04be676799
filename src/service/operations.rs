//! The operator's view: the metrics a scrape returns. The database part is read within a bound,
//! so a slow or absent database makes the scrape say so (`portcullis_database_up 0`) instead of
//! making Prometheus time out.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use super::{Failure, Portal};
use crate::config::Settings;
use crate::crypto::HashPool;
use crate::store::{Backlog, MailOutcome};
use crate::telemetry::metrics::{DatabaseReading, DeliveryOutcome, Metrics, PoolReading};

/// How long a scrape waits for the database.
const DATABASE_READ_BOUND: StdDuration = StdDuration::from_secs(1);

/// The registry of one portal. Built beside its hash pool, whose counters it reads.
pub(super) fn metrics_for(settings: &Settings, hasher: &HashPool) -> Arc<Metrics> {
    // The same count of threads the pool starts: 0 means one per core.
    let threads = match settings.hashing.workers {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        workers => workers,
    };
    Arc::new(Metrics::new(hasher.clone(), threads.saturating_add(settings.hashing.queue)))
}

impl Portal {
    /// Reads what is only known at scrape time (the outbox, locks, the pool), then returns the
    /// OpenMetrics text of everything.
    #[tracing::instrument(skip_all)]
    pub async fn scrape_metrics(&self) -> String {
        let pool = self.store.pool_usage();
        self.metrics.set_pool(PoolReading { open: pool.open, idle: pool.idle, max: pool.max });
        let now = self.clock.now();
        let reading = match tokio::time::timeout(DATABASE_READ_BOUND, self.store.backlog(now)).await {
            Ok(Ok(backlog)) => Some(reading_at(&backlog, now)),
            Ok(Err(error)) => {
                tracing::warn!(%error, "metrics: the database could not be read");
                None
            }
            Err(_) => {
                tracing::warn!("metrics: the database did not answer within {DATABASE_READ_BOUND:?}");
                None
            }
        };
        self.metrics.set_database(reading);
        self.metrics.encode()
    }

    /// Whether the database answers: the readiness probe. The caller bounds the wait.
    #[tracing::instrument(skip_all)]
    pub async fn database_ready(&self) -> Result<(), Failure> {
        Ok(self.store.ping().await?)
    }

    /// Counts how one delivery attempt ended.
    pub fn count_delivery(&self, outcome: &MailOutcome) {
        self.metrics.delivery(match outcome {
            MailOutcome::Sent { .. } => DeliveryOutcome::Sent,
            MailOutcome::Retry { .. } => DeliveryOutcome::Retry,
            MailOutcome::Failed { status: "failed_encryption", .. } => DeliveryOutcome::FailedEncryption,
            MailOutcome::Failed { .. } => DeliveryOutcome::GaveUp,
        });
    }
}

fn reading_at(backlog: &Backlog, now: time::OffsetDateTime) -> DatabaseReading {
    let age = |at: Option<time::OffsetDateTime>| at.map_or(0, |at| (now - at).whole_seconds().max(0));
    DatabaseReading {
        outbox_queued: backlog.outbox_queued,
        outbox_due: backlog.outbox_due,
        oldest_due_seconds: age(backlog.oldest_due_at),
        oldest_queued_seconds: age(backlog.oldest_queued_at),
        logins_locked: backlog.logins_locked,
    }
}
