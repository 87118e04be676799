//! The `portcullis` binary, run as an operator would, against the test's database.

use std::process::{Command, Output, Stdio};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

use reqwest::StatusCode;

use crate::helpers::{INITIAL_PASSWORD, TestApp, spawn_app};
use crate::processes::serve_process;

/// Runs the binary without blocking the test's runtime (the app under test runs on it too).
pub async fn portcullis(app: &TestApp, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(args)
        .env("PORTCULLIS_DATABASE__URL", &app.db_url)
        .env("PORTCULLIS_SECRETS__KEY_FILE", &app.settings.secrets.key_file)
        .env("PORTCULLIS_MAIL__DIR", &app.settings.mail.dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("portcullis runs");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).await.expect("write stdin");
    }
    drop(input);
    child.wait_with_output().await.expect("portcullis finishes")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs a command that must fail: non-zero exit, the message names the problem, nothing written.
pub async fn assert_refused(app: &TestApp, args: &[&str], stdin: Option<&str>, expected: &str) {
    let head_before = app.store().await.audit_head().await.unwrap();
    let output = portcullis(app, args, stdin).await;
    assert!(!output.status.success(), "{args:?} should fail");
    assert!(
        stderr(&output).contains(expected),
        "{args:?}: stderr was {}\nlogs: {}",
        stderr(&output),
        String::from_utf8_lossy(&crate::helpers::captured_logs()).lines().rev().take(40).collect::<Vec<_>>().join("\n")
    );
    assert_eq!(app.store().await.audit_head().await.unwrap(), head_before, "{args:?} wrote something");
}

async fn create_account_via_cli(app: &TestApp) -> String {
    let output = portcullis(
        app,
        &["account", "create", "--name", "Acme Ltd", "--email", "it@acme.example", "--password-stdin", "--json"],
        Some(&format!("{INITIAL_PASSWORD}\n")),
    )
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(stdout(&output).trim()).expect("one JSON object");
    assert!(json["account_id"].as_str().is_some_and(|id| !id.is_empty()));
    json["primary_login"].as_str().expect("primary_login").to_string()
}

#[tokio::test]
async fn account_create_generates_a_primary_login_that_can_sign_in() {
    let app = spawn_app().await;

    let primary = create_account_via_cli(&app).await;

    let bytes = primary.as_bytes();
    assert!(
        bytes.len() == 7 && bytes[..3].iter().all(u8::is_ascii_uppercase) && bytes[3..].iter().all(u8::is_ascii_digit)
    );
    assert_eq!(app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await.status(), StatusCode::SEE_OTHER);
    let plain =
        portcullis(&app, &["account", "create", "--name", "Beta plc", "--email", "ops@beta.example"], None).await;
    assert!(plain.status.success());
    assert!(stdout(&plain).contains("with primary login"));
    assert!(stderr(&plain).contains("has no password yet"));
}

#[tokio::test]
async fn account_create_refuses_bad_input_and_writes_nothing() {
    let app = spawn_app().await;

    assert_refused(&app, &["account", "create", "--name", "Acme", "--email", "not-an-email"], None, "--email").await;
    assert_refused(&app, &["account", "create", "--name", "  ", "--email", "it@acme.example"], None, "account name")
        .await;
    assert_refused(
        &app,
        &["account", "create", "--name", "Acme", "--email", "it@acme.example", "--password-stdin"],
        Some("weak\n"),
        "does not meet the policy",
    )
    .await;
    assert_refused(
        &app,
        &["account", "create", "--name", "Acme", "--email", "it@acme.example", "--password-stdin"],
        Some(""),
        "no password on standard input",
    )
    .await;
}

#[tokio::test]
async fn login_create_adds_a_secondary_login_to_the_account() {
    let app = spawn_app().await;
    let primary = create_account_via_cli(&app).await;

    let output = portcullis(
        &app,
        &[
            "login",
            "create",
            "--account",
            &primary.to_lowercase(),
            "--name",
            "jane.doe",
            "--email",
            "jane@acme.example",
            "--phone",
            "+44 20 7946 0958",
            "--authorized-contact",
            "--password-stdin",
            "--json",
        ],
        Some("Jane#Pass1\n"),
    )
    .await;

    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(stdout(&output).trim()).unwrap();
    assert_eq!(json["login"], "jane.doe");
    assert_eq!(json["authorized_contact"], true);
    let client = app.signed_in_client("jane.doe", "Jane#Pass1").await;
    assert!(app.get_html(&client, "/profile").await.contains("Secondary login"));
}

#[tokio::test]
async fn login_create_refuses_bad_input_and_writes_nothing() {
    let app = spawn_app().await;
    let primary = create_account_via_cli(&app).await;
    let create = |account: &str, name: &str, extra: &[&str]| -> Vec<String> {
        let base = ["login", "create", "--account", account, "--name", name, "--email", "j@acme.example"];
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };

    let cases = [
        (create(&primary, "XYZ9876", &[]), "must not look like a primary login"),
        (create(&primary, "jane doe", &[]), "letters, digits"),
        (create("NOP0000", "jane.doe", &[]), "no primary login is named NOP0000"),
        (create(&primary, "jane.doe", &["--phone", "call me"]), "--phone"),
    ];
    for (args, expected) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_refused(&app, &args, None, expected).await;
    }
    let first: Vec<String> = create(&primary, "jane.doe", &[]);
    assert!(portcullis(&app, &first.iter().map(String::as_str).collect::<Vec<_>>(), None).await.status.success());
    let duplicate = create(&primary, "Jane.Doe", &[]);
    assert_refused(&app, &duplicate.iter().map(String::as_str).collect::<Vec<_>>(), None, "already exists").await;
}

#[tokio::test]
async fn login_set_password_applies_the_policy_and_ends_every_session() {
    let app = spawn_app().await;
    let primary = create_account_via_cli(&app).await;
    let browser = app.signed_in_client(&primary, INITIAL_PASSWORD).await;

    assert_refused(
        &app,
        &["login", "set-password", &primary, "--password-stdin"],
        Some("short\n"),
        "Use at least 8 characters",
    )
    .await;
    assert_refused(
        &app,
        &["login", "set-password", &primary, "--password-stdin"],
        Some(&format!("{INITIAL_PASSWORD}\n")),
        "Do not reuse",
    )
    .await;
    assert_refused(
        &app,
        &["login", "set-password", "NOP0000", "--password-stdin"],
        Some("Fresh#Pass42\n"),
        "no login has that name",
    )
    .await;
    assert!(app.is_signed_in(&browser).await);

    let output =
        portcullis(&app, &["login", "set-password", &primary, "--password-stdin"], Some("Fresh#Pass42\r\n")).await;

    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!app.is_signed_in(&browser).await, "every session ended");
    assert_eq!(app.sign_in(&app.client(), &primary, "Fresh#Pass42").await.status(), StatusCode::SEE_OTHER);
    assert!(app.audit_actions().await.contains(&"password_set_by_operator".to_string()));
}

#[tokio::test]
async fn staff_create_checks_the_role_and_the_password() {
    let app = spawn_app().await;

    assert_refused(
        &app,
        &["staff", "create", "--username", "alice", "--role", "root", "--password-stdin"],
        Some("Staff#Pass1\n"),
        "unknown staff role",
    )
    .await;
    assert_refused(
        &app,
        &["staff", "create", "--username", "alice", "--role", "support", "--password-stdin"],
        Some("weak\n"),
        "does not meet the policy",
    )
    .await;
    let output = portcullis(
        &app,
        &["staff", "create", "--username", "alice", "--role", "support", "--password-stdin"],
        Some("Staff#Pass1\n"),
    )
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_refused(
        &app,
        &["staff", "create", "--username", "ALICE", "--role", "admin", "--password-stdin"],
        Some("Staff#Pass2\n"),
        "already exists",
    )
    .await;
    assert!(app.audit_actions().await.contains(&"staff_created".to_string()));
}

#[tokio::test]
async fn audit_list_and_verify_report_the_log_and_its_tampering() {
    let app = spawn_app().await;
    let primary = create_account_via_cli(&app).await;
    app.sign_in(&app.client(), &primary, "Wrong#Pass1").await;

    let list = portcullis(&app, &["audit", "list", "--json"], None).await;
    let lines: Vec<serde_json::Value> = stdout(&list).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["action"], "sign_in_failed");
    let verify = portcullis(&app, &["audit", "verify"], None).await;
    assert!(verify.status.success());
    assert!(stdout(&verify).contains("audit log intact: 2 entries verified"), "{}", stdout(&verify));

    let mut statements = app.drop_audit_guard().to_vec();
    statements.push("UPDATE audit_log SET subject = 'ZZZ9999' WHERE seq = 1");
    app.execute_sql(&statements).await;
    let tampered = portcullis(&app, &["audit", "verify"], None).await;
    assert!(!tampered.status.success());
    assert!(stderr(&tampered).contains("tampered with: entry 1 was changed"));
}

#[tokio::test]
async fn audit_export_since_prints_json_lines_that_parse_in_order() {
    let app = spawn_app().await;
    let primary = create_account_via_cli(&app).await;
    for _ in 0..3 {
        app.sign_in(&app.client(), &primary, "Wrong#Pass1").await;
    }

    let export = portcullis(&app, &["audit", "export", "--since", "1", "--json"], None).await;

    assert!(export.status.success(), "{}", stderr(&export));
    let lines: Vec<serde_json::Value> =
        stdout(&export).lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect();
    assert_eq!(lines.iter().map(|l| l["seq"].as_i64().unwrap()).collect::<Vec<_>>(), [2, 3, 4]);
    let fields = ["seq", "at", "actor", "action", "subject", "source_ip", "details", "prev_hash", "hash"];
    for (line, previous) in lines[1..].iter().zip(&lines) {
        let mut keys: Vec<&str> = line.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, {
            let mut f = fields;
            f.sort_unstable();
            f
        });
        assert_eq!(line["prev_hash"], previous["hash"], "each line follows the one before");
    }
    assert_eq!(lines[0]["action"], "sign_in_failed");
    assert_eq!(lines[0]["source_ip"], "127.0.0.1");
    assert_eq!(lines[0]["details"]["reason"], "wrong_password");
    assert!(lines[0]["at"].as_str().unwrap().ends_with('Z'), "RFC 3339 in UTC");

    let all = portcullis(&app, &["audit", "export"], None).await;
    assert_eq!(stdout(&all).lines().count(), 4);
    assert_refused(&app, &["audit", "export", "--since=-1"], None, "-1 is not in 0..").await;
}

#[tokio::test]
async fn config_show_redacts_secrets_and_bad_settings_are_refused_with_a_clear_message() {
    let app = spawn_app().await;
    let show = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(["config", "show"])
        .env("PORTCULLIS_DATABASE__URL", "postgres://portal:s3cr3t-value@db.example:5432/portal")
        .output()
        .unwrap();
    assert!(show.status.success());
    let text = stdout(&show);
    assert!(text.contains("postgres://portal:[redacted]@db.example:5432/portal"), "{text}");
    assert!(!text.contains("s3cr3t-value"));

    for (key, value, expected) in [
        ("PORTCULLIS_PASSWORD__POLICY", "weak", "unknown password policy profile 'weak'"),
        ("PORTCULLIS_DATABASE__URL", "mysql://x", "database.url"),
        ("PORTCULLIS_HTTP__LISTEN", "not-an-address", "HTTP.LISTEN"),
        ("PORTCULLIS_HTTP__TYPO", "1", "unknown field"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_portcullis")).args(["serve"]).env(key, value).output().unwrap();
        assert!(!output.status.success(), "{key}={value}");
        assert!(stderr(&output).contains(expected), "{key}={value}: {}", stderr(&output));
    }
    let _ = app;
}

#[tokio::test]
async fn a_disabled_login_is_signed_out_cannot_sign_in_or_recover_and_can_be_enabled_again() {
    let app = spawn_app().await;
    let primary = create_account_via_cli(&app).await;
    let browser = app.signed_in_client(&primary, INITIAL_PASSWORD).await;

    let disabled = portcullis(&app, &["login", "disable", &primary.to_lowercase()], None).await;

    assert!(disabled.status.success(), "{}", stderr(&disabled));
    assert!(stdout(&disabled).contains("its sessions have ended"));
    assert!(!app.is_signed_in(&browser).await, "its sessions ended at once");
    let refused = app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "the same generic refusal as a wrong password");
    assert!(stdout(&portcullis(&app, &["login", "disable", &primary], None).await).contains("already was disabled"));
    assert_refused(&app, &["login", "disable", "NOP0000"], None, "no login is named NOP0000").await;
    assert!(app.audit_actions().await.contains(&"login_disabled".to_string()));

    let enabled = portcullis(&app, &["login", "enable", &primary], None).await;
    assert!(stdout(&enabled).contains("is enabled"));
    assert_eq!(app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_log_written_into_a_pipe_carries_no_colour_codes() {
    let app = spawn_app().await;
    let mut child = serve_process(&app, &[("PORTCULLIS_LOG__FORMAT", "pretty")]);
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let mut log = String::new();
    while !log.contains("portal listening") {
        let line = tokio::time::timeout(std::time::Duration::from_secs(60), lines.next_line()).await.unwrap().unwrap();
        log.push_str(&line.expect("the portal says where it listens"));
        log.push('\n');
    }
    child.kill().await.unwrap();

    assert!(!log.contains('\u{1b}'), "no escape sequences in a piped log:\n{log}");
}
