//! Persistence behind one narrow trait. Each method is one use-case-sized step and, where it
//! writes, one transaction together with its audit entries. SQLite and PostgreSQL implement it
//! with the same SQL (see `sql.rs`); only connection set-up, migrations and locking differ.

mod cases;
mod chain;
mod gauges;
mod key;
mod lockout;
pub mod maintenance;
mod migrate;
mod people;
mod postgres;
mod records;
mod sql;
mod sql_audit;
mod sql_cases;
mod sql_gauges;
mod sql_key;
mod sql_lockout;
mod sql_mail;
mod sql_people;
mod sql_recovery;
mod sql_staff;
mod sqlite;
mod staff;

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

pub use cases::*;
pub use chain::AuditChain;
pub use gauges::{Backlog, GaugeStore, PoolUsage};
pub use key::KeyStore;
pub use lockout::*;
pub use people::*;
pub use postgres::PostgresStore;
pub use records::*;
pub use sqlite::SqliteStore;
pub use staff::*;

use crate::config::{Backend, DatabaseSettings};
use crate::crypto::PasswordHash;
use crate::domain::audit::{Actor, AuditEntry, AuditHead, ChainOpening};
use crate::domain::{AuditEvent, LoginName};

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

/// Everything the portal keeps. The account administrator's, support's and staff's parts are
/// declared in their own files (`people.rs`, `cases.rs`, `staff.rs`) and implemented beside
/// their SQL; this trait adds the rest.
#[async_trait]
pub trait Store:
    PeopleStore + CaseStore + StaffStore + LockoutStore + GaugeStore + KeyStore + Send + Sync + 'static
{
    async fn ping(&self) -> StoreResult<()>;

    /// Creates an account and its primary login.
    async fn create_account(
        &self,
        account: &NewAccount,
        primary: &NewLogin,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn create_login(&self, login: &NewLogin, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<()>;
    async fn login_by_name(&self, name: &LoginName) -> StoreResult<Option<LoginRecord>>;
    async fn login_by_id(&self, id: &str) -> StoreResult<Option<LoginRecord>>;
    /// The account's name, when the account exists.
    async fn account_name(&self, account_id: &str) -> StoreResult<Option<String>>;
    /// Disables or enables a login. Disabling ends every session of the login and voids its open
    /// recovery links, in the same transaction, with the notices. False when nothing changed
    /// (and nothing is sent).
    async fn set_login_disabled(
        &self,
        login_id: &str,
        disabled: bool,
        audit: &AuditEvent,
        notices: &[NewMail],
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Every login of an account, the primary first, then by name.
    async fn logins_of_account(&self, account_id: &str) -> StoreResult<Vec<LoginRecord>>;

    /// Counts a failed sign-in from `address` and returns the failures in the current window.
    async fn record_address_failure(&self, address: &str, window: Duration, now: OffsetDateTime) -> StoreResult<i64>;
    async fn address_failures(&self, address: &str, window: Duration, now: OffsetDateTime) -> StoreResult<i64>;
    /// Forgets address windows that started before `before`.
    async fn delete_stale_address_failures(&self, before: OffsetDateTime) -> StoreResult<u64>;

    /// Signs in: stores the session, clears the failure count and lock unless `vouched` (a
    /// device cookie vouched for the browser: then they stay), optionally stores a re-hash —
    /// only if the password is still the one that was `verified`. False (nothing written) when
    /// it changed in the meantime, so a sign-in never outlives a concurrent password change.
    async fn start_session(
        &self,
        session: &NewSession,
        verified: &PasswordHash,
        rehash: Option<&PasswordHash>,
        vouched: bool,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    async fn session_by_token(&self, token_hash: &str) -> StoreResult<Option<(SessionRecord, LoginRecord)>>;
    async fn touch_session(&self, session_id: &str, now: OffsetDateTime) -> StoreResult<()>;
    async fn sessions_of(&self, login_id: &str) -> StoreResult<Vec<SessionRecord>>;
    /// Ends one session of `login_id`; false when it was not there (already ended, or not its).
    async fn end_session(
        &self,
        login_id: &str,
        session_id: &str,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Removes sessions idle since before `idle_cutoff` or created before `absolute_cutoff`.
    async fn delete_expired_sessions(
        &self,
        idle_cutoff: OffsetDateTime,
        absolute_cutoff: OffsetDateTime,
    ) -> StoreResult<u64>;

    /// Previous password hashes of a login, newest first (the current one is not included).
    async fn password_history(&self, login_id: &str, limit: usize) -> StoreResult<Vec<PasswordHash>>;
    /// Sets a new password if the current one is still `change.expected_current`, keeps the
    /// old one in the history, ends every session of the login. False when the password
    /// changed in the meantime (nothing was written).
    async fn replace_password(
        &self,
        change: &PasswordChange,
        audit: &AuditEvent,
        notice: Option<&NewMail>,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;

    /// Queues a message unless the recipient already got `throttle_per_hour` of its kind in
    /// the last hour; then it is dropped, audited, and false is returned.
    async fn enqueue_mail(&self, mail: &NewMail, audit: Option<&AuditEvent>, now: OffsetDateTime) -> StoreResult<bool>;
    /// Leases up to `limit` due messages to this worker until `now + lease`.
    async fn claim_mail(&self, now: OffsetDateTime, lease: Duration, limit: i64) -> StoreResult<Vec<OutboxRecord>>;
    async fn finish_mail(
        &self,
        id: &str,
        outcome: &MailOutcome,
        audit: Option<&AuditEvent>,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    /// The newest messages, newest first.
    async fn list_mail(&self, limit: i64) -> StoreResult<Vec<OutboxRecord>>;
    /// Puts an abandoned or failed message back in the queue; false when there is no such message.
    async fn retry_mail(&self, id: &str, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<bool>;

    /// Stores (or replaces) a login's encryption key, with its notices.
    async fn set_recipient_key(
        &self,
        key: &StoredKey,
        audit: &AuditEvent,
        notices: &[NewMail],
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn recipient_key(&self, login_id: &str) -> StoreResult<Option<StoredKey>>;
    /// Removes a login's key with its notices; false (nothing sent) when it had none.
    async fn remove_recipient_key(
        &self,
        login_id: &str,
        audit: &AuditEvent,
        notices: &[NewMail],
        now: OffsetDateTime,
    ) -> StoreResult<bool>;

    /// Stores a sealed message and queues the notice that points to it, together.
    async fn create_secure_message(
        &self,
        message: &NewSecureMessage,
        notice: &NewMail,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn secure_message(&self, id: &str) -> StoreResult<Option<SecureMessageRecord>>;
    /// Takes one passcode attempt before the passcode is checked, so that parallel guesses
    /// cannot exceed `max_attempts`. Returns the attempts taken so far, this one included;
    /// None when the message is gone, has expired or has no attempt left.
    async fn reserve_pickup_attempt(
        &self,
        id: &str,
        max_attempts: i64,
        now: OffsetDateTime,
    ) -> StoreResult<Option<i64>>;
    /// Records a wrong passcode; with `destroy` (its last attempt) the message is destroyed too.
    async fn record_pickup_failure(
        &self,
        id: &str,
        destroy: bool,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Destroys the message as it is opened; false when another request got there first.
    async fn consume_secure_message(&self, id: &str, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<bool>;
    async fn delete_expired_secure_messages(&self, now: OffsetDateTime) -> StoreResult<u64>;

    /// Replaces a login's security answers, with its notices.
    async fn set_security_answers(
        &self,
        login_id: &str,
        answers: &[StoredAnswer],
        audit: &AuditEvent,
        notices: &[NewMail],
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn security_answers(&self, login_id: &str) -> StoreResult<Vec<StoredAnswer>>;
    /// Voids the login's open tickets, stores the new one and queues its email, together.
    async fn create_recovery_ticket(
        &self,
        ticket: &NewTicket,
        mail: &NewMail,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn recovery_ticket(&self, token_hash: &str) -> StoreResult<Option<TicketRecord>>;
    /// Takes one of the ticket's answer attempts before the answers are checked, so parallel
    /// guesses cannot exceed `max_attempts`. None when the ticket is not open for answers.
    async fn reserve_answer_attempt(
        &self,
        ticket_id: &str,
        max_attempts: i64,
        now: OffsetDateTime,
    ) -> StoreResult<Option<i64>>;
    /// Voids the ticket and pauses recovery for its login until `pause_until`.
    async fn burn_ticket(
        &self,
        ticket_id: &str,
        login_id: &str,
        pause_until: OffsetDateTime,
        audit: &[AuditEvent],
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Records right answers; false when the ticket closed meanwhile.
    async fn mark_ticket_answered(&self, ticket_id: &str, audit: &AuditEvent, now: OffsetDateTime)
    -> StoreResult<bool>;
    /// Forgets closed counter windows and tickets long past their expiry.
    async fn delete_stale_recovery(&self, now: OffsetDateTime) -> StoreResult<u64>;
    /// Uses the ticket (once: an atomic update) and sets the new password, ending every session
    /// and queueing the notice, in one transaction. False when the ticket was no longer open.
    async fn complete_recovery(
        &self,
        ticket_id: &str,
        change: &PasswordChange,
        audit: &AuditEvent,
        notice: &NewMail,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    async fn recovery_paused_until(&self, login_id: &str) -> StoreResult<Option<OffsetDateTime>>;
    /// Counts one event under `key` in a fixed window and returns the count so far.
    async fn count_event(&self, key: &str, window: Duration, now: OffsetDateTime) -> StoreResult<i64>;

    async fn create_staff(&self, staff: &NewStaff, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<()>;

    /// Appends events that come with no other change (e.g. a failed sign-in of an unknown name).
    async fn append_audit(&self, events: &[AuditEvent], now: OffsetDateTime) -> StoreResult<()>;
    /// Entries with `seq > after`, oldest first.
    async fn audit_entries(&self, after: i64, limit: i64) -> StoreResult<Vec<AuditEntry>>;
    /// The sequence number of the last entry ever written.
    async fn audit_head(&self) -> StoreResult<i64>;
    /// At start: checks the head against the key. Only when this start applied the migration
    /// that keys the head does it vouch for a new chain's head or anchor an unkeyed chain;
    /// returns what it found.
    async fn open_audit_chain(&self, now: OffsetDateTime) -> StoreResult<ChainOpening>;
    /// The operator's deliberate anchoring of an unkeyed chain (appends the anchor, audited by
    /// `actor`); returns what it found, writing nothing unless it is `Anchor`.
    async fn anchor_audit_chain(&self, actor: Actor, now: OffsetDateTime) -> StoreResult<ChainOpening>;
    /// The head row, with the HMAC that vouches for it.
    async fn audit_chain_head(&self) -> StoreResult<AuditHead>;
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
