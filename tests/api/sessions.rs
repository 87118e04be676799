use reqwest::StatusCode;
use time::Duration;

use crate::helpers::{INITIAL_PASSWORD, csrf_token, location, set_cookies, spawn_app, spawn_app_with};

#[tokio::test]
async fn the_session_cookie_is_http_only_same_site_and_new_at_every_sign_in() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.client();

    let first = app.sign_in(&client, &primary, INITIAL_PASSWORD).await;
    let first_cookies = set_cookies(first.headers());
    let second = app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await;
    let second_cookies = set_cookies(second.headers());

    let session_cookie = |cookies: &[String]| {
        cookies.iter().find(|c| c.starts_with("portcullis_session=")).cloned().expect("session cookie set")
    };
    let cookie = session_cookie(&first_cookies);
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "no Secure flag on a plain-http public address");
    let value = cookie.split(';').next().unwrap().trim_start_matches("portcullis_session=");
    assert_eq!(value.len(), 43, "256 random bits, base64url");
    assert_ne!(session_cookie(&first_cookies), session_cookie(&second_cookies));
}

#[tokio::test]
async fn the_raw_session_token_is_not_stored() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let response = app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await;
    let cookie = set_cookies(response.headers()).into_iter().find(|c| c.starts_with("portcullis_session=")).unwrap();
    let token = cookie.split(';').next().unwrap().trim_start_matches("portcullis_session=").to_string();

    let login = app
        .store()
        .await
        .login_by_name(&portcullis::domain::LoginName::parse(&primary).unwrap())
        .await
        .unwrap()
        .unwrap();
    let sessions = app.store().await.sessions_of(&login.id).await.unwrap();
    assert_eq!(sessions.len(), 1);
    assert!(app.store().await.session_by_token(&token).await.unwrap().is_none(), "looked up only by its digest");
    let digest = portcullis::crypto::digest_hex(token.as_bytes());
    assert!(app.store().await.session_by_token(&digest).await.unwrap().is_some());
}

#[tokio::test]
async fn cookies_are_secure_and_hsts_is_sent_when_the_public_address_is_https() {
    let app = spawn_app_with(|s| s.http.public_url = "https://portal.test".parse().unwrap()).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;

    let page = app.get(&app.client(), "/login").await;
    assert_eq!(page.headers()["strict-transport-security"], "max-age=31536000; includeSubDomains");
    let pre = set_cookies(page.headers()).concat();
    assert!(pre.starts_with("__Host-portcullis_pre=") && pre.contains("; Secure"), "{pre}");

    // reqwest does not send Secure cookies over http, so replay the pre-session cookie by hand.
    let pre_value = pre.split(';').next().unwrap().to_string();
    let csrf = csrf_token(&page.text().await.unwrap());
    let response = app
        .client()
        .post(app.url("/login"))
        .header("cookie", pre_value)
        .form(&[("csrf", csrf.as_str()), ("login_name", primary.as_str()), ("password", INITIAL_PASSWORD)])
        .send()
        .await
        .unwrap();
    let session =
        set_cookies(response.headers()).into_iter().find(|c| c.starts_with("__Host-portcullis_session=")).unwrap();
    assert!(session.contains("; Secure") && session.contains("HttpOnly"), "{session}");
}

#[tokio::test]
async fn a_session_ends_after_the_idle_timeout() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;

    app.clock.advance(Duration::minutes(30));
    assert!(app.is_signed_in(&client).await, "still live at exactly the idle limit");
    app.clock.advance(Duration::minutes(30) + Duration::seconds(1));
    let response = app.get(&client, "/profile").await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login?notice=session-expired");
}

#[tokio::test]
async fn a_session_ends_after_the_absolute_timeout_even_when_active() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;

    for _ in 0..50 {
        app.clock.advance(Duration::minutes(15));
        if !app.is_signed_in(&client).await {
            break;
        }
    }

    assert!(!app.is_signed_in(&client).await);
    assert!(app.audit_actions().await.contains(&"session_revoked".to_string()));
}

#[tokio::test]
async fn my_profile_lists_each_session_and_revoking_one_signs_that_browser_out() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let laptop = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    let phone = app.signed_in_client(&primary, INITIAL_PASSWORD).await;

    let profile = app.get_html(&laptop, "/profile").await;
    assert_eq!(profile.matches("name=\"session_id\"").count(), 2);
    assert_eq!(profile.matches("This session").count(), 1);
    // The phone's session is the one not marked as the laptop's own.
    let phone_profile = app.get_html(&phone, "/profile").await;
    let phone_marker = phone_profile.find("This session").unwrap();
    let phone_own = &phone_profile[phone_marker..];
    let phone_id = first_session_id(phone_own);

    let csrf = csrf_token(&profile);
    let response =
        app.post_form(&laptop, "/profile/sessions/revoke", &[("csrf", &csrf), ("session_id", &phone_id)]).await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(!app.is_signed_in(&phone).await, "the revoked browser is signed out");
    assert!(app.is_signed_in(&laptop).await);
    assert_eq!(app.get_html(&laptop, "/profile").await.matches("name=\"session_id\"").count(), 1);
}

#[tokio::test]
async fn a_login_cannot_revoke_another_logins_session() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, "jane.doe", "Jane#Pass1").await;
    let jane = app.signed_in_client("jane.doe", "Jane#Pass1").await;
    let admin = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    let jane_profile = app.get_html(&jane, "/profile").await;
    let jane_session = first_session_id(&jane_profile);

    let csrf = app.session_csrf(&admin).await;
    let response =
        app.post_form(&admin, "/profile/sessions/revoke", &[("csrf", &csrf), ("session_id", &jane_session)]).await;

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(app.is_signed_in(&jane).await);
}

#[tokio::test]
async fn signing_out_ends_the_session_and_a_replayed_cookie_is_refused() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.client();
    let sign_in = app.sign_in(&client, &primary, INITIAL_PASSWORD).await;
    let cookie = set_cookies(sign_in.headers()).into_iter().find(|c| c.starts_with("portcullis_session=")).unwrap();
    let stolen = cookie.split(';').next().unwrap().to_string();

    let csrf = app.session_csrf(&client).await;
    let response = app.post_form(&client, "/logout", &[("csrf", &csrf)]).await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login?notice=signed-out");
    assert!(response.headers()["clear-site-data"].to_str().unwrap().contains("cache"));
    let cleared = set_cookies(response.headers());
    assert!(cleared.iter().any(|c| c.starts_with("portcullis_session=;") && c.contains("Max-Age=0")));
    let replay = app.client().get(app.url("/profile")).header("cookie", stolen).send().await.unwrap();
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
    assert!(app.get_html(&app.client(), "/login?notice=signed-out").await.contains("You have signed out."));
}

#[tokio::test]
async fn signing_out_is_not_possible_with_a_get() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;

    let response = app.get(&client, "/logout").await;

    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(app.is_signed_in(&client).await);
}

/// The first session id in (a part of) a My Profile page.
fn first_session_id(html: &str) -> String {
    let rest = html.split("name=\"session_id\" value=\"").nth(1).expect("a session row");
    rest[..rest.find('"').unwrap()].to_string()
}
