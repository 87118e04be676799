//! One integration-test binary. Run with TEST_DATABASE=postgres to use PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod change_password;
mod cli;
mod csrf;
mod helpers;
mod overload;
mod pages;
mod sessions;
mod sign_in;
mod store_story;
