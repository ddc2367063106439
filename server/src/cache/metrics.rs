//! The cache's metric families, registered on the state's registry and prefilled for every known
//! label set so each is in the first scrape (`docs/metrics.md`).

use prometheus::{
    Counter, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts,
};

/// The tiers, in lookup order.
pub const TIERS: [&str; 3] = ["memory", "sqlite", "redis"];
/// `prompt_cache_requests_total{outcome}`.
pub const OUTCOMES: [&str; 3] = ["hit", "miss", "error"];
/// `prompt_cache_evictions_total{reason}`.
pub const EVICTION_REASONS: [&str; 4] = ["expired", "size", "explicit", "replaced"];

const LOOKUP_BUCKETS: [f64; 12] = [
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
];

/// The cache's handles. Cloning is cheap.
#[derive(Clone)]
pub struct CacheMetrics {
    pub requests: IntCounterVec,
    pub entries: IntGaugeVec,
    pub bytes: IntGaugeVec,
    pub evictions: IntCounterVec,
    pub errors: IntCounterVec,
    pub lookup: HistogramVec,
    pub saved_usd: Counter,
    pub waiters: IntCounter,
}

fn reg<M: prometheus::core::Collector + Clone + 'static>(r: &prometheus::Registry, m: M) -> M {
    r.register(Box::new(m.clone()))
        .expect("cache metric names are unique constants");
    m
}

impl CacheMetrics {
    pub fn new(r: &prometheus::Registry) -> CacheMetrics {
        let counter_vec = |name: &str, help: &str, labels: &[&str]| {
            reg(
                r,
                IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric"),
            )
        };
        let gauge_vec = |name: &str, help: &str| {
            reg(
                r,
                IntGaugeVec::new(Opts::new(name, help), &["tier"]).expect("valid metric"),
            )
        };
        let m = CacheMetrics {
            requests: counter_vec(
                "prompt_cache_requests_total",
                "Cache lookups by tier and outcome (hit, miss, error).",
                &["tier", "outcome"],
            ),
            entries: gauge_vec(
                "prompt_cache_entries",
                "Entries held per tier (memory and sqlite; redis is shared and not counted here).",
            ),
            bytes: gauge_vec(
                "prompt_cache_bytes",
                "Bytes held per tier (memory: weighed entries; sqlite: stored bodies).",
            ),
            evictions: counter_vec(
                "prompt_cache_evictions_total",
                "Entries removed per tier and reason (expired, size, explicit, replaced).",
                &["tier", "reason"],
            ),
            errors: counter_vec(
                "prompt_cache_errors_total",
                "Cache tier failures (unreachable, slow past its timeout, unwritable, corrupt).",
                &["tier"],
            ),
            lookup: reg(
                r,
                HistogramVec::new(
                    HistogramOpts::new(
                        "prompt_cache_lookup_duration_seconds",
                        "Time of one lookup per tier.",
                    )
                    .buckets(LOOKUP_BUCKETS.to_vec()),
                    &["tier"],
                )
                .expect("valid metric"),
            ),
            saved_usd: reg(
                r,
                Counter::new(
                    "prompt_cache_saved_usd_total",
                    "USD the answers served from the cache (and shared by single flight) would have cost.",
                )
                .expect("valid metric"),
            ),
            waiters: reg(
                r,
                IntCounter::new(
                    "prompt_cache_singleflight_waiters_total",
                    "Requests that joined an identical answer already running instead of calling the model.",
                )
                .expect("valid metric"),
            ),
        };
        for tier in TIERS {
            for outcome in OUTCOMES {
                m.requests.with_label_values(&[tier, outcome]);
            }
            for reason in EVICTION_REASONS {
                m.evictions.with_label_values(&[tier, reason]);
            }
            m.entries.with_label_values(&[tier]);
            m.bytes.with_label_values(&[tier]);
            m.errors.with_label_values(&[tier]);
            m.lookup.with_label_values(&[tier]);
        }
        m
    }

    /// Hits, misses and errors of `tier` so far.
    pub fn counts(&self, tier: &str) -> [u64; 3] {
        OUTCOMES.map(|o| self.requests.with_label_values(&[tier, o]).get())
    }
}
