//! The SQL both backends share, one file per area. Each file declares its area's trait and
//! implements it once for any `SqlBackend`; what a backend provides is `backend.rs`, and
//! `backends.rs` (one level up) is where SQLite and PostgreSQL provide it. Statements are
//! built as `Statement` values (`statement.rs`) and rows read through `Columns`
//! (`columns.rs`), so no SQL is macro text. A write and its audit entries share one
//! transaction (`ChainTx`), which the helpers named `…_in` take.

mod accounts;
mod audit;
mod backend;
mod cases;
mod columns;
mod gauges;
mod key;
mod lockout;
mod outbox;
mod people;
mod pickup;
mod recipient_keys;
mod recovery;
mod sessions;
mod staff;
mod statement;

pub use accounts::AccountStore;
pub use audit::AuditStore;
pub use backend::SqlBackend;
pub use cases::CaseStore;
pub use columns::Columns;
pub use gauges::GaugeStore;
pub use key::KeyStore;
pub use lockout::LockoutStore;
pub use outbox::OutboxStore;
pub use people::PeopleStore;
pub use pickup::PickupStore;
pub use recipient_keys::RecipientKeyStore;
pub use recovery::RecoveryStore;
pub use sessions::SessionStore;
pub use staff::StaffStore;
pub use statement::{Exec, Statement, Value};

use time::OffsetDateTime;

use super::chain::ChainTx;
use super::{StoreError, StoreResult};
use crate::domain::AuditEvent;

pub(super) fn unavailable(error: sqlx::Error) -> StoreError {
    StoreError::Unavailable(error)
}

/// Turns a unique-constraint violation into `Conflict(what)`.
pub(super) fn conflict(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |error| match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::Unavailable(error),
    }
}

pub(super) fn time_from(seconds: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| StoreError::Corrupt(format!("timestamp {seconds}")))
}

pub(super) fn optional_time(seconds: Option<i64>) -> Result<Option<OffsetDateTime>, StoreError> {
    seconds.map(time_from).transpose()
}

/// Ends a transaction that changed nothing worth keeping, at once rather than whenever
/// its connection is next used, so that no lock outlives the request.
async fn rolled_back<B: SqlBackend>(tx: ChainTx<B>) -> StoreResult<bool> {
    tx.rollback().await.map_err(unavailable)?;
    Ok(false)
}

async fn commit<B: SqlBackend>(tx: ChainTx<B>) -> StoreResult<()> {
    tx.commit().await.map_err(unavailable)
}

/// Runs one conditional statement (`$1` the row's key, `$2` when given the time) with its
/// audit entry; false, and nothing written, when no row matched.
async fn change_audited<B: SqlBackend>(
    store: &B,
    text: &'static str,
    key: &str,
    at: Option<OffsetDateTime>,
    audit: &AuditEvent,
    now: OffsetDateTime,
) -> StoreResult<bool> {
    let mut tx = store.write().await?;
    let mut query = statement::sql(text).bind(key.to_string());
    if let Some(at) = at {
        query = query.bind(at.unix_timestamp());
    }
    let changed = query.execute(&mut tx).await.map_err(unavailable)?;
    if changed == 0 {
        return rolled_back(tx).await;
    }
    audit::append_audit_in(&mut tx, &[audit], now).await?;
    commit(tx).await?;
    Ok(true)
}
