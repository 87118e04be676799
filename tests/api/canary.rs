//! Temporary passwords, issued as production issues them (the account administrator resets
//! two secondary logins), go through a must-encrypt message: one encrypted to a key, one by
//! secure pickup. Afterwards no copy of either exists in clear in the database (file or dump),
//! on the wire to the relay, or in the logs.

use portcullis::service::mail::SecretDelivery;

use crate::crypto_tools::Gpg;
use crate::helpers::{INITIAL_PASSWORD, TestApp, captured_logs, using_postgres};
use crate::mail::{add_secondary, app_with_relay, reset_secondary, upload_key};
use crate::people::{open_pickup, temporary_in};
use crate::smtp_sink::SmtpSink;

#[tokio::test]
async fn a_secret_in_a_must_encrypt_message_is_nowhere_in_clear() {
    let relay = SmtpSink::start().await;
    let app = app_with_relay(&relay).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, "jane.doe", "Jane#Pass1").await;
    add_secondary(&app, &primary, "joe.bloggs", "joe@acme.example", "Joe#Pass1").await;
    let gpg = Gpg::new("joe@acme.example");
    let joe = app.signed_in_client("joe.bloggs", "Joe#Pass1").await;
    upload_key(&app, &joe, &gpg.public_key(), "Joe#Pass1").await;

    assert_eq!(reset_secondary(&app, &primary, "joe.bloggs").await.unwrap(), SecretDelivery::Encrypted);
    let Ok(SecretDelivery::Pickup { passcode }) = reset_secondary(&app, &primary, "jane.doe").await else {
        panic!("expected secure pickup for a login without a key")
    };
    let wire = relay.wait_for(3).await;

    // The two secrets and the notice that Joe set a key.
    assert_eq!(wire.len(), 3);
    // The database while the pickup message still waits, and after it was opened.
    let waiting = database_bytes(&app).await;
    let encrypted = wire.iter().find(|m| contains(m, "multipart/encrypted")).unwrap();
    let secrets =
        [temporary_in(&gpg.decrypt(&crate::mail::pgp_payload(encrypted))), open_pickup(&app, &passcode).await];
    let opened = database_bytes(&app).await;
    for secret in &secrets {
        for message in &wire {
            assert!(!contains(message, secret), "in clear on the wire");
        }
        assert!(!contains(&waiting, secret) && !contains(&opened, secret), "in clear in the database");
        let logs = captured_logs();
        assert!(!contains(&logs, secret), "in clear in the logs");
        assert!(contains(&logs, "/profile/encryption"), "this test's requests were logged");
    }
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
