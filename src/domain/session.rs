use time::{Duration, OffsetDateTime};

/// How long a session may live: it ends after `idle` without a request, and after `absolute`
/// whatever happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLifetime {
    pub idle: Duration,
    pub absolute: Duration,
}

impl SessionLifetime {
    pub fn is_live(&self, created: OffsetDateTime, last_seen: OffsetDateTime, now: OffsetDateTime) -> bool {
        now - last_seen <= self.idle && now - created <= self.absolute
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_ends_when_idle_or_too_old() {
        let lifetime = SessionLifetime { idle: Duration::minutes(30), absolute: Duration::hours(12) };
        let t0 = OffsetDateTime::UNIX_EPOCH;
        assert!(lifetime.is_live(t0, t0, t0 + Duration::minutes(30)));
        assert!(!lifetime.is_live(t0, t0, t0 + Duration::minutes(30) + Duration::seconds(1)));
        let late = t0 + Duration::hours(12) + Duration::seconds(1);
        assert!(!lifetime.is_live(t0, late, late));
    }
}
