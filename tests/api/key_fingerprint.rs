//! Instances sharing a database must share the secret key: the database keeps the key's
//! fingerprint, and a portal started with another key file refuses to start.

use std::process::Output;
use std::time::Duration;

use portcullis::crypto::seal::MasterKey;

use crate::cli::{portcullis, stderr};
use crate::helpers::{TestApp, spawn_app};

const REFUSAL: &str = "secrets.key_file holds another secret key than the one this database was set up with";

/// Runs `portcullis ARGS` on the app's database with the key file at `key_file`.
async fn with_key(app: &TestApp, key_file: &std::path::Path, args: &[&str]) -> Output {
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(args)
        .env("PORTCULLIS_DATABASE__URL", &app.db_url)
        .env("PORTCULLIS_SECRETS__KEY_FILE", key_file)
        .env("PORTCULLIS_MAIL__DIR", &app.settings.mail.dir)
        .env("PORTCULLIS_HTTP__LISTEN", "127.0.0.1:0")
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(Duration::from_secs(60), run).await.expect("finishes within 60 s").expect("runs")
}

fn assert_refused_for_the_key(output: &Output, command: &str) {
    assert!(!output.status.success(), "{command} with another key must fail");
    let message = stderr(output);
    assert!(message.contains(REFUSAL), "{command}: {message}");
    assert!(message.contains("needs the same key file"), "{command} says how to fix it: {message}");
}

#[tokio::test]
async fn a_portal_with_another_key_file_refuses_to_start_and_says_how_to_fix_it() {
    let app = spawn_app().await;
    let other = tempfile::tempdir().unwrap();
    let other_key = other.path().join("secret.key");
    std::fs::write(&other_key, MasterKey::generate().to_hex()).unwrap();

    let served = with_key(&app, &other_key, &["serve"]).await;
    let migrated = with_key(&app, &other_key, &["migrate"]).await;
    let verified = with_key(&app, &other_key, &["audit", "verify"]).await;

    assert_refused_for_the_key(&served, "serve");
    assert_refused_for_the_key(&migrated, "migrate");
    assert_refused_for_the_key(&verified, "audit verify");
    let own = portcullis(&app, &["migrate"], None).await;
    assert!(own.status.success(), "the installation's own key still works: {}", stderr(&own));
}

#[tokio::test]
async fn a_database_from_before_fingerprints_gets_the_fingerprint_of_the_key_it_runs_with() {
    let app = spawn_app().await;
    app.stop().await;
    // As a portal from before the fingerprint left it: migrated to 0009, its chain keyed.
    app.execute_sql(&["DROP TABLE key_fingerprint", "DELETE FROM _sqlx_migrations WHERE version = 10"]).await;
    let key = MasterKey::load(&app.settings.secrets.key_file).unwrap();

    let migrated = portcullis(&app, &["migrate"], None).await;

    assert!(migrated.status.success(), "{}", stderr(&migrated));
    assert_eq!(app.store().await.key_fingerprint().await.unwrap(), Some(key.fingerprint()));
    let other = tempfile::tempdir().unwrap();
    let other_key = other.path().join("secret.key");
    std::fs::write(&other_key, MasterKey::generate().to_hex()).unwrap();
    assert_refused_for_the_key(&with_key(&app, &other_key, &["serve"]).await, "serve");
}

#[tokio::test]
async fn commands_that_only_read_never_store_the_fingerprint() {
    let app = spawn_app().await;
    app.stop().await;
    app.execute_sql(&["DELETE FROM key_fingerprint"]).await;

    for args in [&["audit", "verify"][..], &["audit", "list"], &["audit", "export"]] {
        let output = portcullis(&app, args, None).await;
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    }

    assert_eq!(app.store().await.key_fingerprint().await.unwrap(), None);
}
