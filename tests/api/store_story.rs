//! The conformance story for the `Store` trait: the same steps, the same expectations, on
//! SQLite and on PostgreSQL (TEST_DATABASE=postgres).

use portcullis::clock::Clock;
use portcullis::crypto::PasswordHash;
use portcullis::domain::{Actor, AuditAction, AuditEvent, DevicePolicy, EmailAddress, LockoutPolicy, LoginName};
use portcullis::store::{FailedSignIn, FailureLimits, NewAccount, NewLogin, NewSession, PasswordChange, StoreError};
use time::Duration;

use crate::helpers::spawn_app;

fn event(action: AuditAction) -> AuditEvent {
    AuditEvent::new(action, Actor::System)
}

fn hash(n: u32) -> PasswordHash {
    PasswordHash::from_stored(format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$fake{n}"))
}

#[tokio::test]
async fn the_store_story_holds_on_this_backend() {
    let app = spawn_app().await;
    let store = app.store().await.clone();
    let now = app.clock.now();

    // Accounts and logins; names are unique whatever their case.
    let account = NewAccount { id: "acct-1".into(), name: "Acme".into() };
    let primary = NewLogin {
        id: "login-1".into(),
        account_id: account.id.clone(),
        name: LoginName::parse("ABC1234").unwrap(),
        email: EmailAddress::parse("it@acme.example").unwrap(),
        phone: None,
        authorized_contact: true,
        password_hash: Some(hash(1)),
    };
    store.create_account(&account, &primary, &event(AuditAction::AccountCreated), now).await.unwrap();
    let found = store.login_by_name(&LoginName::parse("abc1234").unwrap()).await.unwrap().unwrap();
    assert_eq!((found.id.as_str(), found.name.as_str(), found.failed_count), ("login-1", "ABC1234", 0));
    let twin = NewLogin { id: "login-2".into(), name: LoginName::parse("Jane.Doe").unwrap(), ..primary.clone() };
    store.create_login(&twin, &event(AuditAction::LoginCreated), now).await.unwrap();
    let clash = NewLogin { id: "login-3".into(), name: LoginName::parse("jane.doe").unwrap(), ..primary.clone() };
    let result = store.create_login(&clash, &event(AuditAction::LoginCreated), now).await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");

    // Concurrent failures are all counted; the lock follows the policy.
    let policy = LockoutPolicy::default();
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let audit = event(AuditAction::SignInFailed);
                let failure = FailedSignIn {
                    login_id: Some("login-1"),
                    login_locked: false,
                    address: None,
                    device: None,
                    audit: &audit,
                    lock_notice: None,
                };
                let limits = FailureLimits {
                    lockout: policy,
                    device: DevicePolicy::default(),
                    address_window: Duration::minutes(15),
                };
                store.record_failed_sign_in(&failure, &limits, now).await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let counted = store.login_by_name(&primary.name).await.unwrap().unwrap();
    assert_eq!(counted.failed_count, 12);
    assert!(counted.is_locked(now));
    assert_eq!(store.record_address_failure("192.0.2.1", Duration::minutes(15), now).await.unwrap(), 1);
    assert_eq!(store.record_address_failure("192.0.2.1", Duration::minutes(15), now).await.unwrap(), 2);
    let later = now + Duration::minutes(16);
    assert_eq!(store.address_failures("192.0.2.1", Duration::minutes(15), later).await.unwrap(), 0);
    assert_eq!(store.record_address_failure("192.0.2.1", Duration::minutes(15), later).await.unwrap(), 1);
    assert_eq!(store.delete_stale_address_failures(later).await.unwrap(), 0);
    assert_eq!(store.delete_stale_address_failures(later + Duration::seconds(1)).await.unwrap(), 1);

    // Sessions: a sign-in clears the count; sessions are found by digest and end one by one.
    let session = NewSession {
        id: "sess-1".into(),
        token_hash: "digest-1".into(),
        login_id: "login-1".into(),
        source_ip: Some("192.0.2.1".into()),
        user_agent: Some("story".into()),
    };
    let stale = NewSession { id: "sess-0".into(), token_hash: "digest-0".into(), ..session.clone() };
    assert!(
        !store.start_session(&stale, &hash(9), None, false, &event(AuditAction::SignInSucceeded), now).await.unwrap()
    );
    assert!(
        store
            .start_session(&session, &hash(1), Some(&hash(2)), false, &event(AuditAction::SignInSucceeded), now)
            .await
            .unwrap()
    );
    let (live, owner) = store.session_by_token("digest-1").await.unwrap().unwrap();
    assert_eq!((live.id.as_str(), owner.failed_count, owner.locked_until), ("sess-1", 0, None));
    assert_eq!(owner.password_hash, Some(hash(2)), "the re-hash was stored");
    store.touch_session("sess-1", now + Duration::minutes(5)).await.unwrap();
    assert_eq!(store.sessions_of("login-1").await.unwrap()[0].last_seen_at, now + Duration::minutes(5));
    assert!(!store.end_session("login-2", "sess-1", &event(AuditAction::SessionRevoked), now).await.unwrap());
    let second = NewSession { id: "sess-2".into(), token_hash: "digest-2".into(), ..session.clone() };
    assert!(
        store.start_session(&second, &hash(2), None, false, &event(AuditAction::SignInSucceeded), now).await.unwrap()
    );
    assert_eq!(store.sessions_of("login-1").await.unwrap().len(), 2);
    assert!(store.end_session("login-1", "sess-2", &event(AuditAction::SignedOut), now).await.unwrap());
    let expired = store.delete_expired_sessions(now + Duration::minutes(6), now - Duration::hours(1)).await.unwrap();
    assert_eq!(expired, 1);
    assert!(
        store.start_session(&second, &hash(2), None, false, &event(AuditAction::SignInSucceeded), now).await.unwrap()
    );

    // Passwords: compare-and-set, history kept and pruned, every session ended.
    let stale = PasswordChange {
        login_id: "login-1".into(),
        expected_current: Some(hash(1)),
        new_hash: hash(3),
        keep_history: 2,
    };
    assert!(!store.replace_password(&stale, &event(AuditAction::PasswordChanged), None, now).await.unwrap());
    let mut current = hash(2);
    for n in 3..=6 {
        let change = PasswordChange { expected_current: Some(current.clone()), new_hash: hash(n), ..stale.clone() };
        assert!(store.replace_password(&change, &event(AuditAction::PasswordChanged), None, now).await.unwrap());
        current = hash(n);
    }
    assert_eq!(store.password_history("login-1", 10).await.unwrap(), vec![hash(5), hash(4)]);
    assert!(store.sessions_of("login-1").await.unwrap().is_empty());

    // The audit log: every write above left its entry, in order, chained.
    let head = store.audit_head().await.unwrap();
    let entries = store.audit_entries(0, 1000).await.unwrap();
    assert_eq!(entries.len() as i64, head);
    assert_eq!(entries.first().unwrap().action, "account_created");
    assert_eq!(entries.iter().filter(|e| e.action == "login_locked").count(), 12 - 4);
    assert_eq!(app.portal.verify_audit(None).await.unwrap().entries, head);
}
