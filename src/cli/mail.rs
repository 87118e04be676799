//! `portcullis mail …`: the outgoing mail queue.

use serde_json::json;

use super::{CliError, Settings, fail, portal, rfc3339};
use crate::domain::LoginName;
use crate::telemetry::error_chain;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Print the newest messages with their delivery status.
    List {
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Put an abandoned or failed message back in the queue.
    Retry {
        /// The message id, as `mail list` shows it.
        id: String,
    },
    /// Queue a test message to a login (encrypted when the login has a key on file).
    Test {
        /// The login's name.
        login: String,
    },
}

pub(super) async fn mail(settings: &Settings, command: MailCommand) -> Result<(), CliError> {
    match command {
        MailCommand::List { limit, json } => {
            if limit <= 0 {
                return Err(fail("--limit must be greater than 0"));
            }
            let portal = portal(settings).await?;
            for m in portal.list_mail(limit).await.map_err(|e| fail(e.to_string()))? {
                let created = rfc3339(m.created_at);
                if json {
                    let line = json!({ "id": m.id, "kind": m.kind, "recipient": m.recipient, "status": m.status,
                        "attempts": m.attempts, "encryption": m.encryption, "last_error": m.last_error,
                        "created_at": created, "sent_at": m.sent_at.map(rfc3339) });
                    println!("{line}");
                } else {
                    let detail = m.last_error.as_deref().or(m.encryption.as_deref()).unwrap_or("");
                    println!(
                        "{}  {created}  {:<18} {:<30} {:<17} {:>2}  {detail}",
                        m.id, m.kind, m.recipient, m.status, m.attempts
                    );
                }
            }
            Ok(())
        }
        MailCommand::Retry { id } => {
            let portal = portal(settings).await?;
            match portal.retry_mail(&id).await.map_err(|e| fail(e.to_string()))? {
                true => {
                    println!("message {id} is queued again");
                    Ok(())
                }
                false => Err(fail(format!("no abandoned or failed message has the id {id}"))),
            }
        }
        MailCommand::Test { login } => {
            let name = LoginName::parse(&login).map_err(|e| fail(format!("login name: {e}")))?;
            let portal = portal(settings).await?;
            match portal.send_test_mail(&name).await.map_err(|e| fail(error_chain(&e)))? {
                true => println!("a test message to {name} is queued; see `portcullis mail list`"),
                false => println!("not queued: {name} already got the hourly limit of test messages"),
            }
            Ok(())
        }
    }
}
