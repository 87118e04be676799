use crate::helpers::{INITIAL_PASSWORD, spawn_app};

#[tokio::test]
async fn every_security_event_is_audited_with_its_source_address() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.sign_in(&app.client(), &primary, "Wrong#Pass1").await;
    app.sign_in(&app.client(), "NOBODY1", "Wrong#Pass1").await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    app.change_password(&client, INITIAL_PASSWORD, "Changed#Pass2", "Changed#Pass2").await;
    crate::mail::wait_until(|| async { app.audit_actions().await.contains(&"mail_sent".to_string()) }).await;

    let entries = app.portal.recent_audit(100).await.unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["account_created", "sign_in_failed", "sign_in_failed", "sign_in_succeeded", "password_changed", "mail_sent"]
    );
    let failure = &entries[1];
    assert_eq!(failure.subject.as_deref(), Some(primary.as_str()));
    assert_eq!(failure.source_ip.as_deref(), Some("127.0.0.1"));
    assert!(failure.details.contains("wrong_password"));
    assert!(entries[2].details.contains("unknown_login"));
    assert_eq!(entries[4].actor, format!("login:{primary}"));
    let everything = format!("{entries:?}");
    assert!(!everything.contains("Wrong#Pass1") && !everything.contains("Changed#Pass2"), "no password in the audit");
    assert!(entries[5].details.contains("password_changed"), "the notice went out");
    assert_eq!(app.portal.verify_audit(None).await.unwrap().entries, 6);
}

#[tokio::test]
async fn the_audit_log_refuses_updates_and_deletes() {
    let app = spawn_app().await;
    app.create_account(INITIAL_PASSWORD).await;

    let result = app.try_sql("UPDATE audit_log SET actor = 'someone else'").await;

    assert!(result.is_err(), "the append-only guard refuses the change");
    assert_eq!(app.portal.verify_audit(None).await.unwrap().entries, 1);
}

#[tokio::test]
async fn verification_catches_a_changed_entry() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    app.sign_in(&app.client(), &primary, "Wrong#Pass1").await;
    assert_eq!(app.portal.verify_audit(None).await.unwrap().entries, 3);

    let mut statements = app.drop_audit_guard().to_vec();
    statements.push("UPDATE audit_log SET source_ip = '10.9.9.9' WHERE seq = 2");
    app.execute_sql(&statements).await;

    let error = app.portal.verify_audit(None).await.unwrap_err().to_string();
    assert!(error.contains("entry 2 was changed"), "{error}");
}

#[tokio::test]
async fn verification_catches_a_deleted_entry_in_the_middle_or_at_the_end() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    for _ in 0..3 {
        app.sign_in(&app.client(), &primary, "Wrong#Pass1").await;
    }

    let mut statements = app.drop_audit_guard().to_vec();
    statements.push("DELETE FROM audit_log WHERE seq = 4");
    app.execute_sql(&statements).await;
    let error = app.portal.verify_audit(None).await.unwrap_err().to_string();
    assert!(error.contains("the log ends at entry 3 but 4 entries were written"), "{error}");

    app.execute_sql(&["DELETE FROM audit_log WHERE seq = 2"]).await;
    let error = app.portal.verify_audit(None).await.unwrap_err().to_string();
    assert!(error.contains("entries 2..2 are missing"), "{error}");
}
