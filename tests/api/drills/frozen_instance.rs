//! Two instances on one PostgreSQL database; one is frozen (SIGSTOP) inside a write transaction
//! that holds the audit chain's lock. The other must answer its sign-ins with a quick 503
//! instead of hanging, and serve again as soon as the frozen one is killed.

use std::time::{Duration, Instant};

use rand08::Rng;
use reqwest::StatusCode;
use sqlx::Connection;
use tokio::task::JoinSet;

use super::{DRILL_SETTINGS, Site, assert_audit_verifies, assert_unavailable_page, cheap_hashes, number};
use crate::helpers::{INITIAL_PASSWORD, TestApp, spawn_app_with, using_postgres};
use crate::processes::PortalProcess;

const LOCK_TIMEOUT_MS: u64 = 1000;
const WRITERS: usize = 4;

#[tokio::test]
async fn an_instance_frozen_holding_the_audit_lock_costs_the_other_a_quick_503_and_it_recovers_when_killed() {
    if !using_postgres() {
        return; // SQLite serves one instance; its busy timeout is covered by stuck_writer.
    }
    let app = spawn_app_with(cheap_hashes).await;
    let mut writers = Vec::new();
    for _ in 0..WRITERS {
        writers.push(app.create_account(INITIAL_PASSWORD).await);
    }
    let bystander = app.create_account(INITIAL_PASSWORD).await;
    app.stop().await;

    // A names its connections so the drill can see which locks are A's.
    let url_a: &'static str = format!("{}?application_name=drill_frozen", app.db_url).leak();
    let mut settings_a = DRILL_SETTINGS.to_vec();
    // The server must not end A's transaction by itself while the drill looks at it.
    settings_a.extend([
        ("PORTCULLIS_DATABASE__URL", url_a),
        ("PORTCULLIS_DATABASE__IDLE_IN_TRANSACTION_TIMEOUT_MS", "120000"),
    ]);
    let mut settings_b = DRILL_SETTINGS.to_vec();
    let lock_timeout: &'static str = LOCK_TIMEOUT_MS.to_string().leak();
    settings_b.push(("PORTCULLIS_DATABASE__LOCK_TIMEOUT_MS", lock_timeout));
    let frozen = PortalProcess::start(&app, &settings_a).await;
    let other = PortalProcess::start(&app, &settings_b).await;
    let (site_a, site_b) = (Site::of(&frozen), Site::of(&other));

    let mut load = JoinSet::new();
    for login in writers {
        load.spawn(sign_in_again_and_again(Site::of(&frozen), login));
    }
    let tries = freeze_holding_the_audit_lock(&frozen, &app).await;
    eprintln!("frozen instance drill: A frozen holding the audit lock after {tries} tries");

    // B: a sign-in (which writes its audit entry) is refused quickly with a page, not a hang.
    let client = Site::client(Duration::from_secs(30));
    let asked = Instant::now();
    let answer = site_b.sign_in_answer(&client, &bystander, INITIAL_PASSWORD).await.expect("B answers");
    let waited = asked.elapsed();
    let status = answer.status();
    eprintln!(
        "frozen instance drill: B's sign-in answered {status} after {waited:.1?} (lock timeout {LOCK_TIMEOUT_MS} ms)"
    );
    assert!(waited < Duration::from_secs(10), "B answered within 10 s, not after {waited:?}");
    assert_unavailable_page(answer).await;
    // Pages that only read are served as usual, and B says it is ready: its database answers,
    // and taking every healthy instance out of rotation for one frozen one would be a total outage.
    assert_eq!(site_b.get(&client, "/login").await.expect("B answers").status(), StatusCode::OK);
    let ready = site_b.get(&client, "/readyz").await.expect("B's readiness answers").status();
    eprintln!("frozen instance drill: B's /readyz said {ready} meanwhile");
    assert_eq!(ready, StatusCode::OK);

    frozen.signal("KILL").await;
    let killed = Instant::now();
    let deadline = killed + Duration::from_secs(15);
    loop {
        let status = site_b.sign_in(&Site::client(Duration::from_secs(15)), &bystander, INITIAL_PASSWORD).await;
        if matches!(status, Ok(StatusCode::SEE_OTHER)) {
            break;
        }
        assert!(Instant::now() < deadline, "B did not recover within 15 s of A's death: {status:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("frozen instance drill: B signs in again {:.1?} after A was killed", killed.elapsed());
    drop(load);
    drop(site_a);
    assert_audit_verifies(&app).await;
}

/// Freezes and thaws A at random moments until it is frozen inside a transaction holding the
/// audit chain's lock; returns how many tries that took.
async fn freeze_holding_the_audit_lock(process: &PortalProcess, app: &TestApp) -> usize {
    // Idle in transaction: the server has done all it was asked and waits for A's next word,
    // which a frozen A never sends. Seen twice, so that a COMMIT still on its way does not count.
    let holding = "SELECT COUNT(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                   WHERE a.application_name = 'drill_frozen' AND a.state = 'idle in transaction' AND l.granted \
                   AND l.relation = 'audit_head'::regclass AND l.mode IN ('RowShareLock', 'RowExclusiveLock')";
    let held = || async {
        if number(&app.db_url, holding).await == 0 || !row_locked(&app.db_url).await {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        number(&app.db_url, holding).await > 0 && row_locked(&app.db_url).await
    };
    let started = Instant::now();
    for tries in 1.. {
        assert!(started.elapsed() < Duration::from_secs(60), "A was never caught holding the lock");
        let moment = rand08::thread_rng().gen_range(20..120);
        tokio::time::sleep(Duration::from_millis(moment)).await;
        process.signal("STOP").await;
        if held().await {
            return tries;
        }
        process.signal("CONT").await;
    }
    unreachable!("the loop returns or fails")
}

/// Whether the audit chain's head row is locked: taking it without waiting fails.
async fn row_locked(db_url: &str) -> bool {
    let mut conn = sqlx::PgConnection::connect(db_url).await.expect("connect");
    let taken = sqlx::raw_sql("BEGIN; SELECT 1 FROM audit_head WHERE id = 1 FOR UPDATE NOWAIT; ROLLBACK")
        .execute(&mut conn)
        .await;
    taken.is_err()
}

/// Signs `login` in (a write that takes the audit lock) again and again; errors while A is
/// frozen are expected.
async fn sign_in_again_and_again(site: Site, login: String) {
    loop {
        let _ = site.sign_in(&Site::client(Duration::from_secs(2)), &login, INITIAL_PASSWORD).await;
    }
}
