//! Failed sign-ins and locks: the login's counter, the address's budget, device cookies' own
//! budgets, and clearing a lock.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use super::{NewMail, StoreResult};
use crate::domain::{AuditEvent, DevicePolicy, LockoutPolicy};

/// One failed customer sign-in, as the store records it.
#[derive(Debug, Clone, Copy)]
pub struct FailedSignIn<'a> {
    /// The login the attempt named, or None for a name that does not exist. An unknown name
    /// costs the same work as a known one: it writes one row of the same shape.
    pub login_id: Option<&'a str>,
    /// The login was locked when the attempt was checked: recorded, but not counted, so that
    /// attempts while locked do not extend the lock. (Attempts checked before the lock took
    /// effect all count, however many ran at once.)
    pub login_locked: bool,
    /// Counted against this address's budget; None for a browser with a valid device cookie.
    pub address: Option<&'a str>,
    /// The digest of a valid device cookie's nonce: the failure counts against that cookie
    /// instead of the login (its attempt was already taken by `reserve_device_attempt`).
    pub device: Option<&'a str>,
    pub audit: &'a AuditEvent,
    /// Queued when this failure starts a lock: once per run of failures, not per failure.
    pub lock_notice: Option<&'a NewMail>,
}

#[derive(Debug, Clone, Copy)]
pub struct FailureLimits {
    pub lockout: LockoutPolicy,
    pub device: DevicePolicy,
    pub address_window: Duration,
}

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
