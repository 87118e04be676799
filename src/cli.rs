//! The `portcullis` command line. Every command parses all of its input before it touches the
//! database, so bad input names what is wrong and writes nothing.

mod audit;
mod backup;
mod doctor;

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use serde_json::json;

use crate::clock::SystemClock;
use crate::config::Settings;
use crate::domain::{EmailAddress, LoginName, Password, PhoneNumber, StaffRole};
use crate::service::Portal;
use crate::service::accounts::{AccountError, LoginDetails};
use crate::service::password::ChangeError;
use crate::service::staff::StaffAdminError;
use crate::startup::{Application, shutdown_signal};
use crate::telemetry::error_chain;

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
    SetPassword {
        /// The login's name.
        name: String,
        /// Read the password from one line of standard input (required).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Debug, Args)]
pub struct LoginCreate {
    /// The primary login of the account, e.g. ABC1234.
    #[arg(long)]
    account: String,
    /// The new login's name (not of the primary format).
    #[arg(long)]
    name: String,
    #[arg(long)]
    email: String,
    /// A contact telephone number, used for support call-backs.
    #[arg(long)]
    phone: Option<String>,
    /// Allowed to open support cases for the account.
    #[arg(long)]
    authorized_contact: bool,
    #[arg(long)]
    password_stdin: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Create a staff member.
    Create {
        #[arg(long)]
        username: String,
        /// support or admin.
        #[arg(long)]
        role: String,
        /// Read the password from one line of standard input (required).
        #[arg(long, required = true)]
        password_stdin: bool,
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

/// A failed command: the message names what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CliError(String);

fn fail(message: impl Into<String>) -> CliError {
    CliError(message.into())
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    let settings = Settings::load(cli.config.as_deref()).map_err(|e| fail(e.to_string()))?;
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
            let email = EmailAddress::parse(&email).map_err(|e| fail(format!("--email: {e}")))?;
            let password = password_stdin.then(read_password).transpose()?;
            let portal = portal(&settings).await?;
            let created = portal.create_account(&name, email.clone(), password.clone()).await.map_err(account_error)?;
            if json {
                println!(
                    "{}",
                    json!({ "account_id": created.account_id, "primary_login": created.primary_login.as_str(), "email": email.as_str() })
                );
            } else {
                println!("Created account {} with primary login {}", created.account_id, created.primary_login);
            }
            if password.is_none() {
                eprintln!(
                    "note: {0} has no password yet; set one with: portcullis login set-password {0} --password-stdin",
                    created.primary_login
                );
            }
            Ok(())
        }
        Command::Login(LoginCommand::Create(args)) => create_login(&settings, args).await,
        Command::Login(LoginCommand::Disable { name }) => set_disabled(&settings, &name, true).await,
        Command::Login(LoginCommand::Enable { name }) => set_disabled(&settings, &name, false).await,
        Command::Login(LoginCommand::SetPassword { name, password_stdin: _ }) => {
            let name = LoginName::parse(&name).map_err(|e| fail(format!("login name: {e}")))?;
            let password = read_password()?;
            let portal = portal(&settings).await?;
            portal.set_password_by_operator(&name, &password).await.map_err(change_error)?;
            println!("Password of {name} set; every session of {name} has ended");
            Ok(())
        }
        Command::Staff(StaffCommand::Create { username, role, password_stdin: _ }) => {
            let role: StaffRole = role.parse().map_err(|e: String| fail(format!("--role: {e}")))?;
            let password = read_password()?;
            let portal = portal(&settings).await?;
            portal.create_staff(&username, role, &password).await.map_err(account_error)?;
            println!("Created staff member {username} ({})", role.as_str());
            Ok(())
        }
        Command::Staff(StaffCommand::Disable { username }) => set_staff_disabled(&settings, &username, true).await,
        Command::Staff(StaffCommand::Enable { username }) => set_staff_disabled(&settings, &username, false).await,
        Command::Audit(AuditCommand::List { limit, json }) => audit::list(&settings, limit, json).await,
        Command::Audit(AuditCommand::Export { since, json }) => audit::export(&settings, since, json).await,
        Command::Audit(AuditCommand::Verify { expect }) => audit::verify(&settings, expect.as_deref()).await,
        Command::Audit(AuditCommand::Anchor) => audit::anchor(&settings).await,
        Command::Mail(command) => mail(&settings, command).await,
        Command::Backup { to } => backup::backup(&settings, &to).await,
        Command::Restore { from } => backup::restore(&settings, &from).await,
        Command::Doctor => doctor::doctor(&settings).await,
    }
}

async fn set_staff_disabled(settings: &Settings, username: &str, disabled: bool) -> Result<(), CliError> {
    let portal = portal(settings).await?;
    let changed = portal.set_staff_disabled_by_operator(username, disabled).await.map_err(|e| match e {
        StaffAdminError::NotFound => fail(format!("no staff member is named {username}")),
        other => fail(other.to_string()),
    })?;
    let state = if disabled { "disabled" } else { "enabled" };
    match changed {
        true => println!("Staff member {username} {state}"),
        false => println!("Staff member {username} was already {state}"),
    }
    Ok(())
}

async fn serve(settings: &Settings) -> Result<(), CliError> {
    let app = Application::build(settings, Arc::new(SystemClock)).await.map_err(|e| fail(error_chain(&e)))?;
    let address = app.local_addr().map_err(|e| fail(e.to_string()))?;
    tracing::info!(%address, public_url = %settings.http.public_url, policy = %settings.password.policy, "portal listening");
    app.run(shutdown_signal()).await.map_err(|e| fail(e.to_string()))
}

async fn create_login(settings: &Settings, args: LoginCreate) -> Result<(), CliError> {
    let primary = LoginName::parse(&args.account).map_err(|e| fail(format!("--account: {e}")))?;
    let name = LoginName::parse_secondary(&args.name).map_err(|e| fail(format!("--name: {e}")))?;
    let email = EmailAddress::parse(&args.email).map_err(|e| fail(format!("--email: {e}")))?;
    let phone = args.phone.as_deref().map(PhoneNumber::parse).transpose().map_err(|e| fail(format!("--phone: {e}")))?;
    let password = args.password_stdin.then(read_password).transpose()?;
    let portal = portal(settings).await?;
    let details = LoginDetails { name, email, phone, authorized_contact: args.authorized_contact, password };
    let login = portal.create_secondary_login(&primary, details).await.map_err(account_error)?;
    if args.json {
        println!(
            "{}",
            json!({ "login_id": login.id, "login": login.name.as_str(), "account_id": login.account_id, "kind": "secondary", "authorized_contact": login.authorized_contact })
        );
    } else {
        println!("Created secondary login {} in the account of {primary}", login.name);
    }
    Ok(())
}

async fn set_disabled(settings: &Settings, name: &str, disabled: bool) -> Result<(), CliError> {
    let name = LoginName::parse(name).map_err(|e| fail(format!("login name: {e}")))?;
    let portal = portal(settings).await?;
    let changed = portal.set_login_disabled(&name, disabled).await.map_err(account_error)?;
    let state = if disabled { "disabled" } else { "enabled" };
    match changed {
        true if disabled => println!("{name} is disabled; its sessions have ended"),
        true => println!("{name} is enabled"),
        false => println!("{name} already was {state}"),
    }
    Ok(())
}

async fn mail(settings: &Settings, command: MailCommand) -> Result<(), CliError> {
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

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| at.unix_timestamp().to_string())
}

async fn portal(settings: &Settings) -> Result<Portal, CliError> {
    Portal::build(settings, Arc::new(SystemClock)).await.map_err(|e| fail(error_chain(&e)))
}

/// One line from standard input, without its line ending.
fn read_password() -> Result<Password, CliError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| fail(format!("cannot read the password from standard input: {e}")))?;
    let password = line.strip_suffix('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).unwrap_or(&line);
    if password.is_empty() {
        return Err(fail("no password on standard input (expected one line)"));
    }
    Ok(Password::new(password))
}

fn account_error(error: AccountError) -> CliError {
    match error {
        AccountError::Password(inner) => change_error(inner),
        other => fail(error_chain(&other)),
    }
}

fn change_error(error: ChangeError) -> CliError {
    match error {
        ChangeError::Refused(problems) => {
            let reasons: Vec<String> = problems.iter().map(|p| format!("  - {} ({})", p.message(), p.code())).collect();
            fail(format!("the password does not meet the policy:\n{}", reasons.join("\n")))
        }
        other => fail(error_chain(&other)),
    }
}
