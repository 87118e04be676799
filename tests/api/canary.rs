//! A secret with a unique marker goes through a must-encrypt message, encrypted to a key and by
//! secure pickup; afterwards no copy of it exists in clear in the database (file or dump), on
//! the wire to the relay, or in the logs.

use portcullis::domain::Actor;

use crate::crypto_tools::Gpg;
use crate::helpers::{INITIAL_PASSWORD, TestApp, captured_logs, using_postgres};
use crate::mail::{app_with_relay, login, temporary_password, upload_key};
use crate::smtp_sink::SmtpSink;

#[tokio::test]
async fn a_secret_in_a_must_encrypt_message_is_nowhere_in_clear() {
    let canary = format!("CANARY-{}", uuid::Uuid::now_v7().simple());
    let relay = SmtpSink::start().await;
    let app = app_with_relay(&relay).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, "jane.doe", "Jane#Pass1").await;
    let gpg = Gpg::new("admin@acme.example");
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    upload_key(&app, &client, &gpg.public_key(), INITIAL_PASSWORD).await;

    let (admin, jane) = (login(&app, &primary).await, login(&app, "jane.doe").await);
    app.portal.send_secret(&admin, &temporary_password(&admin, &canary), &Actor::Operator).await.unwrap();
    app.portal.send_secret(&jane, &temporary_password(&jane, &canary), &Actor::Operator).await.unwrap();
    // The two secrets and the notice that the key was set.
    let wire = relay.wait_for(3).await;

    assert_eq!(wire.len(), 3);
    assert!(
        gpg.decrypt(&crate::mail::pgp_payload(wire.iter().find(|m| contains(m, "multipart/encrypted")).unwrap()))
            .contains(&canary)
    );
    for message in &wire {
        assert!(!contains(message, &canary), "in clear on the wire");
    }
    assert!(!contains(&database_bytes(&app).await, &canary), "in clear in the database");
    let logs = captured_logs();
    assert!(!contains(&logs, &canary), "in clear in the logs");
    assert!(contains(&logs, "/profile/encryption"), "this test's requests were logged");
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Everything the database holds: the SQLite file and its journal, or a PostgreSQL dump.
pub async fn database_bytes(app: &TestApp) -> Vec<u8> {
    if using_postgres() {
        let output =
            std::process::Command::new("pg_dump").arg(&app.db_url).output().expect("pg_dump must be installed");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert!(contains(&output.stdout, "mail_outbox"), "the dump holds the outbox");
        return output.stdout;
    }
    let path = app.db_url.trim_start_matches("sqlite://").to_string();
    let mut bytes = std::fs::read(&path).expect("database file");
    bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
    assert!(contains(&bytes, "mail_outbox"));
    bytes
}
