//! The `portcullis` command line. Every command parses all of its input before it touches the
//! database, so bad input names what is wrong and writes nothing.

mod args;
mod audit;
mod backup;
mod doctor;
mod logins;
mod mail;
mod staff;

use std::sync::Arc;

pub use args::{Cli, Command, ConfigCommand};
pub use audit::AuditCommand;
pub use logins::{AccountCommand, LoginCommand, LoginCreate};
pub use mail::MailCommand;
pub use staff::StaffCommand;

use crate::clock::SystemClock;
use crate::config::{Choice, ConfigError, Settings};
use crate::service::Portal;
use crate::startup::{Application, shutdown_signal};
use crate::telemetry::error_chain;

/// A failed command: the message names what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CliError(String);

fn fail(message: impl Into<String>) -> CliError {
    CliError(message.into())
}

/// Runs `cli`'s command with the settings as loaded for it (a command refuses settings that
/// failed to load, with the reason).
pub async fn run(cli: Cli, settings: Result<Settings, ConfigError>) -> Result<(), CliError> {
    let settings = settings.map_err(|e| fail(e.to_string()))?;
    match cli.command {
        Command::Serve => serve(&settings).await,
        Command::Config(ConfigCommand::Show) => {
            print!("{}", settings.redacted_toml());
            Ok(())
        }
        Command::Migrate => {
            portal(&settings).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::Account(AccountCommand::Create { name, email, password_stdin, json }) => {
            logins::create_account(&settings, &name, &email, password_stdin, json).await
        }
        Command::Login(LoginCommand::Create(args)) => logins::create_login(&settings, args).await,
        Command::Login(LoginCommand::Disable { name }) => logins::set_disabled(&settings, &name, true).await,
        Command::Login(LoginCommand::Enable { name }) => logins::set_disabled(&settings, &name, false).await,
        Command::Login(LoginCommand::SetPassword { name }) => logins::set_password(&settings, &name).await,
        Command::Staff(StaffCommand::Create { username, role }) => staff::create(&settings, &username, &role).await,
        Command::Staff(StaffCommand::Disable { username }) => staff::set_disabled(&settings, &username, true).await,
        Command::Staff(StaffCommand::Enable { username }) => staff::set_disabled(&settings, &username, false).await,
        Command::Audit(AuditCommand::List { limit, json }) => audit::list(&settings, limit, json).await,
        Command::Audit(AuditCommand::Export { since, json }) => audit::export(&settings, since, json).await,
        Command::Audit(AuditCommand::Verify { expect }) => audit::verify(&settings, expect.as_deref()).await,
        Command::Audit(AuditCommand::Anchor) => audit::anchor(&settings).await,
        Command::Mail(command) => mail::mail(&settings, command).await,
        Command::Backup { to } => backup::backup(&settings, &to).await,
        Command::Restore { from } => backup::restore(&settings, &from).await,
        Command::Doctor => doctor::doctor(&settings).await,
    }
}

async fn serve(settings: &Settings) -> Result<(), CliError> {
    let app = Application::build(settings, Arc::new(SystemClock)).await.map_err(|e| fail(error_chain(&e)))?;
    let address = app.local_addr().map_err(|e| fail(e.to_string()))?;
    let policy = settings.password.policy.word();
    tracing::info!(%address, public_url = %settings.http.public_url, policy, "portal listening");
    app.run(shutdown_signal()).await.map_err(|e| fail(e.to_string()))
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| at.unix_timestamp().to_string())
}

async fn portal(settings: &Settings) -> Result<Portal, CliError> {
    Portal::build(settings, Arc::new(SystemClock)).await.map_err(|e| fail(error_chain(&e)))
}
