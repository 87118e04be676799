//! A failed sign-in must not tell, by its timing, whether the name exists or whether the login
//! has a temporary password waiting. Times failed sign-ins, interleaved (in a shuffled order
//! each round) so that all kinds share the machine's noise: an unknown name, a known login with
//! a wrong password, and a known login with an unused temporary password and a wrong password.
//!
//! Prints each kind's median and 99th percentile, and for each known kind its difference from
//! the unknown name: of the means with a 95 % Welch interval, and of the medians with a 95 %
//! bootstrap interval. An interval that contains 0 means no difference could be seen.
//!
//! Run: `cargo bench --bench failures` (the production hash: the hash dominates and hides
//! small differences) and `cargo bench --bench failures -- --near-free` (Argon2 with m=8 KiB,
//! t=1: nearly all that is left is the bookkeeping, so a difference there would show).
//! `--rounds N` sets the samples per kind; `--no-floor` turns off `lockout.failed_sign_in_ms`
//! to show what the work alone costs.

use std::time::{Duration, Instant};

use portcullis::domain::{EmailAddress, LoginName};
use portcullis::service::RequestSource;
use portcullis::service::accounts::LoginDetails;
use portcullis::service::temporary::Issuer;

mod stats;
mod support;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let near_free = args.iter().any(|a| a == "--near-free");
    // Without the answer floor (`lockout.failed_sign_in_ms`): what the work alone shows.
    let no_floor = args.iter().any(|a| a == "--no-floor");
    let rounds = args.iter().position(|a| a == "--rounds").and_then(|i| args.get(i + 1)?.parse().ok()).unwrap_or(
        if near_free && no_floor {
            3000
        } else if near_free {
            600
        } else {
            400
        },
    );
    let portal = support::start(|settings| {
        settings.rate_limit.address_max_failures = i64::MAX;
        settings.lockout.free_attempts = i64::MAX;
        if no_floor {
            settings.lockout.failed_sign_in_ms = 0;
        }
        if near_free {
            settings.hashing.memory_kib = 8;
            settings.hashing.iterations = 1;
        }
    })
    .await;
    let kinds = [
        ("unknown name", "ZZZ0000".to_string()),
        ("known, wrong password", portal.primary.clone()),
        ("temporary waiting, wrong password", waiting_login(&portal).await),
    ];
    // Warm up connections, caches and the allocator before anything is counted.
    for (_, name) in &kinds {
        for _ in 0..20 {
            failed_sign_in(&portal.base, name).await;
        }
    }
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); kinds.len()];
    let mut order: Vec<usize> = (0..kinds.len()).collect();
    let mut rng = stats::Rng::new(0x5eed);
    for _ in 0..rounds {
        rng.shuffle(&mut order);
        for &index in &order {
            samples[index].push(ms(failed_sign_in(&portal.base, &kinds[index].1).await));
        }
    }
    report(&kinds, &mut samples, (near_free, no_floor), rounds, &mut rng);
}

fn report(kinds: &[(&str, String)], samples: &mut [Vec<f64>], mode: (bool, bool), rounds: usize, rng: &mut stats::Rng) {
    let hash = if mode.0 { "near-free hash (m=8 KiB, t=1)" } else { "production hash" };
    let floor = if mode.1 { "no answer floor" } else { "default answer floor" };
    println!("portcullis failed sign-in timing, {hash}, {floor}: {rounds} of each kind, interleaved");
    for (index, (label, _)) in kinds.iter().enumerate() {
        let sorted = stats::sorted(&samples[index]);
        println!(
            "  {label:36} median {:8.3} ms  p99 {:8.3} ms  mean {:8.3} ms",
            stats::quantile(&sorted, 0.5),
            stats::quantile(&sorted, 0.99),
            stats::mean(&sorted)
        );
    }
    for (index, (label, _)) in kinds.iter().enumerate().skip(1) {
        let (mean, mean_ci) = stats::welch(&samples[index], &samples[0]);
        let (median, median_ci) = stats::bootstrap_median_difference(&samples[index], &samples[0], 2000, rng);
        println!("  {label} minus unknown name:");
        println!("    means   {mean:+.4} ms, 95 % CI [{:+.4}, {:+.4}] (Welch)", mean_ci.0, mean_ci.1);
        println!("    medians {median:+.4} ms, 95 % CI [{:+.4}, {:+.4}] (bootstrap)", median_ci.0, median_ci.1);
    }
}

/// A secondary login with an unused temporary password.
async fn waiting_login(portal: &support::BenchPortal) -> String {
    let primary = LoginName::parse(&portal.primary).expect("primary");
    let details = LoginDetails {
        name: LoginName::parse_secondary("waiting.one").expect("name"),
        email: EmailAddress::parse("waiting@example.com").expect("email"),
        phone: None,
        authorized_contact: false,
        password: Some(portcullis::domain::Password::new(support::PASSWORD)),
    };
    let waiting = portal.portal.create_secondary_login(&primary, details).await.expect("secondary");
    portal
        .portal
        .issue_temporary_password(&waiting, &Issuer::Administrator(primary.clone()), None, &RequestSource::operator())
        .await
        .expect("temporary password");
    "waiting.one".to_string()
}

/// One failed sign-in, timed from sending the form to the last byte.
async fn failed_sign_in(base: &str, name: &str) -> Duration {
    let client = reqwest::Client::builder().cookie_store(true).build().expect("client");
    let page = client.get(format!("{base}/login")).send().await.expect("page").text().await.expect("body");
    let csrf = support::csrf_token(&page);
    let form = [("csrf", csrf.as_str()), ("login_name", name), ("password", "Wrong#Guess1")];
    let started = Instant::now();
    let response = client.post(format!("{base}/login")).form(&form).send().await.expect("post");
    assert_eq!(response.status().as_u16(), 401);
    response.bytes().await.expect("body");
    started.elapsed()
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}
