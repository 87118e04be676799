//! Logging: human-readable or JSON lines on stderr, filtered by `log.level` or `RUST_LOG`.
//! Fields are written escaped, so a login name with line breaks cannot forge a log line.

pub mod metrics;

use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};

/// Installs the process's log subscriber as the `[log]` section says (once; later calls change nothing).
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(directives(&settings.level)));
    // Colour codes only for a person at a terminal, never into a file or a log collector's pipe.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let result = match settings.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
    if result.is_err() {
        // Already initialised (tests build several applications in one process).
    }
}

/// The configured level, with the OpenPGP library held to warnings and errors: below that it
/// describes the packets of every key it parses, which is noise at best. A level that names
/// `pgp` itself is taken as it is.
fn directives(level: &str) -> String {
    if level.split(',').any(|d| d.trim().starts_with("pgp")) { level.to_string() } else { format!("{level},pgp=warn") }
}

/// An error and its causes on one line, `outer: inner: innermost`, for logs and the CLI.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openpgp_library_logs_warnings_only_unless_the_level_names_it() {
        assert_eq!(directives("info"), "info,pgp=warn");
        assert_eq!(directives("debug,portcullis=trace"), "debug,portcullis=trace,pgp=warn");
        assert_eq!(directives("info,pgp=debug"), "info,pgp=debug");
    }
}
