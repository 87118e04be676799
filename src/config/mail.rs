//! The `[mail]` section: where messages go and how the outbox worker paces itself.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use url::Url;

use super::choice::{self, Choice};
use super::show::redact_url_password;
use super::validate::{positive, positive_u64};
use super::{ConfigError, invalid};

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    #[serde(with = "choice")]
    pub transport: MailTransport,
    pub dir: PathBuf,
    /// Read only with the `smtp` transport; may carry the relay's password.
    pub smtp_url: String,
    pub smtp_timeout_seconds: u64,
    pub lease_seconds: u64,
    pub from: String,
    pub templates_dir: String,
    pub throttle_per_hour: i64,
    pub retry_first_seconds: i64,
    pub retry_max_minutes: i64,
    pub give_up_after_hours: i64,
    #[serde(with = "choice")]
    pub smime_cipher: SmimeCipher,
}

/// Where messages go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailTransport {
    /// `.eml` files under `mail.dir`, shown on the dev mailbox.
    File,
    /// The relay at `mail.smtp_url`.
    Smtp,
}

impl Choice for MailTransport {
    fn parse(word: &str) -> Result<Self, String> {
        match word {
            "file" => Ok(Self::File),
            "smtp" => Ok(Self::Smtp),
            _ => Err("must be \"file\" or \"smtp\"".into()),
        }
    }

    fn word(self) -> &'static str {
        match self {
            Self::File => "file",
            Self::Smtp => "smtp",
        }
    }
}

/// The content cipher of S/MIME-encrypted messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmimeCipher {
    Aes256Gcm,
    /// For recipients whose mail programs cannot read AES-GCM.
    Aes256Cbc,
}

impl Choice for SmimeCipher {
    fn parse(word: &str) -> Result<Self, String> {
        match word {
            "aes-256-gcm" => Ok(Self::Aes256Gcm),
            "aes-256-cbc" => Ok(Self::Aes256Cbc),
            _ => Err("must be \"aes-256-gcm\" or \"aes-256-cbc\"".into()),
        }
    }

    fn word(self) -> &'static str {
        match self {
            Self::Aes256Gcm => "aes-256-gcm",
            Self::Aes256Cbc => "aes-256-cbc",
        }
    }
}

/// A lease longer than a day would only delay the mail of an instance that died.
const MAX_LEASE_SECONDS: u64 = 86_400;

impl MailSettings {
    /// How long after claiming a message its outcome may still be recorded: the lease less a
    /// quarter, a margin for clocks that differ between instances and for the claim's own commit.
    pub fn recording_window_seconds(&self) -> u64 {
        self.lease_seconds - self.lease_seconds.div_ceil(4)
    }

    /// The shortest lease whose recording window holds one whole SMTP conversation and as long
    /// again to record its outcome (retrying while the database is unavailable).
    fn shortest_lease_seconds(&self) -> u64 {
        let needed = self.smtp_timeout_seconds.saturating_mul(2);
        // window = lease - ceil(lease / 4) ≥ needed  ⇔  lease ≥ ceil(4 × needed / 3)
        needed.saturating_mul(4).div_ceil(3).max(1)
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.transport == MailTransport::Smtp {
            let url = Url::parse(&self.smtp_url)
                .map_err(|_| invalid("mail.smtp_url", "must be smtp://host:port or smtps://user:password@host:465"))?;
            if !matches!(url.scheme(), "smtp" | "smtps") || url.host().is_none() {
                return Err(invalid("mail.smtp_url", "must be smtp://host:port or smtps://user:password@host:465"));
            }
        }
        lettre::message::Mailbox::from_str(&self.from)
            .map_err(|e| invalid("mail.from", format!("is not a valid sender address: {e}")))?;
        positive("mail.throttle_per_hour", self.throttle_per_hour)?;
        positive("mail.retry_first_seconds", self.retry_first_seconds)?;
        positive("mail.retry_max_minutes", self.retry_max_minutes)?;
        positive("mail.give_up_after_hours", self.give_up_after_hours)?;
        positive_u64("mail.smtp_timeout_seconds", self.smtp_timeout_seconds)?;
        if self.lease_seconds > MAX_LEASE_SECONDS {
            return Err(invalid("mail.lease_seconds", format!("must be at most {MAX_LEASE_SECONDS} (a day)")));
        }
        let shortest = self.shortest_lease_seconds();
        if self.lease_seconds < shortest {
            return Err(invalid(
                "mail.lease_seconds",
                format!(
                    "must be at least {shortest} with mail.smtp_timeout_seconds = {}: a delivery and the recording \
                     of its outcome must end well before another instance may take the message again",
                    self.smtp_timeout_seconds
                ),
            ));
        }
        Ok(())
    }
}

/// Every field as it is, but the relay's password.
impl fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailSettings")
            .field("transport", &self.transport)
            .field("dir", &self.dir)
            .field("smtp_url", &redact_url_password(&self.smtp_url))
            .field("smtp_timeout_seconds", &self.smtp_timeout_seconds)
            .field("lease_seconds", &self.lease_seconds)
            .field("from", &self.from)
            .field("templates_dir", &self.templates_dir)
            .field("throttle_per_hour", &self.throttle_per_hour)
            .field("retry_first_seconds", &self.retry_first_seconds)
            .field("retry_max_minutes", &self.retry_max_minutes)
            .field("give_up_after_hours", &self.give_up_after_hours)
            .field("smime_cipher", &self.smime_cipher)
            .finish()
    }
}
