use std::time::Duration;

use reqwest::StatusCode;
use tokio::task::JoinHandle;

use portcullis::config::Settings;
use portcullis::domain::{Password, StaffRole};

use crate::helpers::{INITIAL_PASSWORD, TestApp, csrf_token, spawn_app_with};
use crate::stuck_writer::StuckWriter;

#[tokio::test]
async fn a_sign_in_flood_beyond_the_hash_queue_gets_503_with_retry_after_while_cheap_pages_answer() {
    let app = spawn_app_with(|s| {
        s.hashing.workers = 1;
        s.hashing.queue = 0;
    })
    .await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.client();
    let csrf = csrf_token(&app.get_html(&client, "/login").await);

    let flood: Vec<_> = (0..16)
        .map(|_| {
            let request = client.post(app.url("/login")).form(&[
                ("csrf", csrf.as_str()),
                ("login_name", primary.as_str()),
                ("password", "Wrong#Pass1"),
            ]);
            tokio::spawn(async move { request.send().await.expect("response") })
        })
        .collect();
    let health = tokio::time::timeout(Duration::from_secs(5), app.client().get(app.url("/healthz")).send()).await;
    let mut statuses = Vec::new();
    let mut retry_after = Vec::new();
    for request in flood {
        let response = request.await.expect("task");
        statuses.push(response.status());
        if let Some(value) = response.headers().get("retry-after") {
            retry_after.push(value.to_str().unwrap().to_string());
        }
    }

    assert!(statuses.contains(&StatusCode::SERVICE_UNAVAILABLE), "{statuses:?}");
    assert!(statuses.contains(&StatusCode::UNAUTHORIZED), "{statuses:?}");
    assert!(!retry_after.is_empty() && retry_after.iter().all(|v| v == "2"));
    assert_eq!(health.expect("health answers during the flood").unwrap().status(), StatusCode::OK);
    assert!(app.metric("portcullis_hash_pool_refused_total").await > 0);
}

/// Long enough that nothing in these tests ends by a timeout of the database's own.
fn one_slow_connection(s: &mut Settings) {
    s.database.max_connections = 1;
    s.database.acquire_timeout_seconds = 30;
    s.database.lock_timeout_ms = 30_000;
    s.database.statement_timeout_ms = 30_000;
}

/// Makes the database stop answering this instance: with `stuck` holding the audit lock, a
/// failed sign-in waits inside its bookkeeping transaction on the app's only connection.
/// Returns that sign-in, once the pool has no connection left to give.
async fn occupy_the_only_connection(app: &TestApp, login: &str) -> JoinHandle<StatusCode> {
    let client = app.client();
    let csrf = csrf_token(&app.get_html(&client, "/login").await);
    let fields = [("csrf", csrf), ("login_name", login.to_string()), ("password", "Wrong#Pass1".to_string())];
    let request = client.post(app.url("/login")).form(&fields);
    let occupant = tokio::spawn(async move { request.send().await.expect("response").status() });
    // Out of reach once pings wait in vain several times in a row (a busy machine may be slow once).
    let out_of_reach = async {
        let mut unanswered = 0;
        while unanswered < 3 {
            let answered = tokio::time::timeout(Duration::from_millis(500), app.portal.database_ready()).await.is_ok();
            unanswered = if answered { 0 } else { unanswered + 1 };
            if answered {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), out_of_reach).await.expect("the only connection is taken");
    // Its hash is done (a busy machine may still be finishing it): the hash pool is free again.
    let hashed = async {
        while app.hash_pool("portcullis_hash_pool_admitted") > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(20), hashed).await.expect("the occupant's hash is done");
    occupant
}

#[tokio::test]
async fn with_the_hash_pool_full_a_sign_in_is_refused_at_once_without_waiting_for_the_database() {
    let app = spawn_app_with(|s| {
        (s.hashing.workers, s.hashing.queue) = (1, 0);
        one_slow_connection(s);
    })
    .await;
    let login = app.create_account(INITIAL_PASSWORD).await;
    app.portal.create_staff("agent.smith", StaffRole::Support, &Password::new(INITIAL_PASSWORD)).await.unwrap();
    let (customer, staff) = (app.client(), app.client());
    let customer_csrf = csrf_token(&app.get_html(&customer, "/login").await);
    let staff_csrf = csrf_token(&app.get_html(&staff, "/staff/login").await);
    let stuck = StuckWriter::hold(&app).await;
    let occupant = occupy_the_only_connection(&app, &login).await;

    // This one takes the pool's only place, then waits for the database.
    let waiting = app.client();
    let waiting_csrf = csrf_token(&app.get_html(&waiting, "/login").await);
    let waiting_request = waiting.post(app.url("/login")).form(&[
        ("csrf", waiting_csrf.as_str()),
        ("login_name", &login),
        ("password", "Wrong#Pass2"),
    ]);
    let waiting = tokio::spawn(async move { waiting_request.send().await.expect("response").status() });
    let pool_full = async {
        while app.hash_pool("portcullis_hash_pool_admitted") == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(3), pool_full).await;

    let refused = [
        customer.post(app.url("/login")).form(&[
            ("csrf", customer_csrf.as_str()),
            ("login_name", &login),
            ("password", INITIAL_PASSWORD),
        ]),
        staff.post(app.url("/staff/login")).form(&[
            ("csrf", staff_csrf.as_str()),
            ("username", "agent.smith"),
            ("password", INITIAL_PASSWORD),
        ]),
    ];
    for request in refused {
        let answer = tokio::time::timeout(Duration::from_secs(5), request.send())
            .await
            .expect("a sign-in the full pool refuses is answered without waiting for the database")
            .unwrap();
        assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.headers()["retry-after"], "2");
        assert!(answer.text().await.unwrap().contains("The portal is busy right now"), "the hash pool's page");
    }
    assert_eq!(
        app.hash_pool("portcullis_hash_pool_refused_total"),
        2,
        "both were refused by the hash pool, not by the database"
    );

    stuck.roll_back().await;
    assert_eq!(occupant.await.unwrap(), StatusCode::UNAUTHORIZED);
    assert_eq!(waiting.await.unwrap(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.sign_in(&app.client(), &login, INITIAL_PASSWORD).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn readiness_says_503_within_a_second_when_the_database_does_not_answer() {
    let app = spawn_app_with(one_slow_connection).await;
    let login = app.create_account(INITIAL_PASSWORD).await;
    let readyz = format!("{}/readyz", app.admin_address.as_deref().expect("admin listener"));
    let probe = reqwest::Client::new();
    assert_eq!(probe.get(&readyz).send().await.unwrap().status(), StatusCode::OK);
    let stuck = StuckWriter::hold(&app).await;
    let occupant = occupy_the_only_connection(&app, &login).await;

    let answer = tokio::time::timeout(Duration::from_secs(5), probe.get(&readyz).send())
        .await
        .expect("readiness answers within its own bound, well before the pool's 30 s acquire timeout")
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.text().await.unwrap(), "database unavailable\n");

    stuck.roll_back().await;
    assert_eq!(occupant.await.unwrap(), StatusCode::UNAUTHORIZED);
    assert_eq!(probe.get(&readyz).send().await.unwrap().status(), StatusCode::OK, "ready again");
}
