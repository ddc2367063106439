//! Routing: which path and which model tier answer a request, and why.
//!
//! Pure functions over typed inputs (intent from core, the caller's tier, the in-flight count,
//! the provider kind) plus the per-model circuit breakers in [`breaker`]. Nothing here does I/O,
//! reads a clock on its own or knows about HTTP; the pipeline passes `Instant`s in and records
//! the returned reasons in logs and metrics.

pub mod breaker;

pub use breaker::{Admission, Breaker, BreakerConfig, BreakerState, Breakers, Transition};

use crate::config::{ProviderKind, RoutingConfig};
use chartgate_core::Intent;
use serde::Deserialize;

/// Model tiers, cheapest first. Each maps to a configurable model chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelTier {
    Cheap,
    Mid,
    Premium,
}

impl ModelTier {
    /// Every tier, cheapest first.
    pub const ALL: [ModelTier; 3] = [ModelTier::Cheap, ModelTier::Mid, ModelTier::Premium];

    /// The wire and label spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelTier::Cheap => "cheap",
            ModelTier::Mid => "mid",
            ModelTier::Premium => "premium",
        }
    }

    /// One tier cheaper (cheap stays cheap).
    pub fn down(self) -> ModelTier {
        match self {
            ModelTier::Premium => ModelTier::Mid,
            ModelTier::Mid | ModelTier::Cheap => ModelTier::Cheap,
        }
    }
}

/// Caller tiers (spec §3): an API key's tier, or `anonymous` without a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserTier {
    Anonymous,
    Standard,
    Premium,
}

impl UserTier {
    /// Every tier, lowest first.
    pub const ALL: [UserTier; 3] = [UserTier::Anonymous, UserTier::Standard, UserTier::Premium];

    /// The wire and label spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            UserTier::Anonymous => "anonymous",
            UserTier::Standard => "standard",
            UserTier::Premium => "premium",
        }
    }
}

/// The model tier each intent asks for before caps and load shedding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntentTiers {
    /// Used when a chart-control request yields no commands core can act on alone.
    pub chart_command: ModelTier,
    pub price_only: ModelTier,
    pub technical_analysis: ModelTier,
    pub news_summary: ModelTier,
    pub market_overview: ModelTier,
    pub educational: ModelTier,
    pub general_query: ModelTier,
}

impl Default for IntentTiers {
    fn default() -> Self {
        IntentTiers {
            chart_command: ModelTier::Cheap,
            price_only: ModelTier::Cheap,
            technical_analysis: ModelTier::Premium,
            news_summary: ModelTier::Cheap,
            market_overview: ModelTier::Mid,
            educational: ModelTier::Mid,
            general_query: ModelTier::Cheap,
        }
    }
}

impl IntentTiers {
    /// The tier `intent` asks for.
    pub fn tier_for(&self, intent: Intent) -> ModelTier {
        match intent {
            Intent::ChartCommand => self.chart_command,
            Intent::PriceOnly => self.price_only,
            Intent::TechnicalAnalysis => self.technical_analysis,
            Intent::NewsSummary => self.news_summary,
            Intent::MarketOverview => self.market_overview,
            Intent::Educational => self.educational,
            Intent::GeneralQuery => self.general_query,
        }
    }
}

/// The model chain (primary first, then fallbacks) of each tier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierChains {
    pub cheap: Vec<String>,
    pub mid: Vec<String>,
    pub premium: Vec<String>,
}

impl TierChains {
    /// The chain of `tier`: never empty (config validation guarantees a primary model).
    pub fn chain(&self, tier: ModelTier) -> &[String] {
        match tier {
            ModelTier::Cheap => &self.cheap,
            ModelTier::Mid => &self.mid,
            ModelTier::Premium => &self.premium,
        }
    }

    /// Every distinct model named in any chain.
    pub fn all_models(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for m in self.cheap.iter().chain(&self.mid).chain(&self.premium) {
            if !out.contains(m) {
                out.push(m.clone());
            }
        }
        out
    }
}

/// Load shedding: above `max_in_flight` concurrent asks, the listed intents move down a tier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadConfig {
    pub max_in_flight: usize,
    pub shed_intents: Vec<Intent>,
}

/// Every intent (core's list).
pub const INTENTS: &[Intent] = Intent::ALL;

/// The wire spelling of an intent (core's).
pub fn intent_str(intent: Intent) -> &'static str {
    intent.as_str()
}

/// Parses an intent's wire spelling.
pub fn parse_intent(s: &str) -> Option<Intent> {
    Intent::parse(s)
}

/// Everything a routing decision depends on.
#[derive(Clone, Copy, Debug)]
pub struct RouteInput {
    pub intent: Intent,
    /// Whether core understood commands it can apply without a model.
    pub has_commands: bool,
    pub user_tier: UserTier,
    /// Asks in progress, this one excluded.
    pub in_flight: usize,
    pub provider: ProviderKind,
}

/// How a request is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoutePath {
    /// Pure chart control: core's commands and a templated sentence; no provider involved.
    FastPath,
    /// The offline provider answers (no model configured).
    Offline,
    /// The tier's model chain is walked.
    Model,
}

/// One reason behind a decision, recorded in logs (and, reduced to bounded labels, in metrics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Intent `chart_command` with commands core can apply.
    ChartControl,
    /// The intent's configured tier.
    IntentTier(ModelTier),
    /// The caller's tier capped the model tier.
    UserCap {
        tier: UserTier,
        from: ModelTier,
        to: ModelTier,
    },
    /// In-flight asks over the threshold moved the tier down.
    LoadShed {
        in_flight: usize,
        from: ModelTier,
        to: ModelTier,
    },
    /// No model provider is configured.
    ProviderOffline,
    /// The caller could not afford the tier's model (budgets): moved down.
    Budget { from: ModelTier, to: ModelTier },
}

impl Reason {
    /// A short bounded label for the reason.
    pub fn label(&self) -> &'static str {
        match self {
            Reason::ChartControl => "chart_control",
            Reason::IntentTier(_) => "intent_tier",
            Reason::UserCap { .. } => "user_cap",
            Reason::LoadShed { .. } => "load_shed",
            Reason::ProviderOffline => "provider_offline",
            Reason::Budget { .. } => "budget",
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::ChartControl => f.write_str("chart_control"),
            Reason::IntentTier(t) => write!(f, "intent_tier={}", t.as_str()),
            Reason::UserCap { tier, from, to } => {
                write!(
                    f,
                    "user_cap({})={}->{}",
                    tier.as_str(),
                    from.as_str(),
                    to.as_str()
                )
            }
            Reason::LoadShed {
                in_flight,
                from,
                to,
            } => {
                write!(
                    f,
                    "load_shed(in_flight={in_flight})={}->{}",
                    from.as_str(),
                    to.as_str()
                )
            }
            Reason::ProviderOffline => f.write_str("provider_offline"),
            Reason::Budget { from, to } => {
                write!(f, "budget={}->{}", from.as_str(), to.as_str())
            }
        }
    }
}

/// A routing decision: the path, the model tier (for the model and offline paths) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub path: RoutePath,
    pub tier: ModelTier,
    /// At most four reasons; stored inline so a decision never allocates.
    reasons: [Option<Reason>; 4],
}

impl Decision {
    fn new(path: RoutePath, tier: ModelTier) -> Decision {
        Decision {
            path,
            tier,
            reasons: [None; 4],
        }
    }

    fn push(&mut self, r: Reason) {
        if let Some(slot) = self.reasons.iter_mut().find(|s| s.is_none()) {
            *slot = Some(r);
        }
    }

    /// The reasons, in the order they were applied.
    pub fn reasons(&self) -> impl Iterator<Item = &Reason> {
        self.reasons.iter().flatten()
    }

    /// The reasons as one log field, e.g. `intent_tier=premium,user_cap(standard)=premium->mid`.
    pub fn reasons_text(&self) -> String {
        self.reasons()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Moves the decision down to `to` because the caller cannot afford its tier (the budget
    /// check runs after [`decide`], against the ledger of reservations).
    pub fn budget_downgrade(&mut self, to: ModelTier) {
        if to != self.tier {
            self.push(Reason::Budget {
                from: self.tier,
                to,
            });
            self.tier = to;
        }
    }
}

/// Decides how to answer. Order: chart-control fast path; intent tier; cap by the caller's tier;
/// one tier down under load for sheddable intents; the offline provider when no model is set up.
pub fn decide(input: &RouteInput, policy: &RoutingConfig) -> Decision {
    if policy.fast_path && input.intent == Intent::ChartCommand && input.has_commands {
        let mut d = Decision::new(RoutePath::FastPath, ModelTier::Cheap);
        d.push(Reason::ChartControl);
        return d;
    }
    let wanted = policy.intent_tiers.tier_for(input.intent);
    let mut d = Decision::new(RoutePath::Model, wanted);
    d.push(Reason::IntentTier(wanted));
    let cap = policy.user_caps.cap(input.user_tier);
    if d.tier > cap {
        d.push(Reason::UserCap {
            tier: input.user_tier,
            from: d.tier,
            to: cap,
        });
        d.tier = cap;
    }
    if input.in_flight >= policy.load.max_in_flight
        && policy.load.shed_intents.contains(&input.intent)
        && d.tier != ModelTier::Cheap
    {
        let to = d.tier.down();
        d.push(Reason::LoadShed {
            in_flight: input.in_flight,
            from: d.tier,
            to,
        });
        d.tier = to;
    }
    if input.provider == ProviderKind::Offline {
        d.path = RoutePath::Offline;
        d.push(Reason::ProviderOffline);
    }
    d
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::Config;

    fn input(intent: Intent) -> RouteInput {
        RouteInput {
            intent,
            has_commands: false,
            user_tier: UserTier::Premium,
            in_flight: 0,
            provider: ProviderKind::OpenAi,
        }
    }

    fn policy() -> RoutingConfig {
        Config::defaults().routing
    }

    #[test]
    fn chart_control_with_commands_takes_the_fast_path() {
        let d = decide(
            &RouteInput {
                has_commands: true,
                ..input(Intent::ChartCommand)
            },
            &policy(),
        );
        assert_eq!(d.path, RoutePath::FastPath);
        assert!(d.reasons().any(|r| matches!(r, Reason::ChartControl)));
    }

    #[test]
    fn chart_control_without_commands_goes_to_its_tier() {
        let d = decide(&input(Intent::ChartCommand), &policy());
        assert_eq!((d.path, d.tier), (RoutePath::Model, ModelTier::Cheap));
    }

    #[test]
    fn fast_path_can_be_disabled() {
        let mut p = policy();
        p.fast_path = false;
        let d = decide(
            &RouteInput {
                has_commands: true,
                ..input(Intent::ChartCommand)
            },
            &p,
        );
        assert_eq!(d.path, RoutePath::Model);
    }

    #[test]
    fn intents_map_to_their_default_tiers() {
        let p = policy();
        assert_eq!(
            decide(&input(Intent::TechnicalAnalysis), &p).tier,
            ModelTier::Premium
        );
        assert_eq!(
            decide(&input(Intent::MarketOverview), &p).tier,
            ModelTier::Mid
        );
        assert_eq!(decide(&input(Intent::PriceOnly), &p).tier, ModelTier::Cheap);
    }

    #[test]
    fn user_tier_caps_the_model_tier() {
        let p = policy();
        let d = decide(
            &RouteInput {
                user_tier: UserTier::Anonymous,
                ..input(Intent::TechnicalAnalysis)
            },
            &p,
        );
        assert_eq!(d.tier, ModelTier::Cheap);
        assert!(d.reasons().any(|r| matches!(r, Reason::UserCap { .. })));
        let d = decide(
            &RouteInput {
                user_tier: UserTier::Standard,
                ..input(Intent::TechnicalAnalysis)
            },
            &p,
        );
        assert_eq!(d.tier, ModelTier::Mid);
        assert_eq!(
            d.reasons_text(),
            "intent_tier=premium,user_cap(standard)=premium->mid"
        );
    }

    #[test]
    fn load_moves_sheddable_intents_down_one_tier() {
        let p = policy();
        let busy = |intent| RouteInput {
            in_flight: p.load.max_in_flight,
            ..input(intent)
        };
        let d = decide(&busy(Intent::TechnicalAnalysis), &p);
        assert_eq!(d.tier, ModelTier::Mid);
        assert!(d.reasons().any(|r| matches!(r, Reason::LoadShed { .. })));
        // Below the threshold nothing moves.
        let d = decide(
            &RouteInput {
                in_flight: p.load.max_in_flight - 1,
                ..input(Intent::TechnicalAnalysis)
            },
            &p,
        );
        assert_eq!(d.tier, ModelTier::Premium);
        // price_only is not in the default shed list; cheap cannot go lower.
        let d = decide(&busy(Intent::PriceOnly), &p);
        assert_eq!(d.tier, ModelTier::Cheap);
        assert!(!d.reasons().any(|r| matches!(r, Reason::LoadShed { .. })));
    }

    #[test]
    fn caps_and_load_combine() {
        let p = policy();
        let d = decide(
            &RouteInput {
                user_tier: UserTier::Standard,
                in_flight: 10_000,
                ..input(Intent::TechnicalAnalysis)
            },
            &p,
        );
        assert_eq!(d.tier, ModelTier::Cheap);
        assert!(
            d.reasons().any(|r| matches!(r, Reason::UserCap { .. }))
                && d.reasons().any(|r| matches!(r, Reason::LoadShed { .. }))
        );
    }

    #[test]
    fn offline_provider_keeps_the_tier_but_changes_the_path() {
        let d = decide(
            &RouteInput {
                provider: ProviderKind::Offline,
                ..input(Intent::Educational)
            },
            &policy(),
        );
        assert_eq!((d.path, d.tier), (RoutePath::Offline, ModelTier::Mid));
        assert!(d.reasons().any(|r| matches!(r, Reason::ProviderOffline)));
    }

    #[test]
    fn intent_names_round_trip_and_match_core_serde() {
        for &i in INTENTS {
            assert_eq!(parse_intent(intent_str(i)), Some(i));
            assert_eq!(serde_json::to_value(i).unwrap(), intent_str(i));
        }
        assert_eq!(parse_intent("nope"), None);
    }

    #[test]
    fn tier_down_saturates_at_cheap() {
        assert_eq!(ModelTier::Premium.down(), ModelTier::Mid);
        assert_eq!(ModelTier::Mid.down(), ModelTier::Cheap);
        assert_eq!(ModelTier::Cheap.down(), ModelTier::Cheap);
    }
}
