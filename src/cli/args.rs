//! The commands and their arguments, as `portcullis --help` shows them.

use std::path::PathBuf;

use clap::{Arg, ArgAction, Args, Parser, Subcommand};

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

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective settings, secrets redacted.
    Show,
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create a customer account and generate its primary login.
    Create {
        /// The organisation's name.
        #[arg(long)]
        name: String,
        /// The primary login's email address.
        #[arg(long)]
        email: String,
        /// Read the primary login's password from one line of standard input.
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        json: bool,
    },
}

/// `--password-stdin` where the password always comes from standard input: scripts and the
/// documentation name the flag, so it is required, but there is nothing to read from it.
fn password_stdin_required() -> Arg {
    Arg::new("password_stdin")
        .long("password-stdin")
        .required(true)
        .action(ArgAction::SetTrue)
        .help("Read the password from one line of standard input (required)")
}

#[derive(Debug, Subcommand)]
pub enum LoginCommand {
    /// Create a secondary login in the account of a primary login.
    Create(LoginCreate),
    /// Disable a login: it cannot sign in or recover; its sessions end and its recovery links die.
    Disable {
        /// The login's name.
        name: String,
    },
    /// Enable a disabled login again.
    Enable {
        /// The login's name.
        name: String,
    },
    /// Set a login's password (break-glass): the policy applies and every session ends.
    #[command(arg(password_stdin_required()))]
    SetPassword {
        /// The login's name.
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct LoginCreate {
    /// The primary login of the account, e.g. ABC1234.
    #[arg(long)]
    pub(super) account: String,
    /// The new login's name (not of the primary format).
    #[arg(long)]
    pub(super) name: String,
    #[arg(long)]
    pub(super) email: String,
    /// A contact telephone number, used for support call-backs.
    #[arg(long)]
    pub(super) phone: Option<String>,
    /// Allowed to open support cases for the account.
    #[arg(long)]
    pub(super) authorized_contact: bool,
    #[arg(long)]
    pub(super) password_stdin: bool,
    #[arg(long)]
    pub(super) json: bool,
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Create a staff member.
    #[command(arg(password_stdin_required()))]
    Create {
        #[arg(long)]
        username: String,
        /// support or admin.
        #[arg(long)]
        role: String,
    },
    /// Disable a staff member: every staff session of theirs ends at once.
    Disable {
        /// The staff user name.
        username: String,
    },
    /// Enable a disabled staff member again.
    Enable {
        /// The staff user name.
        username: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Print the newest entries.
    List {
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Print every entry after a given one, oldest first, for shipping to a log collector (SIEM).
    Export {
        /// Only the entries after this seq (the last one already shipped); 0 for all.
        #[arg(long, value_name = "SEQ", default_value_t = 0, value_parser = clap::value_parser!(i64).range(0..))]
        since: i64,
        /// One JSON object per line: seq, at, actor, action, subject, source_ip, details,
        /// prev_hash, hash.
        #[arg(long)]
        json: bool,
    },
    /// Check, with the secret key file, that no entry was changed, forged or deleted. Writes
    /// nothing.
    Verify {
        /// A head from the portal's logs (the `audit head seq=… hash=…` lines), as SEQ:HASH:
        /// the log must still hold that entry with that hash. Only this catches the newest
        /// entries cut off behind an older copy of the head.
        #[arg(long, value_name = "SEQ:HASH")]
        expect: Option<String>,
    },
    /// Put a log that has no keyed head (one written before the key existed) under the secret
    /// key, with an anchor entry. Verify it against the logged heads first: an unkeyed log is
    /// what someone without the key could have written.
    Anchor,
}
