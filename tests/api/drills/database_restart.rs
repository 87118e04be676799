//! PostgreSQL restarts while people sign in, look at pages and change passwords. During the
//! outage every request answers within the acquire timeout with a 503 page (no hang, no 500),
//! /readyz says 503, and afterwards the same process serves again; nothing is half-applied.
//!
//! The drill restarts a cluster of its own ("drills", created on first use), never the one
//! other tests share.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sqlx::Connection;
use tokio::task::JoinSet;

use super::{
    DRILL_SETTINGS, Site, assert_audit_verifies, assert_changes_complete, assert_unavailable_page, cheap_hashes,
    login_id,
};
use crate::helpers::{INITIAL_PASSWORD, spawn_app_with, using_postgres};
use crate::processes::PortalProcess;

const CLUSTER: &str = "drills";
const ACQUIRE_TIMEOUT_SECONDS: u64 = 2;
/// How long the database stays down: longer than the acquire timeout, so requests meet it.
const OUTAGE: Duration = Duration::from_secs(4);
const BROWSERS: usize = 3;

/// One answer the load got: when it was asked, how long it took, and its status (None: no
/// answer at all, which the drill never accepts).
struct Answer {
    what: &'static str,
    asked: Instant,
    took: Duration,
    status: Option<StatusCode>,
}

#[tokio::test]
async fn a_database_restart_under_load_gives_clean_503s_and_the_instance_serves_again_without_a_restart() {
    if !using_postgres() {
        return; // SQLite has no server to restart.
    }
    let port = drill_cluster().await;
    let url = fresh_database(port).await;
    let app = spawn_app_with(|s| {
        cheap_hashes(s);
        s.database.url = url.parse().unwrap();
    })
    .await;
    let mut browsers = Vec::new();
    for _ in 0..BROWSERS {
        browsers.push(app.create_account(INITIAL_PASSWORD).await);
    }
    let changer = app.create_account(INITIAL_PASSWORD).await;
    let changer_id = login_id(&app, &changer).await;
    app.stop().await;

    let mut settings = DRILL_SETTINGS.to_vec();
    let acquire: &'static str = ACQUIRE_TIMEOUT_SECONDS.to_string().leak();
    settings.push(("PORTCULLIS_DATABASE__ACQUIRE_TIMEOUT_SECONDS", acquire));
    let process = PortalProcess::start(&app, &settings).await;
    let site = Arc::new(Site::of(&process));
    let answers = Arc::new(Mutex::new(Vec::new()));
    let running = Arc::new(AtomicBool::new(true));
    let mut load = JoinSet::new();
    for login in browsers.clone() {
        load.spawn(browse(site.clone(), login, answers.clone(), running.clone()));
    }
    let changes = tokio::spawn(change_until_refused(site.clone(), changer.clone()));

    tokio::time::sleep(Duration::from_secs(1)).await;
    let stopping = Instant::now();
    pg_ctlcluster("stop").await;
    let down = Instant::now();
    eprintln!("database restart drill: the database stopped in {:.1?}", down - stopping);
    let readiness = readiness_while_down(&site).await;
    let starting = Instant::now();
    pg_ctlcluster("start").await;
    let up = Instant::now();
    eprintln!("database restart drill: the database started again in {:.1?}", up - starting);
    let recovered = serves_again(&site, &browsers[0]).await;
    let recovery = recovered - up;
    running.store(false, Ordering::SeqCst);
    while load.join_next().await.is_some() {}
    let (acknowledged, in_flight) = changes.await.unwrap();

    let answers = std::mem::take(&mut *answers.lock().unwrap());
    report(&answers, down, starting, recovery, &readiness);
    for answer in &answers {
        let status = answer.status.unwrap_or_else(|| panic!("a request got no answer within 20 s"));
        assert!(status != StatusCode::INTERNAL_SERVER_ERROR, "a request answered 500");
        assert!(
            answer.took < Duration::from_secs(ACQUIRE_TIMEOUT_SECONDS + 4),
            "a request took {:?}, longer than the acquire timeout allows",
            answer.took
        );
    }
    assert!(answers.iter().any(|a| a.status == Some(StatusCode::SERVICE_UNAVAILABLE)), "the load met the outage");
    assert!(readiness.contains(&StatusCode::SERVICE_UNAVAILABLE), "/readyz said 503 during the outage");
    assert!(recovery < Duration::from_secs(30), "serving again took {recovery:?}");

    let applied = settle(&site, &changer, acknowledged, in_flight).await;
    assert_changes_complete(&app, &changer_id, applied, 6).await;
    assert_audit_verifies(&app).await;
    drop(process);
    drop_database(port, &app.db_url).await;
}

/// Signs in, views pages and signs out, again and again, keeping every answer.
async fn browse(site: Arc<Site>, login: String, answers: Arc<Mutex<Vec<Answer>>>, running: Arc<AtomicBool>) {
    while running.load(Ordering::SeqCst) {
        let client = Site::client(Duration::from_secs(20));
        let asked = Instant::now();
        let answer = site.sign_in_answer(&client, &login, INITIAL_PASSWORD).await.ok();
        let status = answer.as_ref().map(reqwest::Response::status);
        if let Some(answer) = answer.filter(|a| a.status() == StatusCode::SERVICE_UNAVAILABLE) {
            assert_unavailable_page(answer).await;
        }
        answers.lock().unwrap().push(Answer { what: "sign-in", asked, took: asked.elapsed(), status });
        for path in ["/profile", "/login"] {
            let asked = Instant::now();
            let answer = site.get(&client, path).await.ok();
            let status = answer.as_ref().map(reqwest::Response::status);
            if let Some(answer) = answer.filter(|a| a.status() == StatusCode::SERVICE_UNAVAILABLE) {
                assert_unavailable_page(answer).await;
            }
            answers.lock().unwrap().push(Answer { what: path, asked, took: asked.elapsed(), status });
        }
    }
}

/// Changes the password until a change is not acknowledged; returns how many were, and the
/// password of the change left in doubt.
async fn change_until_refused(site: Arc<Site>, login: String) -> (Vec<String>, Option<String>) {
    let mut acknowledged: Vec<String> = Vec::new();
    for n in 1.. {
        let current = acknowledged.last().map_or(INITIAL_PASSWORD.to_string(), Clone::clone);
        let client = Site::client(Duration::from_secs(20));
        if site.sign_in(&client, &login, &current).await.ok() != Some(StatusCode::SEE_OTHER) {
            return (acknowledged, None);
        }
        let new = format!("Restart#Change{n}");
        match site.change_password(&client, &current, &new).await {
            Ok(StatusCode::SEE_OTHER) => acknowledged.push(new),
            _ => return (acknowledged, Some(new)),
        }
    }
    unreachable!("the loop returns")
}

/// Exactly one of the last acknowledged and the doubtful password works; returns how many
/// changes were applied.
async fn settle(site: &Site, login: &str, acknowledged: Vec<String>, in_flight: Option<String>) -> i64 {
    let current = acknowledged.last().map_or(INITIAL_PASSWORD.to_string(), Clone::clone);
    let old_works = site.password_works(login, &current).await;
    let applied = acknowledged.len() as i64;
    let Some(new) = in_flight else {
        assert!(old_works, "the acknowledged password works");
        return applied;
    };
    let new_works = site.password_works(login, &new).await;
    assert!(old_works != new_works, "exactly one password works (old: {old_works}, in doubt: {new_works})");
    applied + i64::from(new_works)
}

/// Asks /readyz every 200 ms while the database is down.
async fn readiness_while_down(site: &Site) -> Vec<StatusCode> {
    let client = Site::client(Duration::from_secs(20));
    let until = Instant::now() + OUTAGE;
    let mut statuses = Vec::new();
    while Instant::now() < until {
        let status = site.get(&client, "/readyz").await.expect("/readyz answers during the outage").status();
        statuses.push(status);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    statuses
}

/// Waits until a sign-in succeeds again; returns when.
async fn serves_again(site: &Site, login: &str) -> Instant {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let client = Site::client(Duration::from_secs(20));
        if site.sign_in(&client, login, INITIAL_PASSWORD).await.ok() == Some(StatusCode::SEE_OTHER) {
            return Instant::now();
        }
        assert!(Instant::now() < deadline, "the instance did not serve again within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn report(answers: &[Answer], down: Instant, starting: Instant, recovery: Duration, readiness: &[StatusCode]) {
    let mut during = BTreeMap::new();
    for answer in answers.iter().filter(|a| a.asked >= down && a.asked < starting) {
        let status = answer.status.map_or("none".to_string(), |s| s.as_u16().to_string());
        *during.entry(format!("{} {status}", answer.what)).or_insert(0) += 1;
    }
    let slowest = answers.iter().map(|a| a.took).max().unwrap_or_default();
    eprintln!(
        "database restart drill: {} requests; asked in the {:.1?} the database was down, by status {during:?} \
         (/login needs no database; /profile without a session redirects); slowest answer {slowest:.1?}; /readyz meanwhile {:?}; serving again \
         {recovery:.1?} after the database was back",
        answers.len(),
        starting - down,
        readiness.iter().map(StatusCode::as_u16).collect::<Vec<_>>()
    );
}

/// The PostgreSQL version whose clusters the machine has (the newest installed).
fn postgres_version() -> String {
    let versions = std::fs::read_dir("/etc/postgresql").expect("PostgreSQL is installed");
    let mut versions: Vec<String> = versions.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect();
    versions.sort_by_key(|v| v.parse::<u32>().unwrap_or(0));
    versions.pop().expect("a PostgreSQL version")
}

/// Runs `pg_ctlcluster VERSION drills ACTION`.
async fn pg_ctlcluster(action: &str) {
    let status = tokio::process::Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", &postgres_version(), CLUSTER, action])
        .status()
        .await
        .expect("pg_ctlcluster runs");
    assert!(status.success(), "pg_ctlcluster {action} failed");
}

/// The drill cluster's port: created (trusting local connections) on first use, started when
/// it is not running. Creating it again is never needed, so this is quick after the first time.
async fn drill_cluster() -> u16 {
    let version = postgres_version();
    let listed = tokio::process::Command::new("pg_lsclusters").arg("-h").output().await.expect("pg_lsclusters runs");
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    let ours = listed.lines().map(|l| l.split_whitespace().collect::<Vec<_>>()).find(|f| f.get(1) == Some(&CLUSTER));
    match ours {
        Some(fields) => {
            if fields[3] != "online" {
                pg_ctlcluster("start").await;
            }
            fields[2].parse().expect("a port")
        }
        None => {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
            let created = tokio::process::Command::new("pg_createcluster")
                .args([&version, CLUSTER, "-p", &port, "--start", "--", "--auth=trust"])
                .output()
                .await
                .expect("pg_createcluster runs");
            assert!(
                created.status.success(),
                "creating the drill cluster failed: {}",
                String::from_utf8_lossy(&created.stderr)
            );
            port.parse().expect("a port")
        }
    }
}

/// Drops the drill's database, so the drill cluster does not fill up with old ones.
async fn drop_database(port: u16, url: &str) {
    let name = url.rsplit('/').next().expect("a database name");
    let admin = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect");
    let sql = format!("DROP DATABASE {name} WITH (FORCE)");
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.expect("drop the drill database");
}

/// A new database on the drill cluster.
async fn fresh_database(port: u16) -> String {
    let admin = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let mut conn = None;
    for _ in 0..50 {
        match sqlx::PgConnection::connect(&admin).await {
            Ok(c) => {
                conn = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let mut conn = conn.expect("the drill cluster accepts connections");
    let name = format!("pc_drill_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create database");
    format!("postgres://postgres@127.0.0.1:{port}/{name}")
}
