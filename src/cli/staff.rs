//! `portcullis staff …`: the vendor's support staff.

use clap::Subcommand;

use super::args::password_stdin_required;
use super::logins::{account_error, read_password};
use super::{CliError, Settings, fail, portal};
use crate::domain::StaffRole;
use crate::service::staff::StaffAdminError;

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

pub(super) async fn create(settings: &Settings, username: &str, role: &str) -> Result<(), CliError> {
    let role: StaffRole = role.parse().map_err(|e: String| fail(format!("--role: {e}")))?;
    let password = read_password()?;
    let portal = portal(settings).await?;
    portal.create_staff(username, role, &password).await.map_err(account_error)?;
    println!("Created staff member {username} ({})", role.as_str());
    Ok(())
}

pub(super) async fn set_disabled(settings: &Settings, username: &str, disabled: bool) -> Result<(), CliError> {
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
