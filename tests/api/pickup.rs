//! Secure pickup under parallel guessing: every guess takes its attempt before the passcode is
//! checked, so no more than `pickup.max_attempts` guesses are ever checked. The hashing pool is
//! made just big enough for two checks at once: a third check would be turned away with 503.

use reqwest::StatusCode;

use crate::helpers::{INITIAL_PASSWORD, csrf_token, spawn_app_with};
use crate::mail::reset_secondary;
use crate::people::{JANE, JANE_PASSWORD};
use portcullis::service::mail::SecretDelivery;

#[tokio::test]
async fn eight_parallel_wrong_passcodes_get_only_two_checks_and_the_message_is_destroyed() {
    let app = spawn_app_with(|s| {
        s.pickup.max_attempts = 2;
        (s.hashing.workers, s.hashing.queue) = (1, 1);
    })
    .await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, JANE, JANE_PASSWORD).await;
    let Ok(SecretDelivery::Pickup { passcode }) = reset_secondary(&app, &primary, JANE).await else {
        panic!("expected secure pickup")
    };
    let path = format!("/secure-message/{}", crate::mail::pickup_id(&app).await);
    let client = app.client();
    let csrf = csrf_token(&app.get_html(&client, &path).await);

    let guesses = (0..8).map(|i| {
        let (client, url, csrf) = (client.clone(), app.url(&path), csrf.clone());
        tokio::spawn(async move {
            let fields = [("csrf", csrf), ("passcode", format!("WRONG-{i:05}"))];
            client.post(url).form(&fields).send().await.unwrap().status()
        })
    });
    let mut statuses = Vec::new();
    for guess in guesses.collect::<Vec<_>>() {
        statuses.push(guess.await.unwrap());
    }

    let checked = statuses.iter().filter(|s| **s == StatusCode::BAD_REQUEST).count();
    assert!(checked <= 1, "only the first of two attempts says 'try again': {statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == StatusCode::BAD_REQUEST || *s == StatusCode::NOT_FOUND),
        "no guess beyond the attempts reached the hashing pool: {statuses:?}"
    );
    assert_eq!(app.hash_pool("portcullis_hash_pool_refused_total"), 0, "at most two passcode checks ever ran");
    let right = app.post_form(&client, &path, &[("csrf", &csrf), ("passcode", &passcode)]).await;
    assert_eq!(right.status(), StatusCode::NOT_FOUND, "destroyed: the right passcode fails too");
    let wrong = app.audit_actions().await.iter().filter(|a| *a == "secure_message_wrong_passcode").count();
    assert!(wrong <= 2, "{wrong} wrong passcodes were checked");
}
