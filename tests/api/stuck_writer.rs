//! A writer that holds the database's write lock and never finishes (a frozen instance on
//! PostgreSQL, another process on SQLite) costs the others a quick 503, never a hang.

use std::time::Duration;

use reqwest::StatusCode;
use sqlx::Connection;

use portcullis::domain::LoginName;

use crate::helpers::{INITIAL_PASSWORD, TestApp, spawn_app_with, using_postgres};
use crate::mail::wait_until;
use crate::smtp_sink::SmtpSink;

/// A raw connection holding what every audited write needs: the audit chain's head row.
pub enum StuckWriter {
    Postgres(sqlx::PgConnection),
    Sqlite(sqlx::SqliteConnection),
}

impl StuckWriter {
    pub async fn hold(app: &TestApp) -> Self {
        if using_postgres() {
            let mut conn = sqlx::PgConnection::connect(&app.db_url).await.expect("connect");
            sqlx::raw_sql("BEGIN; SELECT * FROM audit_head FOR UPDATE").execute(&mut conn).await.expect("lock");
            Self::Postgres(conn)
        } else {
            let mut conn = sqlx::SqliteConnection::connect(&app.db_url).await.expect("connect");
            sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut conn).await.expect("lock");
            Self::Sqlite(conn)
        }
    }

    pub async fn roll_back(self) {
        match self {
            Self::Postgres(mut conn) => sqlx::raw_sql("ROLLBACK").execute(&mut conn).await.map(drop),
            Self::Sqlite(mut conn) => sqlx::raw_sql("ROLLBACK").execute(&mut conn).await.map(drop),
        }
        .expect("rollback");
    }
}

#[tokio::test]
async fn a_writer_stuck_holding_the_audit_lock_makes_sign_ins_answer_503_quickly_and_they_recover_after() {
    let app = spawn_app_with(|s| s.database.lock_timeout_ms = 1000).await;
    let login = app.create_account(INITIAL_PASSWORD).await;
    let client = app.client();
    let stuck = StuckWriter::hold(&app).await;

    let answer = tokio::time::timeout(Duration::from_secs(8), app.sign_in(&client, &login, "Wrong#Pass99"))
        .await
        .expect("a failed sign-in answers while another writer holds the lock, instead of hanging");
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    let request_id = answer.headers()["x-request-id"].to_str().unwrap().to_string();
    let page = answer.text().await.unwrap();
    assert!(page.contains("try again shortly") && page.contains(&request_id), "{page}");

    stuck.roll_back().await;
    let answer = tokio::time::timeout(Duration::from_secs(8), app.sign_in(&client, &login, "Wrong#Pass99"))
        .await
        .expect("a sign-in answers once the lock is released");
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "the wrong password is refused as usual again");
    assert_eq!(app.sign_in(&client, &login, INITIAL_PASSWORD).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_delivery_recorded_while_another_writer_holds_the_lock_is_sent_once() {
    let relay = SmtpSink::start().await;
    let url = relay.url();
    let app = spawn_app_with(move |s| {
        (s.mail.transport, s.mail.smtp_url, s.mail.smtp_timeout_seconds) =
            (portcullis::config::MailTransport::Smtp, url, 10);
        s.database.lock_timeout_ms = 300;
    })
    .await;
    let primary = LoginName::parse(&app.create_account(INITIAL_PASSWORD).await).unwrap();
    relay.delay_acceptance(Duration::from_millis(1500));

    app.portal.send_test_mail(&primary).await.unwrap();
    // The relay has the message and is about to say so: the database's lock is taken meanwhile.
    relay.wait_for(1).await;
    let stuck = StuckWriter::hold(&app).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    stuck.roll_back().await;

    wait_until(|| async { app.portal.list_mail(1).await.unwrap()[0].status == "sent" }).await;
    // Long after the lease would have ended, nothing went out again.
    app.clock.advance(time::Duration::minutes(10));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(relay.messages().len(), 1, "delivered once");
}
