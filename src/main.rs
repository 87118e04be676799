use std::process::ExitCode;

use clap::Parser;
use portcullis::cli::{Cli, Command, run};
use portcullis::config::{LogFormat, LogSettings, Settings};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref());
    init_logging(&cli, settings.as_ref().ok());
    match run(cli, settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The server logs at the configured level; one-shot commands only warn, so their output stays clean.
fn init_logging(cli: &Cli, settings: Option<&Settings>) {
    let configured = settings.map(|s| s.log.clone());
    let mut log = configured.unwrap_or(LogSettings { format: LogFormat::Pretty, level: "info".into() });
    if !matches!(cli.command, Command::Serve) {
        log.level = "warn".into();
    }
    portcullis::telemetry::init(&log);
}
