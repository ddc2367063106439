//! The money metric families (`docs/metrics.md`), registered in the state's registry and
//! prefilled for every known label set. Scopes are a caller tier or `global`, never a user id.

use super::{BudgetsConfig, Window, USER_TIERS};
use prometheus::{Gauge, GaugeVec, IntCounter, IntCounterVec, Opts, Registry};

/// The `kind` label of `alert_deliveries_total`.
pub const ALERT_KINDS: [&str; 2] = ["webhook", "slack"];

/// The `outcome` label of `alert_deliveries_total`: an attempt that got a 2xx (`ok`), one that
/// failed and will be retried (`retry`), the last failed attempt (`failed`), an alert dropped
/// because the delivery queue was full (`dropped`).
pub const ALERT_OUTCOMES: [&str; 4] = ["ok", "retry", "failed", "dropped"];

/// Handles of the money families.
#[derive(Clone)]
pub struct MoneyMetrics {
    pub spend: GaugeVec,
    pub limit: GaugeVec,
    pub reserved: Gauge,
    pub refusals: IntCounterVec,
    pub downgrades: IntCounter,
    pub alert_deliveries: IntCounterVec,
}

impl std::fmt::Debug for MoneyMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MoneyMetrics")
    }
}

fn reg<M: prometheus::core::Collector + Clone + 'static>(r: &Registry, m: M) -> M {
    r.register(Box::new(m.clone()))
        .expect("metric names are unique (unit test)");
    m
}

impl MoneyMetrics {
    /// Registers the families in `r` and prefills them.
    pub fn new(r: &Registry) -> MoneyMetrics {
        let gauge_vec = |name: &str, help: &str, labels: &[&str]| {
            reg(
                r,
                GaugeVec::new(Opts::new(name, help), labels).expect("valid gauge"),
            )
        };
        let m = MoneyMetrics {
            spend: gauge_vec(
                "budget_spend_usd",
                "Settled model spend (USD) in the current UTC window, by caller tier or global.",
                &["scope", "window"],
            ),
            limit: gauge_vec(
                "budget_limit_usd",
                "The configured budget per caller of a tier (or the global one) per window; +Inf: no limit.",
                &["scope", "window"],
            ),
            reserved: reg(
                r,
                Gauge::new(
                    "budget_reserved_usd",
                    "USD reserved by model calls in progress (worst cases not yet settled).",
                )
                .expect("valid gauge"),
            ),
            refusals: reg(
                r,
                IntCounterVec::new(
                    Opts::new(
                        "budget_refusals_total",
                        "Asks refused with 429 budget_exceeded, by the budget that refused (caller tier or global).",
                    ),
                    &["scope"],
                )
                .expect("valid counter"),
            ),
            downgrades: reg(
                r,
                IntCounter::new(
                    "budget_downgrades_total",
                    "Asks moved to a cheaper model tier because the caller could not afford the routed one.",
                )
                .expect("valid counter"),
            ),
            alert_deliveries: reg(
                r,
                IntCounterVec::new(
                    Opts::new(
                        "alert_deliveries_total",
                        "Budget alert delivery attempts by receiver kind and outcome.",
                    ),
                    &["kind", "outcome"],
                )
                .expect("valid counter"),
            ),
        };
        for scope in USER_TIERS
            .iter()
            .map(|t| t.as_str())
            .chain(std::iter::once("global"))
        {
            m.refusals.with_label_values(&[scope]);
            for w in Window::ALL {
                m.spend.with_label_values(&[scope, w.as_str()]);
                m.limit
                    .with_label_values(&[scope, w.as_str()])
                    .set(f64::INFINITY);
            }
        }
        for kind in ALERT_KINDS {
            for outcome in ALERT_OUTCOMES {
                m.alert_deliveries.with_label_values(&[kind, outcome]);
            }
        }
        m
    }

    /// Sets `budget_limit_usd` from the configuration.
    pub fn set_limits(&self, cfg: &BudgetsConfig) {
        for t in USER_TIERS {
            let l = cfg.tier(t);
            for w in Window::ALL {
                self.limit
                    .with_label_values(&[t.as_str(), w.as_str()])
                    .set(l.of(w).unwrap_or(f64::INFINITY));
            }
        }
        self.limit
            .with_label_values(&["global", "day"])
            .set(cfg.global_daily_usd.unwrap_or(f64::INFINITY));
    }
}
