//! Recovery: security answers, recovery tickets and their answer attempts, the pause after a
//! burnt ticket, and the anti-automation counters.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use super::accounts::replace_password_in;
use super::audit::append_audit_in;
use super::columns::{Columns, col};
use super::outbox::{enqueue_mail_in, enqueue_notices_in};
use super::statement::sql;
use super::{SqlBackend, change_audited, commit, conflict, rolled_back, time_from, unavailable};
use crate::crypto::PasswordHash;
use crate::domain::AuditEvent;
use crate::store::chain::ChainTx;
use crate::store::{NewMail, NewTicket, PasswordChange, StoreError, StoreResult, StoredAnswer, TicketRecord};

/// Self-service recovery of a forgotten password, and the hourly counters that limit it.
#[async_trait]
pub trait RecoveryStore: Send + Sync {
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
}

fn ticket_from_row(row: &impl Columns) -> StoreResult<TicketRecord> {
    let questions: String = col(row, "questions")?;
    Ok(TicketRecord {
        id: col(row, "id")?,
        login_id: col(row, "login_id")?,
        questions: serde_json::from_str(&questions).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        attempts: col(row, "attempts")?,
        answered: col::<Option<i64>>(row, "answered_at")?.is_some(),
        used: col::<Option<i64>>(row, "used_at")?.is_some(),
        voided: col::<Option<i64>>(row, "voided_at")?.is_some(),
        expires_at: time_from(col(row, "expires_at")?)?,
    })
}

/// Counts one event under `key` in a fixed window, inside `tx`; returns the count so far.
pub(super) async fn count_event_in<B: SqlBackend>(
    tx: &mut ChainTx<B>,
    key: &str,
    window: Duration,
    now: OffsetDateTime,
) -> StoreResult<i64> {
    let row = sql("INSERT INTO rate_counters (key, window_start, count) VALUES ($1, $2, 1) \
         ON CONFLICT (key) DO UPDATE SET \
         count = CASE WHEN rate_counters.window_start < $3 THEN 1 ELSE rate_counters.count + 1 END, \
         window_start = CASE WHEN rate_counters.window_start < $3 THEN $2 ELSE rate_counters.window_start END \
         RETURNING count")
    .bind(key)
    .bind(now.unix_timestamp())
    .bind((now - window).unix_timestamp())
    .fetch_one(&mut *tx)
    .await
    .map_err(unavailable)?;
    col(&row, "count")
}

/// Appends audit entries in a transaction of their own.
async fn append_audit_events<B: SqlBackend>(store: &B, events: &[&AuditEvent], now: OffsetDateTime) -> StoreResult<()> {
    let mut tx = store.write().await?;
    append_audit_in(&mut tx, events, now).await?;
    commit(tx).await
}

#[async_trait]
impl<B: SqlBackend> RecoveryStore for B {
    async fn set_security_answers(
        &self,
        login_id: &str,
        answers: &[StoredAnswer],
        audit: &AuditEvent,
        notices: &[NewMail],
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sql("DELETE FROM security_answers WHERE login_id = $1")
            .bind(login_id)
            .execute(&mut tx)
            .await
            .map_err(unavailable)?;
        for answer in answers {
            sql("INSERT INTO security_answers (login_id, position, question, answer_hash) VALUES ($1, $2, $3, $4)")
                .bind(login_id)
                .bind(answer.position)
                .bind(&answer.question)
                .bind(answer.hash.as_str())
                .execute(&mut tx)
                .await
                .map_err(unavailable)?;
        }
        enqueue_notices_in(&mut tx, notices, now).await?;
        append_audit_in(&mut tx, &[audit], now).await?;
        commit(tx).await
    }

    async fn security_answers(&self, login_id: &str) -> StoreResult<Vec<StoredAnswer>> {
        let rows =
            sql("SELECT position, question, answer_hash FROM security_answers WHERE login_id = $1 ORDER BY position")
                .bind(login_id)
                .fetch_all(self)
                .await
                .map_err(unavailable)?;
        rows.iter()
            .map(|row| {
                Ok(StoredAnswer {
                    position: col(row, "position")?,
                    question: col(row, "question")?,
                    hash: PasswordHash::from_stored(col(row, "answer_hash")?),
                })
            })
            .collect()
    }

    async fn create_recovery_ticket(
        &self,
        ticket: &NewTicket,
        mail: &NewMail,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sql("UPDATE recovery_tickets SET voided_at = $1 WHERE login_id = $2 AND used_at IS NULL AND voided_at IS NULL")
            .bind(now.unix_timestamp())
            .bind(&ticket.login_id)
            .execute(&mut tx)
            .await
            .map_err(unavailable)?;
        sql("INSERT INTO recovery_tickets (id, token_hash, login_id, questions, attempts, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, 0, $5, $6)")
        .bind(&ticket.id)
        .bind(&ticket.token_hash)
        .bind(&ticket.login_id)
        .bind(serde_json::to_string(&ticket.questions).unwrap_or_else(|_| "[]".into()))
        .bind(ticket.expires_at.unix_timestamp())
        .bind(now.unix_timestamp())
        .execute(&mut tx)
        .await
        .map_err(conflict("a recovery ticket with that token"))?;
        if !enqueue_mail_in(&mut tx, mail, now).await? {
            // No email, no new ticket: the link the person already has stays valid.
            tx.rollback().await.map_err(unavailable)?;
            return append_audit_events(self, &[audit], now).await;
        }
        append_audit_in(&mut tx, &[audit], now).await?;
        commit(tx).await
    }

    async fn recovery_ticket(&self, token_hash: &str) -> StoreResult<Option<TicketRecord>> {
        let row = sql("SELECT id, login_id, questions, attempts, answered_at, used_at, voided_at, expires_at \
             FROM recovery_tickets WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(self)
        .await
        .map_err(unavailable)?;
        row.as_ref().map(ticket_from_row).transpose()
    }

    async fn reserve_answer_attempt(
        &self,
        ticket_id: &str,
        max_attempts: i64,
        now: OffsetDateTime,
    ) -> StoreResult<Option<i64>> {
        let row = sql("UPDATE recovery_tickets SET attempts = attempts + 1 WHERE id = $1 AND attempts < $2 \
             AND used_at IS NULL AND voided_at IS NULL AND answered_at IS NULL AND expires_at >= $3 \
             RETURNING attempts")
        .bind(ticket_id)
        .bind(max_attempts)
        .bind(now.unix_timestamp())
        .fetch_optional(self)
        .await
        .map_err(unavailable)?;
        row.map(|r| col(&r, "attempts")).transpose()
    }

    async fn burn_ticket(
        &self,
        ticket_id: &str,
        login_id: &str,
        pause_until: OffsetDateTime,
        audit: &[AuditEvent],
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sql("UPDATE recovery_tickets SET voided_at = $1 WHERE id = $2")
            .bind(now.unix_timestamp())
            .bind(ticket_id)
            .execute(&mut tx)
            .await
            .map_err(unavailable)?;
        sql("INSERT INTO recovery_pauses (login_id, until) VALUES ($1, $2) \
             ON CONFLICT (login_id) DO UPDATE SET until = excluded.until")
        .bind(login_id)
        .bind(pause_until.unix_timestamp())
        .execute(&mut tx)
        .await
        .map_err(unavailable)?;
        let refs: Vec<&AuditEvent> = audit.iter().collect();
        append_audit_in(&mut tx, &refs, now).await?;
        commit(tx).await
    }

    async fn mark_ticket_answered(
        &self,
        ticket_id: &str,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let text = "UPDATE recovery_tickets SET answered_at = $2 WHERE id = $1 AND used_at IS NULL \
                   AND voided_at IS NULL AND expires_at >= $2";
        change_audited(self, text, ticket_id, Some(now), audit, now).await
    }

    async fn delete_stale_recovery(&self, now: OffsetDateTime) -> StoreResult<u64> {
        // Every counter window is an hour; tickets are kept a day past expiry for support's sake.
        let counters = sql("DELETE FROM rate_counters WHERE window_start < $1")
            .bind((now - Duration::hours(1)).unix_timestamp())
            .execute(self)
            .await
            .map_err(unavailable)?;
        let tickets = sql("DELETE FROM recovery_tickets WHERE expires_at < $1")
            .bind((now - Duration::days(1)).unix_timestamp())
            .execute(self)
            .await
            .map_err(unavailable)?;
        Ok(counters + tickets)
    }

    async fn complete_recovery(
        &self,
        ticket_id: &str,
        change: &PasswordChange,
        audit: &AuditEvent,
        notice: &NewMail,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        // The one statement that decides which of several concurrent submissions wins.
        let used =
            sql("UPDATE recovery_tickets SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND voided_at IS NULL \
             AND answered_at IS NOT NULL AND expires_at >= $1")
            .bind(now.unix_timestamp())
            .bind(ticket_id)
            .execute(&mut tx)
            .await
            .map_err(unavailable)?;
        if used == 0 || !replace_password_in(&mut tx, change, audit, Some(notice), now).await? {
            return rolled_back(tx).await;
        }
        sql("DELETE FROM recovery_pauses WHERE login_id = $1")
            .bind(&change.login_id)
            .execute(&mut tx)
            .await
            .map_err(unavailable)?;
        commit(tx).await?;
        Ok(true)
    }

    async fn recovery_paused_until(&self, login_id: &str) -> StoreResult<Option<OffsetDateTime>> {
        let row = sql("SELECT until FROM recovery_pauses WHERE login_id = $1")
            .bind(login_id)
            .fetch_optional(self)
            .await
            .map_err(unavailable)?;
        row.map(|r| col::<i64>(&r, "until").and_then(time_from)).transpose()
    }

    async fn count_event(&self, key: &str, window: Duration, now: OffsetDateTime) -> StoreResult<i64> {
        let mut tx = self.write().await?;
        let count = count_event_in(&mut tx, key, window, now).await?;
        commit(tx).await?;
        Ok(count)
    }
}
