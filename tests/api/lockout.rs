//! Lockout that cannot be weaponised: device cookies (OWASP), the self-service reset while
//! locked, clearing a lock by hand, and the lockout notice.

use std::time::Duration as StdDuration;

use reqwest::StatusCode;
use time::Duration;

use crate::helpers::{INITIAL_PASSWORD, TestApp, location, set_cookies, spawn_app, spawn_app_with};
use crate::mail::{app_with_relay, parse};
use crate::people::{JANE, JANE_PASSWORD, post_as};
use crate::recovery;
use crate::smtp_sink::SmtpSink;

pub const WRONG: &str = "Wrong#Guess1";

/// Someone else's browser guessing: a fresh client each time, no device cookie.
pub async fn guess(app: &TestApp, name: &str, times: usize) {
    for _ in 0..times {
        assert_eq!(app.sign_in(&app.client(), name, WRONG).await.status(), StatusCode::UNAUTHORIZED);
    }
}

/// The owner's browser: signed in once (so it holds a device cookie), then signed out.
pub async fn owners_browser(app: &TestApp, name: &str, password: &str) -> reqwest::Client {
    let client = app.client();
    let signed_in = app.sign_in(&client, name, password).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let device = device_cookie(&signed_in).expect("a device cookie after signing in");
    assert!(device.contains("HttpOnly") && device.contains("SameSite=Strict") && device.contains("Max-Age=15552000"));
    sign_out(app, &client).await;
    client
}

pub fn device_cookie(response: &reqwest::Response) -> Option<String> {
    set_cookies(response.headers()).into_iter().find(|c| c.starts_with("portcullis_device_"))
}

pub async fn sign_out(app: &TestApp, client: &reqwest::Client) {
    let csrf = app.session_csrf(client).await;
    assert_eq!(app.post_form(client, "/logout", &[("csrf", &csrf)]).await.status(), StatusCode::SEE_OTHER);
}

/// A browser whose only cookies are its pre-session cookie and `device` (`name=value`).
async fn sign_in_with_cookie(app: &TestApp, device: &str, name: &str, password: &str) -> StatusCode {
    let client = app.client_builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = app.get(&client, "/login").await;
    let pre = set_cookies(page.headers()).into_iter().find(|c| c.starts_with("portcullis_pre=")).unwrap();
    let pre = pre.split(';').next().unwrap().to_string();
    let csrf = crate::helpers::csrf_token(&page.text().await.unwrap());
    let fields = [("csrf", csrf.as_str()), ("login_name", name), ("password", password)];
    let cookie = format!("{pre}; {device}");
    let response = client.post(app.url("/login")).header("cookie", cookie).form(&fields).send().await.unwrap();
    response.status()
}

#[tokio::test]
async fn a_guessing_attacker_locks_the_login_but_its_owners_browser_with_a_device_cookie_still_signs_in() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let owner = owners_browser(&app, &primary, INITIAL_PASSWORD).await;

    guess(&app, &primary, 12).await;

    let stranger = app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await;
    assert_eq!(stranger.status(), StatusCode::UNAUTHORIZED, "the lock holds for browsers without a device cookie");
    let response = app.sign_in(&owner, &primary, INITIAL_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "the owner's browser is not blocked by the others' lock");
    assert_eq!(location(&response), "/profile");
    assert!(device_cookie(&response).is_some(), "a fresh device cookie with each sign-in");
}

#[tokio::test]
async fn failures_from_a_browser_with_a_device_cookie_count_against_the_cookie_and_not_the_login() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let owner = owners_browser(&app, &primary, INITIAL_PASSWORD).await;

    for _ in 0..5 {
        assert_eq!(app.sign_in(&owner, &primary, WRONG).await.status(), StatusCode::UNAUTHORIZED);
    }
    guess(&app, &primary, 1).await;

    let stranger = app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await;
    assert_eq!(stranger.status(), StatusCode::SEE_OTHER, "1 counted failure does not lock the login");
    assert!(app.audit_actions().await.contains(&"device_locked".to_string()));
    assert!(!app.audit_actions().await.contains(&"login_locked".to_string()));
}

#[tokio::test]
async fn a_device_cookie_that_spent_its_budget_is_locked_and_counts_as_none() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let owner = owners_browser(&app, &primary, INITIAL_PASSWORD).await;
    guess(&app, &primary, 5).await;

    for _ in 0..4 {
        assert_eq!(app.sign_in(&owner, &primary, WRONG).await.status(), StatusCode::UNAUTHORIZED);
    }
    let fourth_is_fine = app.sign_in(&owner, &primary, INITIAL_PASSWORD).await.status();
    assert_eq!(fourth_is_fine, StatusCode::SEE_OTHER, "4 failures are inside the cookie's budget of 5");
    sign_out(&app, &owner).await;
    guess(&app, &primary, 5).await;
    for _ in 0..5 {
        assert_eq!(app.sign_in(&owner, &primary, WRONG).await.status(), StatusCode::UNAUTHORIZED);
    }

    let locked_cookie = app.sign_in(&owner, &primary, INITIAL_PASSWORD).await.status();
    assert_eq!(locked_cookie, StatusCode::UNAUTHORIZED, "a locked cookie does not get past the login's lock");
    assert!(app.audit_actions().await.contains(&"device_locked".to_string()));
}

#[tokio::test]
async fn a_forged_device_cookie_or_one_for_another_login_counts_as_none() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, JANE, JANE_PASSWORD).await;
    let primary_cookie = device_cookie(&app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await).unwrap();
    let jane_cookie = device_cookie(&app.sign_in(&app.client(), JANE, JANE_PASSWORD).await).unwrap();
    let pair = |set_cookie: &str| set_cookie.split(';').next().unwrap().to_string();
    let genuine = pair(&primary_cookie);
    // One character of the signature changed.
    let at = genuine.len() - 10;
    let flipped = if &genuine[at..=at] == "A" { "B" } else { "A" };
    let forged = format!("{}{flipped}{}", &genuine[..at], &genuine[at + 1..]);
    guess(&app, &primary, 5).await;

    assert_eq!(sign_in_with_cookie(&app, &forged, &primary, INITIAL_PASSWORD).await, StatusCode::UNAUTHORIZED);
    let janes = pair(&jane_cookie);
    assert_eq!(sign_in_with_cookie(&app, &janes, &primary, INITIAL_PASSWORD).await, StatusCode::UNAUTHORIZED);
    assert_eq!(sign_in_with_cookie(&app, &genuine, &primary, INITIAL_PASSWORD).await, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_expired_device_cookie_counts_as_none() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let owner = owners_browser(&app, &primary, INITIAL_PASSWORD).await;
    app.clock.advance(Duration::days(181));
    guess(&app, &primary, 5).await;

    assert_eq!(app.sign_in(&owner, &primary, INITIAL_PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_address_budget_does_not_apply_to_a_browser_with_a_valid_device_cookie() {
    let app = spawn_app_with(|s| s.rate_limit.address_max_failures = 3).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let owner = owners_browser(&app, &primary, INITIAL_PASSWORD).await;
    for name in ["AAA0001", "AAA0002", "AAA0003"] {
        app.sign_in(&app.client(), name, WRONG).await;
    }
    assert_eq!(app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);

    assert_eq!(app.sign_in(&owner, &primary, WRONG).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.sign_in(&owner, &primary, INITIAL_PASSWORD).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_locked_login_resets_its_password_by_itself_and_the_reset_clears_the_lock() {
    let relay = SmtpSink::start().await;
    let app = recovery::app(&relay).await;
    let primary = recovery::primary_with_questions(&app).await;
    guess(&app, &primary, 8).await;
    assert_eq!(app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await.status(), StatusCode::UNAUTHORIZED);

    let visitor = app.client();
    assert_eq!(recovery::request_reset(&app, &visitor, &primary).await.status(), StatusCode::OK);
    let link = recovery::emailed_link(&relay, 2).await;
    recovery::answer_questions(&app, &visitor, &link, recovery::ANSWERS).await;
    let done = recovery::submit_new_password(&app, &visitor, "Recovered#Pass2", "Recovered#Pass2").await;
    assert_eq!(location(&done), "/login?notice=password-reset");

    let response = app.sign_in(&app.client(), &primary, "Recovered#Pass2").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "the completed reset cleared the lock");
    assert_eq!(location(&response), "/profile");
}

#[tokio::test]
async fn the_account_administrator_clears_a_secondary_logins_lock_with_its_password_and_it_is_audited() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, JANE, JANE_PASSWORD).await;
    let admin = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    guess(&app, JANE, 5).await;
    let page = app.get_html(&admin, "/logins/jane.doe").await;
    assert!(page.contains("Sign-in locked"), "the Logins page shows the lock");

    let wrong = post_as(&app, &admin, "/logins/jane.doe/unlock", &[("password", WRONG)]).await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.sign_in(&app.client(), JANE, JANE_PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    let cleared = post_as(&app, &admin, "/logins/jane.doe/unlock", &[("password", INITIAL_PASSWORD)]).await;

    assert_eq!(location(&cleared), "/logins/jane.doe?notice=lock-cleared");
    assert!(!app.get_html(&admin, "/logins/jane.doe").await.contains("Sign-in locked"));
    assert_eq!(app.sign_in(&app.client(), JANE, JANE_PASSWORD).await.status(), StatusCode::SEE_OTHER);
    let entries = app.portal.recent_audit(100).await.unwrap();
    let entry = entries.iter().find(|e| e.action == "login_lock_cleared").expect("audited");
    assert_eq!((entry.actor.as_str(), entry.subject.as_deref()), (format!("login:{primary}").as_str(), Some(JANE)));
}

#[tokio::test]
async fn a_secondary_login_cannot_clear_a_lock() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, JANE, JANE_PASSWORD).await;
    let jane = app.signed_in_client(JANE, JANE_PASSWORD).await;
    guess(&app, &primary, 5).await;

    let refused = post_as(&app, &jane, &format!("/logins/{primary}/unlock"), &[("password", JANE_PASSWORD)]).await;

    assert!(refused.status().is_client_error(), "refused: {}", refused.status());
    assert_eq!(app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert!(!app.audit_actions().await.contains(&"login_lock_cleared".to_string()));
}

#[tokio::test]
async fn staff_clear_the_lock_of_any_login_from_the_console_and_it_is_audited() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let staff = crate::support::staff_client(&app, "alice", "support", "Support#Desk1").await;
    guess(&app, &primary, 5).await;
    let csrf = crate::helpers::csrf_token(&app.get_html(&staff, "/staff").await);

    let unknown = app.post_form(&staff, "/staff/unlock", &[("csrf", &csrf), ("login", "ZZZ0000")]).await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    assert!(unknown.text().await.unwrap().contains("There is no login named ZZZ0000."));
    let cleared = app.post_form(&staff, "/staff/unlock", &[("csrf", &csrf), ("login", &primary.to_lowercase())]).await;

    assert_eq!(location(&cleared), "/staff?notice=lock-cleared");
    assert!(app.get_html(&staff, "/staff?notice=lock-cleared").await.contains("The sign-in lock was cleared"));
    assert_eq!(app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await.status(), StatusCode::SEE_OTHER);
    let entries = app.portal.recent_audit(100).await.unwrap();
    let entry = entries.iter().find(|e| e.action == "login_lock_cleared").expect("audited");
    assert_eq!(entry.actor, "staff:alice");
}

/// The lockout notices the relay has received so far.
fn lock_notices(relay: &SmtpSink) -> Vec<String> {
    relay
        .messages()
        .iter()
        .map(|m| parse(m))
        .filter(|m| m.subject() == Some("Customer Portal: sign-in to your login was paused after failed attempts"))
        .map(|m| m.body_text(0).unwrap().into_owned())
        .collect()
}

#[tokio::test]
async fn a_lockout_sends_exactly_one_notice_per_lock_not_one_per_failure() {
    let relay = SmtpSink::start().await;
    let app = app_with_relay(&relay).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;

    guess(&app, &primary, 5).await;
    relay.wait_for(1).await;
    guess(&app, &primary, 3).await; // while locked
    app.clock.advance(Duration::seconds(31));
    guess(&app, &primary, 1).await; // a longer lock in the same run of failures
    tokio::time::sleep(StdDuration::from_millis(1500)).await;
    let notices = lock_notices(&relay);
    assert_eq!(notices.len(), 1, "one notice for the run of failures");
    assert!(notices[0].contains(&primary) && notices[0].contains("127.0.0.1"), "what, where: {}", notices[0]);
    assert!(notices[0].contains("Forgot your password?") && !notices[0].contains(WRONG));

    app.clock.advance(Duration::hours(2));
    guess(&app, &primary, 5).await;
    relay.wait_for(2).await;
    assert_eq!(lock_notices(&relay).len(), 2, "a new lock after the window gets its own notice");
}
