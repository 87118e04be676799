//! One integration-test binary. Run with TEST_DATABASE=postgres to use PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod addresses;
mod audit;
mod audit_chain;
mod canary;
mod change_password;
mod cli;
mod crypto_tools;
mod csrf;
mod edge;
mod helpers;
mod keys;
mod mail;
mod names;
mod notices;
mod overload;
mod pages;
mod people;
mod pickup;
mod recovery;
mod sessions;
mod sign_in;
mod slow_clients;
mod smtp_sink;
mod store_story;
mod support;
