//! Portal processes started from the real binary, for tests that need what only a process has:
//! signals (SIGTERM, SIGKILL, SIGSTOP), several instances on one database, a log on a pipe.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::TestApp;

/// `portcullis serve` on the test app's database and key file, listening on a free loopback port,
/// logging JSON lines to a pipe that is read (and kept) for as long as the process lives.
pub struct PortalProcess {
    pub child: tokio::process::Child,
    /// The bound public port.
    pub port: u16,
    log: Arc<Mutex<String>>,
}

/// The environment `serve` gets: the app's database, key and mail folder, a free port, JSON logs.
fn serve_command(app: &TestApp, settings: &[(&str, &str)]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_portcullis"));
    command
        .arg("serve")
        .env("PORTCULLIS_DATABASE__URL", &app.db_url)
        .env("PORTCULLIS_SECRETS__KEY_FILE", &app.settings.secrets.key_file)
        .env("PORTCULLIS_MAIL__DIR", &app.settings.mail.dir)
        .env("PORTCULLIS_HTTP__LISTEN", "127.0.0.1:0")
        .env("PORTCULLIS_HTTP__PUBLIC_URL", "http://127.0.0.1")
        .env("PORTCULLIS_LOG__FORMAT", "json")
        .envs(settings.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Starts `portcullis serve` without waiting for it; `settings` add or override PORTCULLIS_*
/// variables. The caller reads its log from `stderr`.
pub fn serve_process(app: &TestApp, settings: &[(&str, &str)]) -> tokio::process::Child {
    serve_command(app, settings).spawn().expect("portcullis serves")
}

impl PortalProcess {
    /// Starts the portal and waits (at most 60 s) until it says where it listens.
    pub async fn start(app: &TestApp, settings: &[(&str, &str)]) -> Self {
        let mut child = serve_process(app, settings);
        let mut lines = BufReader::new(child.stderr.take().expect("piped log")).lines();
        let log = Arc::new(Mutex::new(String::new()));
        let port = loop {
            let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await;
            let line = line.expect("the portal starts within 60 s").expect("log readable");
            let line = line.unwrap_or_else(|| panic!("the portal exited before listening:\n{}", log.lock().unwrap()));
            keep(&log, &line);
            if let Some(port) = listening_port(&line) {
                break port;
            }
        };
        // Keep reading the log so the portal never blocks on a full pipe.
        let kept = log.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                keep(&kept, &line);
            }
        });
        Self { child, port, log }
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("the process is running")
    }

    /// Sends a signal by name (`KILL`, `TERM`, `STOP`, `CONT`).
    pub async fn signal(&self, name: &str) {
        let sent = tokio::process::Command::new("kill").args([&format!("-{name}"), &self.pid().to_string()]).status();
        assert!(sent.await.expect("kill runs").success(), "signal {name} delivered");
    }

    /// Everything the process has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().expect("log").clone()
    }
}

fn keep(log: &Mutex<String>, line: &str) {
    let mut log = log.lock().expect("log");
    log.push_str(line);
    log.push('\n');
}

/// The port of the public listener from its JSON "portal listening" line.
fn listening_port(line: &str) -> Option<u16> {
    let json = serde_json::from_str::<serde_json::Value>(line).ok()?;
    if !json["fields"]["message"].as_str()?.contains("portal listening") {
        return None;
    }
    json["fields"]["address"].as_str()?.rsplit(':').next()?.parse().ok()
}
