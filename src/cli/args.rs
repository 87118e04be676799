//! The command line as `portcullis --help` shows it; each command's subcommands are declared
//! beside their handlers.

use std::path::PathBuf;

use clap::{Arg, ArgAction, Parser, Subcommand};

use super::audit::AuditCommand;
use super::logins::{AccountCommand, LoginCommand};
use super::mail::MailCommand;
use super::staff::StaffCommand;

#[derive(Debug, Parser)]
#[command(name = "portcullis", version, about = "Customer account portal")]
pub struct Cli {
    /// A settings file that overrides the built-in defaults (environment variables still win).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the portal (migrates the database first).
    Serve,
    /// Create or update the database schema, then exit.
    Migrate,
    /// Settings.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Customer accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Logins of customer accounts.
    #[command(subcommand)]
    Login(LoginCommand),
    /// The vendor's support staff.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// The tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The outgoing mail queue.
    #[command(subcommand)]
    Mail(MailCommand),
    /// Copy the SQLite database to a new file while the portal runs (PostgreSQL: prints the
    /// pg_dump recipe).
    Backup {
        /// The new file (an existing one is never overwritten); readable by its owner only.
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Put a backup in place of the SQLite database, with every portal stopped. The backup must
    /// be a Portcullis database whose audit log verifies with the secret key; the database it
    /// replaces is kept aside.
    Restore {
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
    },
    /// Check the settings against a production checklist; prints what to fix, one line each.
    Doctor,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective settings, secrets redacted.
    Show,
}

/// `--password-stdin` where the password always comes from standard input: scripts and the
/// documentation name the flag, so it is required, but there is nothing to read from it.
pub(super) fn password_stdin_required() -> Arg {
    Arg::new("password_stdin")
        .long("password-stdin")
        .required(true)
        .action(ArgAction::SetTrue)
        .help("Read the password from one line of standard input (required)")
}
