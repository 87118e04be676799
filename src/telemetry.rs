//! Logging: human-readable or JSON lines on stderr, filtered by `log.level` or `RUST_LOG`.
//! Fields are written escaped, so a login name with line breaks cannot forge a log line.

use tracing_subscriber::EnvFilter;

use crate::config::LogSettings;

pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = if settings.format == "json" { builder.json().try_init() } else { builder.try_init() };
    if result.is_err() {
        // Already initialised (tests build several applications in one process).
    }
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
