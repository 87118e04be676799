//! What the types alone do not check: ranges, and values that must agree with each other.

use super::derived::host_name;
use super::{ConfigError, Settings, invalid};

impl Settings {
    /// Checks what the types alone do not.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.database.max_connections == 0 {
            return Err(invalid("database.max_connections", "must be at least 1"));
        }
        // Zero would mean "wait forever" to PostgreSQL: one stuck writer would stall every instance.
        positive_u64("database.lock_timeout_ms", self.database.lock_timeout_ms)?;
        positive_u64("database.statement_timeout_ms", self.database.statement_timeout_ms)?;
        positive_u64("database.idle_in_transaction_timeout_ms", self.database.idle_in_transaction_timeout_ms)?;
        if !matches!(self.http.public_url.scheme(), "http" | "https") || self.http.public_url.host().is_none() {
            return Err(invalid("http.public_url", "must be an http:// or https:// address with a host"));
        }
        self.validate_http()?;
        positive("session.idle_timeout_minutes", self.session.idle_timeout_minutes)?;
        positive("session.absolute_timeout_hours", self.session.absolute_timeout_hours)?;
        if self.hashing.memory_kib < 8 * self.hashing.parallelism.max(1) || self.hashing.iterations == 0 {
            return Err(invalid("hashing", "memory_kib must be at least 8 × parallelism and iterations at least 1"));
        }
        if self.hashing.parallelism == 0 {
            return Err(invalid("hashing.parallelism", "must be at least 1"));
        }
        positive("lockout.free_attempts", self.lockout.free_attempts)?;
        positive("lockout.first_delay_seconds", self.lockout.first_delay_seconds)?;
        positive("lockout.max_delay_minutes", self.lockout.max_delay_minutes)?;
        positive("lockout.window_minutes", self.lockout.window_minutes)?;
        positive("lockout.device_cookie_days", self.lockout.device_cookie_days)?;
        positive("lockout.device_max_failures", self.lockout.device_max_failures)?;
        positive("rate_limit.address_max_failures", self.rate_limit.address_max_failures)?;
        positive("rate_limit.address_window_minutes", self.rate_limit.address_window_minutes)?;
        self.mail.validate()?;
        positive("pickup.lifetime_hours", self.pickup.lifetime_hours)?;
        self.validate_recovery()?;
        positive("pickup.max_attempts", self.pickup.max_attempts)?;
        self.validate_support()?;
        positive("audit.log_head_every", self.audit.log_head_every)?;
        positive(
            "support.administrator_resets_per_account_per_hour",
            self.support.administrator_resets_per_account_per_hour,
        )
    }

    fn validate_http(&self) -> Result<(), ConfigError> {
        let http = &self.http;
        if http.max_body_bytes < 1024 {
            return Err(invalid("http.max_body_bytes", "must be at least 1024"));
        }
        if let Some(bad) = http.allowed_hosts.iter().find(|h| host_name(h).is_none()) {
            return Err(invalid(
                "http.allowed_hosts",
                format!("{bad:?} is not a bare host name such as portal.example"),
            ));
        }
        positive_u64("http.header_read_timeout_seconds", http.header_read_timeout_seconds)?;
        positive_u64("http.request_timeout_seconds", http.request_timeout_seconds)?;
        positive_u64("http.shutdown_grace_seconds", http.shutdown_grace_seconds)?;
        positive_u64("http.max_connections", u64::try_from(http.max_connections).unwrap_or(u64::MAX))?;
        // Every answer to a recovery request waits `response_ms`: the request timeout must outlast it.
        if http.request_timeout_seconds.saturating_mul(1000) <= self.recovery.response_ms {
            return Err(invalid("http.request_timeout_seconds", "must be longer than recovery.response_ms"));
        }
        Ok(())
    }

    fn validate_recovery(&self) -> Result<(), ConfigError> {
        let recovery = &self.recovery;
        if recovery.questions_required < 2 {
            return Err(invalid("recovery.questions_required", "must be at least 2 (two questions are asked)"));
        }
        let mut distinct: Vec<&str> = recovery.questions.iter().map(|q| q.trim()).filter(|q| !q.is_empty()).collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < recovery.questions_required || distinct.len() != recovery.questions.len() {
            return Err(invalid(
                "recovery.questions",
                "needs distinct, non-empty questions, at least as many as recovery.questions_required",
            ));
        }
        if !(1..=1440).contains(&recovery.link_minutes) {
            return Err(invalid("recovery.link_minutes", "must be between 1 and 1440 (24 hours)"));
        }
        positive("recovery.max_answer_attempts", recovery.max_answer_attempts)?;
        positive("recovery.pause_minutes", recovery.pause_minutes)?;
        positive("recovery.requests_per_address_per_hour", recovery.requests_per_address_per_hour)?;
        positive("recovery.requests_per_login_per_hour", recovery.requests_per_login_per_hour)?;
        positive("recovery.answers_per_address_per_hour", recovery.answers_per_address_per_hour)
    }

    fn validate_support(&self) -> Result<(), ConfigError> {
        let support = &self.support;
        positive("support.temporary_password_hours", support.temporary_password_hours)?;
        positive("support.verification_hours", support.verification_hours)?;
        positive("support.temporary_passwords_per_account_per_hour", support.temporary_passwords_per_account_per_hour)?;
        positive("support.temporary_passwords_per_agent_per_hour", support.temporary_passwords_per_agent_per_hour)
    }
}

pub(super) fn positive(key: &'static str, value: i64) -> Result<(), ConfigError> {
    if value <= 0 {
        return Err(invalid(key, "must be greater than 0"));
    }
    Ok(())
}

pub(super) fn positive_u64(key: &'static str, value: u64) -> Result<(), ConfigError> {
    positive(key, i64::try_from(value).unwrap_or(i64::MAX))
}
