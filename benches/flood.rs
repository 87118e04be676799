//! A sign-in flood against one portal process, as an operator would see it from outside.
//!
//! Starts the release binary (`portcullis serve`) on SQLite in a temporary folder, creates an
//! account with the CLI, then runs `--clients` concurrent clients doing complete sign-ins
//! (sign-in page + form post, each in a fresh browser) for `--seconds`, while one more client
//! probes `/healthz`. Prints the sign-in answers by status, successful sign-ins per second,
//! `/healthz` p50/p99, the server's peak RSS (VmHWM) and its RSS after the flood, and the CPU
//! seconds the server spent.
//!
//! Run: `cargo bench --bench flood [-- --clients 200 --seconds 30 --server PATH]`; `--server`
//! measures another build of the binary the same way.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use clap::Parser;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

// Shared with the in-process benchmarks; this one needs only part of each.
#[allow(dead_code)]
mod stats;
#[allow(dead_code)]
mod support;

#[derive(Parser)]
struct Options {
    /// Concurrent sign-in clients.
    #[arg(long, default_value_t = 200)]
    clients: usize,
    /// Length of the flood.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// The portal binary to measure.
    #[arg(long, default_value = env!("CARGO_BIN_EXE_portcullis"))]
    server: PathBuf,
    /// Passed by `cargo bench`.
    #[arg(long, hide = true)]
    bench: bool,
}

#[tokio::main]
async fn main() {
    let options = Options::parse();
    let dir = tempfile::tempdir().expect("temp dir");
    let login = create_account(&options.server, dir.path()).await;
    let (mut server, base) = serve(&options.server, dir.path()).await;
    let pid = server.id().expect("server pid");
    let cpu_before = cpu_seconds(pid);
    let rss_before = proc_status_kib(pid, "VmRSS");

    let deadline = Instant::now() + Duration::from_secs(options.seconds);
    // The probe has a thread and runtime of its own: its latencies are the server's, not the
    // time it waited behind the flooding clients' tasks in this process.
    let probe = {
        let base = base.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(probe_health(base, deadline))
        })
    };
    let clients: Vec<_> =
        (0..options.clients).map(|_| tokio::spawn(sign_in_until(base.clone(), login.clone(), deadline))).collect();
    let mut statuses = BTreeMap::new();
    for client in clients {
        for (status, count) in client.await.expect("client") {
            *statuses.entry(status).or_insert(0u64) += count;
        }
    }
    let (health, unanswered) = probe.join().expect("probe");
    let health = stats::sorted(&health);
    let cpu = cpu_seconds(pid) - cpu_before;
    let peak = proc_status_kib(pid, "VmHWM");
    // What the process keeps once the flood is over and its requests have finished.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = proc_status_kib(pid, "VmRSS");
    server.start_kill().expect("stop the server");

    println!(
        "portcullis sign-in flood: {} clients for {} s against {}",
        options.clients,
        options.seconds,
        options.server.display()
    );
    for (status, count) in &statuses {
        println!("  sign-in answers {status}: {count:>9}");
    }
    let signed_in = statuses.get("303").copied().unwrap_or(0);
    println!("  sign-ins/s:                  {:9.1}", signed_in as f64 / options.seconds as f64);
    println!("  /healthz p50:                {:9.2} ms ({} probes)", stats::quantile(&health, 0.5), health.len());
    println!("  /healthz p99:                {:9.2} ms", stats::quantile(&health, 0.99));
    println!("  /healthz unanswered:         {unanswered:9}");
    println!("  server RSS before:           {:9.1} MiB", rss_before as f64 / 1024.0);
    println!("  server peak RSS (VmHWM):     {:9.1} MiB", peak as f64 / 1024.0);
    println!("  server RSS 2 s after:        {:9.1} MiB", after as f64 / 1024.0);
    println!("  server CPU during the flood: {cpu:9.1} s");
}

/// The environment every `portcullis` command of this run gets.
fn portcullis(server: &Path, dir: &Path) -> Command {
    let mut command = Command::new(server);
    command
        .env("PORTCULLIS_DATABASE__URL", format!("sqlite://{}/flood.db", dir.display()))
        .env("PORTCULLIS_SECRETS__KEY_FILE", dir.join("secret.key"))
        .env("PORTCULLIS_MAIL__DIR", dir.join("mail"))
        .env("PORTCULLIS_HTTP__LISTEN", "127.0.0.1:0")
        .env("PORTCULLIS_HTTP__PUBLIC_URL", "http://127.0.0.1")
        .env("PORTCULLIS_LOG__FORMAT", "json")
        .kill_on_drop(true);
    command
}

/// `portcullis migrate` and `account create`; returns the primary login's name.
async fn create_account(server: &Path, dir: &Path) -> String {
    let migrated = portcullis(server, dir).arg("migrate").output().await.expect("migrate runs");
    assert!(migrated.status.success(), "migrate: {}", String::from_utf8_lossy(&migrated.stderr));
    let mut create = portcullis(server, dir)
        .args(["account", "create", "--name", "Flood", "--email", "flood@example.com", "--password-stdin", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("account create runs");
    let mut stdin = create.stdin.take().expect("stdin");
    stdin.write_all(format!("{}\n", support::PASSWORD).as_bytes()).await.expect("password");
    drop(stdin);
    let output = create.wait_with_output().await.expect("account create finishes");
    assert!(output.status.success(), "account create: {}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    json["primary_login"].as_str().expect("primary_login").to_string()
}

/// Starts `portcullis serve` and waits until its log says where it listens.
async fn serve(server: &Path, dir: &Path) -> (Child, String) {
    let mut child =
        portcullis(server, dir).arg("serve").stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("serve");
    let mut lines = BufReader::new(child.stderr.take().expect("log")).lines();
    let address = loop {
        let line = lines.next_line().await.expect("log").expect("the server exited before listening");
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
        if json["fields"]["message"].as_str().is_some_and(|m| m.contains("portal listening")) {
            break json["fields"]["address"].as_str().expect("address").to_string();
        }
    };
    // Keep reading, so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, format!("http://{address}"))
}

/// Complete sign-ins, each in a fresh browser, until `deadline`: answers to the form post by
/// status ("error" when there was no answer).
async fn sign_in_until(base: String, login: String, deadline: Instant) -> BTreeMap<String, u64> {
    let mut statuses = BTreeMap::new();
    while Instant::now() < deadline {
        let status = sign_in(&base, &login).await.map_or_else(|| "error".to_string(), |s| s.as_u16().to_string());
        *statuses.entry(status).or_insert(0) += 1;
    }
    statuses
}

async fn sign_in(base: &str, login: &str) -> Option<reqwest::StatusCode> {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .ok()?;
    let page = client.get(format!("{base}/login")).send().await.ok()?.text().await.ok()?;
    let csrf = support::csrf_token(&page);
    let form = [("csrf", csrf.as_str()), ("login_name", login), ("password", support::PASSWORD)];
    Some(client.post(format!("{base}/login")).form(&form).send().await.ok()?.status())
}

/// `/healthz` latencies in milliseconds, one probe every 10 ms until `deadline`, and how many
/// probes got no "ok" (not counted in the latencies).
async fn probe_health(base: String, deadline: Instant) -> (Vec<f64>, u64) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client");
    let (mut samples, mut unanswered) = (Vec::new(), 0);
    while Instant::now() < deadline {
        let started = Instant::now();
        match client.get(format!("{base}/healthz")).send().await {
            Ok(response) if response.status().is_success() => samples.push(started.elapsed().as_secs_f64() * 1e3),
            _ => unanswered += 1,
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (samples, unanswered)
}

/// A `kB` line of /proc/PID/status, e.g. VmHWM (peak resident memory) or VmRSS.
fn proc_status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let line = status.lines().find(|l| l.starts_with(&format!("{field}:"))).expect("field");
    line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).expect("kB value")
}

/// User + system CPU seconds of the process so far (/proc/PID/stat fields 14 and 15).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("proc stat");
    // The command name may hold spaces; the fields after it are fixed.
    let fields: Vec<&str> = stat[stat.rfind(')').expect("comm") + 2..].split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    ticks as f64 / clock_ticks_per_second()
}

fn clock_ticks_per_second() -> f64 {
    let output = std::process::Command::new("getconf").arg("CLK_TCK").output().expect("getconf");
    String::from_utf8_lossy(&output.stdout).trim().parse().expect("CLK_TCK")
}
