//! Device cookies that cannot be turned against the lock: the owner's sign-in does not refill a
//! guesser's attempts, a cookie does not outlive the password it was earned with, and parallel
//! guesses with one cookie get no more checks than its budget.

use reqwest::StatusCode;

use crate::helpers::{INITIAL_PASSWORD, TestApp, csrf_token, set_cookies, spawn_app, spawn_app_with};
use crate::lockout::{WRONG, device_cookie, guess, owners_browser, sign_out};

/// `name=value` of the device cookie a fresh browser gets by signing in.
async fn fresh_device_cookie(app: &TestApp, name: &str, password: &str) -> String {
    let response = app.sign_in(&app.client(), name, password).await;
    device_cookie(&response).expect("a device cookie").split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn a_sign_in_with_a_device_cookie_does_not_refill_the_guessers_attempts() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let owner = owners_browser(&app, &primary, INITIAL_PASSWORD).await;
    guess(&app, &primary, 3).await;

    assert_eq!(app.sign_in(&owner, &primary, INITIAL_PASSWORD).await.status(), StatusCode::SEE_OTHER);
    sign_out(&app, &owner).await;
    guess(&app, &primary, 2).await;

    let stranger = app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await;
    assert_eq!(stranger.status(), StatusCode::UNAUTHORIZED, "3 + 2 guesses lock: the owner's sign-in cleared nothing");
    assert_eq!(app.sign_in(&owner, &primary, INITIAL_PASSWORD).await.status(), StatusCode::SEE_OTHER);
    let still = app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await;
    assert_eq!(still.status(), StatusCode::UNAUTHORIZED, "the owner signing in during the lock leaves it in place");
}

#[tokio::test]
async fn a_device_cookie_issued_before_a_password_change_counts_as_none_after_it() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    // Whoever signed in with the old password keeps this browser.
    let intruder = owners_browser(&app, &primary, INITIAL_PASSWORD).await;
    let owner = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    app.change_password(&owner, INITIAL_PASSWORD, "Changed#Pass2", "Changed#Pass2").await;
    guess(&app, &primary, 5).await;

    let old_cookie = app.sign_in(&intruder, &primary, "Changed#Pass2").await;

    assert_eq!(old_cookie.status(), StatusCode::UNAUTHORIZED, "the old cookie does not get past the lock");
    app.clock.advance(time::Duration::minutes(2));
    let new_cookie = fresh_device_cookie(&app, &primary, "Changed#Pass2").await;
    guess(&app, &primary, 5).await;
    let owners_again = sign_in_with_cookies(&app, &new_cookie, &primary, "Changed#Pass2", 1).await;
    assert_eq!(owners_again, [StatusCode::SEE_OTHER], "a cookie issued under the new password vouches");
}

/// `times` sign-ins at once from one browser whose only cookies are its pre-session cookie and
/// `device` (`name=value`); their statuses.
async fn sign_in_with_cookies(
    app: &TestApp,
    device: &str,
    name: &str,
    password: &str,
    times: usize,
) -> Vec<StatusCode> {
    let client = app.client_builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = app.get(&client, "/login").await;
    let pre = set_cookies(page.headers()).into_iter().find(|c| c.starts_with("portcullis_pre=")).unwrap();
    let cookie = format!("{}; {device}", pre.split(';').next().unwrap());
    let csrf = csrf_token(&page.text().await.unwrap());
    let attempts: Vec<_> = (0..times)
        .map(|_| {
            let (client, url, cookie) = (client.clone(), app.url("/login"), cookie.clone());
            let fields = [("csrf", csrf.clone()), ("login_name", name.to_string()), ("password", password.to_string())];
            tokio::spawn(async move {
                client.post(url).header("cookie", cookie).form(&fields).send().await.unwrap().status()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    statuses
}

#[tokio::test]
async fn eight_parallel_wrong_guesses_with_one_device_cookie_get_no_more_checks_than_its_budget() {
    // Room in the hashing pool for two checks at once: a third would be turned away with 503.
    let app = spawn_app_with(|s| {
        s.lockout.device_max_failures = 2;
        s.rate_limit.address_max_failures = 3;
        (s.hashing.workers, s.hashing.queue) = (1, 1);
    })
    .await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let device = fresh_device_cookie(&app, &primary, INITIAL_PASSWORD).await;
    // The address's budget is spent, so a guess the cookie no longer vouches for stops before any check.
    for name in ["AAA0001", "AAA0002", "AAA0003"] {
        app.sign_in(&app.client(), name, WRONG).await;
    }

    let statuses = sign_in_with_cookies(&app, &device, &primary, WRONG, 8).await;

    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    assert!(checked <= 2, "{checked} guesses were checked: {statuses:?}");
    // A sign-in takes its place in the hashing pool before any query: the rest were refused by
    // the full pool (503) or, once in, by the spent budgets (429).
    let refused = [StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS, StatusCode::SERVICE_UNAVAILABLE];
    assert!(statuses.iter().all(|s| refused.contains(s)), "{statuses:?}");
    let right = sign_in_with_cookies(&app, &device, &primary, INITIAL_PASSWORD, 1).await;
    assert_eq!(right, [StatusCode::TOO_MANY_REQUESTS], "the spent cookie counts as none");
}
