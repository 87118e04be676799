//! What the operator's metrics read from the database at each scrape (see `GaugeStore`).

use time::OffsetDateTime;

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
