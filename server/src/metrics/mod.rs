//! Prometheus metrics: a `Registry` owned by the app state (never the global default registry, so
//! tests run many servers in one process) and typed handles for every metric.
//!
//! Names follow Prometheus conventions and keep the old backend's names where they fit; labels
//! are bounded (route templates, configured model names, intents, issue codes, failure kinds):
//! never a user id, a raw path or free text. `docs/metrics.md` lists them all.

use crate::llm::FailureKind;
use crate::routing::{BreakerState, ModelTier, TierChains};
use chartgate_core::{Intent, IssueCode};
use prometheus::{
    CounterVec, Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Request-latency buckets (seconds), fine at the low end where the gateway's own work lives.
const LATENCY_BUCKETS: [f64; 16] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
];

/// Overhead and routing buckets (seconds): 10 µs to 50 ms.
const FAST_BUCKETS: [f64; 12] = [
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
];

/// The HTTP route table as `(method, route template)`, mirrored from `http::router` (this module
/// must not import axum): prefilled so request panels and rules see zeros before the first request.
/// The observability test (`scripts/test-observability.sh`) fails when a served route is missing here.
pub const HTTP_ROUTES: [(&str, &str); 16] = [
    ("POST", "/api/agent/orchestrate"),
    ("POST", "/ask"),
    ("POST", "/api/agent/stream"),
    ("GET", "/api/agent/stream/{stream_id}"),
    ("GET", "/api/flags"),
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/metrics"),
    ("GET", "/api/cache/stats"),
    ("GET", "/api/cache/entries"),
    ("DELETE", "/api/cache/entries/{key}"),
    ("DELETE", "/api/cache"),
    ("GET", "/api/budget"),
    ("GET", "/api/costs/summary"),
    ("GET", "/api/costs/recent"),
    ("GET", "/api/alerts/deliveries"),
];

/// The routes that answer asks (and so record `gateway_overhead_seconds`).
const ASK_ROUTES: [&str; 3] = ["/api/agent/orchestrate", "/ask", "/api/agent/stream"];

/// The label of answers that no upstream model produced (core's fast path, the offline provider):
/// used as `model` and `tier` of `model_selections_total` only, never on an upstream or breaker
/// series.
const OFFLINE_LABEL: &str = "offline";

/// The `reason` label values of `http_connections_refused_total`, created at zero at start.
pub const REFUSAL_REASONS: [&str; 5] = [
    "per_address_cap",
    "total_cap",
    "header_timeout",
    "body_timeout",
    "write_timeout",
];

/// Every metric handle. Cloning is cheap (handles are reference-counted).
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    pub http_in_flight: IntGauge,
    pub connections_active: IntGauge,
    pub connections_refused: IntCounterVec,
    pub asks_in_flight: IntGauge,
    pub model_selections: IntCounterVec,
    pub model_fallbacks: IntCounterVec,
    pub routing_duration: Histogram,
    pub tier_downgrades: IntCounterVec,
    pub breaker_state: IntGaugeVec,
    pub breaker_transitions: IntCounterVec,
    pub upstream_requests: IntCounterVec,
    pub upstream_duration: HistogramVec,
    pub upstream_errors: IntCounterVec,
    pub tokens: IntCounterVec,
    pub cost_usd: CounterVec,
    pub commands_emitted: IntCounterVec,
    pub validation_issues: IntCounterVec,
    pub tool_calls: IntCounterVec,
    pub gateway_overhead: HistogramVec,
    pub ledger_writes: IntCounterVec,
    pub sse_connections_active: IntGauge,
    pub sse_streams: IntCounterVec,
    pub sse_ttfb: Histogram,
    pub sse_first_command: Histogram,
    pub sse_chunk_interval: Histogram,
    pub sse_events: IntCounterVec,
    pub sse_resumes: IntCounterVec,
    pub sse_stream_errors: IntCounterVec,
    pub sse_streams_held: IntGauge,
    pub sse_held_bytes: IntGauge,
    pub redis_operations: IntCounterVec,
    pub auth_failures: IntCounterVec,
    pub rate_limit_refusals: IntCounterVec,
    /// Budgets and alerts (`budget::metrics`).
    pub money: crate::budget::metrics::MoneyMetrics,
}

/// The `reason` label values of `auth_failures_total`.
pub const AUTH_FAILURE_REASONS: [&str; 7] = [
    "malformed",
    "unknown_key",
    "anonymous_denied",
    "missing_admin_key",
    "not_admin",
    "admin_disabled",
    "lookup_error",
];

/// The `by` label values of `rate_limit_refusals_total`: a key's own limit or a client address's.
pub const RATE_LIMIT_BY: [&str; 2] = ["key", "address"];

/// Redis operations (`redis_operations_total{op}`).
pub const REDIS_OPS: [&str; 9] = [
    "stream_mirror",
    "stream_read",
    "ping",
    "rate_limit",
    "cache_get",
    "cache_set",
    "cache_del",
    "budget_reserve",
    "budget_settle",
];

/// Outcomes of an SSE connection (`sse_streams_total`).
pub const SSE_OUTCOMES: [&str; 3] = ["done", "error", "client_gone"];

/// Outcomes of a resume request (`sse_resumes_total`).
pub const RESUME_OUTCOMES: [&str; 4] = ["ok", "not_found", "bad_last_event_id", "unavailable"];

fn histogram(r: &Registry, name: &str, help: &str, buckets: &[f64]) -> Histogram {
    reg(
        r,
        Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets.to_vec()))
            .expect("valid histogram"),
    )
}

fn gauge(r: &Registry, name: &str, help: &str) -> IntGauge {
    reg(r, IntGauge::new(name, help).expect("valid gauge"))
}

fn reg<M: prometheus::core::Collector + Clone + 'static>(r: &Registry, m: M) -> M {
    r.register(Box::new(m.clone()))
        .expect("metric names are unique constants, so registration cannot collide");
    m
}

fn counter_vec(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    reg(
        r,
        IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric name and labels"),
    )
}

fn histogram_vec(
    r: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
    buckets: &[f64],
) -> HistogramVec {
    reg(
        r,
        HistogramVec::new(
            HistogramOpts::new(name, help).buckets(buckets.to_vec()),
            labels,
        )
        .expect("valid histogram"),
    )
}

impl Metrics {
    /// Registers every metric. `chains` are the configured model chains: their models and tiers
    /// pre-create label sets so dashboards and `absent()` rules see zeros from the first scrape
    /// rather than missing series.
    pub fn new(chains: &TierChains) -> Metrics {
        let r = Registry::new();
        let build = reg(
            &r,
            IntGaugeVec::new(
                Opts::new(
                    "chartgate_build_info",
                    "Always 1; the version label says which build is running.",
                ),
                &["version"],
            )
            .expect("valid gauge"),
        );
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        let m = Metrics {
            http_requests: counter_vec(
                &r,
                "http_requests_total",
                "HTTP requests by method, matched route template and status code.",
                &["method", "route", "status"],
            ),
            http_duration: histogram_vec(
                &r,
                "http_request_duration_seconds",
                "HTTP request latency, from the first byte read to the response head.",
                &["method", "route"],
                &LATENCY_BUCKETS,
            ),
            http_in_flight: reg(
                &r,
                IntGauge::new("http_requests_in_flight", "HTTP requests being handled.")
                    .expect("valid gauge"),
            ),
            connections_active: reg(
                &r,
                IntGauge::new(
                    "http_connections_active",
                    "Open client TCP connections admitted by the listener.",
                )
                .expect("valid gauge"),
            ),
            connections_refused: counter_vec(
                &r,
                "http_connections_refused_total",
                "Client connections closed by the front door, by reason (per_address_cap, \
                 total_cap, header_timeout, body_timeout, write_timeout).",
                &["reason"],
            ),
            asks_in_flight: reg(
                &r,
                IntGauge::new(
                    "chartgate_asks_in_flight",
                    "Ask requests in progress (the load factor routing sheds on).",
                )
                .expect("valid gauge"),
            ),
            model_selections: counter_vec(
                &r,
                "model_selections_total",
                "Answers by intent, the model that produced them and the model tier.",
                &["intent", "model", "tier"],
            ),
            model_fallbacks: counter_vec(
                &r,
                "model_fallbacks_total",
                "Moves to the next model of a fallback chain, by reason.",
                &["reason"],
            ),
            routing_duration: reg(
                &r,
                Histogram::with_opts(
                    HistogramOpts::new(
                        "model_routing_duration_seconds",
                        "Time spent deciding the route (understanding excluded).",
                    )
                    .buckets(FAST_BUCKETS.to_vec()),
                )
                .expect("valid histogram"),
            ),
            tier_downgrades: counter_vec(
                &r,
                "model_tier_downgrades_total",
                "Routing decisions that lowered the model tier, by reason (user_cap, load_shed).",
                &["reason"],
            ),
            breaker_state: reg(
                &r,
                IntGaugeVec::new(
                    Opts::new(
                        "circuit_breaker_state",
                        "Circuit breaker state per model: 0 closed, 1 half-open, 2 open.",
                    ),
                    &["model"],
                )
                .expect("valid gauge"),
            ),
            breaker_transitions: counter_vec(
                &r,
                "circuit_breaker_transitions_total",
                "Circuit breaker state changes per model, by the state entered.",
                &["model", "to"],
            ),
            upstream_requests: counter_vec(
                &r,
                "openai_requests_total",
                "Upstream model calls by model and outcome (ok or a failure kind).",
                &["model", "outcome"],
            ),
            upstream_duration: histogram_vec(
                &r,
                "openai_request_duration_seconds",
                "Upstream model call latency by model, failures included.",
                &["model"],
                &LATENCY_BUCKETS,
            ),
            upstream_errors: counter_vec(
                &r,
                "openai_errors_total",
                "Failed upstream model calls by model and failure kind.",
                &["model", "reason"],
            ),
            tokens: counter_vec(
                &r,
                "openai_tokens_total",
                "Tokens by model, intent and kind (prompt, completion, cached).",
                &["model", "intent", "kind"],
            ),
            cost_usd: reg(
                &r,
                CounterVec::new(
                    Opts::new(
                        "openai_cost_usd_total",
                        "Spend in USD by model and intent, from the configured price table.",
                    ),
                    &["model", "intent"],
                )
                .expect("valid counter"),
            ),
            commands_emitted: counter_vec(
                &r,
                "chart_commands_emitted_total",
                "Chart commands sent to clients, by shape (legacy, structured, objects).",
                &["shape"],
            ),
            validation_issues: counter_vec(
                &r,
                "chart_command_validation_issues_total",
                "Issues core found in model tool-call arguments, by issue code.",
                &["code"],
            ),
            tool_calls: counter_vec(
                &r,
                "chart_tool_calls_total",
                "Model tool calls by outcome (valid, invalid, unknown_tool).",
                &["outcome"],
            ),
            gateway_overhead: histogram_vec(
                &r,
                "gateway_overhead_seconds",
                "Time an ask spent in the gateway itself: total latency minus upstream time.",
                &["route"],
                &FAST_BUCKETS,
            ),
            ledger_writes: counter_vec(
                &r,
                "ledger_writes_total",
                "Ledger rows written to SQLite, by outcome (ok, error).",
                &["outcome"],
            ),
            sse_connections_active: gauge(
                &r,
                "sse_connections_active",
                "SSE connections open (new streams and resumes).",
            ),
            sse_streams: counter_vec(
                &r,
                "sse_streams_total",
                "SSE connections ended, by outcome (done, error, client_gone).",
                &["outcome"],
            ),
            sse_ttfb: histogram(
                &r,
                "sse_ttfb_seconds",
                "Streamed answers: time from the request to the first content event.",
                &LATENCY_BUCKETS,
            ),
            sse_first_command: histogram(
                &r,
                "sse_first_command_seconds",
                "Streamed answers: time from the request to the first chart_command event.",
                &LATENCY_BUCKETS,
            ),
            sse_chunk_interval: histogram(
                &r,
                "sse_chunk_interval_seconds",
                "Streamed answers: time between consecutive content events.",
                &LATENCY_BUCKETS,
            ),
            sse_events: counter_vec(
                &r,
                "sse_events_total",
                "Events written to SSE connections, by type (resumes count again).",
                &["type"],
            ),
            sse_resumes: counter_vec(
                &r,
                "sse_resumes_total",
                "Stream resume requests, by outcome (ok, not_found, bad_last_event_id, unavailable).",
                &["outcome"],
            ),
            sse_stream_errors: counter_vec(
                &r,
                "sse_stream_errors_total",
                "Streamed answers that ended with an error event, by code.",
                &["code"],
            ),
            sse_streams_held: gauge(
                &r,
                "sse_streams_held",
                "Streams kept in memory for resume (running and finished).",
            ),
            sse_held_bytes: gauge(
                &r,
                "sse_held_bytes",
                "Bytes of serialized events kept for resume.",
            ),
            redis_operations: counter_vec(
                &r,
                "redis_operations_total",
                "Redis operations by operation and outcome (ok, error: down, unreachable or over redis.timeout_ms).",
                &["op", "outcome"],
            ),
            auth_failures: counter_vec(
                &r,
                "auth_failures_total",
                "Requests refused by authentication, by reason (malformed, unknown_key, \
                 anonymous_denied, missing_admin_key, not_admin, admin_disabled, lookup_error).",
                &["reason"],
            ),
            rate_limit_refusals: counter_vec(
                &r,
                "rate_limit_refusals_total",
                "Requests refused with 429 rate_limited, by caller tier and by what was limited \
                 (key or address).",
                &["tier", "by"],
            ),
            money: crate::budget::metrics::MoneyMetrics::new(&r),
            registry: r,
        };
        m.prefill(chains);
        m
    }

    /// Creates every label set known at start-up, at zero. Families whose labels are only known
    /// per request (the HTTP status beyond 200) still start with at least one series each, so
    /// every family is in the first scrape.
    fn prefill(&self, chains: &TierChains) {
        for (method, route) in HTTP_ROUTES {
            self.http_requests
                .with_label_values(&[method, route, "200"]);
            self.http_duration.with_label_values(&[method, route]);
        }
        for route in ASK_ROUTES {
            self.gateway_overhead.with_label_values(&[route]);
        }
        for reason in REFUSAL_REASONS {
            self.connections_refused.with_label_values(&[reason]);
        }
        for reason in AUTH_FAILURE_REASONS {
            self.auth_failures.with_label_values(&[reason]);
        }
        for tier in crate::routing::UserTier::ALL {
            for by in RATE_LIMIT_BY {
                self.rate_limit_refusals
                    .with_label_values(&[tier.as_str(), by]);
            }
        }
        for reason in FailureKind::ALL
            .iter()
            .map(|k| k.as_str())
            .chain(["breaker_open"])
        {
            self.model_fallbacks.with_label_values(&[reason]);
        }
        for reason in ["user_cap", "load_shed"] {
            self.tier_downgrades.with_label_values(&[reason]);
        }
        for code in IssueCode::ALL {
            self.validation_issues.with_label_values(&[code.as_str()]);
        }
        for shape in ["legacy", "structured", "objects"] {
            self.commands_emitted.with_label_values(&[shape]);
        }
        for outcome in ["valid", "invalid", "unknown_tool"] {
            self.tool_calls.with_label_values(&[outcome]);
        }
        for outcome in ["ok", "error"] {
            self.ledger_writes.with_label_values(&[outcome]);
        }
        for outcome in SSE_OUTCOMES {
            self.sse_streams.with_label_values(&[outcome]);
        }
        for t in crate::pipeline::event::Event::TYPES {
            self.sse_events.with_label_values(&[t]);
        }
        for outcome in RESUME_OUTCOMES {
            self.sse_resumes.with_label_values(&[outcome]);
        }
        for op in REDIS_OPS {
            for outcome in ["ok", "error"] {
                self.redis_operations.with_label_values(&[op, outcome]);
            }
        }
        for code in crate::pipeline::PipelineError::CODES {
            self.sse_stream_errors.with_label_values(&[code]);
        }
        // Any intent can reach any tier (caller caps and load shedding move it down), and any
        // model of a tier's chain can answer for that tier.
        for intent in Intent::ALL.iter().map(|i| i.as_str()) {
            self.model_selections
                .with_label_values(&[intent, OFFLINE_LABEL, OFFLINE_LABEL]);
            for tier in ModelTier::ALL {
                for model in chains.chain(tier) {
                    self.model_selections.with_label_values(&[
                        intent,
                        model.as_str(),
                        tier.as_str(),
                    ]);
                }
            }
        }
        for model in chains.all_models() {
            let model = model.as_str();
            self.breaker_state
                .with_label_values(&[model])
                .set(BreakerState::Closed.gauge());
            for to in [
                BreakerState::Closed,
                BreakerState::HalfOpen,
                BreakerState::Open,
            ] {
                self.breaker_transitions
                    .with_label_values(&[model, to.as_str()]);
            }
            self.upstream_requests.with_label_values(&[model, "ok"]);
            for kind in FailureKind::ALL.map(FailureKind::as_str) {
                self.upstream_requests.with_label_values(&[model, kind]);
                self.upstream_errors.with_label_values(&[model, kind]);
            }
            self.upstream_duration.with_label_values(&[model]);
            for intent in Intent::ALL.iter().map(|i| i.as_str()) {
                for kind in ["prompt", "completion", "cached"] {
                    self.tokens.with_label_values(&[model, intent, kind]);
                }
                self.cost_usd.with_label_values(&[model, intent]);
            }
        }
    }

    /// The registry, for capabilities that register their own families (the cache).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Records a breaker state change for `model`.
    pub fn breaker_moved(&self, model: &str, to: BreakerState) {
        self.breaker_state
            .with_label_values(&[model])
            .set(to.gauge());
        self.breaker_transitions
            .with_label_values(&[model, to.as_str()])
            .inc();
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buf = Vec::with_capacity(16 * 1024);
        let families = self.registry.gather();
        if let Err(e) = TextEncoder::new().encode(&families, &mut buf) {
            tracing::error!(error = %e, "cannot encode metrics");
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chains(cheap: &[&str], mid: &[&str], premium: &[&str]) -> TierChains {
        let v = |s: &[&str]| s.iter().map(|m| (*m).to_owned()).collect();
        TierChains {
            cheap: v(cheap),
            mid: v(mid),
            premium: v(premium),
        }
    }

    #[test]
    fn renders_every_family_with_prefilled_labels() {
        let m = Metrics::new(&chains(&[], &["gpt-4o"], &[]));
        m.http_requests
            .with_label_values(&["GET", "/health", "200"])
            .inc();
        m.http_duration
            .with_label_values(&["GET", "/health"])
            .observe(0.001);
        let text = m.render();
        for name in [
            "http_requests_total",
            "http_request_duration_seconds_bucket",
            "model_fallbacks_total{reason=\"breaker_open\"} 0",
            "circuit_breaker_state{model=\"gpt-4o\"} 0",
            "chart_command_validation_issues_total{code=\"invalid_symbol\"} 0",
            "chartgate_build_info",
            "http_connections_active 0",
            "http_connections_refused_total{reason=\"per_address_cap\"} 0",
            "http_connections_refused_total{reason=\"body_timeout\"} 0",
        ] {
            assert!(text.contains(name), "missing {name} in\n{text}");
        }
    }

    #[test]
    fn two_instances_do_not_collide() {
        let a = Metrics::new(&chains(&[], &[], &[]));
        let b = Metrics::new(&chains(&[], &[], &[]));
        a.http_in_flight.inc();
        assert!(b.render().contains("http_requests_in_flight 0"));
    }

    /// Every family is in a fresh exposition (a dashboard or an `absent()` rule never misreads a
    /// new deployment), and each upstream family has the configured models, never `offline`.
    #[test]
    fn every_family_is_exported_from_start_with_known_label_sets() {
        let m = Metrics::new(&chains(&["gpt-4o-mini"], &["gpt-4o", "gpt-4o-mini"], &[]));
        let text = m.render();
        let families: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split(' ').next())
            .collect();
        for family in [
            "http_requests_total",
            "http_request_duration_seconds",
            "http_requests_in_flight",
            "gateway_overhead_seconds",
            "chartgate_asks_in_flight",
            "model_selections_total",
            "model_fallbacks_total",
            "model_routing_duration_seconds",
            "model_tier_downgrades_total",
            "circuit_breaker_state",
            "circuit_breaker_transitions_total",
            "openai_requests_total",
            "openai_request_duration_seconds",
            "openai_errors_total",
            "openai_tokens_total",
            "openai_cost_usd_total",
            "chart_commands_emitted_total",
            "chart_command_validation_issues_total",
            "chart_tool_calls_total",
            "ledger_writes_total",
            "chartgate_build_info",
            "sse_connections_active",
            "sse_streams_total",
            "sse_ttfb_seconds",
            "sse_first_command_seconds",
            "sse_chunk_interval_seconds",
            "sse_events_total",
            "sse_resumes_total",
            "sse_stream_errors_total",
            "sse_streams_held",
            "sse_held_bytes",
            "redis_operations_total",
            "http_connections_active",
            "http_connections_refused_total",
            "auth_failures_total",
            "rate_limit_refusals_total",
            "budget_spend_usd",
            "budget_limit_usd",
            "budget_reserved_usd",
            "budget_refusals_total",
            "budget_downgrades_total",
            "alert_deliveries_total",
        ] {
            assert!(families.contains(&family), "{family} missing from\n{text}");
        }
        assert_eq!(
            families.len(),
            42,
            "a new family needs a line above: {families:?}"
        );
        for series in [
            "http_requests_total{method=\"POST\",route=\"/ask\",status=\"200\"} 0",
            "http_request_duration_seconds_count{method=\"GET\",route=\"/health\"} 0",
            "gateway_overhead_seconds_count{route=\"/api/agent/orchestrate\"} 0",
            "openai_request_duration_seconds_count{model=\"gpt-4o-mini\"} 0",
            "openai_errors_total{model=\"gpt-4o\",reason=\"server_error\"} 0",
            "openai_requests_total{model=\"gpt-4o\",outcome=\"timeout\"} 0",
            "openai_tokens_total{intent=\"educational\",kind=\"cached\",model=\"gpt-4o\"} 0",
            "openai_cost_usd_total{intent=\"general_query\",model=\"gpt-4o-mini\"} 0",
            "circuit_breaker_state{model=\"gpt-4o\"} 0",
            "circuit_breaker_transitions_total{model=\"gpt-4o-mini\",to=\"open\"} 0",
            "model_selections_total{intent=\"chart_command\",model=\"offline\",tier=\"offline\"} 0",
            "model_selections_total{intent=\"price_only\",model=\"gpt-4o-mini\",tier=\"mid\"} 0",
        ] {
            assert!(text.contains(series), "missing {series} in\n{text}");
        }
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let upstream = ["openai_", "circuit_breaker_"]
                .iter()
                .any(|p| line.starts_with(p));
            assert!(
                !(upstream && line.contains("model=\"offline\"")),
                "the offline answerer is not an upstream model: {line}"
            );
        }
        assert!(
            !text
                .lines()
                .filter(|l| l.starts_with("model_selections_total"))
                .any(|l| l.contains("tier=\"premium\"")),
            "no premium chain, no premium model series"
        );
    }
}
