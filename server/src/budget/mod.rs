//! Budgets: what a caller (a principal: `user:<id>` or `addr:<ip>`) and everyone together may
//! spend per UTC hour and day, enforced before the upstream call and settled after it.
//!
//! Before a model call the pipeline reserves the worst case of the call (estimated prompt tokens ×
//! input price + `llm.max_completion_tokens` × output price, for the dearest model of the tier's
//! chain) with one atomic check-and-reserve over every window that applies ([`book::Book`]); the
//! reservation lives in the answer's task and is settled with the real cost (or released) exactly
//! once, on success, failure, client disconnect and shutdown alike ([`book::Reservation`]'s
//! `Drop` releases what was not settled). Because the check and the reservation happen under one
//! lock, concurrent requests can never push a window past its limit as long as each call costs no
//! more than its reservation (the completion is capped by `max_completion_tokens`; the prompt is
//! over-estimated, see [`estimate_prompt_tokens`]).
//!
//! Spend is restored from the SQLite ledger at startup ([`report::restore`]), so a restart keeps
//! it. Windows are aligned to the UTC clock and reset on it ([`Window`]). The pipeline moves a
//! caller who cannot afford the tier's model down a tier (routing reason `budget`) and refuses
//! (429 `budget_exceeded`, `Retry-After` = seconds until the blocking window resets) only when
//! even the cheap tier cannot be afforded. The fast path and the offline provider cost nothing and
//! never reserve.

pub mod book;
pub mod metrics;
pub mod report;
pub mod shared;

use crate::config::{Config, Prices};
use crate::routing::{ModelTier, UserTier};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// A budget window, aligned to the UTC clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Window {
    Hour,
    Day,
}

impl Window {
    /// Both windows.
    pub const ALL: [Window; 2] = [Window::Hour, Window::Day];

    /// The window's length in milliseconds.
    pub fn len_ms(self) -> i64 {
        match self {
            Window::Hour => 3_600_000,
            Window::Day => 86_400_000,
        }
    }

    /// The start (Unix ms) of the window containing `now_ms`.
    pub fn start(self, now_ms: i64) -> i64 {
        now_ms - now_ms.rem_euclid(self.len_ms())
    }

    /// The end (Unix ms, exclusive) of the window containing `now_ms`: when it resets.
    pub fn resets_at(self, now_ms: i64) -> i64 {
        self.start(now_ms) + self.len_ms()
    }

    /// Whole seconds from `now_ms` until the window resets (at least 1).
    pub fn secs_to_reset(self, now_ms: i64) -> u64 {
        let ms = self.resets_at(now_ms) - now_ms;
        u64::try_from((ms + 999) / 1000).unwrap_or(1).max(1)
    }

    /// The label and wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Window::Hour => "hour",
            Window::Day => "day",
        }
    }
}

/// One caller's limits (USD per window; `None`: no limit).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Limits {
    pub hourly_usd: Option<f64>,
    pub daily_usd: Option<f64>,
}

impl Limits {
    /// The limit of `w`.
    pub fn of(&self, w: Window) -> Option<f64> {
        match w {
            Window::Hour => self.hourly_usd,
            Window::Day => self.daily_usd,
        }
    }
}

/// `[budgets.<tier>]` and `[budgets.users.<user id>]` as written.
#[derive(Deserialize, Default, Clone, Copy)]
#[serde(deny_unknown_fields, default)]
pub struct RawLimits {
    hourly_usd: Option<f64>,
    daily_usd: Option<f64>,
}

/// `[budgets.global]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RawGlobal {
    daily_usd: Option<f64>,
}

/// `[budgets]` as written. Every limit is off by default.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawBudgets {
    anonymous: RawLimits,
    standard: RawLimits,
    premium: RawLimits,
    global: RawGlobal,
    /// Overrides by the key's user id (a principal `user:<id>`), field by field.
    users: BTreeMap<String, RawLimits>,
    /// Tokens added to the prompt estimate for what the request does not show (tool schema,
    /// chart context, message framing).
    prompt_allowance_tokens: u32,
    /// Redis only: a reservation of a process that died is dropped after this many seconds.
    reservation_ttl_secs: u64,
}

impl Default for RawBudgets {
    fn default() -> Self {
        RawBudgets {
            anonymous: RawLimits::default(),
            standard: RawLimits::default(),
            premium: RawLimits::default(),
            global: RawGlobal::default(),
            users: BTreeMap::new(),
            prompt_allowance_tokens: 1_500,
            reservation_ttl_secs: 120,
        }
    }
}

/// The validated `[budgets]` section.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BudgetsConfig {
    pub anonymous: Limits,
    pub standard: Limits,
    pub premium: Limits,
    pub global_daily_usd: Option<f64>,
    pub users: HashMap<String, Limits>,
    pub prompt_allowance_tokens: u32,
    pub reservation_ttl: std::time::Duration,
}

fn check(key: String, v: Option<f64>) -> Result<Option<f64>, (String, String)> {
    match v {
        Some(x) if !x.is_finite() || x < 0.0 => {
            Err((key, "must be a number of USD, 0 or more".to_owned()))
        }
        other => Ok(other),
    }
}

fn limits(key: &str, r: RawLimits) -> Result<Limits, (String, String)> {
    Ok(Limits {
        hourly_usd: check(format!("{key}.hourly_usd"), r.hourly_usd)?,
        daily_usd: check(format!("{key}.daily_usd"), r.daily_usd)?,
    })
}

impl TryFrom<RawBudgets> for BudgetsConfig {
    type Error = (String, String);

    fn try_from(r: RawBudgets) -> Result<BudgetsConfig, Self::Error> {
        let mut users = HashMap::new();
        for (id, l) in r.users {
            if id.trim().is_empty() {
                return Err(("budgets.users".into(), "a user id must not be empty".into()));
            }
            let l = limits(&format!("budgets.users.{id}"), l)?;
            users.insert(id, l);
        }
        if r.reservation_ttl_secs == 0 {
            return Err((
                "budgets.reservation_ttl_secs".into(),
                "must be greater than 0".into(),
            ));
        }
        Ok(BudgetsConfig {
            anonymous: limits("budgets.anonymous", r.anonymous)?,
            standard: limits("budgets.standard", r.standard)?,
            premium: limits("budgets.premium", r.premium)?,
            global_daily_usd: check("budgets.global.daily_usd".into(), r.global.daily_usd)?,
            users,
            prompt_allowance_tokens: r.prompt_allowance_tokens,
            reservation_ttl: std::time::Duration::from_secs(r.reservation_ttl_secs),
        })
    }
}

impl BudgetsConfig {
    /// The limits of a caller: the tier's, overridden field by field by the user's own.
    pub fn limits_for(&self, user_id: Option<&str>, tier: UserTier) -> Limits {
        let base = self.tier(tier);
        match user_id.and_then(|u| self.users.get(u)) {
            None => base,
            Some(o) => Limits {
                hourly_usd: o.hourly_usd.or(base.hourly_usd),
                daily_usd: o.daily_usd.or(base.daily_usd),
            },
        }
    }

    /// The default limits of a caller tier.
    pub fn tier(&self, tier: UserTier) -> Limits {
        match tier {
            UserTier::Anonymous => self.anonymous,
            UserTier::Standard => self.standard,
            UserTier::Premium => self.premium,
        }
    }
}

/// The caller tiers, for labels.
pub const USER_TIERS: [UserTier; 3] = [UserTier::Anonymous, UserTier::Standard, UserTier::Premium];

/// Who is charged: the principal (`user:<id>` or `addr:<ip>`), its tier and its limits.
#[derive(Clone, Debug, PartialEq)]
pub struct Payer {
    pub principal: String,
    pub user_id: Option<String>,
    pub tier: UserTier,
    pub limits: Limits,
}

impl Payer {
    /// The payer for a caller under `cfg`.
    pub fn new(
        cfg: &BudgetsConfig,
        principal: String,
        user_id: Option<String>,
        tier: UserTier,
    ) -> Payer {
        let limits = cfg.limits_for(user_id.as_deref(), tier);
        Payer {
            principal,
            user_id,
            tier,
            limits,
        }
    }
}

/// The book for `config`, with the spend of the current UTC day restored from the ledger;
/// crossings go to `alerts`.
pub async fn start(
    config: &Config,
    store: &crate::store::Store,
    clock: crate::clock::Clock,
    metrics: metrics::MoneyMetrics,
    alerts: crate::alerts::Alerts,
    redis: Option<crate::redis::Redis>,
) -> Result<book::Book, crate::store::StoreError> {
    let day = Window::Day.start(clock.now_ms());
    let book = book::Book::new(
        config.budgets.clone(),
        clock,
        metrics,
        Box::new(move |c| alerts.notify(c)),
        redis.map(|r| shared::SharedBook::new(r, config.budgets.reservation_ttl)),
    );
    let rows = report::restore(store, day).await?;
    book.restore(&rows);
    Ok(book)
}

/// An upper bound on the prompt tokens of a request: one token per two bytes of every text the
/// request sends (real tokenizers average about four), plus `budgets.prompt_allowance_tokens`
/// for what the request does not show.
pub fn estimate_prompt_tokens(texts: &[&str], allowance: u32) -> u32 {
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    u32::try_from(bytes / 2 + 1)
        .unwrap_or(u32::MAX)
        .saturating_add(allowance)
}

/// The worst-case cost (USD) of one call on `tier`: the dearest model of its chain at
/// `prompt_tokens` input and `max_completion` output tokens (only one model of a chain is ever
/// paid: a failed attempt before the first delta costs nothing).
pub fn worst_case(
    config: &Config,
    tier: ModelTier,
    prompt_tokens: u32,
    max_completion: u32,
) -> f64 {
    worst_case_of(
        &config.prices,
        config.models.chain(tier),
        prompt_tokens,
        max_completion,
    )
}

/// [`worst_case`] over an explicit chain.
pub fn worst_case_of(prices: &Prices, chain: &[String], prompt: u32, completion: u32) -> f64 {
    chain
        .iter()
        .filter_map(|m| prices.get(m))
        .map(|p| (f64::from(prompt) * p.input + f64::from(completion) * p.output) / 1_000_000.0)
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn windows_are_aligned_to_utc() {
        // 2026-01-01T10:59:59.500Z
        let t = 1_767_265_199_500;
        assert_eq!(Window::Hour.start(t), 1_767_261_600_000);
        assert_eq!(Window::Hour.secs_to_reset(t), 1);
        assert_eq!(Window::Day.start(t), 1_767_225_600_000);
        assert_eq!(Window::Day.resets_at(t), 1_767_312_000_000);
        assert_eq!(
            crate::clock::rfc3339_ms(Window::Day.resets_at(t)),
            "2026-01-02T00:00:00.000Z"
        );
    }

    #[test]
    fn user_overrides_win_field_by_field() {
        let raw: RawBudgets = toml::from_str(
            "[standard]\nhourly_usd = 1.0\ndaily_usd = 5.0\n[users.alice]\ndaily_usd = 50.0\n",
        )
        .unwrap();
        let c = BudgetsConfig::try_from(raw).unwrap();
        let l = c.limits_for(Some("alice"), UserTier::Standard);
        assert_eq!((l.hourly_usd, l.daily_usd), (Some(1.0), Some(50.0)));
        let l = c.limits_for(Some("bob"), UserTier::Standard);
        assert_eq!(l.daily_usd, Some(5.0));
        assert_eq!(c.limits_for(None, UserTier::Anonymous), Limits::default());
        let bad: RawBudgets = toml::from_str("[premium]\nhourly_usd = -1.0\n").unwrap();
        assert_eq!(
            BudgetsConfig::try_from(bad).unwrap_err().0,
            "budgets.premium.hourly_usd"
        );
    }
}
