//! Prometheus metrics: a `Registry` owned by the app state (never the global default registry, so
//! tests run many servers in one process) and typed handles for every metric.
//!
//! Names follow Prometheus conventions and keep the old backend's names where they fit; labels
//! are bounded (route templates, configured model names, intents, issue codes, failure kinds):
//! never a user id, a raw path or free text. `docs/metrics.md` lists them all.

use crate::llm::FailureKind;
use crate::routing::BreakerState;
use chartgate_core::IssueCode;
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
    /// Registers every metric. `models` are the configured model names (plus `offline`), used to
    /// pre-create label sets so dashboards see zeros rather than missing series.
    pub fn new(models: &[String]) -> Metrics {
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
            registry: r,
        };
        m.prefill(models);
        m
    }

    fn prefill(&self, models: &[String]) {
        for reason in REFUSAL_REASONS {
            self.connections_refused.with_label_values(&[reason]);
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
        for model in models {
            self.breaker_state
                .with_label_values(&[model.as_str()])
                .set(BreakerState::Closed.gauge());
            self.upstream_requests
                .with_label_values(&[model.as_str(), "ok"]);
        }
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

    #[test]
    fn renders_every_family_with_prefilled_labels() {
        let m = Metrics::new(&["gpt-4o".to_owned()]);
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
        let a = Metrics::new(&[]);
        let b = Metrics::new(&[]);
        a.http_in_flight.inc();
        assert!(b.render().contains("http_requests_in_flight 0"));
    }
}
