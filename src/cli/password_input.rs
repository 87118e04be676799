//! Passwords given to the command line: always one line of standard input, never an argument
//! (arguments are visible to every user of the machine in the process list).

use std::io::BufRead;

use clap::{Arg, ArgAction};

use super::{CliError, fail};
use crate::domain::Password;

/// `--password-stdin` where the password always comes from standard input: scripts and the
/// documentation name the flag, so it is required, but there is nothing to read from it.
pub(super) fn password_stdin_required() -> Arg {
    Arg::new("password_stdin")
        .long("password-stdin")
        .required(true)
        .action(ArgAction::SetTrue)
        .help("Read the password from one line of standard input (required)")
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
