use portcullis::domain::LoginName;
use reqwest::StatusCode;
use time::Duration;

use crate::helpers::{INITIAL_PASSWORD, csrf_token, location, spawn_app, spawn_app_with};

/// The page minus the per-visitor parts: CSRF token and the echoed login name.
fn comparable(html: &str, typed_name: &str) -> String {
    html.replace(&csrf_token(html), "CSRF").replace(&format!("value=\"{typed_name}\""), "value=\"NAME\"")
}

#[tokio::test]
async fn a_primary_login_signs_in_and_lands_on_my_profile() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.client();

    let response = app.sign_in(&client, &primary, INITIAL_PASSWORD).await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/profile");
    let profile = app.get_html(&client, "/profile").await;
    assert!(profile.contains(&primary));
    assert!(profile.contains("Primary login (account administrator)"));
    assert!(profile.contains("admin@acme.example"));
}

#[tokio::test]
async fn a_secondary_login_signs_in_and_sees_its_kind() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, "jane.doe", "Jane#Pass1").await;

    let client = app.signed_in_client("Jane.Doe", "Jane#Pass1").await;

    let profile = app.get_html(&client, "/profile").await;
    assert!(profile.contains("jane.doe"));
    assert!(profile.contains("Secondary login"));
}

#[tokio::test]
async fn unknown_login_and_wrong_password_get_the_same_page_and_status() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;

    let wrong = app.sign_in(&app.client(), &primary, "Wrong#Pass1").await;
    let wrong_status = wrong.status();
    let wrong_body = comparable(&wrong.text().await.unwrap(), &primary);
    let unknown = app.sign_in(&app.client(), "ZZZ0000", "Wrong#Pass1").await;
    let unknown_status = unknown.status();
    let unknown_body = comparable(&unknown.text().await.unwrap(), "ZZZ0000");
    let malformed = app.sign_in(&app.client(), "x", "Wrong#Pass1").await;
    let malformed_body = comparable(&malformed.text().await.unwrap(), "x");

    assert_eq!(wrong_status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_status, wrong_status);
    assert_eq!(unknown_body, wrong_body);
    assert_eq!(malformed_body, wrong_body);
    assert!(wrong_body.contains("The login name or password is incorrect"));
}

#[tokio::test]
async fn the_hasher_runs_exactly_once_for_an_unknown_login_and_for_a_wrong_password() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let metric = "portcullis_password_verifications_total";

    let before = app.metric(metric).await;
    app.sign_in(&app.client(), "ZZZ0000", "Wrong#Pass1").await;
    let after_unknown = app.metric(metric).await;
    app.sign_in(&app.client(), &primary, "Wrong#Pass1").await;
    let after_wrong = app.metric(metric).await;

    assert_eq!(after_unknown - before, 1);
    assert_eq!(after_wrong - after_unknown, 1);
}

#[tokio::test]
async fn a_primary_login_name_is_accepted_in_any_case_with_surrounding_spaces() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;

    let response = app.sign_in(&app.client(), &format!("  {}  ", primary.to_lowercase()), INITIAL_PASSWORD).await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn repeated_failures_lock_the_login_until_the_delay_has_passed() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    for _ in 0..5 {
        assert_eq!(app.sign_in(&app.client(), &primary, "Wrong#Pass1").await.status(), StatusCode::UNAUTHORIZED);
    }

    let while_locked = app.sign_in(&app.client(), &primary.to_lowercase(), INITIAL_PASSWORD).await;
    assert_eq!(while_locked.status(), StatusCode::UNAUTHORIZED, "the right password is refused while locked");
    assert!(while_locked.text().await.unwrap().contains("The login name or password is incorrect"));

    app.clock.advance(Duration::seconds(31));
    let after_delay = app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await;
    assert_eq!(after_delay.status(), StatusCode::SEE_OTHER);
    assert!(app.audit_actions().await.contains(&"login_locked".to_string()));
}

#[tokio::test]
async fn the_delay_doubles_with_each_further_failure_and_attempts_while_locked_do_not_count() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    for _ in 0..5 {
        app.sign_in(&app.client(), &primary, "Wrong#Pass1").await;
    }
    // Locked for 30 s: these attempts are refused without extending the lock.
    for _ in 0..3 {
        app.sign_in(&app.client(), &primary, "Wrong#Pass1").await;
    }
    app.clock.advance(Duration::seconds(31));
    app.sign_in(&app.client(), &primary, "Wrong#Pass1").await; // 6th counted failure: 60 s

    app.clock.advance(Duration::seconds(59));
    assert_eq!(app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    app.clock.advance(Duration::seconds(2));
    assert_eq!(app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_successful_sign_in_clears_the_failure_count() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    for _ in 0..4 {
        app.sign_in(&app.client(), &primary, "Wrong#Pass1").await;
    }
    app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    for _ in 0..4 {
        app.sign_in(&app.client(), &primary, "Wrong#Pass1").await;
    }

    let response = app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER, "4 + 4 failures with a success between do not lock");
}

#[tokio::test]
async fn too_many_failures_from_one_address_are_refused_with_retry_after() {
    let app = spawn_app_with(|s| s.rate_limit.address_max_failures = 3).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    for name in ["AAA0001", "AAA0002", "AAA0003"] {
        app.sign_in(&app.client(), name, "Wrong#Pass1").await;
    }

    let response = app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await;

    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "900");
    app.clock.advance(Duration::minutes(16));
    assert_eq!(app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_hash_made_with_old_parameters_is_redone_at_sign_in() {
    let app = spawn_app_with(|s| s.hashing.memory_kib = 8192).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let (db_url, key_file) = (app.db_url.clone(), app.settings.secrets.key_file.clone());
    let upgraded = crate::helpers::spawn_app_with(|s| {
        s.database.url = db_url.parse().unwrap();
        s.secrets.key_file = key_file;
    })
    .await;

    let response = upgraded.sign_in(&upgraded.client(), &primary, INITIAL_PASSWORD).await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let login = upgraded.store().await.login_by_name(&LoginName::parse(&primary).unwrap()).await.unwrap().unwrap();
    let stored = login.password_hash.unwrap();
    assert!(stored.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "re-hashed with current parameters");
    assert_eq!(upgraded.sign_in(&upgraded.client(), &primary, INITIAL_PASSWORD).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn one_address_trying_one_password_on_many_valid_format_ids_is_refused_after_its_budget() {
    let app = spawn_app().await;
    let budget = app.settings.rate_limit.address_max_failures;
    for n in 0..budget {
        let name = format!("ABC{n:04}");
        assert_eq!(app.sign_in(&app.client(), &name, "Summer#2026x").await.status(), StatusCode::UNAUTHORIZED);
    }

    let refused = app.sign_in(&app.client(), "ABC9998", "Summer#2026x").await;

    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS, "after {budget} failures");
    assert_eq!(refused.headers()["retry-after"], "900");
}

#[tokio::test]
async fn a_spoofed_x_forwarded_for_is_ignored_without_a_trusted_proxy() {
    let app = spawn_app_with(|s| s.rate_limit.address_max_failures = 3).await;
    let sign_in_from = |spoofed: &'static str| {
        let app = &app;
        async move {
            let client = app.client();
            let csrf = csrf_token(&app.get_html(&client, "/login").await);
            let form = [("csrf", csrf.as_str()), ("login_name", "ABC0001"), ("password", "Summer#2026x")];
            let request = client.post(app.url("/login")).header("x-forwarded-for", spoofed).form(&form);
            request.send().await.unwrap().status()
        }
    };
    for spoofed in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        assert_eq!(sign_in_from(spoofed).await, StatusCode::UNAUTHORIZED);
    }

    assert_eq!(sign_in_from("198.51.100.4").await, StatusCode::TOO_MANY_REQUESTS, "all counted as 127.0.0.1");
    let entries = app.portal.recent_audit(10).await.unwrap();
    assert!(
        entries.iter().filter(|e| e.action == "sign_in_failed").all(|e| e.source_ip.as_deref() == Some("127.0.0.1"))
    );
}

#[tokio::test]
async fn a_failed_sign_in_is_answered_no_sooner_than_the_set_time_whether_or_not_the_name_exists() {
    let app = spawn_app_with(|s| s.lockout.failed_sign_in_ms = 400).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;

    for name in [primary.as_str(), "ZZZ0000", "x"] {
        let client = app.client();
        let csrf = csrf_token(&app.get_html(&client, "/login").await);
        let started = std::time::Instant::now();
        let fields = [("csrf", csrf.as_str()), ("login_name", name), ("password", "Wrong#Pass1")];
        let response = app.post_form(&client, "/login", &fields).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(started.elapsed() >= std::time::Duration::from_millis(400), "{name} answered early");
    }
    let started = std::time::Instant::now();
    assert_eq!(app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await.status(), StatusCode::SEE_OTHER);
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "a success is not held back");
}
