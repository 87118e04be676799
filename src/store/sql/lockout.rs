//! Failed sign-ins and locks: the login's counter, the address's budget, device cookies' own
//! budgets, and clearing a lock.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use super::audit::append_audit_in;
use super::columns::Columns;
use super::outbox::enqueue_mail_in;
use super::statement::sql;
use super::{SqlBackend, commit, rolled_back, unavailable};
use crate::domain::{AuditAction, AuditEvent, DevicePolicy, LockoutPolicy};
use crate::store::chain::ChainTx;
use crate::store::{FailedSignIn, FailureLimits, StoreResult};

/// Failed customer sign-ins and the locks they lead to.
#[async_trait]
pub trait LockoutStore: Send + Sync {
    /// Counts a failed sign-in (address, then login or device cookie), locks as the limits
    /// say, and writes the audit entries and any lock notice, in one transaction. True when
    /// the lock notice was queued.
    async fn record_failed_sign_in(
        &self,
        failure: &FailedSignIn<'_>,
        limits: &FailureLimits,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Takes one attempt from the budget of the device cookie with this nonce digest, before its
    /// password is checked, so that parallel guesses with one cookie cannot all be checked.
    /// False (nothing taken) when the cookie is locked or its budget is spent, attempts in
    /// flight included: then it counts as none.
    async fn reserve_device_attempt(
        &self,
        nonce_digest: &str,
        login_id: &str,
        max_failures: i64,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Gives back an attempt taken by `reserve_device_attempt` that did not fail.
    async fn release_device_attempt(&self, nonce_digest: &str) -> StoreResult<()>;
    /// Counts a wrong password typed again in session `session_id`. At `limit` wrong ones the
    /// session is ended and `ended` audited beside `audit`, in the same transaction; true then
    /// (and when the session was already gone).
    async fn count_wrong_reentry(
        &self,
        session_id: &str,
        limit: i64,
        audit: &AuditEvent,
        ended: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Clears the login's failure count and lock, and its device cookies' locks; false when
    /// there is no such login.
    async fn clear_lock(&self, login_id: &str, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<bool>;
}

/// Counts a failure against the address's budget, inside the failure's transaction.
async fn count_address_in<B: SqlBackend>(
    tx: &mut ChainTx<B>,
    address: &str,
    window: Duration,
    now: OffsetDateTime,
) -> StoreResult<()> {
    sql("INSERT INTO address_failures (address, window_start, failures) VALUES ($1, $2, 1) \
         ON CONFLICT (address) DO UPDATE SET \
         failures = CASE WHEN address_failures.window_start < $3 THEN 1 ELSE address_failures.failures + 1 END, \
         window_start = CASE WHEN address_failures.window_start < $3 THEN $2 ELSE address_failures.window_start END")
    .bind(address)
    .bind(now.unix_timestamp())
    .bind((now - window).unix_timestamp())
    .execute(&mut *tx)
    .await
    .map_err(unavailable)?;
    Ok(())
}

/// Counts a failure against the login unless the attempt found it locked (attempts while locked do not
/// extend the lock). Whatever the case, one row is written and the same statements run:
/// the login's row (unchanged while locked), or for an unknown name (None) the row of
/// unknown-name failures, so the work does not tell whether the name exists. Returns the
/// new count and lock, if the login was counted.
async fn count_login_in<B: SqlBackend>(
    tx: &mut ChainTx<B>,
    login_id: Option<&str>,
    counts: bool,
    policy: &LockoutPolicy,
    now: OffsetDateTime,
) -> StoreResult<Option<(i64, Option<OffsetDateTime>)>> {
    let count = count_row_in(tx, login_id, counts, policy, now).await?.filter(|_| login_id.is_some());
    let until = count.and_then(|c| policy.locked_until(c, now));
    sql("UPDATE logins SET locked_until = $1 WHERE id = $2 AND $1 IS NOT NULL")
        .bind(until.map(|u| u.unix_timestamp()))
        .bind(login_id.unwrap_or(""))
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
    Ok(count.map(|c| (c, until)))
}

/// One statement: concurrent failures never lose a count. None when it does not count. An unknown
/// name (None) counts in the row of unknown-name failures, with a statement of the same
/// shape that returns a row of the same shape.
async fn count_row_in<B: SqlBackend>(
    tx: &mut ChainTx<B>,
    login_id: Option<&str>,
    counts: bool,
    policy: &LockoutPolicy,
    now: OffsetDateTime,
) -> StoreResult<Option<i64>> {
    // `$4`: whether the attempt counts (false when it found the login locked); the row is
    // written either way.
    const KNOWN: &str = "UPDATE logins SET \
         failed_count = CASE WHEN NOT $4 THEN failed_count \
         WHEN last_failed_at IS NULL OR last_failed_at < $1 THEN 1 ELSE failed_count + 1 END, \
         last_failed_at = CASE WHEN $4 THEN $2 ELSE last_failed_at END \
         WHERE id = $3 RETURNING failed_count";
    const UNKNOWN: &str = "UPDATE unknown_name_failures SET \
         failed_count = CASE WHEN NOT $4 OR last_failed_at IS NULL OR last_failed_at < $1 THEN 1 ELSE failed_count + 1 END, \
         last_failed_at = $2 WHERE id = 1 AND $3 = '' RETURNING failed_count";
    let row = sql(if login_id.is_some() { KNOWN } else { UNKNOWN })
        .bind((now - policy.window).unix_timestamp())
        .bind(now.unix_timestamp())
        .bind(login_id.unwrap_or(""))
        .bind(counts)
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?;
    let Some(row) = row else { return Ok(None) };
    counts.then(|| row.try_column("failed_count")).transpose().map_err(unavailable)
}

/// The audit entry of a lock, beside the failure that caused it.
fn locked_event(failure: &AuditEvent, count: i64, until: OffsetDateTime) -> AuditEvent {
    let details = serde_json::json!({ "failed_count": count, "locked_until": until.unix_timestamp() });
    AuditEvent { action: AuditAction::LoginLocked, ..failure.clone() }.details(details)
}

/// Locks a device cookie whose failures (taken before the check) reached its budget; true
/// when this failure locked it.
async fn lock_device_in<B: SqlBackend>(
    tx: &mut ChainTx<B>,
    digest: &str,
    policy: &DevicePolicy,
    now: OffsetDateTime,
) -> StoreResult<bool> {
    let locked = sql("UPDATE device_failures SET locked_at = $1, last_at = $1 \
         WHERE nonce_hash = $2 AND locked_at IS NULL AND failures >= $3")
    .bind(now.unix_timestamp())
    .bind(digest)
    .bind(policy.max_failures)
    .execute(&mut *tx)
    .await
    .map_err(unavailable)?;
    Ok(locked == 1)
}

#[async_trait]
impl<B: SqlBackend> LockoutStore for B {
    async fn record_failed_sign_in(
        &self,
        failure: &FailedSignIn<'_>,
        limits: &FailureLimits,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let mut queued = false;
        if let Some(address) = failure.address {
            count_address_in(&mut tx, address, limits.address_window, now).await?;
        }
        let lock_event = match failure.device {
            Some(digest) => lock_device_in(&mut tx, digest, &limits.device, now)
                .await?
                .then(|| AuditEvent { action: AuditAction::DeviceLocked, ..failure.audit.clone() }),
            None => match count_login_in(&mut tx, failure.login_id, !failure.login_locked, &limits.lockout, now).await?
            {
                Some((count, Some(until))) => {
                    if let (true, Some(mail)) = (count == limits.lockout.free_attempts, failure.lock_notice) {
                        queued = enqueue_mail_in(&mut tx, mail, now).await?;
                    }
                    Some(locked_event(failure.audit, count, until))
                }
                _ => None,
            },
        };
        let mut events = vec![failure.audit];
        events.extend(lock_event.as_ref());
        append_audit_in(&mut tx, &events, now).await?;
        commit(tx).await?;
        Ok(queued)
    }

    async fn reserve_device_attempt(
        &self,
        nonce_digest: &str,
        login_id: &str,
        max_failures: i64,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        // One statement: of parallel attempts with one cookie, no more than its budget get a row back.
        let row = sql("INSERT INTO device_failures (nonce_hash, login_id, failures, last_at) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (nonce_hash) DO UPDATE SET failures = device_failures.failures + 1, last_at = $3 \
             WHERE device_failures.locked_at IS NULL AND device_failures.failures < $4 \
             RETURNING failures")
        .bind(nonce_digest)
        .bind(login_id)
        .bind(now.unix_timestamp())
        .bind(max_failures)
        .fetch_optional(self)
        .await
        .map_err(unavailable)?;
        Ok(row.is_some())
    }

    async fn release_device_attempt(&self, nonce_digest: &str) -> StoreResult<()> {
        sql("UPDATE device_failures SET failures = failures - 1 WHERE nonce_hash = $1 AND failures > 0")
            .bind(nonce_digest)
            .execute(self)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn count_wrong_reentry(
        &self,
        session_id: &str,
        limit: i64,
        audit: &AuditEvent,
        ended: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let row =
            sql("UPDATE sessions SET failed_reentries = failed_reentries + 1 WHERE id = $1 RETURNING failed_reentries")
                .bind(session_id)
                .fetch_optional(&mut tx)
                .await
                .map_err(unavailable)?;
        let count: Option<i64> = row.map(|r| r.try_column("failed_reentries")).transpose().map_err(unavailable)?;
        let end = count.is_none_or(|c| c >= limit);
        let mut events = vec![audit];
        if end {
            let removed = sql("DELETE FROM sessions WHERE id = $1")
                .bind(session_id)
                .execute(&mut tx)
                .await
                .map_err(unavailable)?;
            // Parallel wrong entries past the limit: only the one that ended it says so.
            if removed == 1 {
                events.push(ended);
            }
        }
        append_audit_in(&mut tx, &events, now).await?;
        commit(tx).await?;
        Ok(end)
    }

    async fn clear_lock(&self, login_id: &str, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let cleared =
            sql("UPDATE logins SET failed_count = 0, last_failed_at = NULL, locked_until = NULL WHERE id = $1")
                .bind(login_id)
                .execute(&mut tx)
                .await
                .map_err(unavailable)?;
        if cleared == 0 {
            return rolled_back(tx).await;
        }
        sql("DELETE FROM device_failures WHERE login_id = $1")
            .bind(login_id)
            .execute(&mut tx)
            .await
            .map_err(unavailable)?;
        append_audit_in(&mut tx, &[audit], now).await?;
        commit(tx).await?;
        Ok(true)
    }
}
