use std::process::ExitCode;

use clap::Parser;
use portcullis::cli::{Cli, Command, run};
use portcullis::config::{LogSettings, Settings};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The server logs at the configured level; one-shot commands only warn, so their output stays clean.
fn init_logging(cli: &Cli) {
    let configured = Settings::load(cli.config.as_deref()).map(|s| s.log).ok();
    let mut log = configured.unwrap_or(LogSettings { format: "pretty".into(), level: "info".into() });
    if !matches!(cli.command, Command::Serve) {
        log.level = "warn".into();
    }
    portcullis::telemetry::init(&log);
}
