//! The outbox: messages queued in the same transaction as the change they report, claimed
//! by the delivery worker under a lease, and their outcome.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use super::audit::append_audit_in;
use super::backend::ChainTx;
use super::columns::{Columns, col};
use super::statement::sql;
use super::{SqlBackend, change_audited, commit, conflict, optional_time, time_from, unavailable};
use crate::domain::{AuditAction, AuditEvent};
use crate::store::{MailOutcome, NewMail, OutboxRecord, StoreResult};

/// The mail outbox: queueing (throttled per recipient and kind), claiming, finishing and
/// listing messages.
#[async_trait]
pub trait OutboxStore: Send + Sync {
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
}

/// A message the worker may claim now (`$1`: now): queued, due, and not leased to a worker.
const DUE: &str = "status = 'queued' AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)";

const OUTBOX_COLUMNS: &str = "id, kind, login_id, recipient, payload, status, attempts, next_attempt_at, \
     last_error, encryption, created_at, sent_at";

fn outbox_from_row(row: &impl Columns) -> StoreResult<OutboxRecord> {
    Ok(OutboxRecord {
        id: col(row, "id")?,
        kind: col(row, "kind")?,
        login_id: col(row, "login_id")?,
        recipient: col(row, "recipient")?,
        payload: col(row, "payload")?,
        status: col(row, "status")?,
        attempts: col(row, "attempts")?,
        next_attempt_at: time_from(col(row, "next_attempt_at")?)?,
        last_error: col(row, "last_error")?,
        encryption: col(row, "encryption")?,
        created_at: time_from(col(row, "created_at")?)?,
        sent_at: optional_time(col(row, "sent_at")?)?,
    })
}

/// Queues the notices of a security change. They are never throttled: each change is
/// already audited and limited where it is made, and its owner must hear of every one.
pub(super) async fn enqueue_notices_in<B: SqlBackend>(
    tx: &mut ChainTx<B>,
    notices: &[NewMail],
    now: OffsetDateTime,
) -> StoreResult<()> {
    for notice in notices {
        enqueue_mail_in(tx, &NewMail { throttle_per_hour: i64::MAX, ..notice.clone() }, now).await?;
    }
    Ok(())
}

/// Inserts a message inside `tx`, or drops it (audited) when the recipient had enough
/// of its kind in the last hour.
pub(super) async fn enqueue_mail_in<B: SqlBackend>(
    tx: &mut ChainTx<B>,
    mail: &NewMail,
    now: OffsetDateTime,
) -> StoreResult<bool> {
    let recent = sql("SELECT COUNT(*) AS n FROM mail_outbox WHERE recipient = $1 AND kind = $2 AND created_at > $3")
        .bind(&mail.recipient)
        .bind(&mail.kind)
        .bind((now - Duration::hours(1)).unix_timestamp())
        .fetch_one(&mut *tx)
        .await
        .map_err(unavailable)?;
    let count: i64 = recent.try_column("n").map_err(unavailable)?;
    if count >= mail.throttle_per_hour {
        let dropped = AuditEvent::new(AuditAction::MailThrottled, crate::domain::Actor::System)
            .subject(mail.recipient.clone())
            .details(serde_json::json!({ "kind": mail.kind, "sent_in_last_hour": count }));
        append_audit_in(tx, &[&dropped], now).await?;
        return Ok(false);
    }
    sql(
        "INSERT INTO mail_outbox (id, kind, login_id, recipient, payload, status, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'queued', 0, $6, $6)",
    )
    .bind(&mail.id)
    .bind(&mail.kind)
    .bind(&mail.login_id)
    .bind(&mail.recipient)
    .bind(&mail.payload)
    .bind(now.unix_timestamp())
    .execute(&mut *tx)
    .await
    .map_err(conflict("a message with that id"))?;
    Ok(true)
}

#[async_trait]
impl<B: SqlBackend> OutboxStore for B {
    async fn enqueue_mail(&self, mail: &NewMail, audit: Option<&AuditEvent>, now: OffsetDateTime) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let queued = enqueue_mail_in(&mut tx, mail, now).await?;
        if let (true, Some(event)) = (queued, audit) {
            append_audit_in(&mut tx, &[event], now).await?;
        }
        commit(tx).await?;
        Ok(queued)
    }

    async fn claim_mail(&self, now: OffsetDateTime, lease: Duration, limit: i64) -> StoreResult<Vec<OutboxRecord>> {
        // The worker polls twice a second; with nothing due, the poll stays a read. A write
        // transaction would take SQLite's write lock each time for nothing, and hold a pooled
        // connection while it waits behind any other writer.
        let due = sql(format!("SELECT id FROM mail_outbox WHERE {DUE} LIMIT 1"))
            .bind(now.unix_timestamp())
            .fetch_optional(self)
            .await
            .map_err(unavailable)?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        let mut tx = self.write().await?;
        let text = format!(
            "UPDATE mail_outbox SET claimed_until = $2, attempts = attempts + 1 WHERE id IN (\
             SELECT id FROM mail_outbox WHERE {DUE} ORDER BY next_attempt_at, id LIMIT $3{}) RETURNING {OUTBOX_COLUMNS}",
            B::SKIP_LOCKED
        );
        let rows = sql(text)
            .bind(now.unix_timestamp())
            .bind((now + lease).unix_timestamp())
            .bind(limit)
            .fetch_all(&mut tx)
            .await
            .map_err(unavailable)?;
        commit(tx).await?;
        rows.iter().map(outbox_from_row).collect()
    }

    async fn finish_mail(
        &self,
        id: &str,
        outcome: &MailOutcome,
        audit: Option<&AuditEvent>,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let query = match outcome {
            MailOutcome::Sent { encryption } => {
                sql("UPDATE mail_outbox SET status = 'sent', sent_at = $1, encryption = $2, claimed_until = NULL, \
                 last_error = NULL WHERE id = $3")
                .bind(now.unix_timestamp())
                .bind(encryption.clone())
            }
            MailOutcome::Retry { error, at } => {
                sql("UPDATE mail_outbox SET next_attempt_at = $1, last_error = $2, claimed_until = NULL WHERE id = $3")
                    .bind(at.unix_timestamp())
                    .bind(error.clone())
            }
            MailOutcome::Failed { status, error } => {
                sql("UPDATE mail_outbox SET status = $1, last_error = $2, claimed_until = NULL WHERE id = $3")
                    .bind(*status)
                    .bind(error.clone())
            }
        };
        query.bind(id.to_string()).execute(&mut tx).await.map_err(unavailable)?;
        if let Some(event) = audit {
            append_audit_in(&mut tx, &[event], now).await?;
        }
        commit(tx).await
    }

    async fn list_mail(&self, limit: i64) -> StoreResult<Vec<OutboxRecord>> {
        let text = format!("SELECT {OUTBOX_COLUMNS} FROM mail_outbox ORDER BY created_at DESC, id DESC LIMIT $1");
        let rows = sql(text).bind(limit).fetch_all(self).await.map_err(unavailable)?;
        rows.iter().map(outbox_from_row).collect()
    }

    async fn retry_mail(&self, id: &str, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<bool> {
        let text = "UPDATE mail_outbox SET status = 'queued', attempts = 0, next_attempt_at = $2, created_at = $2, \
                   claimed_until = NULL WHERE id = $1 AND status IN ('abandoned', 'failed_encryption')";
        change_audited(self, text, id, Some(now), audit, now).await
    }
}
