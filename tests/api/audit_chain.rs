//! The keyed audit chain against an intruder who can write to the database but has not got the
//! secret key file, and the upgrade of a chain written before the key existed.

use std::sync::Arc;

use portcullis::clock::ManualClock;
use portcullis::domain::audit::{AuditEntry, GENESIS_HASH};
use portcullis::service::Portal;
use time::OffsetDateTime;

use crate::cli::{portcullis, stderr, stdout};
use crate::helpers::{INITIAL_PASSWORD, TestApp, captured_logs, spawn_app, spawn_app_with};

/// An account and three failed sign-ins: entries 1..4.
async fn four_entries(app: &TestApp) -> Vec<AuditEntry> {
    let primary = app.create_account(INITIAL_PASSWORD).await;
    for _ in 0..3 {
        app.sign_in(&app.client(), &primary, "Wrong#Pass1").await;
    }
    let entries = app.portal.recent_audit(100).await.unwrap();
    assert_eq!(entries.len(), 4);
    entries
}

/// SQL that stores `entry` as it is, hash included.
fn insert(entry: &AuditEntry) -> String {
    let text = |v: Option<&str>| v.map_or("NULL".to_string(), |v| format!("'{}'", v.replace('\'', "''")));
    format!(
        "INSERT INTO audit_log (seq, at, action, actor, subject, source_ip, details, prev_hash, hash) \
         VALUES ({}, {}, {}, {}, {}, {}, {}, '{}', '{}')",
        entry.seq,
        entry.at,
        text(Some(&entry.action)),
        text(Some(&entry.actor)),
        text(entry.subject.as_deref()),
        text(entry.source_ip.as_deref()),
        text(Some(&entry.details)),
        entry.prev_hash,
        entry.hash
    )
}

/// Re-chains `entries` under the old, unkeyed rule, as anyone can without the key.
fn rehash_without_the_key(entries: &mut [AuditEntry], mut prev: String) {
    for entry in entries {
        entry.prev_hash = prev;
        entry.hash = entry.unkeyed_hash();
        prev = entry.hash.clone();
    }
}

/// Replaces the whole log and its head by `entries`, guard dropped; `head_mac` is SQL (`mac`
/// keeps the head's).
async fn replace_log(app: &TestApp, entries: &[AuditEntry], head_mac: &str) {
    for drop in app.drop_audit_guard() {
        let _ = app.try_sql(drop).await; // gone already when the log is replaced a second time
    }
    let mut statements = vec!["DELETE FROM audit_log".to_string()];
    statements.extend(entries.iter().map(insert));
    let last = entries.last().expect("entries");
    statements.push(format!("UPDATE audit_head SET seq = {}, hash = '{}', mac = {head_mac}", last.seq, last.hash));
    app.execute_sql(&statements.iter().map(String::as_str).collect::<Vec<_>>()).await;
}

async fn verify_error(app: &TestApp) -> String {
    let output = portcullis(app, &["audit", "verify"], None).await;
    assert!(!output.status.success(), "verify should fail: {}", stdout(&output));
    stderr(&output)
}

#[tokio::test]
async fn cutting_off_the_newest_entries_and_rewriting_the_head_is_caught_and_never_built_upon() {
    let app = spawn_app().await;
    let entries = four_entries(&app).await;

    // The intruder keeps entries 1..2 and points the head at entry 2 with a plain SHA-256 "mac".
    let kept = &entries[..2];
    let forged_mac = format!("'{}'", kept[1].unkeyed_hash());
    replace_log(&app, kept, &forged_mac).await;

    let error = verify_error(&app).await;
    assert!(
        error.contains("the log's head was rewritten to entry 2: entries after 2 may have been deleted"),
        "{error}"
    );

    // The portal does not extend the forged head, which would make it look genuine.
    app.sign_in(&app.client(), "NOBODY1", "Wrong#Pass1").await;
    assert_eq!(app.store().await.audit_head().await.unwrap(), 2);
    assert!(verify_error(&app).await.contains("head was rewritten to entry 2"));
}

#[tokio::test]
async fn entries_rewritten_and_rehashed_without_the_key_are_caught_where_they_start() {
    let app = spawn_app().await;
    let mut entries = four_entries(&app).await;

    entries[2].source_ip = Some("10.9.9.9".into());
    let prev = entries[1].hash.clone();
    rehash_without_the_key(&mut entries[2..], prev);
    let head_mac = format!("'{}'", entries[3].unkeyed_hash());
    replace_log(&app, &entries, &head_mac).await;

    let error = verify_error(&app).await;
    assert!(error.contains("tampered with: entry 3 was changed after it was written"), "{error}");
}

#[tokio::test]
async fn verify_needs_the_secret_key_file_and_never_makes_up_a_new_one() {
    let app = spawn_app().await;
    four_entries(&app).await;
    std::fs::remove_file(&app.settings.secrets.key_file).unwrap();

    let error = verify_error(&app).await;

    assert!(error.contains("audit verify needs the secret key file"), "{error}");
    assert!(!app.settings.secrets.key_file.exists(), "no new key was created");
}

#[tokio::test]
async fn the_head_is_logged_at_start_and_every_n_entries() {
    let app = spawn_app_with(|s| s.audit.log_head_every = 2).await;
    let entries = four_entries(&app).await;

    let logs = logged();
    for entry in [&entries[1], &entries[3]] {
        assert!(logs.contains(&format!("audit head seq={} hash={}", entry.seq, entry.hash)), "{}", entry.seq);
    }
    assert!(!logs.contains(&format!("hash={}", entries[2].hash)), "entry 3 is not a multiple of 2");

    restart(&app).await;
    let logs = logged();
    let at_start = format!("audit head seq=4 hash={}", entries[3].hash);
    assert_eq!(logs.matches(&at_start).count(), 2, "logged when written and again at start");
}

/// The captured logs without their colours.
fn logged() -> String {
    let text = String::from_utf8_lossy(&captured_logs()).into_owned();
    let mut plain = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find('\u{1b}') {
        plain.push_str(&rest[..start]);
        rest = rest[start..].find('m').map_or("", |end| &rest[start + end + 1..]);
    }
    plain.push_str(rest);
    plain
}

/// Builds the portal again on the same database and key file, as a restart does.
async fn restart(app: &TestApp) -> Portal {
    let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc().replace_nanosecond(0).unwrap()));
    Portal::build(&app.settings, clock).await.expect("the portal starts")
}

/// Takes the database back to the schema before the keyed head, as the unkeyed code left it,
/// holding `old` (unkeyed) as the whole log.
async fn database_before_the_keyed_head(app: &TestApp, old: &[AuditEntry]) {
    for drop in app.drop_audit_guard() {
        app.execute_sql(&[drop]).await;
    }
    let mut statements = vec![
        "DELETE FROM _sqlx_migrations WHERE version = 8".to_string(),
        "ALTER TABLE audit_head DROP COLUMN mac".to_string(),
        "DELETE FROM audit_log".to_string(),
    ];
    statements.extend(old.iter().map(insert));
    let last = old.last().expect("entries");
    statements.push(format!("UPDATE audit_head SET seq = {}, hash = '{}'", last.seq, last.hash));
    app.execute_sql(&statements.iter().map(String::as_str).collect::<Vec<_>>()).await;
}

#[tokio::test]
async fn a_chain_written_before_the_key_is_anchored_once_and_then_verifies() {
    let app = spawn_app().await;
    let mut old = four_entries(&app).await;
    old.truncate(3);
    rehash_without_the_key(&mut old, GENESIS_HASH.to_string());
    database_before_the_keyed_head(&app, &old).await;

    let portal = restart(&app).await; // applies the migration that keys the head: anchors
    restart(&app).await;

    let entries = portal.recent_audit(100).await.unwrap();
    assert_eq!(entries.len(), 4, "one anchor, however many starts");
    assert_eq!(entries[3].action, "audit_chain_keyed");
    assert_eq!(entries[3].actor, "system");
    assert_eq!(entries[3].prev_hash, old[2].hash);
    assert!(entries[3].details.contains(&old[2].hash), "{}", entries[3].details);
    app.sign_in(&app.client(), "NOBODY1", "Wrong#Pass1").await;
    let verify = portcullis(&app, &["audit", "verify"], None).await;
    assert!(verify.status.success(), "{}", stderr(&verify));
    assert!(
        stdout(&verify)
            .contains("5 entries verified (1..3 under the old unkeyed rule, up to the anchor; keyed from entry 4)"),
        "{}",
        stdout(&verify)
    );

    // The anchor's HMAC covers the old head: rewriting an old entry is still caught.
    let mut rewritten = app.portal.recent_audit(100).await.unwrap();
    rewritten[1].subject = Some("ZZZ9999".into());
    rehash_without_the_key(&mut rewritten[1..3], old[0].hash.clone());
    replace_log(&app, &rewritten, "mac").await;
    assert!(verify_error(&app).await.contains("entry 4 does not follow the entry before it"));
}

#[tokio::test]
async fn a_forged_unkeyed_history_is_reported_broken_at_start_and_by_verify_until_the_operator_anchors_it() {
    let app = spawn_app().await;
    // The intruder wipes the log and writes a history of his own under the unkeyed rule, with a
    // head that has no HMAC, as a log written before the key existed would have.
    let mut forged = four_entries(&app).await;
    forged[1].source_ip = Some("10.9.9.9".into());
    rehash_without_the_key(&mut forged, GENESIS_HASH.to_string());
    replace_log(&app, &forged, "NULL").await;

    let portal = restart(&app).await;
    assert!(logged().contains("the audit log's head is not sealed with the secret key"));
    let error = verify_error(&app).await;
    assert!(error.contains("the log's head (entry 4) is not sealed with the secret key"), "{error}");
    app.sign_in(&app.client(), "NOBODY1", "Wrong#Pass1").await;
    assert_eq!(portal.recent_audit(100).await.unwrap(), forged, "nothing anchored, nothing appended");

    let anchored = portcullis(&app, &["audit", "anchor"], None).await;
    assert!(anchored.status.success(), "{}", stderr(&anchored));
    let expected =
        format!("anchored the unkeyed log at entry 4 (hash {}) under the secret key: entry 5", forged[3].hash);
    assert!(stdout(&anchored).contains(&expected), "{}", stdout(&anchored));
    let anchor = portal.recent_audit(1).await.unwrap().remove(0);
    assert_eq!((anchor.action.as_str(), anchor.actor.as_str()), ("audit_chain_keyed", "operator"));
    let verify = portcullis(&app, &["audit", "verify"], None).await;
    assert!(stdout(&verify).contains("5 entries verified (1..4 under the old unkeyed rule"), "{}", stderr(&verify));
    let again = portcullis(&app, &["audit", "anchor"], None).await;
    assert!(stderr(&again).contains("already sealed with the secret key"), "{}", stderr(&again));
    assert_eq!(app.store().await.audit_head().await.unwrap(), 5);
}

#[tokio::test]
async fn list_export_and_verify_write_nothing() {
    let app = spawn_app().await;
    let mut old = four_entries(&app).await;
    rehash_without_the_key(&mut old, GENESIS_HASH.to_string());
    replace_log(&app, &old, "NULL").await;

    for args in [&["audit", "list"][..], &["audit", "export"], &["audit", "verify"]] {
        portcullis(&app, args, None).await;
        let head = app.store().await.audit_chain_head().await.unwrap();
        assert_eq!((head.seq, head.mac), (4, None), "{args:?} anchored the log");
    }
    std::fs::remove_file(&app.settings.secrets.key_file).unwrap();
    let listed = portcullis(&app, &["audit", "list"], None).await;
    assert!(stderr(&listed).contains("audit list needs the secret key file"), "{}", stderr(&listed));
    assert!(!app.settings.secrets.key_file.exists(), "no new key was created");
}

#[tokio::test]
async fn an_older_head_restored_over_cut_off_entries_is_caught_only_against_a_logged_head() {
    let app = spawn_app_with(|s| s.audit.log_head_every = 2).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.sign_in(&app.client(), &primary, "Wrong#Pass1").await;
    let saved = app.store().await.audit_chain_head().await.unwrap();
    assert_eq!(saved.seq, 2);
    for _ in 0..2 {
        app.sign_in(&app.client(), &primary, "Wrong#Pass1").await;
    }
    let newest = app.portal.recent_audit(1).await.unwrap().remove(0);
    let logged_head = format!("audit head seq=4 hash={}", newest.hash);
    assert!(logged().contains(&logged_head), "the head was logged at entry 4");

    // The intruder deletes entries 3 and 4 and puts back the head row he copied at entry 2.
    let kept = app.portal.recent_audit(100).await.unwrap()[..2].to_vec();
    replace_log(&app, &kept, &format!("'{}'", saved.mac.clone().unwrap())).await;

    let plain = portcullis(&app, &["audit", "verify"], None).await;
    assert!(plain.status.success(), "the head row alone cannot tell: {}", stderr(&plain));
    assert!(stdout(&plain).contains("only caught against a logged head"), "{}", stdout(&plain));
    let expect = format!("4:{}", newest.hash);
    let against_log = portcullis(&app, &["audit", "verify", "--expect", &expect], None).await;
    assert!(!against_log.status.success());
    assert!(
        stderr(&against_log).contains(&format!(
            "the log ends at entry 2 but the head {expect} was logged: the entries after 2 were cut off"
        )),
        "{}",
        stderr(&against_log)
    );
    let older = format!("2:{}", saved.hash);
    let still_there = portcullis(&app, &["audit", "verify", "--expect", &older], None).await;
    assert!(
        stdout(&still_there).contains(&format!("the logged head {older} is in the log")),
        "{}",
        stderr(&still_there)
    );
}

#[tokio::test]
async fn the_head_is_logged_when_the_portal_stops_gracefully() {
    let app = spawn_app().await;
    let entries = four_entries(&app).await;
    let at_stop = format!("audit head seq=4 hash={}", entries[3].hash);
    assert!(!logged().contains(&at_stop), "4 is not a multiple of 100");

    app.stop().await;

    assert!(logged().contains(&at_stop), "logged at stop");
}
