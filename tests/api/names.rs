//! Login names that only look like others: refused on the Logins form with the reason, looked up
//! after NFKC at sign-in, percent-encoded in redirects, and checked in the database before the
//! version that makes the ASCII rule part of the schema.

use std::str::FromStr;

use reqwest::StatusCode;
use sqlx::Connection;

use crate::helpers::{INITIAL_PASSWORD, fresh_database_url, location, spawn_app, using_postgres};
use crate::people::post_as;

#[tokio::test]
async fn look_alike_names_are_refused_on_the_logins_form_with_the_reason_and_nothing_is_created() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let admin = app.signed_in_client(&primary, INITIAL_PASSWORD).await;

    let cases = [
        ("FJP８９０８", "must not look like a primary login"),
        ("jane.а", "&#39;а&#39; (U+0430) is not one of them"),
        ("\u{212A}elvin.a", "(U+212A) only looks like a plain letter or digit"),
    ];
    for (name, reason) in cases {
        let fields = [("login_name", name), ("email", "sam@acme.example"), ("password", INITIAL_PASSWORD)];
        let response = post_as(&app, &admin, "/logins", &fields).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{name}");
        let page = response.text().await.unwrap();
        assert!(page.contains(reason), "{name}: {page}");
    }
    let logins = app.store().await.logins_of_account(&login_account(&app, &primary).await).await.unwrap();
    assert_eq!(logins.len(), 1, "only the primary login exists");
}

async fn login_account(app: &crate::helpers::TestApp, name: &str) -> String {
    crate::mail::login(app, name).await.account_id
}

#[tokio::test]
async fn a_primary_login_typed_with_full_width_digits_signs_in_as_itself() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let full_width: String = primary
        .chars()
        .map(|c| if c.is_ascii_digit() { char::from_u32(u32::from(c) + 0xFEE0).unwrap() } else { c })
        .collect();

    let response = app.sign_in(&app.client(), &full_width.to_lowercase(), INITIAL_PASSWORD).await;

    assert_eq!(location(&response), "/profile");
}

#[tokio::test]
async fn redirects_to_a_login_percent_encode_its_name() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let admin = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    let fields = [("login_name", "ops@acme"), ("email", "ops@acme.example"), ("password", INITIAL_PASSWORD)];

    let created = post_as(&app, &admin, "/logins", &fields).await;

    assert_eq!(location(&created), "/logins/ops%40acme?notice=login-created");
    assert_eq!(app.get(&admin, &location(&created)).await.status(), StatusCode::OK);
}

const PLANTED: [&str; 2] = [
    "INSERT INTO accounts (id, name, created_at) VALUES ('acct-1', 'Acme', 0)",
    "INSERT INTO logins (id, account_id, kind, name, name_key, email, created_at) VALUES \
     ('login-ok', 'acct-1', 'primary', 'ABC1234', 'abc1234', 'a@acme.example', 0), \
     ('login-cyrillic', 'acct-1', 'secondary', 'jane.а', 'jane.а', 'j@acme.example', 0), \
     ('login-width', 'acct-1', 'secondary', 'FJP８９０８', 'fjp８９０８', 'f@acme.example', 0), \
     ('login-kelvin', 'acct-1', 'secondary', '\u{212A}elvin.a', 'kelvin.a', 'k@acme.example', 0)",
];

/// A database at the version before the ASCII-name rule, holding `statements`.
async fn database_at_version_4(dir: &tempfile::TempDir, statements: &[&str]) -> String {
    let url = fresh_database_url(dir).await;
    if using_postgres() {
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::migrate!("migrations/postgres").run_to(4, &mut conn).await.unwrap();
        for sql in statements {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut conn).await.unwrap();
        }
    } else {
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url).unwrap().create_if_missing(true);
        let mut conn = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
        sqlx::migrate!("migrations/sqlite").run_to(4, &mut conn).await.unwrap();
        for sql in statements {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut conn).await.unwrap();
        }
    }
    url
}

async fn migrate(url: &str, dir: &tempfile::TempDir) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("migrate")
        .env("PORTCULLIS_DATABASE__URL", url)
        .env("PORTCULLIS_SECRETS__KEY_FILE", dir.path().join("secret.key"))
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_start_is_refused_naming_stored_look_alike_names_until_they_are_renamed() {
    let dir = tempfile::tempdir().unwrap();
    let url = database_at_version_4(&dir, &PLANTED).await;

    let refused = migrate(&url, &dir).await;

    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr).into_owned();
    for named in ["'jane.а' (written jane.\\u{0430}, secondary, id login-cyrillic)", "FJP\\u{ff18}", "\\u{212a}elvin.a"]
    {
        assert!(message.contains(named), "{named} in: {message}");
    }
    assert!(!message.contains("login-ok"), "a good name is not listed: {message}");

    let renames = [
        "UPDATE logins SET name = 'jane.a', name_key = 'jane.a' WHERE id = 'login-cyrillic'",
        "UPDATE logins SET name = 'fjp.8908', name_key = 'fjp.8908' WHERE id = 'login-width'",
        "UPDATE logins SET name = 'kelvin.a', name_key = 'kelvin.a' WHERE id = 'login-kelvin'",
    ];
    run_sql(&url, &renames).await.unwrap();
    let migrated = migrate(&url, &dir).await;
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
    let sneaked = "UPDATE logins SET name = 'jane.а' WHERE id = 'login-cyrillic'";
    assert!(run_sql(&url, &[sneaked]).await.is_err(), "the schema now refuses a look-alike name");
}

async fn run_sql(url: &str, statements: &[&str]) -> Result<(), sqlx::Error> {
    for sql in statements {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        if using_postgres() {
            sqlx::query(sql).execute(&mut sqlx::PgConnection::connect(url).await?).await?;
        } else {
            sqlx::query(sql).execute(&mut sqlx::SqliteConnection::connect(url).await?).await?;
        }
    }
    Ok(())
}
