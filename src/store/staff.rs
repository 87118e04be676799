//! Staff members and their sessions, apart from customer logins and sessions.

use time::OffsetDateTime;

use crate::crypto::PasswordHash;
use crate::domain::StaffRole;

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
