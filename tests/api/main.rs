//! One integration-test binary. Run with TEST_DATABASE=postgres to use PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod canary;
mod change_password;
mod cli;
mod crypto_tools;
mod csrf;
mod helpers;
mod lockout;
mod mail;
mod overload;
mod pages;
mod people;
mod recovery;
mod sessions;
mod sign_in;
mod smtp_sink;
mod store_story;
mod support;
