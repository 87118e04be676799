//! Growing delays after failed sign-ins. A login's failures are counted in a window; after a
//! few free attempts each further failure locks the login for twice as long as the one before,
//! up to a ceiling. With the defaults (5 free, 30 s doubling to 15 min, 1 h window) at most
//! 12 guesses fit in an hour, far under the 100 that NIST allows.

use time::{Duration, OffsetDateTime};

use super::Login;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub free_attempts: i64,
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// A failure further than this from the previous one starts the count again.
    pub window: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            free_attempts: 5,
            first_delay: Duration::seconds(30),
            max_delay: Duration::minutes(15),
            window: Duration::hours(1),
        }
    }
}

impl Login {
    /// Whether the login refuses every sign-in at `now`.
    pub fn is_locked(&self, now: OffsetDateTime) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }

    /// When the lock ends, if the login is locked at `now`.
    pub fn locked_at(&self, now: OffsetDateTime) -> Option<OffsetDateTime> {
        self.locked_until.filter(|_| self.is_locked(now))
    }
}

impl LockoutPolicy {
    /// The count after a new failure at `now`, given the previous count and failure time.
    pub fn next_count(&self, previous: i64, last_failure: Option<OffsetDateTime>, now: OffsetDateTime) -> i64 {
        match last_failure {
            Some(at) if now - at <= self.window => previous.saturating_add(1),
            _ => 1,
        }
    }

    /// Until when the login refuses every attempt after its `count`-th failure at `now`.
    pub fn locked_until(&self, count: i64, now: OffsetDateTime) -> Option<OffsetDateTime> {
        if count < self.free_attempts {
            return None;
        }
        let doublings = u32::try_from((count - self.free_attempts).min(30)).unwrap_or(30);
        let delay = self.first_delay.saturating_mul(2_i32.saturating_pow(doublings));
        Some(now + delay.min(self.max_delay))
    }

    /// The upper bound of guesses an attacker can make in one window, for documentation and tests.
    pub fn max_guesses_per_window(&self) -> i64 {
        let mut now = OffsetDateTime::UNIX_EPOCH;
        let end = now + self.window;
        let mut count = 0;
        while now <= end {
            count += 1;
            if let Some(until) = self.locked_until(count, now) {
                now = until;
            }
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: OffsetDateTime = OffsetDateTime::UNIX_EPOCH;

    #[test]
    fn the_first_failures_are_free_then_delays_double_up_to_the_ceiling() {
        let policy = LockoutPolicy::default();
        assert_eq!(policy.locked_until(4, T0), None);
        assert_eq!(policy.locked_until(5, T0), Some(T0 + Duration::seconds(30)));
        assert_eq!(policy.locked_until(6, T0), Some(T0 + Duration::seconds(60)));
        assert_eq!(policy.locked_until(50, T0), Some(T0 + Duration::minutes(15)));
    }

    #[test]
    fn failures_outside_the_window_start_the_count_again() {
        let policy = LockoutPolicy::default();
        assert_eq!(policy.next_count(7, Some(T0), T0 + Duration::minutes(59)), 8);
        assert_eq!(policy.next_count(7, Some(T0), T0 + Duration::minutes(61)), 1);
        assert_eq!(policy.next_count(0, None, T0), 1);
    }

    #[test]
    fn no_more_than_100_guesses_fit_in_an_hour() {
        assert!(LockoutPolicy::default().max_guesses_per_window() <= 100);
        assert_eq!(LockoutPolicy::default().max_guesses_per_window(), 12);
    }
}
