//! Prometheus metrics (OpenMetrics text at `/metrics`): HTTP requests and
//! durations by route template, database size, outbox queue, job runs.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    job: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    kind: String,
    outcome: String,
}

fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_5, 2.0, 16))
}

/// What the requests since the last look were: how many, how many failed
/// (5xx), and their durations in milliseconds by route group.
#[derive(Debug, Default)]
pub struct Window {
    pub requests: u64,
    pub errors: u64,
    pub durations: std::collections::HashMap<&'static str, Vec<f32>>,
}

/// Durations kept per group and shard between two looks, at most (a sample beyond it).
const WINDOW_CAP: usize = 2_000;
/// Shards of the window.
const SHARDS: usize = 8;
/// Handles a thread keeps, at most, before it forgets them all.
const CACHED_HANDLES: usize = 4_096;

static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

thread_local! {
    /// This thread's window shard.
    static SHARD: usize = (NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed) as usize) % SHARDS;
    /// This thread's handles of the request counter and duration histogram
    /// by (registry, method, route, status): a request then takes no
    /// family lock and allocates no label.
    static HANDLES: std::cell::RefCell<std::collections::HashMap<u64, (Counter, Histogram)>> =
        std::cell::RefCell::default();
}

fn handle_key(id: u64, method: &str, route: &str, status: u16) -> u64 {
    use std::hash::BuildHasher;
    // A fixed hasher: the same key in every thread; 64 bits make a collision
    // among a few hundred routes vanishingly unlikely.
    std::hash::BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default()
        .hash_one((id, method, route, status))
}

/// The route group of a path, for latency figures.
pub fn route_group(path: &str) -> &'static str {
    if path.starts_with("/api/") {
        "api"
    } else if path.starts_with("/static/") || path == "/favicon.ico" || path == "/sw.js" {
        "assets"
    } else if matches!(path, "/healthz" | "/readyz" | "/metrics") {
        "ops"
    } else {
        "pages"
    }
}

pub struct Metrics {
    registry: Registry,
    /// Since the last [`Metrics::take_window`] (the monitoring sampler),
    /// in shards so that request threads seldom wait for each other.
    windows: [std::sync::Mutex<Window>; SHARDS],
    /// Tells this registry's handles apart in the threads' caches.
    id: u64,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: Family<RouteLabels, Histogram, fn() -> Histogram>,
    job_runs: Family<JobLabels, Counter>,
    deliveries: Family<DeliveryLabels, Counter>,
    db_size: Gauge,
    outbox_pending: Gauge,
    sse_connections: Gauge,
}

/// Counts one open Server-Sent Events stream while it lives (moved into
/// the stream, dropped when the client goes away).
pub struct StreamGuard(Gauge);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_duration = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            duration_histogram as fn() -> Histogram,
        );
        let job_runs = Family::<JobLabels, Counter>::default();
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        let db_size = Gauge::default();
        let outbox_pending = Gauge::default();
        let sse_connections = Gauge::default();
        registry.register(
            "luneo_sse_connections",
            "Server-Sent Events streams open now (live pages, the bell)",
            sse_connections.clone(),
        );
        registry.register(
            "luneo_http_requests",
            "HTTP requests by method, route and status",
            http_requests.clone(),
        );
        registry.register(
            "luneo_http_request_duration_seconds",
            "HTTP request duration",
            http_duration.clone(),
        );
        registry.register(
            "luneo_jobs_runs",
            "Scheduled job runs by job and outcome",
            job_runs.clone(),
        );
        registry.register(
            "luneo_outbox_deliveries",
            "Outbox delivery attempts by kind and outcome",
            deliveries.clone(),
        );
        registry.register(
            "luneo_db_size_bytes",
            "Size of the database file and its WAL",
            db_size.clone(),
        );
        registry.register(
            "luneo_outbox_pending",
            "Outbox rows waiting to be delivered",
            outbox_pending.clone(),
        );
        Metrics {
            registry,
            windows: Default::default(),
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            http_requests,
            http_duration,
            job_runs,
            deliveries,
            db_size,
            outbox_pending,
            sse_connections,
        }
    }
}

impl Metrics {
    /// A stream opens: counted until the guard is dropped.
    pub fn stream_opened(&self) -> StreamGuard {
        self.sse_connections.inc();
        StreamGuard(self.sse_connections.clone())
    }

    /// Server-Sent Events streams open now.
    pub fn open_streams(&self) -> i64 {
        self.sse_connections.get()
    }

    /// The requests seen since the last call, and starts a new window.
    pub fn take_window(&self) -> Window {
        let mut all = Window::default();
        for shard in &self.windows {
            let part = std::mem::take(&mut *shard.lock().unwrap_or_else(|p| p.into_inner()));
            all.requests += part.requests;
            all.errors += part.errors;
            for (group, durations) in part.durations {
                all.durations.entry(group).or_default().extend(durations);
            }
        }
        all
    }

    pub fn observe_http(&self, method: &str, route: &str, status: u16, seconds: f64) {
        {
            let shard = SHARD.with(|s| *s);
            let mut window = self.windows[shard].lock().unwrap_or_else(|p| p.into_inner());
            window.requests += 1;
            window.errors += u64::from(status >= 500);
            let kept = window.durations.entry(route_group(route)).or_default();
            if kept.len() < WINDOW_CAP {
                kept.push((seconds * 1_000.0) as f32);
            }
        }
        let key = handle_key(self.id, method, route, status);
        let (requests, duration) = HANDLES.with(|cache| {
            let mut cache = cache.borrow_mut();
            if let Some(found) = cache.get(&key) {
                return found.clone();
            }
            if cache.len() >= CACHED_HANDLES {
                cache.clear();
            }
            let made = (
                self.http_requests
                    .get_or_create(&HttpLabels {
                        method: method.into(),
                        route: route.into(),
                        status,
                    })
                    .clone(),
                self.http_duration
                    .get_or_create(&RouteLabels {
                        method: method.into(),
                        route: route.into(),
                    })
                    .clone(),
            );
            cache.insert(key, made.clone());
            made
        });
        requests.inc();
        duration.observe(seconds);
    }

    pub fn observe_job(&self, job: &str, outcome: &str) {
        self.job_runs
            .get_or_create(&JobLabels {
                job: job.into(),
                outcome: outcome.into(),
            })
            .inc();
    }

    pub fn observe_delivery(&self, kind: &str, outcome: &str) {
        self.deliveries
            .get_or_create(&DeliveryLabels {
                kind: kind.into(),
                outcome: outcome.into(),
            })
            .inc();
    }

    /// Sets the gauges read at scrape time and encodes everything.
    pub fn render(&self, db_size: u64, outbox_pending: i64) -> String {
        self.db_size.set(db_size as i64);
        self.outbox_pending.set(outbox_pending);
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry).expect("writing to a String");
        out
    }
}
