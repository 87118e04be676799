//! A failed sign-in must not tell, by its timing, whether the name exists or whether the login
//! has a temporary password waiting. Times failed sign-ins, interleaved so that all kinds share
//! the machine's noise: an unknown name, a known login with a wrong password, and a known login
//! with an unused temporary password and a wrong password.
//!
//! Prints the median and 99th percentile of each kind and their differences from the unknown
//! name. Run: `cargo bench --bench failures` (release build; compare the differences, not the
//! absolute times).

use std::time::{Duration, Instant};

use portcullis::domain::{EmailAddress, LoginName};
use portcullis::service::RequestSource;
use portcullis::service::accounts::LoginDetails;
use portcullis::service::temporary::Issuer;

mod support;

const ROUNDS: usize = 300;

#[tokio::main]
async fn main() {
    let portal = support::start(|settings| {
        settings.rate_limit.address_max_failures = i64::MAX;
        settings.lockout.free_attempts = i64::MAX;
    })
    .await;
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

    let kinds = [
        ("unknown name", "ZZZ0000".to_string()),
        ("known, wrong password", portal.primary.clone()),
        ("temporary waiting, wrong password", "waiting.one".to_string()),
    ];
    let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(ROUNDS); kinds.len()];
    for _ in 0..ROUNDS {
        for (index, (_, name)) in kinds.iter().enumerate() {
            samples[index].push(failed_sign_in(&portal.base, name).await);
        }
    }

    println!("portcullis failed sign-in timing ({ROUNDS} of each kind, interleaved)");
    let (base_median, base_p99) = percentiles(&mut samples[0]);
    for (index, (label, _)) in kinds.iter().enumerate() {
        let (median, p99) = percentiles(&mut samples[index]);
        println!(
            "  {label:36} median {:8.3} ms  p99 {:8.3} ms  (vs unknown: {:+.3} ms, {:+.3} ms)",
            ms(median),
            ms(p99),
            ms(median) - ms(base_median),
            ms(p99) - ms(base_p99)
        );
    }
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

fn percentiles(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99))
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}
