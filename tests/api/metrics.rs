//! The admin listener's /metrics, as Prometheus scrapes it: every family is there, and each
//! moves when the thing it counts happens.

use reqwest::StatusCode;
use time::Duration;

use portcullis::domain::LoginName;

use crate::helpers::{INITIAL_PASSWORD, TestApp, spawn_app};
use crate::lockout::{WRONG, guess};
use crate::mail::{app_with_relay, wait_until};
use crate::smtp_sink::SmtpSink;

/// The families an operator's dashboards and alerts use (deploy/prometheus/alerts.yml too).
pub const FAMILIES: [(&str, &str); 18] = [
    ("portcullis_http_requests", "counter"),
    ("portcullis_http_request_duration_seconds", "histogram"),
    ("portcullis_sign_ins", "counter"),
    ("portcullis_mail_deliveries", "counter"),
    ("portcullis_password_verifications", "counter"),
    ("portcullis_password_hashes", "counter"),
    ("portcullis_hash_pool_refused", "counter"),
    ("portcullis_hash_pool_admitted", "gauge"),
    ("portcullis_hash_pool_capacity", "gauge"),
    ("portcullis_outbox_queued_messages", "gauge"),
    ("portcullis_outbox_due_messages", "gauge"),
    ("portcullis_outbox_oldest_due_age_seconds", "gauge"),
    ("portcullis_outbox_oldest_queued_age_seconds", "gauge"),
    ("portcullis_logins_locked", "gauge"),
    ("portcullis_database_up", "gauge"),
    ("portcullis_database_connections", "gauge"),
    ("portcullis_database_connections_max", "gauge"),
    ("portcullis_build", "info"),
];

/// The text Prometheus gets from the admin listener.
pub async fn scrape(app: &TestApp) -> String {
    let admin = app.admin_address.as_ref().expect("an admin listener");
    let response = reqwest::get(format!("{admin}/metrics")).await.expect("metrics answer");
    assert_eq!(response.status(), StatusCode::OK);
    let kind = response.headers()["content-type"].to_str().unwrap().to_string();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    response.text().await.expect("body")
}

/// The value of one series, named exactly as the text has it (labels included); 0 when absent,
/// as Prometheus treats a series that has not appeared yet.
pub fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .map_or(0.0, |rest| rest.split(' ').next().unwrap().parse().expect("a number"))
}

fn requests(text: &str, method: &str, route: &str, status: u16) -> f64 {
    value(text, &format!(r#"portcullis_http_requests_total{{method="{method}",route="{route}",status="{status}"}}"#))
}

fn sign_ins(text: &str, outcome: &str) -> f64 {
    value(text, &format!(r#"portcullis_sign_ins_total{{who="customer",outcome="{outcome}"}}"#))
}

fn deliveries(text: &str, outcome: &str) -> f64 {
    value(text, &format!(r#"portcullis_mail_deliveries_total{{outcome="{outcome}"}}"#))
}

#[tokio::test]
async fn every_family_is_exported_with_its_type_and_the_build_version() {
    let app = spawn_app().await;
    // Requests are counted per route: one request makes the family appear.
    assert_eq!(app.get(&app.client(), "/healthz").await.status(), StatusCode::OK);
    let text = scrape(&app).await;

    for (family, kind) in FAMILIES {
        assert!(text.contains(&format!("# TYPE {family} {kind}\n")), "{family} ({kind}) missing in:\n{text}");
    }
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(value(&text, &format!(r#"portcullis_build_info{{version="{version}"}}"#)), 1.0);
    assert_eq!(value(&text, "portcullis_database_up"), 1.0);
    assert_eq!(value(&text, "portcullis_database_connections_max"), 5.0, "the test apps' pool holds 5");
    assert!(text.contains(r#"portcullis_database_connections{state="idle"}"#));
    assert!(value(&text, "portcullis_hash_pool_capacity") > 0.0);
    assert_eq!(sign_ins(&text, "success"), 0.0);
    assert!(text.contains(r#"portcullis_sign_ins_total{who="staff",outcome="overloaded"} 0"#), "outcomes start at 0");
    assert!(text.contains(r#"portcullis_mail_deliveries_total{outcome="gave_up"} 0"#));
    assert!(text.ends_with("# EOF\n"), "a complete OpenMetrics document");
}

#[tokio::test]
async fn requests_are_counted_by_route_pattern_and_status_never_by_their_path() {
    let app = spawn_app().await;
    let client = app.client();
    let secret = "CANARY-link-token-in-the-path";

    assert_eq!(app.get(&client, "/login").await.status(), StatusCode::OK);
    assert_eq!(app.get(&client, "/login").await.status(), StatusCode::OK);
    app.get(&client, &format!("/recover/{secret}")).await;
    assert_eq!(app.get(&client, "/no/such/page").await.status(), StatusCode::NOT_FOUND);
    let invented = reqwest::Method::from_bytes(b"CANARYMETHOD").unwrap();
    client.request(invented, app.url("/login")).send().await.unwrap();

    let text = scrape(&app).await;
    assert_eq!(requests(&text, "GET", "/login", 200), 2.0);
    assert!(text.contains(r#"route="/recover/{token}""#), "the link counted under its pattern");
    assert_eq!(requests(&text, "GET", "unmatched", 404), 1.0);
    assert!(!text.contains(secret) && !text.contains("/no/such/page"), "no path is a label");
    assert!(!text.contains("CANARYMETHOD") && text.contains(r#"method="other""#), "invented methods share one series");
    let latency = r#"portcullis_http_request_duration_seconds_count{method="GET",route="/login"}"#;
    assert_eq!(value(&text, latency), 2.0, "each request observed once in the latency histogram");
    let bucket = r#"portcullis_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/login"}"#;
    assert_eq!(value(&text, bucket), 2.0);
}

#[tokio::test]
async fn sign_ins_are_counted_by_outcome_and_a_locked_login_shows() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let before = scrape(&app).await;
    assert_eq!(value(&before, "portcullis_logins_locked"), 0.0);

    assert_eq!(app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await.status(), StatusCode::SEE_OTHER);
    guess(&app, &primary, 6).await;

    let text = scrape(&app).await;
    assert_eq!(sign_ins(&text, "success"), 1.0);
    assert_eq!(sign_ins(&text, "rejected"), 6.0);
    assert_eq!(value(&text, "portcullis_logins_locked"), 1.0, "six failures lock the login");
    let verified = value(&text, "portcullis_password_verifications_total");
    assert!(verified >= 7.0, "each sign-in ran one verification: {verified}");
    assert!(requests(&text, "POST", "/login", 401) >= 6.0);

    app.clock.advance(Duration::hours(2));
    assert_eq!(value(&scrape(&app).await, "portcullis_logins_locked"), 0.0, "the lock ran out");
    let wrong = app.sign_in(&app.client(), "NOP0000", WRONG).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(sign_ins(&scrape(&app).await, "rejected"), 7.0, "an unknown name counts as rejected too");

    crate::support::staff_client(&app, "alice", "support", "Support#Desk1").await;
    let staff = r#"portcullis_sign_ins_total{who="staff",outcome="success"}"#;
    assert_eq!(value(&scrape(&app).await, staff), 1.0, "staff sign-ins are counted apart");
}

#[tokio::test]
async fn deliveries_are_counted_by_outcome_and_the_outbox_shows_how_old_its_oldest_message_is() {
    let relay = SmtpSink::reserved();
    let app = app_with_relay(&relay).await;
    let primary = LoginName::parse(&app.create_account(INITIAL_PASSWORD).await).unwrap();

    app.portal.send_test_mail(&primary).await.unwrap();
    wait_until(|| async { deliveries(&scrape(&app).await, "retry") >= 1.0 }).await;
    app.clock.advance(Duration::minutes(90));
    let text = scrape(&app).await;
    assert_eq!(value(&text, "portcullis_outbox_queued_messages"), 1.0);
    assert!(value(&text, "portcullis_outbox_oldest_queued_age_seconds") >= 5400.0, "{text}");

    app.clock.advance(Duration::hours(49));
    wait_until(|| async { deliveries(&scrape(&app).await, "gave_up") == 1.0 }).await;
    // The attempt is counted as it ends; its outcome is written right after.
    wait_until(|| async { value(&scrape(&app).await, "portcullis_outbox_queued_messages") == 0.0 }).await;

    relay.resume().await;
    app.portal.send_test_mail(&primary).await.unwrap();
    wait_until(|| async { deliveries(&scrape(&app).await, "sent") == 1.0 }).await;
    wait_until(|| async { value(&scrape(&app).await, "portcullis_outbox_queued_messages") == 0.0 }).await;
    assert_eq!(value(&scrape(&app).await, "portcullis_outbox_oldest_queued_age_seconds"), 0.0);
}

#[tokio::test]
async fn a_due_message_nobody_takes_shows_as_due_and_ageing() {
    let app = spawn_app().await;
    let primary = LoginName::parse(&app.create_account(INITIAL_PASSWORD).await).unwrap();
    // No worker runs: as when every instance's worker is stuck.
    app.kill().await;

    app.portal.send_test_mail(&primary).await.unwrap();
    app.clock.advance(Duration::minutes(10));
    let text = app.portal.scrape_metrics().await;
    assert_eq!(value(&text, "portcullis_outbox_due_messages"), 1.0);
    assert!(value(&text, "portcullis_outbox_oldest_due_age_seconds") >= 600.0, "{text}");
}

#[derive(serde::Deserialize)]
struct RuleFile {
    groups: Vec<RuleGroup>,
}

#[derive(serde::Deserialize)]
struct RuleGroup {
    rules: Vec<AlertRule>,
}

#[derive(serde::Deserialize)]
struct AlertRule {
    alert: String,
    expr: String,
    labels: std::collections::BTreeMap<String, String>,
    annotations: std::collections::BTreeMap<String, String>,
}

/// Prometheus' own series, which a rule may use beside the portal's.
const PROMETHEUS_SERIES: [&str; 1] = ["up"];

#[tokio::test]
async fn the_sample_alert_rules_use_only_series_the_portal_exports() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/prometheus");
    let text = std::fs::read_to_string(dir.join("alerts.yml")).expect("deploy/prometheus/alerts.yml");
    let file: RuleFile = serde_yaml_ng::from_str(&text).expect("alert rules parse");
    let app = spawn_app().await;
    assert_eq!(app.get(&app.client(), "/healthz").await.status(), StatusCode::OK);
    let exported = scrape(&app).await;

    let rules: Vec<&AlertRule> = file.groups.iter().flat_map(|g| &g.rules).collect();
    let names: Vec<&str> = rules.iter().map(|r| r.alert.as_str()).collect();
    for wanted in
        ["PortcullisOutboxStuck", "PortcullisHashPoolSaturated", "PortcullisNotReady", "PortcullisServerErrors"]
    {
        assert!(names.contains(&wanted), "{wanted} missing");
    }
    for rule in rules {
        assert!(["critical", "warning"].contains(&rule.labels["severity"].as_str()), "{}: severity", rule.alert);
        assert!(rule.annotations.contains_key("summary"), "{}: summary", rule.alert);
        let series = series_in(&rule.expr);
        assert!(!series.is_empty(), "{}: names no series", rule.alert);
        for name in series.into_iter().filter(|name| !PROMETHEUS_SERIES.contains(name)) {
            let sample = |line: &str| line.strip_prefix(name).is_some_and(|rest| rest.starts_with(['{', ' ']));
            assert!(exported.lines().any(sample), "{}: {name} is not exported", rule.alert);
        }
    }
    promtool(&dir, &["check", "rules", "alerts.yml"]);
    promtool(&dir, &["test", "rules", "alerts_test.yml"]);
}

/// The series a PromQL expression reads: the portal's (`portcullis_…`) and Prometheus' `up`.
fn series_in(expr: &str) -> Vec<&str> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut names = Vec::new();
    let mut rest = expr;
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphabetic()) {
        let tail = &rest[start..];
        let end = tail.find(|c: char| !is_name(c)).unwrap_or(tail.len());
        let word = &tail[..end];
        let standalone = !rest[..start].ends_with(is_name);
        if standalone && (word.starts_with("portcullis_") || PROMETHEUS_SERIES.contains(&word)) {
            names.push(word);
        }
        rest = &tail[end..];
    }
    names
}

/// Runs `promtool` (Debian package `prometheus`) on the rule files when it is installed.
fn promtool(dir: &std::path::Path, args: &[&str]) {
    match std::process::Command::new("promtool").args(args).current_dir(dir).output() {
        Ok(output) => {
            assert!(output.status.success(), "promtool {args:?}:\n{}", String::from_utf8_lossy(&output.stdout))
        }
        Err(_) => eprintln!("promtool is not installed: the rules were checked by parsing only"),
    }
}
