//! Sign-in throughput against the raw cost of Argon2 on the same machine, in the same run.
//!
//! Prints: Argon2id hashes per second (one thread, and all pool workers at once); complete
//! sign-ins per second over HTTP (sign-in page + form post + session); their ratio, which shows
//! what the portal adds on top of the hash; and the latency of a page that needs no hash while
//! a sign-in flood saturates the pool, against the same page idle.
//!
//! Run: `cargo bench --bench signin` (release build; the machine is shared, so compare ratios).

use std::sync::Arc;
use std::time::{Duration, Instant};

use portcullis::crypto::{HashPool, HashingParams};
use portcullis::domain::Password;

mod support;

const SIGN_INS: usize = 300;
const HASHES: usize = 60;
const PROBES: usize = 200;

#[tokio::main]
async fn main() {
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let single = hashes_per_second(1).await;
    let pooled = hashes_per_second(workers).await;

    let portal = support::start(|settings| {
        settings.rate_limit.address_max_failures = i64::MAX;
        settings.hashing.queue = 4096;
    })
    .await;
    let (base, primary) = (portal.base.clone(), portal.primary.clone());

    let concurrency = workers * 2;
    let started = Instant::now();
    run_concurrently(concurrency, SIGN_INS, |_| sign_in(base.clone(), primary.clone(), support::PASSWORD, true)).await;
    let sign_ins = SIGN_INS as f64 / started.elapsed().as_secs_f64();

    let idle = probe_latency(&base).await;
    let flood = {
        let base = base.clone();
        tokio::spawn(async move {
            run_concurrently(concurrency * 4, SIGN_INS, |n| {
                sign_in(base.clone(), format!("ZZZ{:04}", n % 10_000), "Wrong#1x", false)
            })
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let busy = probe_latency(&base).await;
    flood.await.expect("flood");

    println!("portcullis sign-in benchmark ({workers} hash workers, {concurrency} concurrent clients)");
    println!("  argon2id hashes/s, 1 thread:         {single:8.1}");
    println!("  argon2id hashes/s, {workers} threads:        {pooled:8.1}");
    println!("  sign-ins/s over HTTP:                {sign_ins:8.1}");
    println!("  sign-ins per pooled hash capacity:   {:8.3}", sign_ins / pooled);
    println!("  /healthz median latency idle:        {:8.3} ms", idle.as_secs_f64() * 1e3);
    println!("  /healthz median latency in a flood:  {:8.3} ms", busy.as_secs_f64() * 1e3);
    println!("  flood/idle latency ratio:            {:8.2}", busy.as_secs_f64() / idle.as_secs_f64().max(1e-9));
}

async fn hashes_per_second(threads: usize) -> f64 {
    let pool = HashPool::new(HashingParams::default(), threads, HASHES).expect("pool");
    let started = Instant::now();
    run_concurrently(threads, HASHES, |n| {
        let pool = pool.clone();
        async move {
            pool.hash(&Password::new(format!("Bench#Pass{n}"))).await.expect("hash");
        }
    })
    .await;
    HASHES as f64 / started.elapsed().as_secs_f64()
}

/// Runs `total` jobs, `concurrency` at a time.
async fn run_concurrently<F, Fut>(concurrency: usize, total: usize, job: F)
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let semaphore = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let mut tasks = Vec::with_capacity(total);
    for n in 0..total {
        let permit = semaphore.clone().acquire_owned().await.expect("semaphore");
        let future = job(n);
        tasks.push(tokio::spawn(async move {
            future.await;
            drop(permit);
        }));
    }
    for task in tasks {
        task.await.expect("job");
    }
}

async fn sign_in(base: String, name: String, password: &'static str, must_succeed: bool) {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = client.get(format!("{base}/login")).send().await.expect("page").text().await.expect("body");
    let csrf = support::csrf_token(&page);
    let form = [("csrf", csrf.as_str()), ("login_name", name.as_str()), ("password", password)];
    let response = client.post(format!("{base}/login")).form(&form).send().await.expect("sign-in");
    if must_succeed {
        assert_eq!(response.status().as_u16(), 303, "sign-in succeeds");
    }
}

/// Median latency of `/healthz` over a series of sequential requests.
async fn probe_latency(base: &str) -> Duration {
    let client = reqwest::Client::new();
    let mut samples = Vec::with_capacity(PROBES);
    for _ in 0..PROBES {
        let started = Instant::now();
        client.get(format!("{base}/healthz")).send().await.expect("health").bytes().await.expect("body");
        samples.push(started.elapsed());
    }
    samples.sort();
    samples[samples.len() / 2]
}
