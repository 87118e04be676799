//! Secure pickup: a sealed message the recipient opens on the portal with a passcode, a
//! limited number of attempts, once.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::audit::append_audit_in;
use super::columns::col;
use super::outbox::enqueue_mail_in;
use super::statement::sql;
use super::{SqlBackend, change_audited, commit, conflict, time_from, unavailable};
use crate::domain::AuditEvent;
use crate::store::chain::ChainTx;
use crate::store::{NewMail, NewSecureMessage, SecureMessageRecord, StoreResult};

/// Sealed messages for secure pickup, with their passcode attempts.
#[async_trait]
pub trait PickupStore: Send + Sync {
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
}

/// Stores a sealed message and queues the notice that points to it. The notice is never
/// throttled away: the issuer has already been given the passcode.
pub(super) async fn insert_secure_message_in<B: SqlBackend>(
    tx: &mut ChainTx<B>,
    message: &NewSecureMessage,
    notice: &NewMail,
    now: OffsetDateTime,
) -> StoreResult<()> {
    sql("INSERT INTO secure_messages (id, login_id, sealed, salt, attempts, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, 0, $5, $6)")
    .bind(&message.id)
    .bind(&message.login_id)
    .bind(&message.sealed)
    .bind(&message.salt)
    .bind(message.expires_at.unix_timestamp())
    .bind(now.unix_timestamp())
    .execute(&mut *tx)
    .await
    .map_err(conflict("a secure message with that id"))?;
    let unthrottled = NewMail { throttle_per_hour: i64::MAX, ..notice.clone() };
    enqueue_mail_in(tx, &unthrottled, now).await.map(drop)
}

#[async_trait]
impl<B: SqlBackend> PickupStore for B {
    async fn create_secure_message(
        &self,
        message: &NewSecureMessage,
        notice: &NewMail,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        insert_secure_message_in(&mut tx, message, notice, now).await?;
        append_audit_in(&mut tx, &[audit], now).await?;
        commit(tx).await
    }

    async fn secure_message(&self, id: &str) -> StoreResult<Option<SecureMessageRecord>> {
        let row = sql("SELECT id, login_id, sealed, salt, attempts, expires_at FROM secure_messages WHERE id = $1")
            .bind(id)
            .fetch_optional(self)
            .await
            .map_err(unavailable)?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(SecureMessageRecord {
            id: col(&row, "id")?,
            login_id: col(&row, "login_id")?,
            sealed: col(&row, "sealed")?,
            salt: col(&row, "salt")?,
            attempts: col(&row, "attempts")?,
            expires_at: time_from(col(&row, "expires_at")?)?,
        }))
    }

    async fn reserve_pickup_attempt(
        &self,
        id: &str,
        max_attempts: i64,
        now: OffsetDateTime,
    ) -> StoreResult<Option<i64>> {
        let row = sql("UPDATE secure_messages SET attempts = attempts + 1 \
             WHERE id = $1 AND attempts < $2 AND expires_at > $3 RETURNING attempts")
        .bind(id)
        .bind(max_attempts)
        .bind(now.unix_timestamp())
        .fetch_optional(self)
        .await
        .map_err(unavailable)?;
        row.map(|r| col(&r, "attempts")).transpose()
    }

    async fn record_pickup_failure(
        &self,
        id: &str,
        destroy: bool,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        if destroy {
            sql("DELETE FROM secure_messages WHERE id = $1").bind(id).execute(&mut tx).await.map_err(unavailable)?;
        }
        append_audit_in(&mut tx, &[audit], now).await?;
        commit(tx).await
    }

    async fn consume_secure_message(&self, id: &str, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<bool> {
        change_audited(self, "DELETE FROM secure_messages WHERE id = $1", id, None, audit, now).await
    }

    async fn delete_expired_secure_messages(&self, now: OffsetDateTime) -> StoreResult<u64> {
        let result = sql("DELETE FROM secure_messages WHERE expires_at < $1")
            .bind(now.unix_timestamp())
            .execute(self)
            .await
            .map_err(unavailable)?;
        Ok(result)
    }
}
