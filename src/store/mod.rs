//! Persistence, one small trait per area, combined in `Store`. Each method is one
//! use-case-sized step and, where it writes, one transaction together with its audit entries.
//! SQLite and PostgreSQL run the same SQL (see `sql/`); what differs between them is
//! connection set-up and migrations (`sqlite.rs`, `postgres.rs`) and what `backends.rs` says.

mod backends;
mod cases;
mod chain;
mod gauges;
mod lockout;
pub mod maintenance;
mod migrate;
mod people;
mod postgres;
mod records;
mod sql;
mod sqlite;
mod staff;

pub use cases::*;
pub use chain::AuditChain;
pub use gauges::{Backlog, PoolUsage};
pub use lockout::*;
pub use people::*;
pub use postgres::PostgresStore;
pub use records::*;
pub use sql::{
    AccountStore, AuditStore, CaseStore, GaugeStore, KeyStore, LockoutStore, OutboxStore, PeopleStore, PickupStore,
    RecipientKeyStore, RecoveryStore, SessionStore, StaffStore,
};
pub use sqlite::SqliteStore;
pub use staff::*;

use crate::config::{Backend, DatabaseSettings};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique value is already taken (a login name, a staff user name, …).
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The database could not be reached or failed; the operation changed nothing.
    #[error("the database is unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// A stored value no longer parses: someone edited the database by hand.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("database migration failed")]
    Migration(#[source] sqlx::migrate::MigrateError),
    /// A value could not be serialised or sealed for storing; nothing was written.
    #[error("a value could not be prepared for storing: {0}")]
    Unsealable(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Everything the portal keeps: the areas combined, so that callers hold one
/// `Arc<dyn Store>` and call any area's method on it. It adds no method of its own; each
/// backend declares itself a `Store` in `backends.rs`, which compiles only while it implements
/// every area.
pub trait Store:
    AccountStore
    + SessionStore
    + RecoveryStore
    + OutboxStore
    + RecipientKeyStore
    + PickupStore
    + AuditStore
    + PeopleStore
    + CaseStore
    + StaffStore
    + LockoutStore
    + GaugeStore
    + KeyStore
    + Send
    + Sync
    + 'static
{
}

/// How a command opens the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Brings the schema up to date (creating the database when there is none).
    Migrate,
    /// Changes nothing: a database that is missing or not at this version is refused.
    ReadOnly,
}

/// Connects to the database the settings name, migrating it or not as `access` says.
pub async fn connect(
    db: &DatabaseSettings,
    chain: AuditChain,
    access: Access,
) -> Result<std::sync::Arc<dyn Store>, StoreError> {
    match db.url.backend() {
        Backend::Postgres => Ok(std::sync::Arc::new(PostgresStore::connect(db, chain, access).await?)),
        Backend::Sqlite => Ok(std::sync::Arc::new(SqliteStore::connect(db, chain, access).await?)),
    }
}
