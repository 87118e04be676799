use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{INITIAL_PASSWORD, csrf_token, spawn_app_with};

#[tokio::test]
async fn a_sign_in_flood_beyond_the_hash_queue_gets_503_with_retry_after_while_cheap_pages_answer() {
    let app = spawn_app_with(|s| {
        s.hashing.workers = 1;
        s.hashing.queue = 0;
    })
    .await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.client();
    let csrf = csrf_token(&app.get_html(&client, "/login").await);

    let flood: Vec<_> = (0..16)
        .map(|_| {
            let request = client.post(app.url("/login")).form(&[
                ("csrf", csrf.as_str()),
                ("login_name", primary.as_str()),
                ("password", "Wrong#Pass1"),
            ]);
            tokio::spawn(async move { request.send().await.expect("response") })
        })
        .collect();
    let health = tokio::time::timeout(Duration::from_secs(5), app.client().get(app.url("/healthz")).send()).await;
    let mut statuses = Vec::new();
    let mut retry_after = Vec::new();
    for request in flood {
        let response = request.await.expect("task");
        statuses.push(response.status());
        if let Some(value) = response.headers().get("retry-after") {
            retry_after.push(value.to_str().unwrap().to_string());
        }
    }

    assert!(statuses.contains(&StatusCode::SERVICE_UNAVAILABLE), "{statuses:?}");
    assert!(statuses.contains(&StatusCode::UNAUTHORIZED), "{statuses:?}");
    assert!(!retry_after.is_empty() && retry_after.iter().all(|v| v == "2"));
    assert_eq!(health.expect("health answers during the flood").unwrap().status(), StatusCode::OK);
    assert!(app.metric("portcullis_hash_pool_refused_total").await > 0);
}
