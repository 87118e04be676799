//! Failed sign-ins and locks: the login's counter, the address's budget, device cookies' own
//! budgets, and clearing a lock.

use time::Duration;

use super::NewMail;
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
