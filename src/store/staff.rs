//! Staff members and their sessions, apart from customer logins and sessions.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use super::StoreResult;
use crate::crypto::PasswordHash;
use crate::domain::{AuditEvent, LockoutPolicy, StaffRole};

#[derive(Debug, Clone)]
pub struct StaffRecord {
    pub id: String,
    pub username: String,
    pub role: StaffRole,
    pub password_hash: PasswordHash,
    pub disabled: bool,
    pub locked_until: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

impl StaffRecord {
    pub fn is_locked(&self, now: OffsetDateTime) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }
}

#[derive(Debug, Clone)]
pub struct NewStaffSession {
    pub id: String,
    pub token_hash: String,
    pub staff_id: String,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffSessionRecord {
    pub id: String,
    pub staff_id: String,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
}

#[async_trait]
pub trait StaffStore: Send + Sync {
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
