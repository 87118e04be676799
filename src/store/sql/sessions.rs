//! Sessions and sign-in: the address's failure budget, starting a session against the
//! password that was checked, and the sessions' life.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use super::accounts::login_from_row;
use super::audit::append_audit_in;
use super::backend::ChainTx;
use super::columns::{Columns, col};
use super::statement::sql;
use super::{SqlBackend, commit, conflict, rolled_back, time_from, unavailable};
use crate::crypto::PasswordHash;
use crate::domain::AuditEvent;
use crate::store::{Login, NewSession, SessionRecord, StoreResult};

/// Customer sessions and the sign-in that starts them, with the per-address failure counts.
#[async_trait]
pub trait SessionStore: Send + Sync {
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
    async fn session_by_token(&self, token_hash: &str) -> StoreResult<Option<(SessionRecord, Login)>>;
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
}

fn session_from_row(row: &impl Columns) -> StoreResult<SessionRecord> {
    Ok(SessionRecord {
        id: col(row, "session_id")?,
        login_id: col(row, "session_login_id")?,
        created_at: time_from(col(row, "session_created_at")?)?,
        last_seen_at: time_from(col(row, "session_last_seen_at")?)?,
        source_ip: col(row, "session_source_ip")?,
        user_agent: col(row, "session_user_agent")?,
        restricted: col(row, "session_restricted")?,
    })
}

/// Stores a new session; `restricted` when it was opened with a temporary password.
pub(super) async fn insert_session_in<B: SqlBackend>(
    tx: &mut ChainTx<B>,
    session: &NewSession,
    restricted: bool,
    now: OffsetDateTime,
) -> StoreResult<()> {
    sql(
        "INSERT INTO sessions (id, token_hash, login_id, created_at, last_seen_at, source_ip, user_agent, restricted) \
         VALUES ($1, $2, $3, $4, $4, $5, $6, $7)",
    )
    .bind(&session.id)
    .bind(&session.token_hash)
    .bind(&session.login_id)
    .bind(now.unix_timestamp())
    .bind(&session.source_ip)
    .bind(&session.user_agent)
    .bind(restricted)
    .execute(&mut *tx)
    .await
    .map_err(conflict("a session with that token"))?;
    Ok(())
}

#[async_trait]
impl<B: SqlBackend> SessionStore for B {
    async fn record_address_failure(&self, address: &str, window: Duration, now: OffsetDateTime) -> StoreResult<i64> {
        let window_start = (now - window).unix_timestamp();
        let row = sql(
            "INSERT INTO address_failures (address, window_start, failures) VALUES ($1, $2, 1) \
             ON CONFLICT (address) DO UPDATE SET \
             failures = CASE WHEN address_failures.window_start < $3 THEN 1 ELSE address_failures.failures + 1 END, \
             window_start = CASE WHEN address_failures.window_start < $3 THEN $2 ELSE address_failures.window_start END \
             RETURNING failures",
        )
        .bind(address)
        .bind(now.unix_timestamp())
        .bind(window_start)
        .fetch_one(self)
        .await
        .map_err(unavailable)?;
        row.try_column("failures").map_err(unavailable)
    }

    async fn address_failures(&self, address: &str, window: Duration, now: OffsetDateTime) -> StoreResult<i64> {
        let row = sql("SELECT failures FROM address_failures WHERE address = $1 AND window_start >= $2")
            .bind(address)
            .bind((now - window).unix_timestamp())
            .fetch_optional(self)
            .await
            .map_err(unavailable)?;
        Ok(row.map(|r| r.try_column("failures")).transpose().map_err(unavailable)?.unwrap_or(0))
    }

    async fn delete_stale_address_failures(&self, before: OffsetDateTime) -> StoreResult<u64> {
        let result = sql("DELETE FROM address_failures WHERE window_start < $1")
            .bind(before.unix_timestamp())
            .execute(self)
            .await
            .map_err(unavailable)?;
        Ok(result)
    }

    async fn start_session(
        &self,
        session: &NewSession,
        verified: &PasswordHash,
        rehash: Option<&PasswordHash>,
        vouched: bool,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        // `$4`: a device cookie vouched for the browser. Its sign-in says nothing about
        // the guessing elsewhere, so the login's count and lock stay as they are.
        let still_current = sql("UPDATE logins SET failed_count = CASE WHEN $4 THEN failed_count ELSE 0 END, \
             last_failed_at = CASE WHEN $4 THEN last_failed_at ELSE NULL END, \
             locked_until = CASE WHEN $4 THEN locked_until ELSE NULL END, \
             password_hash = COALESCE($1, password_hash) WHERE id = $2 AND password_hash = $3")
        .bind(rehash.map(|h| h.as_str().to_string()))
        .bind(&session.login_id)
        .bind(verified.as_str())
        .bind(vouched)
        .execute(&mut tx)
        .await
        .map_err(unavailable)?;
        if still_current == 0 {
            return rolled_back(tx).await;
        }
        insert_session_in(&mut tx, session, false, now).await?;
        append_audit_in(&mut tx, &[audit], now).await?;
        commit(tx).await?;
        Ok(true)
    }

    async fn session_by_token(&self, token_hash: &str) -> StoreResult<Option<(SessionRecord, Login)>> {
        let row = sql(
            "SELECT s.id AS session_id, s.login_id AS session_login_id, s.created_at AS session_created_at, \
             s.last_seen_at AS session_last_seen_at, s.source_ip AS session_source_ip, \
             s.user_agent AS session_user_agent, s.restricted AS session_restricted, l.id, l.account_id, l.kind, l.name, l.email, l.phone, \
             l.authorized_contact, l.password_hash, l.disabled, l.failed_count, l.last_failed_at, l.locked_until \
             FROM sessions s JOIN logins l ON l.id = s.login_id WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self)
        .await
        .map_err(unavailable)?;
        match row {
            Some(row) => Ok(Some((session_from_row(&row)?, login_from_row(&row)?))),
            None => Ok(None),
        }
    }

    async fn touch_session(&self, session_id: &str, now: OffsetDateTime) -> StoreResult<()> {
        sql("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
            .bind(now.unix_timestamp())
            .bind(session_id)
            .execute(self)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn sessions_of(&self, login_id: &str) -> StoreResult<Vec<SessionRecord>> {
        let rows = sql(
            "SELECT id AS session_id, login_id AS session_login_id, created_at AS session_created_at, \
             last_seen_at AS session_last_seen_at, source_ip AS session_source_ip, \
             user_agent AS session_user_agent, restricted AS session_restricted FROM sessions WHERE login_id = $1 ORDER BY last_seen_at DESC, id",
        )
        .bind(login_id)
        .fetch_all(self)
        .await
        .map_err(unavailable)?;
        rows.iter().map(session_from_row).collect()
    }

    async fn end_session(
        &self,
        login_id: &str,
        session_id: &str,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let removed = sql("DELETE FROM sessions WHERE id = $1 AND login_id = $2")
            .bind(session_id)
            .bind(login_id)
            .execute(&mut tx)
            .await
            .map_err(unavailable)?;
        if removed == 0 {
            return rolled_back(tx).await;
        }
        append_audit_in(&mut tx, &[audit], now).await?;
        commit(tx).await?;
        Ok(true)
    }

    async fn delete_expired_sessions(
        &self,
        idle_cutoff: OffsetDateTime,
        absolute_cutoff: OffsetDateTime,
    ) -> StoreResult<u64> {
        let result = sql("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
            .bind(idle_cutoff.unix_timestamp())
            .bind(absolute_cutoff.unix_timestamp())
            .execute(self)
            .await
            .map_err(unavailable)?;
        Ok(result)
    }
}
