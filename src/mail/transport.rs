//! Where messages go: `.eml` files for development, or an SMTP relay.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{MailSettings, MailTransport};

pub enum Transport {
    File {
        dir: PathBuf,
    },
    /// The relay, and how long one delivery may take in all.
    Smtp(AsyncSmtpTransport<Tokio1Executor>, Duration),
}

/// Why a delivery failed: worth retrying, or not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("{0}")]
    Transient(String),
    #[error("{0}")]
    Permanent(String),
}

impl Transport {
    pub fn from_settings(settings: &MailSettings) -> Result<Self, String> {
        match settings.transport {
            MailTransport::Smtp => {
                let url = with_opportunistic_starttls(&settings.smtp_url);
                let timeout = Duration::from_secs(settings.smtp_timeout_seconds);
                let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
                    .map_err(|e| format!("mail.smtp_url: {e}"))?
                    .timeout(Some(timeout));
                Ok(Self::Smtp(builder.build(), timeout))
            }
            MailTransport::File => Ok(Self::File { dir: settings.dir.clone() }),
        }
    }

    /// `kind` for logs and the dev mailbox: "file" or "smtp".
    pub fn name(&self) -> &'static str {
        match self {
            Self::File { .. } => "file",
            Self::Smtp(..) => "smtp",
        }
    }

    pub async fn send(&self, message: &Message, id: &str) -> Result<(), SendError> {
        match self {
            Self::File { dir } => write_eml(dir, id, &message.formatted()).await,
            Self::Smtp(smtp, timeout) => send_smtp(smtp, message, *timeout).await,
        }
    }
}

/// lettre's own timeout covers connecting only: a relay that accepts and then falls silent
/// would hold the worker for ever, so the whole conversation is bounded here.
async fn send_smtp(
    smtp: &AsyncSmtpTransport<Tokio1Executor>,
    message: &Message,
    timeout: Duration,
) -> Result<(), SendError> {
    match tokio::time::timeout(timeout, smtp.send(message.clone())).await {
        Err(_) => Err(SendError::Transient(format!("the relay did not finish within {} s", timeout.as_secs()))),
        Ok(Err(e)) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
        Ok(Err(e)) => Err(SendError::Transient(e.to_string())),
        Ok(Ok(_)) => Ok(()),
    }
}

/// `smtp://host` means STARTTLS whenever the relay offers it, unless the URL says otherwise.
fn with_opportunistic_starttls(url: &str) -> String {
    if url.starts_with("smtp://") && !url.contains("tls=") {
        let separator = if url.contains('?') { '&' } else { '?' };
        format!("{url}{separator}tls=opportunistic")
    } else {
        url.to_string()
    }
}

/// Writes the message under a temporary name, then renames it: readers never see half a file.
async fn write_eml(dir: &Path, id: &str, bytes: &[u8]) -> Result<(), SendError> {
    let transient = |e: std::io::Error| SendError::Transient(format!("{}: {e}", dir.display()));
    tokio::fs::create_dir_all(dir).await.map_err(transient)?;
    if already_written(dir, id).await.map_err(transient)? {
        // Taken again after a lost "sent" record: the mailbox has it once already.
        return Ok(());
    }
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let final_path = dir.join(format!("{stamp}-{id}.eml"));
    let temporary = dir.join(format!(".{id}.tmp"));
    tokio::fs::write(&temporary, bytes).await.map_err(transient)?;
    tokio::fs::rename(&temporary, &final_path).await.map_err(transient)
}

/// Whether a message file for `id` is already in `dir`.
async fn already_written(dir: &Path, id: &str) -> std::io::Result<bool> {
    let suffix = format!("-{id}.eml");
    let mut entries = tokio::fs::read_dir(dir).await?;
    while let Some(entry) = entries.next_entry().await? {
        if entry.file_name().to_string_lossy().ends_with(&suffix) {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_file_transport_writes_one_file_per_message_id_however_often_it_is_sent() {
        let dir = tempfile::tempdir().expect("dir");
        write_eml(dir.path(), "01ABC", b"first").await.expect("written");
        write_eml(dir.path(), "01ABC", b"again").await.expect("not an error");
        write_eml(dir.path(), "01ABD", b"other").await.expect("written");

        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.iter().any(|n| n.ends_with("-01ABC.eml")) && names.iter().any(|n| n.ends_with("-01ABD.eml")));
    }

    #[test]
    fn plain_smtp_urls_upgrade_when_the_relay_offers_tls() {
        assert_eq!(with_opportunistic_starttls("smtp://relay:25"), "smtp://relay:25?tls=opportunistic");
        assert_eq!(with_opportunistic_starttls("smtp://relay:25?tls=required"), "smtp://relay:25?tls=required");
        assert_eq!(with_opportunistic_starttls("smtps://u:p@relay:465"), "smtps://u:p@relay:465");
    }
}
