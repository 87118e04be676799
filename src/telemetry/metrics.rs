//! The portal's Prometheus metrics. Each application owns its registry (no process-wide
//! recorder), so several portals in one process, as the tests run them, count apart.
//!
//! Counters and histograms move where things happen (a request, a sign-in, a delivery); the
//! hash pool is read when scraped; the outbox, locks and the database pool are set by the scrape
//! (see `service::operations`) just before the text is written.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

use crate::crypto::HashPool;

/// Request durations from 5 ms to 10 s: a failed sign-in is held to a fixed earliest answer
/// (hundreds of ms) and a hash waits in the queue; beyond 10 s the request deadline ends it.
const LATENCY_BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The OpenMetrics media type: Prometheus parses it, with its `# EOF` end marker.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The route's pattern (`/recover/{token}`), never the path: paths can carry secrets, and
    /// one series per path would grow without bound.
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SignInLabels {
    /// `customer` or `staff`.
    who: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// How a sign-in ended, as the operator counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInOutcome {
    Success,
    /// With a temporary password: the session may only set a new password.
    Restricted,
    /// Wrong name or password, disabled or locked: the same answer outside, one count here.
    Rejected,
    TemporaryUnusable,
    /// The address spent its failure budget.
    Throttled,
    /// The hash pool was full.
    Overloaded,
    /// The database failed.
    Unavailable,
}

impl SignInOutcome {
    const ALL: [Self; 7] = [
        Self::Success,
        Self::Restricted,
        Self::Rejected,
        Self::TemporaryUnusable,
        Self::Throttled,
        Self::Overloaded,
        Self::Unavailable,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Restricted => "restricted",
            Self::Rejected => "rejected",
            Self::TemporaryUnusable => "temporary_unusable",
            Self::Throttled => "throttled",
            Self::Overloaded => "overloaded",
            Self::Unavailable => "unavailable",
        }
    }
}

/// What became of one attempt to deliver a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Sent,
    Retry,
    /// Given up: the relay refused for good, or kept failing past `mail.give_up_after_hours`.
    GaveUp,
    /// The message could not be encrypted and was not sent.
    FailedEncryption,
}

impl DeliveryOutcome {
    const ALL: [Self; 4] = [Self::Sent, Self::Retry, Self::GaveUp, Self::FailedEncryption];

    fn label(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Retry => "retry",
            Self::GaveUp => "gave_up",
            Self::FailedEncryption => "failed_encryption",
        }
    }
}

/// Values read from the database at scrape time.
#[derive(Debug, Clone, Copy, Default)]
pub struct DatabaseReading {
    pub outbox_queued: i64,
    pub outbox_due: i64,
    /// Seconds since the oldest due message became due; 0 when none is due.
    pub oldest_due_seconds: i64,
    /// Seconds since the oldest message still queued was queued; 0 when none is.
    pub oldest_queued_seconds: i64,
    pub logins_locked: i64,
}

/// The connection pool now.
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolReading {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    sign_ins: Family<SignInLabels, Counter>,
    deliveries: Family<OutcomeLabels, Counter>,
    database_up: Gauge,
    outbox_queued: Gauge,
    outbox_due: Gauge,
    oldest_due: Gauge,
    oldest_queued: Gauge,
    logins_locked: Gauge,
    connections: Family<StateLabels, Gauge>,
    connections_max: Gauge,
}

impl Metrics {
    /// `hash_capacity`: hash requests the pool admits at once (threads plus queue).
    pub fn new(hasher: HashPool, hash_capacity: usize) -> Self {
        let mut registry = Registry::with_prefix("portcullis");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered, by route pattern and status", requests.clone());
        let latency = LatencyFamily::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS));
        registry.register("http_request_duration_seconds", "Time to answer, by route pattern", latency.clone());
        let sign_ins = Family::<SignInLabels, Counter>::default();
        registry.register("sign_ins", "Sign-ins by outcome (customer and staff)", sign_ins.clone());
        let deliveries = Family::<OutcomeLabels, Counter>::default();
        registry.register("mail_deliveries", "Delivery attempts by outcome", deliveries.clone());
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let gauge = Gauge::default();
            registry.register(name, help, gauge.clone());
            gauge
        };
        let database_up = gauge(&mut registry, "database_up", "1 when the last scrape could read the database");
        let outbox_queued = gauge(&mut registry, "outbox_queued_messages", "Messages waiting to be sent");
        let outbox_due = gauge(&mut registry, "outbox_due_messages", "Queued messages whose time has come");
        let oldest_due =
            gauge(&mut registry, "outbox_oldest_due_age_seconds", "How long the oldest due message has waited");
        let oldest_queued =
            gauge(&mut registry, "outbox_oldest_queued_age_seconds", "Age of the oldest message not yet sent");
        let logins_locked = gauge(&mut registry, "logins_locked", "Logins locked now by failed sign-ins");
        let connections = Family::<StateLabels, Gauge>::default();
        registry.register("database_connections", "Open database connections by state", connections.clone());
        let connections_max = gauge(&mut registry, "database_connections_max", "The pool's connection limit");
        let capacity = i64::try_from(hash_capacity).unwrap_or(i64::MAX);
        registry.register_collector(Box::new(HashPoolCollector { hasher, capacity }));
        registry.register("build", "The running version", Info::new([("version", env!("CARGO_PKG_VERSION"))]));
        // Every outcome shows from the start, at 0: a rate over a series that appears only with
        // its first event would miss that event.
        for outcome in SignInOutcome::ALL {
            for who in ["customer", "staff"] {
                drop(sign_ins.get_or_create(&SignInLabels { who, outcome: outcome.label() }));
            }
        }
        for outcome in DeliveryOutcome::ALL {
            drop(deliveries.get_or_create(&OutcomeLabels { outcome: outcome.label() }));
        }
        Self {
            registry,
            requests,
            latency,
            sign_ins,
            deliveries,
            database_up,
            outbox_queued,
            outbox_due,
            oldest_due,
            oldest_queued,
            logins_locked,
            connections,
            connections_max,
        }
    }

    /// One answered request. `route` is the matched pattern, or `unmatched`.
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        // Clients may send any method name: only the standard ones get a series of their own,
        // so no client can grow the registry without bound.
        let method = match method {
            "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" | "CONNECT" | "TRACE" => method,
            _ => "other",
        };
        let (method, route) = (method.to_string(), route.to_string());
        self.latency.get_or_create(&RouteLabels { method: method.clone(), route: route.clone() }).observe(seconds);
        self.requests.get_or_create(&RequestLabels { method, route, status }).inc();
    }

    pub fn customer_sign_in(&self, outcome: SignInOutcome) {
        self.sign_ins.get_or_create(&SignInLabels { who: "customer", outcome: outcome.label() }).inc();
    }

    pub fn staff_sign_in(&self, outcome: SignInOutcome) {
        self.sign_ins.get_or_create(&SignInLabels { who: "staff", outcome: outcome.label() }).inc();
    }

    pub fn delivery(&self, outcome: DeliveryOutcome) {
        self.deliveries.get_or_create(&OutcomeLabels { outcome: outcome.label() }).inc();
    }

    /// The scrape's database reading, or None when the database did not answer in time: the
    /// last values stay and `database_up` says 0.
    pub fn set_database(&self, reading: Option<DatabaseReading>) {
        self.database_up.set(i64::from(reading.is_some()));
        let Some(reading) = reading else { return };
        self.outbox_queued.set(reading.outbox_queued);
        self.outbox_due.set(reading.outbox_due);
        self.oldest_due.set(reading.oldest_due_seconds);
        self.oldest_queued.set(reading.oldest_queued_seconds);
        self.logins_locked.set(reading.logins_locked);
    }

    pub fn set_pool(&self, pool: PoolReading) {
        let busy = pool.open.saturating_sub(pool.idle);
        self.connections.get_or_create(&StateLabels { state: "idle" }).set(i64::from(pool.idle));
        self.connections.get_or_create(&StateLabels { state: "in_use" }).set(i64::from(busy));
        self.connections_max.set(i64::from(pool.max));
    }

    /// The OpenMetrics text of everything.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail; an encoder error would be a bug in a metric.
        if let Err(error) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(%error, "metrics could not be encoded");
        }
        text
    }
}

/// The hash pool's own counters, read at each scrape. The names are the ones dashboards and
/// tests know: verifications and hashes count what ran, refusals are counted apart.
struct HashPoolCollector {
    hasher: HashPool,
    capacity: i64,
}

impl std::fmt::Debug for HashPoolCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashPoolCollector").field("capacity", &self.capacity).finish_non_exhaustive()
    }
}

impl Collector for HashPoolCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let stats = self.hasher.stats();
        let counters = [
            (
                "password_verifications",
                "Argon2 password verifications that ran, including dummy ones (refusals are counted apart).",
                stats.verifications,
            ),
            ("password_hashes", "Argon2 hashes of new passwords that ran.", stats.hashes),
            ("hash_pool_refused", "Hash requests refused because the pool was full.", stats.refused),
        ];
        for (name, help, value) in counters {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(name, help, None, counter.metric_type())?)?;
        }
        let admitted = ConstGauge::new(i64::try_from(stats.admitted).unwrap_or(i64::MAX));
        let help = "Hash requests running or waiting now.";
        admitted.encode(encoder.encode_descriptor("hash_pool_admitted", help, None, admitted.metric_type())?)?;
        let capacity = ConstGauge::new(self.capacity);
        let help = "Hash requests the pool admits at once (threads plus queue); beyond this it refuses.";
        capacity.encode(encoder.encode_descriptor("hash_pool_capacity", help, None, capacity.metric_type())?)?;
        Ok(())
    }
}
