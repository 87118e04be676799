//! Staff members and their sessions, apart from customer logins and sessions.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use super::audit::append_audit_in;
use super::columns::{Columns, col};
use super::statement::sql;
use super::{SqlBackend, change_audited, commit, conflict, optional_time, rolled_back, time_from, unavailable};
use crate::crypto::PasswordHash;
use crate::domain::{AuditEvent, LockoutPolicy, StaffRole};
use crate::store::{NewStaff, NewStaffSession, StaffRecord, StaffSessionRecord, StoreError, StoreResult};

/// Staff members, their sign-in and sessions.
#[async_trait]
pub trait StaffStore: Send + Sync {
    async fn create_staff(&self, staff: &NewStaff, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<()>;
    async fn staff_by_username(&self, username: &str) -> StoreResult<Option<StaffRecord>>;
    async fn list_staff(&self) -> StoreResult<Vec<StaffRecord>>;
    /// Starts a staff session if the password is still the one that was `verified`, clearing
    /// the failure count. False (nothing written) otherwise.
    async fn start_staff_session(
        &self,
        session: &NewStaffSession,
        verified: &PasswordHash,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Counts a failed staff sign-in and locks as `policy` says.
    async fn record_staff_failure(
        &self,
        staff_id: &str,
        policy: &LockoutPolicy,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn staff_session_by_token(&self, token_hash: &str) -> StoreResult<Option<(StaffSessionRecord, StaffRecord)>>;
    async fn touch_staff_session(&self, session_id: &str, now: OffsetDateTime) -> StoreResult<()>;
    async fn end_staff_session(&self, session_id: &str, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<bool>;
    /// Disables (ending every session) or enables a staff member; false when nothing changed.
    async fn set_staff_disabled(
        &self,
        staff_id: &str,
        disabled: bool,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    async fn delete_expired_staff_sessions(
        &self,
        idle: Duration,
        absolute: Duration,
        now: OffsetDateTime,
    ) -> StoreResult<u64>;
}

const STAFF_COLUMNS: &str = "SELECT id, username, role, password_hash, disabled, locked_until, created_at FROM staff";

fn staff_from_row(row: &impl Columns) -> StoreResult<StaffRecord> {
    let role: String = col(row, "role")?;
    Ok(StaffRecord {
        id: col(row, "id")?,
        username: col(row, "username")?,
        role: role.parse::<StaffRole>().map_err(StoreError::Corrupt)?,
        password_hash: PasswordHash::from_stored(col(row, "password_hash")?),
        disabled: col(row, "disabled")?,
        locked_until: optional_time(col(row, "locked_until")?)?,
        created_at: time_from(col(row, "created_at")?)?,
    })
}

#[async_trait]
impl<B: SqlBackend> StaffStore for B {
    async fn create_staff(&self, staff: &NewStaff, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sql("INSERT INTO staff (id, username, username_key, role, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&staff.id)
        .bind(&staff.username)
        .bind(staff.username.to_lowercase())
        .bind(staff.role.as_str())
        .bind(staff.password_hash.as_str())
        .bind(now.unix_timestamp())
        .execute(&mut tx)
        .await
        .map_err(conflict("a staff member with that user name"))?;
        append_audit_in(&mut tx, &[audit], now).await?;
        commit(tx).await
    }

    async fn staff_by_username(&self, username: &str) -> StoreResult<Option<StaffRecord>> {
        let text = format!("{STAFF_COLUMNS} WHERE username_key = $1");
        let row = sql(text).bind(username.to_lowercase()).fetch_optional(self).await.map_err(unavailable)?;
        row.as_ref().map(staff_from_row).transpose()
    }

    async fn list_staff(&self) -> StoreResult<Vec<StaffRecord>> {
        let text = format!("{STAFF_COLUMNS} ORDER BY username_key");
        let rows = sql(text).fetch_all(self).await.map_err(unavailable)?;
        rows.iter().map(staff_from_row).collect()
    }

    async fn start_staff_session(
        &self,
        session: &NewStaffSession,
        verified: &PasswordHash,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let current = sql("UPDATE staff SET failed_count = 0, last_failed_at = NULL, locked_until = NULL \
             WHERE id = $1 AND password_hash = $2 AND disabled = FALSE")
        .bind(&session.staff_id)
        .bind(verified.as_str())
        .execute(&mut tx)
        .await
        .map_err(unavailable)?;
        if current == 0 {
            return rolled_back(tx).await;
        }
        sql("INSERT INTO staff_sessions (id, token_hash, staff_id, created_at, last_seen_at, source_ip, user_agent) \
             VALUES ($1, $2, $3, $4, $4, $5, $6)")
        .bind(&session.id)
        .bind(&session.token_hash)
        .bind(&session.staff_id)
        .bind(now.unix_timestamp())
        .bind(&session.source_ip)
        .bind(&session.user_agent)
        .execute(&mut tx)
        .await
        .map_err(conflict("a staff session with that token"))?;
        append_audit_in(&mut tx, &[audit], now).await?;
        commit(tx).await?;
        Ok(true)
    }

    async fn record_staff_failure(
        &self,
        staff_id: &str,
        policy: &LockoutPolicy,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let row = sql("UPDATE staff SET \
             failed_count = CASE WHEN last_failed_at IS NULL OR last_failed_at < $1 THEN 1 ELSE failed_count + 1 END, \
             last_failed_at = $2 WHERE id = $3 RETURNING failed_count")
        .bind((now - policy.window).unix_timestamp())
        .bind(now.unix_timestamp())
        .bind(staff_id)
        .fetch_one(&mut tx)
        .await
        .map_err(unavailable)?;
        let count: i64 = col(&row, "failed_count")?;
        if let Some(until) = policy.locked_until(count, now) {
            sql("UPDATE staff SET locked_until = $1 WHERE id = $2")
                .bind(until.unix_timestamp())
                .bind(staff_id)
                .execute(&mut tx)
                .await
                .map_err(unavailable)?;
        }
        append_audit_in(&mut tx, &[audit], now).await?;
        commit(tx).await
    }

    async fn staff_session_by_token(&self, token_hash: &str) -> StoreResult<Option<(StaffSessionRecord, StaffRecord)>> {
        let row = sql(
            "SELECT s.id AS session_id, s.created_at AS session_created_at, s.last_seen_at AS session_last_seen_at, \
             t.id, t.username, t.role, t.password_hash, t.disabled, t.locked_until, t.created_at \
             FROM staff_sessions s JOIN staff t ON t.id = s.staff_id WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self)
        .await
        .map_err(unavailable)?;
        let Some(row) = row else { return Ok(None) };
        let staff = staff_from_row(&row)?;
        let session = StaffSessionRecord {
            id: col(&row, "session_id")?,
            staff_id: staff.id.clone(),
            created_at: time_from(col(&row, "session_created_at")?)?,
            last_seen_at: time_from(col(&row, "session_last_seen_at")?)?,
        };
        Ok(Some((session, staff)))
    }

    async fn touch_staff_session(&self, session_id: &str, now: OffsetDateTime) -> StoreResult<()> {
        sql("UPDATE staff_sessions SET last_seen_at = $1 WHERE id = $2")
            .bind(now.unix_timestamp())
            .bind(session_id)
            .execute(self)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn end_staff_session(&self, session_id: &str, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<bool> {
        change_audited(self, "DELETE FROM staff_sessions WHERE id = $1", session_id, None, audit, now).await
    }

    async fn set_staff_disabled(
        &self,
        staff_id: &str,
        disabled: bool,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let changed = sql("UPDATE staff SET disabled = $1 WHERE id = $2 AND disabled <> $1")
            .bind(disabled)
            .bind(staff_id)
            .execute(&mut tx)
            .await
            .map_err(unavailable)?;
        if changed == 0 {
            return rolled_back(tx).await;
        }
        sql("DELETE FROM staff_sessions WHERE staff_id = $1")
            .bind(staff_id)
            .execute(&mut tx)
            .await
            .map_err(unavailable)?;
        append_audit_in(&mut tx, &[audit], now).await?;
        commit(tx).await?;
        Ok(true)
    }

    async fn delete_expired_staff_sessions(
        &self,
        idle: Duration,
        absolute: Duration,
        now: OffsetDateTime,
    ) -> StoreResult<u64> {
        let result = sql("DELETE FROM staff_sessions WHERE last_seen_at < $1 OR created_at < $2")
            .bind((now - idle).unix_timestamp())
            .bind((now - absolute).unix_timestamp())
            .execute(self)
            .await
            .map_err(unavailable)?;
        Ok(result)
    }
}
