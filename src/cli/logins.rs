//! `portcullis account …` and `portcullis login …`: customer accounts and their logins.

use std::io::BufRead;

use clap::{Args, Subcommand};
use serde_json::json;

use super::args::password_stdin_required;
use super::{CliError, Settings, fail, portal};
use crate::domain::{EmailAddress, LoginName, Password, PhoneNumber};
use crate::service::accounts::{AccountError, LoginDetails};
use crate::service::password::ChangeError;
use crate::telemetry::error_chain;

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

pub(super) async fn create_account(
    settings: &Settings,
    name: &str,
    email: &str,
    password_stdin: bool,
    json: bool,
) -> Result<(), CliError> {
    let email = EmailAddress::parse(email).map_err(|e| fail(format!("--email: {e}")))?;
    let password = password_stdin.then(read_password).transpose()?;
    let portal = portal(settings).await?;
    let created = portal.create_account(name, email.clone(), password.clone()).await.map_err(account_error)?;
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

pub(super) async fn create_login(settings: &Settings, args: LoginCreate) -> Result<(), CliError> {
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

pub(super) async fn set_disabled(settings: &Settings, name: &str, disabled: bool) -> Result<(), CliError> {
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

pub(super) async fn set_password(settings: &Settings, name: &str) -> Result<(), CliError> {
    let name = LoginName::parse(name).map_err(|e| fail(format!("login name: {e}")))?;
    let password = read_password()?;
    let portal = portal(settings).await?;
    portal.set_password_by_operator(&name, &password).await.map_err(change_error)?;
    println!("Password of {name} set; every session of {name} has ended");
    Ok(())
}

/// One line from standard input, without its line ending.
pub(super) fn read_password() -> Result<Password, CliError> {
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

pub(super) fn account_error(error: AccountError) -> CliError {
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
