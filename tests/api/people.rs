//! The account administrator's Logins page, contacts on record, and temporary passwords with
//! the forced change that follows them.

use portcullis::domain::LoginName;
use reqwest::StatusCode;
use time::Duration;

use crate::helpers::{INITIAL_PASSWORD, TestApp, csrf_token, location, spawn_app};

pub const JANE: &str = "jane.doe";
pub const JANE_PASSWORD: &str = "Jane#Pass1";

/// Posts a form of a signed-in customer page, with the session's CSRF token.
pub async fn post_as(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let csrf = app.session_csrf(client).await;
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    app.post_form(client, path, &all).await
}

/// Opens the newest secure-pickup message with `passcode` and returns the temporary password in it.
pub async fn open_pickup(app: &TestApp, passcode: &str) -> String {
    let records = app.portal.list_mail(50).await.unwrap();
    let notice = records.iter().find(|r| r.kind == "secure_pickup").expect("a pickup notice");
    let id = match app.portal.open_mail(notice).unwrap() {
        portcullis::domain::message::OutboundMessage::SecurePickup(p) => p.pickup_id,
        other => panic!("unexpected {other:?}"),
    };
    let client = app.client();
    let path = format!("/secure-message/{id}");
    let csrf = csrf_token(&app.get_html(&client, &path).await);
    let opened = app.post_form(&client, &path, &[("csrf", &csrf), ("passcode", passcode)]).await;
    assert_eq!(opened.status(), StatusCode::OK);
    temporary_in(&opened.text().await.unwrap())
}

/// The temporary password in a text: four groups of four readable characters.
pub fn temporary_in(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '<' || c == '>')
        .find(|word| {
            let groups: Vec<&str> = word.split('-').collect();
            groups.len() >= 4 && groups.iter().all(|g| g.len() == 4 && g.chars().all(|c| c.is_ascii_alphanumeric()))
        })
        .unwrap_or_else(|| panic!("no temporary password in:\n{text}"))
        .to_string()
}

/// The passcode shown once on the page after a reset by secure pickup.
pub fn passcode_in(html: &str) -> String {
    let marker = "data-testid=\"passcode\">";
    let start = html.find(marker).unwrap_or_else(|| panic!("no passcode in:\n{html}")) + marker.len();
    html[start..].split('<').next().unwrap().trim().to_string()
}

/// An account with a secondary login `jane.doe`, and the administrator signed in.
async fn administered() -> (TestApp, String, reqwest::Client) {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, JANE, JANE_PASSWORD).await;
    let admin = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    (app, primary, admin)
}

/// The administrator resets jane.doe (no key on file: secure pickup) and opens the message.
async fn reset_jane(app: &TestApp, admin: &reqwest::Client) -> String {
    let response = post_as(app, admin, "/logins/jane.doe/reset", &[("password", INITIAL_PASSWORD)]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains("Give this passcode by voice"));
    let temporary = open_pickup(app, &passcode_in(&page)).await;
    assert!(!page.contains(&temporary), "the administrator never sees the password");
    temporary
}

async fn temporary_rows(app: &TestApp, name: &str) -> Option<portcullis::store::TemporaryPasswordRecord> {
    let login = app.store().await.login_by_name(&LoginName::parse(name).unwrap()).await.unwrap().unwrap();
    app.store().await.latest_temporary_password(&login.id).await.unwrap()
}

#[tokio::test]
async fn the_administrator_resets_a_secondary_login_which_then_must_choose_a_new_password() {
    let (app, _primary, admin) = administered().await;
    let temporary = reset_jane(&app, &admin).await;
    assert!(temporary.replace('-', "").len() >= 16);
    let stored = temporary_rows(&app, JANE).await.unwrap();
    assert!(!stored.digest.contains(&temporary) && stored.digest.len() == 64, "only a digest is stored");

    // Until the temporary password is used, the old one still works.
    let before = app.client();
    assert_eq!(app.sign_in(&before, JANE, JANE_PASSWORD).await.status(), StatusCode::SEE_OTHER);

    let jane = app.client();
    let signed_in = app.sign_in(&jane, JANE, &temporary).await;
    assert_eq!(location(&signed_in), "/password/new");
    assert!(!app.is_signed_in(&before).await, "the other session ended when the temporary password was used");
    for path in ["/profile", "/cases", "/logins", "/profile/password"] {
        let response = app.get(&jane, path).await;
        assert_eq!(location(&response), "/password/new", "{path} leads to the forced change");
    }
    let page = app.get_html(&jane, "/password/new").await;
    assert!(page.contains("Enter new password") && page.contains("Confirm new password"));
    assert!(!page.contains("Cancel") && !page.contains("My Profile"), "no way around the change");
    let csrf = csrf_token(&page);
    let elsewhere =
        app.post_form(&jane, "/profile/encryption", &[("csrf", &csrf), ("key_material", "x"), ("password", "x")]).await;
    assert_eq!(location(&elsewhere), "/password/new");

    // The old password stopped working; the temporary one works once.
    assert_eq!(app.sign_in(&app.client(), JANE, JANE_PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.sign_in(&app.client(), JANE, &temporary).await.status(), StatusCode::UNAUTHORIZED);

    let same = app
        .post_form(&jane, "/password/new", &[("csrf", &csrf), ("new_password", &temporary), ("confirm", &temporary)])
        .await;
    assert_eq!(same.status(), StatusCode::BAD_REQUEST);
    assert!(same.text().await.unwrap().contains("not the temporary one"));
    let old = app
        .post_form(
            &jane,
            "/password/new",
            &[("csrf", &csrf), ("new_password", JANE_PASSWORD), ("confirm", JANE_PASSWORD)],
        )
        .await;
    assert_eq!(old.status(), StatusCode::BAD_REQUEST, "history applies");
    let common = app
        .post_form(
            &jane,
            "/password/new",
            &[("csrf", &csrf), ("new_password", "Password123!"), ("confirm", "Password123!")],
        )
        .await;
    assert_eq!(common.status(), StatusCode::BAD_REQUEST);
    assert!(common.text().await.unwrap().contains("This password is too common"), "common passwords are refused");
    let done = app
        .post_form(
            &jane,
            "/password/new",
            &[("csrf", &csrf), ("new_password", "Brand#New22"), ("confirm", "Brand#New22")],
        )
        .await;
    assert_eq!(location(&done), "/login?notice=password-set");
    assert!(!app.is_signed_in(&jane).await, "every session ends; the user signs in again");
    assert_eq!(location(&app.sign_in(&app.client(), JANE, "Brand#New22").await), "/profile");
    let actions = app.audit_actions().await;
    for action in ["temporary_password_issued", "temporary_password_used", "password_set_after_temporary"] {
        assert!(actions.contains(&action.to_string()), "{action}");
    }
    app.portal.verify_audit(None).await.unwrap();
}

#[tokio::test]
async fn an_expired_temporary_password_says_whom_to_ask_and_the_old_one_keeps_working() {
    let (app, primary, admin) = administered().await;
    let temporary = reset_jane(&app, &admin).await;
    app.clock.advance(Duration::hours(72) + Duration::seconds(1));

    let response = app.sign_in(&app.client(), JANE, &temporary).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let page = response.text().await.unwrap();
    assert!(page.contains("This temporary password has expired or was already used"), "{page}");
    assert!(page.contains(&format!("your account administrator (the primary login {primary})")));
    assert_eq!(app.sign_in(&app.client(), JANE, JANE_PASSWORD).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_new_temporary_password_voids_the_previous_one() {
    let (app, _primary, admin) = administered().await;
    let first = reset_jane(&app, &admin).await;
    let second = reset_jane(&app, &admin).await;
    assert_ne!(first, second);
    assert_eq!(app.sign_in(&app.client(), JANE, &first).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(location(&app.sign_in(&app.client(), JANE, &second).await), "/password/new");
}

#[tokio::test]
async fn a_password_change_voids_an_open_temporary_password() {
    let (app, _primary, admin) = administered().await;
    let temporary = reset_jane(&app, &admin).await;
    let jane = app.signed_in_client(JANE, JANE_PASSWORD).await;
    app.change_password(&jane, JANE_PASSWORD, "Jane#Changed2", "Jane#Changed2").await;
    assert_eq!(app.sign_in(&app.client(), JANE, &temporary).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_secondary_login_never_reaches_the_administrator_pages() {
    let (app, primary, _admin) = administered().await;
    let jane = app.signed_in_client(JANE, JANE_PASSWORD).await;
    for path in ["/logins", "/logins/jane.doe", "/account/contacts"] {
        let response = app.get(&jane, path).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(response.text().await.unwrap().contains("Only the account administrator"));
    }
    assert!(!app.get_html(&jane, "/profile").await.contains("href=\"/logins\""), "not offered in the menu");
    let reset = post_as(&app, &jane, "/logins/jane.doe/reset", &[("password", JANE_PASSWORD)]).await;
    assert_eq!(reset.status(), StatusCode::FORBIDDEN);
    let create = post_as(
        &app,
        &jane,
        "/logins",
        &[("login_name", "evil.one"), ("email", "e@acme.example"), ("password", JANE_PASSWORD)],
    )
    .await;
    assert_eq!(create.status(), StatusCode::FORBIDDEN);
    assert!(app.store().await.login_by_name(&LoginName::parse("evil.one").unwrap()).await.unwrap().is_none());
    assert!(temporary_rows(&app, JANE).await.is_none(), "nothing was issued");
    let denied = app.audit_actions().await.iter().filter(|a| *a == "access_denied").count();
    assert!(denied >= 5, "each refusal is audited ({denied})");
    let _ = primary;
}

#[tokio::test]
async fn the_administrator_creates_edits_disables_and_deletes_secondary_logins() {
    let (app, _primary, admin) = administered().await;
    let wrong = post_as(
        &app,
        &admin,
        "/logins",
        &[("login_name", "sam.lee"), ("email", "sam@acme.example"), ("password", "Wrong#Pass9")],
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    assert!(wrong.text().await.unwrap().contains("your password is not correct"));
    let sam = LoginName::parse("sam.lee").unwrap();
    assert!(app.store().await.login_by_name(&sam).await.unwrap().is_none(), "nothing was created");
    let primary_shape = post_as(
        &app,
        &admin,
        "/logins",
        &[("login_name", "ABC1234"), ("email", "x@acme.example"), ("password", INITIAL_PASSWORD)],
    )
    .await;
    assert_eq!(primary_shape.status(), StatusCode::BAD_REQUEST);

    let fields = [
        ("login_name", "sam.lee"),
        ("email", "sam@acme.example"),
        ("phone", "+44 20 7946 0000"),
        ("authorized_contact", "on"),
        ("password", INITIAL_PASSWORD),
    ];
    let created = post_as(&app, &admin, "/logins", &fields).await;
    assert_eq!(location(&created), "/logins/sam.lee?notice=login-created");
    let list = app.get_html(&admin, "/logins").await;
    assert!(list.contains("sam.lee") && list.contains("No password yet"));

    let edited = post_as(
        &app,
        &admin,
        "/logins/sam.lee",
        &[("email", "sam.lee@acme.example"), ("phone", ""), ("password", INITIAL_PASSWORD)],
    )
    .await;
    assert_eq!(location(&edited), "/logins/sam.lee?notice=login-saved");
    let stored = app.store().await.login_by_name(&sam).await.unwrap().unwrap();
    assert_eq!(
        (stored.email.as_str(), stored.phone.as_deref(), stored.authorized_contact),
        ("sam.lee@acme.example", None, false)
    );

    let jane = app.signed_in_client(JANE, JANE_PASSWORD).await;
    let disabled = post_as(&app, &admin, "/logins/jane.doe/disable", &[("password", INITIAL_PASSWORD)]).await;
    assert_eq!(location(&disabled), "/logins/jane.doe?notice=login-disabled");
    assert!(!app.is_signed_in(&jane).await, "the session ended at once");
    assert_eq!(app.sign_in(&app.client(), JANE, JANE_PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    post_as(&app, &admin, "/logins/jane.doe/enable", &[("password", INITIAL_PASSWORD)]).await;
    assert_eq!(app.sign_in(&app.client(), JANE, JANE_PASSWORD).await.status(), StatusCode::SEE_OTHER);

    let unconfirmed =
        post_as(&app, &admin, "/logins/sam.lee/delete", &[("confirm_name", "sam"), ("password", INITIAL_PASSWORD)])
            .await;
    assert_eq!(unconfirmed.status(), StatusCode::BAD_REQUEST);
    assert!(app.store().await.login_by_name(&sam).await.unwrap().is_some());
    let deleted =
        post_as(&app, &admin, "/logins/sam.lee/delete", &[("confirm_name", "sam.lee"), ("password", INITIAL_PASSWORD)])
            .await;
    assert_eq!(location(&deleted), "/logins?notice=login-deleted");
    assert!(app.store().await.login_by_name(&sam).await.unwrap().is_none());
    for action in ["login_created", "login_updated", "login_disabled", "login_enabled", "login_deleted"] {
        assert!(app.audit_actions().await.contains(&action.to_string()), "{action}");
    }
}

#[tokio::test]
async fn another_account_s_logins_are_not_found() {
    let (app, _primary, admin) = administered().await;
    let other = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&other, "bob.other", JANE_PASSWORD).await;
    assert_eq!(app.get(&admin, "/logins/bob.other").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get(&admin, &format!("/logins/{other}")).await.status(), StatusCode::NOT_FOUND);
    let reset = post_as(&app, &admin, "/logins/bob.other/reset", &[("password", INITIAL_PASSWORD)]).await;
    assert_eq!(reset.status(), StatusCode::NOT_FOUND);
    assert!(temporary_rows(&app, "bob.other").await.is_none());
    let entries = app.portal.recent_audit(100).await.unwrap();
    let probes = entries.iter().filter(|e| e.action == "access_denied" && e.details.contains("not_in_account")).count();
    assert!(probes >= 3, "attempts on another account's logins are audited ({probes})");
    assert_eq!(app.get(&admin, "/logins/no.such.login").await.status(), StatusCode::NOT_FOUND);
    let after = app.portal.recent_audit(100).await.unwrap();
    let all = after.iter().filter(|e| e.action == "access_denied" && e.details.contains("not_in_account")).count();
    assert_eq!(all, probes + 1, "an unknown name is audited the same way");
    assert_eq!(app.get(&admin, "/logins/bob.other/encryption").await.status(), StatusCode::NOT_FOUND);
    let with_keys = app.portal.recent_audit(100).await.unwrap();
    let keys = with_keys.iter().filter(|e| e.action == "access_denied" && e.details.contains("not_in_account")).count();
    assert_eq!(keys, all + 1, "the key pages audit a miss the same way");
}

#[tokio::test]
async fn changing_an_email_voids_what_the_old_address_holds_and_tells_it() {
    let (app, primary, admin) = administered().await;
    let first = reset_jane(&app, &admin).await;
    // Whoever reads the old mailbox used the first temporary password and sits on the forced change.
    let old_mailbox = app.client();
    assert_eq!(location(&app.sign_in(&old_mailbox, JANE, &first).await), "/password/new");
    let temporary = reset_jane(&app, &admin).await;
    assert_eq!(
        location(&app.get(&old_mailbox, "/password/new").await),
        "/login?notice=session-expired",
        "a new temporary password ends the restricted session of the previous one"
    );
    let fields = [("email", "jane.new@acme.example"), ("authorized_contact", "on"), ("password", INITIAL_PASSWORD)];
    assert_eq!(post_as(&app, &admin, "/logins/jane.doe", &fields).await.status(), StatusCode::SEE_OTHER);

    assert_eq!(app.sign_in(&app.client(), JANE, &temporary).await.status(), StatusCode::UNAUTHORIZED);
    let mail = app.portal.list_mail(50).await.unwrap();
    let notice = mail.iter().find(|m| m.kind == "login_changed").expect("a notice to the old address");
    assert_eq!(notice.recipient, "jane@acme.example");
    match app.portal.open_mail(notice).unwrap() {
        portcullis::domain::message::OutboundMessage::LoginChanged(m) => assert_eq!(m.by, primary),
        other => panic!("unexpected {other:?}"),
    }
    let same = [("email", "jane.new@acme.example"), ("phone", "+44 20 7946 0003"), ("password", INITIAL_PASSWORD)];
    post_as(&app, &admin, "/logins/jane.doe", &same).await;
    let notices = app.portal.list_mail(50).await.unwrap().iter().filter(|m| m.kind == "login_changed").count();
    assert_eq!(notices, 1, "only an email change is announced");
}

#[tokio::test]
async fn password_re_entry_in_a_session_works_while_the_login_is_locked_and_does_not_lengthen_the_lock() {
    // Re-entry used to be refused during a lock; it no longer is: the session already proved
    // who it is, and a stranger guessing at the sign-in page must not lock its owner out of
    // every administrator action. Wrong re-entries count against the session instead.
    let (app, primary, admin) = administered().await;
    for _ in 0..5 {
        assert_eq!(app.sign_in(&app.client(), &primary, "Wrong#Pass9").await.status(), StatusCode::UNAUTHORIZED);
    }
    let login = app.store().await.login_by_name(&LoginName::parse(&primary).unwrap()).await.unwrap().unwrap();
    let locked_until = login.locked_until.expect("five wrong sign-ins lock the login");
    for _ in 0..2 {
        let wrong = post_as(&app, &admin, "/logins/jane.doe/reset", &[("password", "Wrong#Pass9")]).await;
        assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    }
    app.change_password(&admin, "Wrong#Pass9", "Changed#Pass2", "Changed#Pass2").await;

    let response = post_as(&app, &admin, "/logins/jane.doe/reset", &[("password", INITIAL_PASSWORD)]).await;
    assert_eq!(response.status(), StatusCode::OK, "the right password works during the lock");
    assert!(temporary_rows(&app, JANE).await.is_some());
    let answers = ["Rex the dog", "Paris", "Hillside"];
    let saved = crate::recovery::set_questions(&app, &admin, INITIAL_PASSWORD, answers).await;
    assert_eq!(location(&saved), "/profile?notice=questions-saved");
    let still = app.store().await.login_by_name(&LoginName::parse(&primary).unwrap()).await.unwrap().unwrap();
    assert_eq!((still.failed_count, still.locked_until), (login.failed_count, Some(locked_until)));
}

#[tokio::test]
async fn contacts_on_record_are_kept_only_when_valid() {
    let (app, primary, admin) = administered().await;
    let bad = post_as(
        &app,
        &admin,
        "/account/contacts",
        &[
            ("primary_name", "Ann Admin"),
            ("primary_phone", "call me"),
            ("primary_email", "ann@acme.example"),
            ("password", INITIAL_PASSWORD),
        ],
    )
    .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let login = app.store().await.login_by_name(&LoginName::parse(&primary).unwrap()).await.unwrap().unwrap();
    assert!(app.portal.contacts_on_record(&login.account_id).await.unwrap().is_empty());
    let saved = post_as(
        &app,
        &admin,
        "/account/contacts",
        &[
            ("primary_name", "Ann Admin"),
            ("primary_phone", "+44 20 7946 0001"),
            ("primary_email", "ann@acme.example"),
            ("secondary_name", "Ben Backup"),
            ("secondary_phone", "+44 20 7946 0002"),
            ("secondary_email", "ben@acme.example"),
            ("password", INITIAL_PASSWORD),
        ],
    )
    .await;
    assert_eq!(location(&saved), "/account/contacts?notice=contacts-saved");
    let contacts = app.portal.contacts_on_record(&login.account_id).await.unwrap();
    assert_eq!(contacts.len(), 2);
    assert!(app.get_html(&admin, "/account/contacts").await.contains("Ben Backup"));
}

#[tokio::test]
async fn temporary_passwords_are_limited_per_account_and_only_sendings_count() {
    let (app, _primary, admin) = administered().await;
    // Refused attempts (a wrong password here) use up nothing.
    for _ in 0..3 {
        post_as(&app, &admin, "/logins/jane.doe/reset", &[("password", "Wrong#Pass9")]).await;
    }
    for _ in 0..3 {
        let sent = post_as(&app, &admin, "/logins/jane.doe/reset", &[("password", INITIAL_PASSWORD)]).await;
        assert_eq!(sent.status(), StatusCode::OK);
    }
    let third = temporary_rows(&app, JANE).await.unwrap();
    let pickups = app.portal.list_mail(100).await.unwrap().iter().filter(|m| m.kind == "secure_pickup").count();

    let fourth = post_as(&app, &admin, "/logins/jane.doe/reset", &[("password", INITIAL_PASSWORD)]).await;
    assert_eq!(fourth.status(), StatusCode::BAD_REQUEST);
    assert!(fourth.text().await.unwrap().contains("Too many temporary passwords"));
    assert_eq!(temporary_rows(&app, JANE).await.unwrap(), third, "the third one stays the valid one");
    let after = app.portal.list_mail(100).await.unwrap().iter().filter(|m| m.kind == "secure_pickup").count();
    assert_eq!(after, pickups, "nothing was sent");
    assert!(app.audit_actions().await.contains(&"temporary_password_refused".to_string()));
}
