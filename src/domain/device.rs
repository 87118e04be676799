//! Device cookies (OWASP "Slow down online guessing attacks with device cookies"). A browser
//! that signed in to a login gets a signed cookie naming that login. Its failed sign-ins then
//! count against the cookie's own small budget instead of the login's, so someone guessing at
//! the login from elsewhere cannot lock its owner out, and the owner's browser is not refused
//! for what others did from the same address.

use time::{Duration, OffsetDateTime};

/// A device cookie whose signature was checked: it was issued by this installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCookie {
    pub login_id: String,
    pub issued_at: OffsetDateTime,
    /// Random, base64url; its digest keys the cookie's own failure count.
    pub nonce: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevicePolicy {
    /// How long a cookie is honoured after it was issued (also its `Max-Age`).
    pub lifetime: Duration,
    /// Failed sign-ins a cookie may have before it is locked and counts as none.
    pub max_failures: i64,
}

impl Default for DevicePolicy {
    fn default() -> Self {
        Self { lifetime: Duration::days(180), max_failures: 5 }
    }
}

impl DevicePolicy {
    /// Whether `cookie` vouches for the browser signing in to `login_id` at `now`: it names
    /// that login and is neither expired nor from the future.
    pub fn vouches(&self, cookie: &DeviceCookie, login_id: &str, now: OffsetDateTime) -> bool {
        cookie.login_id == login_id && cookie.issued_at <= now && now - cookie.issued_at < self.lifetime
    }

    /// Whether a cookie with `failures` failed sign-ins is locked.
    pub fn locks(&self, failures: i64) -> bool {
        failures >= self.max_failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: OffsetDateTime = OffsetDateTime::UNIX_EPOCH;

    fn cookie(login: &str, issued_at: OffsetDateTime) -> DeviceCookie {
        DeviceCookie { login_id: login.into(), issued_at, nonce: "n".into() }
    }

    #[test]
    fn a_cookie_vouches_only_for_its_own_login_within_its_lifetime() {
        let policy = DevicePolicy::default();
        assert!(policy.vouches(&cookie("a", T0), "a", T0 + Duration::days(179)));
        assert!(!policy.vouches(&cookie("a", T0), "b", T0));
        assert!(!policy.vouches(&cookie("a", T0), "a", T0 + Duration::days(180)));
        assert!(!policy.vouches(&cookie("a", T0 + Duration::hours(1)), "a", T0));
    }

    #[test]
    fn a_cookie_locks_when_its_budget_is_spent() {
        let policy = DevicePolicy::default();
        assert!(!policy.locks(4));
        assert!(policy.locks(5));
    }
}
