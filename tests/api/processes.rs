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
    /// The admin listener's port (metrics), when `PORTCULLIS_HTTP__ADMIN_LISTEN` was given.
    pub admin_port: Option<u16>,
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
        let mut admin_port = None;
        let port = loop {
            let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await;
            let line = line.expect("the portal starts within 60 s").expect("log readable");
            let line = line.unwrap_or_else(|| panic!("the portal exited before listening:\n{}", log.lock().unwrap()));
            keep(&log, &line);
            admin_port = admin_port.or_else(|| listening_port(&line, "admin listener"));
            if let Some(port) = listening_port(&line, "portal listening") {
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
        Self { child, port, admin_port, log }
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("the process is running")
    }

    /// Sends a signal by name (`KILL`, `TERM`, `STOP`, `CONT`).
    pub async fn signal(&self, name: &str) {
        let sent = tokio::process::Command::new("kill").args([&format!("-{name}"), &self.pid().to_string()]).status();
        assert!(sent.await.expect("kill runs").success(), "signal {name} delivered");
    }

    /// A counter or gauge from this instance's own /metrics (admin listener).
    pub async fn metric(&self, name: &str) -> u64 {
        let port = self.admin_port.expect("started with an admin listener");
        let text = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await.expect("metrics");
        let text = text.text().await.expect("metrics body");
        text.lines()
            .find_map(|line| line.strip_prefix(name).and_then(|rest| rest.trim().parse().ok()))
            .unwrap_or_else(|| panic!("metric {name} missing"))
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

/// The port from a JSON "… listening" line whose message contains `message`.
fn listening_port(line: &str, message: &str) -> Option<u16> {
    let json = serde_json::from_str::<serde_json::Value>(line).ok()?;
    if !json["fields"]["message"].as_str()?.contains(message) {
        return None;
    }
    json["fields"]["address"].as_str()?.rsplit(':').next()?.parse().ok()
}

/// nginx from Debian's package, started by the test as its own process (`daemon off`, error
/// log on stderr, kept in a file) with the production site `deploy/nginx/portcullis.conf`:
/// only what differs on a test machine is filled in (loopback ports, the host name, a
/// self-signed certificate made with `openssl`, the upstream instances). One worker, so that
/// round-robin sends consecutive requests to consecutive instances.
pub struct Nginx {
    /// Killed when the test ends (kill_on_drop).
    _process: tokio::process::Child,
    pub https_port: u16,
    pub http_port: u16,
    /// The certificate clients must trust to reach `portal.test` through it.
    pub certificate: reqwest::Certificate,
    dir: tempfile::TempDir,
}

const SITE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/nginx/portcullis.conf"));

/// The access log names the instance (upstream address) that answered each request.
const MAIN_CONF: &str = "daemon off;
worker_processes 1;
USER
pid DIR/nginx.pid;
error_log stderr notice;
events { worker_connections 512; }
http {
    log_format upstreams '$request_method $uri $status $upstream_addr';
    access_log DIR/access.log upstreams;
    client_body_temp_path DIR/client_body;
    proxy_temp_path DIR/proxy;
    fastcgi_temp_path DIR/fastcgi;
    uwsgi_temp_path DIR/uwsgi;
    scgi_temp_path DIR/scgi;
    include site.conf;
}
";

impl Nginx {
    /// Starts nginx on `https_port` in front of the instances on `upstream_ports` and waits
    /// (at most 20 s) until it accepts connections.
    pub async fn start(host: &str, https_port: u16, upstream_ports: &[u16]) -> Self {
        let dir = tempfile::tempdir().expect("nginx dir");
        let path = |name: &str| dir.path().join(name).display().to_string();
        make_certificate(dir.path(), host).await;
        let http_port = free_port();
        let site = fill(
            SITE,
            &[
                ("listen 443 ssl http2;", format!("listen 127.0.0.1:{https_port} ssl http2;")),
                ("listen [::]:443 ssl http2;", String::new()),
                ("listen 80;", format!("listen 127.0.0.1:{http_port};")),
                ("listen [::]:80;", String::new()),
                ("/etc/ssl/certs/portal.example.com.pem", path("cert.pem")),
                ("/etc/ssl/private/portal.example.com.key", path("key.pem")),
                ("portal.example.com", host.to_string()),
            ],
        );
        std::fs::write(dir.path().join("site.conf"), site).expect("site");
        std::fs::create_dir(dir.path().join("portcullis")).expect("include dir");
        let servers: String = upstream_ports.iter().map(|port| format!("server 127.0.0.1:{port};\n")).collect();
        std::fs::write(dir.path().join("portcullis/upstream.conf"), servers).expect("upstream");
        // As root, workers would otherwise switch to a user who cannot use the temp dir.
        let user = if running_as_root() { "user root;" } else { "" };
        let main = MAIN_CONF.replace("DIR", &dir.path().display().to_string()).replace("USER", user);
        std::fs::write(dir.path().join("nginx.conf"), main).expect("nginx.conf");
        let errors = std::fs::File::create(dir.path().join("error.log")).expect("error log");
        let process = tokio::process::Command::new("nginx")
            .args(["-e", "stderr", "-p", &path(""), "-c", &path("nginx.conf")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(errors)
            .kill_on_drop(true)
            .spawn()
            .expect("nginx runs (Debian package `nginx`)");
        let certificate = reqwest::Certificate::from_pem(&std::fs::read(path("cert.pem")).expect("cert")).expect("pem");
        let nginx = Self { _process: process, https_port, http_port, certificate, dir };
        nginx.wait_until_listening().await;
        nginx
    }

    async fn wait_until_listening(&self) {
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.https_port)).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("nginx did not listen within 20 s:\n{}", self.errors());
    }

    /// What nginx wrote to its error log (stderr).
    pub fn errors(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    /// The access log: one `METHOD PATH STATUS UPSTREAM` line per request, oldest first.
    pub fn requests(&self) -> Vec<String> {
        let log = std::fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default();
        log.lines().map(str::to_string).collect()
    }
}

/// The site with each `(production value, test value)` replaced; every one must occur, so a
/// change to the site that the test no longer fills in fails loudly.
fn fill(site: &str, replacements: &[(&str, String)]) -> String {
    replacements.iter().fold(site.to_string(), |text, (from, to)| {
        assert!(text.contains(from), "the nginx site no longer contains `{from}`");
        text.replace(from, to)
    })
}

/// A self-signed certificate for `host` (`cert.pem`, `key.pem` in `dir`).
async fn make_certificate(dir: &std::path::Path, host: &str) {
    let made = tokio::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-subj", &format!("/CN={host}"), "-addext", &format!("subjectAltName=DNS:{host}")])
        .args(["-keyout", "key.pem", "-out", "cert.pem"])
        .current_dir(dir)
        .output()
        .await
        .expect("openssl runs");
    assert!(made.status.success(), "openssl: {}", String::from_utf8_lossy(&made.stderr));
}

/// A loopback port nobody listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address").port()
}

fn running_as_root() -> bool {
    std::process::Command::new("id").arg("-u").output().is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}
