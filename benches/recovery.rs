//! "Enter your username" must not tell, by its timing, whether a login exists. This sends at
//! least 1000 requests for a known login and 1000 for unknown names, interleaved, and prints the
//! median and 99th percentile of each and their difference.
//!
//! Run: `cargo bench --bench recovery`.

use std::sync::Arc;
use std::time::{Duration, Instant};

mod support;

const PER_KIND: usize = 1000;
const CONCURRENCY: usize = 50;

#[tokio::main]
async fn main() {
    let mut deadline = 0;
    let portal = support::start(|settings| {
        settings.recovery.requests_per_address_per_hour = i64::MAX;
        settings.recovery.requests_per_login_per_hour = i64::MAX;
        settings.mail.throttle_per_hour = i64::MAX;
        deadline = settings.recovery.response_ms;
    })
    .await;
    let (base, known) = (portal.base.clone(), portal.primary.clone());

    let semaphore = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let mut tasks = Vec::with_capacity(2 * PER_KIND);
    for n in 0..2 * PER_KIND {
        let permit = semaphore.clone().acquire_owned().await.expect("semaphore");
        let is_known = n % 2 == 0;
        let name = if is_known { known.clone() } else { format!("ZZZ{:04}", n % 10_000) };
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let elapsed = request(&base, &name).await;
            drop(permit);
            (is_known, elapsed)
        }));
    }
    let (mut known_times, mut unknown_times) = (Vec::new(), Vec::new());
    for task in tasks {
        let (is_known, elapsed) = task.await.expect("request");
        if is_known { known_times.push(elapsed) } else { unknown_times.push(elapsed) }
    }
    let (known_median, known_p99) = percentiles(&mut known_times);
    let (unknown_median, unknown_p99) = percentiles(&mut unknown_times);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "portcullis recovery-request timing ({PER_KIND} requests each, {CONCURRENCY} concurrent, deadline {deadline} ms)"
    );
    println!("  known login    median {:9.3} ms   p99 {:9.3} ms", ms(known_median), ms(known_p99));
    println!("  unknown names  median {:9.3} ms   p99 {:9.3} ms", ms(unknown_median), ms(unknown_p99));
    println!(
        "  difference     median {:9.3} ms   p99 {:9.3} ms",
        ms(known_median) - ms(unknown_median),
        ms(known_p99) - ms(unknown_p99)
    );
}

/// One "Enter your username" submission, timed from sending the form to the last byte.
async fn request(base: &str, name: &str) -> Duration {
    let client = reqwest::Client::builder().cookie_store(true).build().expect("client");
    let page = client.get(format!("{base}/recover")).send().await.expect("page").text().await.expect("body");
    let csrf = support::csrf_token(&page);
    let started = Instant::now();
    let response = client
        .post(format!("{base}/recover"))
        .form(&[("csrf", csrf.as_str()), ("username", name)])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 200);
    response.bytes().await.expect("body");
    started.elapsed()
}

fn percentiles(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99))
}
