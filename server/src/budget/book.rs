//! The in-process budget book: spent and reserved USD per (scope, window, window start), one
//! mutex, and an atomic check-and-reserve over every window a call touches.
//!
//! Scopes are a principal (limited by its tier's or its own limits), the global total (limited by
//! `budgets.global.daily_usd`) and each caller tier (never limited: the `budget_spend_usd`
//! gauge). A reservation adds the call's worst case to every bucket it touches, or to none; it is
//! settled (reserved → spent at the real cost) or released exactly once: [`Reservation::settle`]
//! consumes it and its `Drop` releases whatever was not settled. Buckets of past windows are swept
//! once nothing is reserved in them.

use super::metrics::MoneyMetrics;
use super::shared::{SharedBook, SharedWindow};
use super::{BudgetsConfig, Payer, Window, USER_TIERS};
use crate::clock::Clock;
use crate::routing::UserTier;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Alert thresholds, percent of a limit; each fires once per bucket (scope and window).
pub const THRESHOLDS: [u8; 3] = [50, 80, 100];

/// Whose bucket.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Principal(String),
    Global,
    Tier(UserTier),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    scope: Scope,
    window: Window,
    start: i64,
}

/// Money inside the book is counted in whole nano-dollars (1e-9 USD), so sums are exact and a
/// limit compares without floating-point drift.
type Nanos = i64;

fn nanos(usd: f64) -> Nanos {
    // Saturating float-to-int conversion; amounts are finite and far below i64::MAX nano-USD.
    (usd * 1e9).round() as Nanos
}

fn usd(n: Nanos) -> f64 {
    n as f64 / 1e9
}

#[derive(Clone, Copy, Debug, Default)]
struct Bucket {
    spent: Nanos,
    reserved: Nanos,
    /// Bit i: `THRESHOLDS[i]` fired in this window.
    fired: u8,
}

/// A limit crossed: what an alert says.
#[derive(Clone, Debug, PartialEq)]
pub struct Crossing {
    /// `user:<id>`, `addr:<ip>` or `global`.
    pub scope: String,
    /// The caller's tier (`None` for the global budget).
    pub tier: Option<UserTier>,
    pub window: Window,
    pub threshold: u8,
    pub limit_usd: f64,
    pub spent_usd: f64,
    pub window_start_ms: i64,
    pub resets_at_ms: i64,
}

/// Why a reservation was refused.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    /// `global` or the caller's tier (the metric label: never a user id).
    pub scope: &'static str,
    pub window: Window,
    /// Seconds until every window that refused has reset.
    pub retry_after_secs: u64,
    blocking: Vec<(Key, f64)>,
}

/// One window of a caller, as `GET /api/budget` shows it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct WindowView {
    pub scope: String,
    pub window: &'static str,
    /// `None`: no limit.
    pub limit_usd: Option<f64>,
    pub spent_usd: f64,
    pub reserved_usd: f64,
    pub remaining_usd: Option<f64>,
    pub resets_at: String,
}

type OnCrossing = Box<dyn Fn(Crossing) + Send + Sync>;

struct Inner {
    buckets: Mutex<HashMap<Key, Bucket>>,
    /// Nano-USD reserved across every principal.
    reserved: std::sync::atomic::AtomicI64,
    clock: Clock,
    global_daily: Option<f64>,
    config: BudgetsConfig,
    metrics: MoneyMetrics,
    on_crossing: OnCrossing,
    /// The Redis book shared by replicas, when `redis.url` is set.
    shared: Option<SharedBook>,
    /// This process's reservation ids: a random prefix and a counter.
    process: String,
    sequence: std::sync::atomic::AtomicU64,
}

/// The book. Cloning is an `Arc` bump.
#[derive(Clone)]
pub struct Book(Arc<Inner>);

impl std::fmt::Debug for Book {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Book").finish_non_exhaustive()
    }
}

impl Book {
    /// A book over `config`, reading `clock`; `on_crossing` is called (under no lock of the
    /// book's) for every threshold crossed.
    pub fn new(
        config: BudgetsConfig,
        clock: Clock,
        metrics: MoneyMetrics,
        on_crossing: OnCrossing,
        shared: Option<SharedBook>,
    ) -> Book {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        metrics.set_limits(&config);
        Book(Arc::new(Inner {
            buckets: Mutex::new(HashMap::new()),
            reserved: std::sync::atomic::AtomicI64::new(0),
            clock,
            global_daily: config.global_daily_usd,
            config,
            metrics,
            on_crossing,
            shared,
            process: format!("{:016x}", h.finish()),
            sequence: std::sync::atomic::AtomicU64::new(0),
        }))
    }

    /// The configuration.
    pub fn config(&self) -> &BudgetsConfig {
        &self.0.config
    }

    /// The clock windows are read on.
    pub fn clock(&self) -> &Clock {
        &self.0.clock
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Bucket>> {
        self.0
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every bucket a call by `payer` at `now` touches, with its limit.
    fn keys(&self, payer: &Payer, now: i64) -> [(Key, Option<f64>); 6] {
        let k = |scope: Scope, window: Window| Key {
            start: window.start(now),
            scope,
            window,
        };
        let p = || Scope::Principal(payer.principal.clone());
        [
            (k(p(), Window::Hour), payer.limits.hourly_usd),
            (k(p(), Window::Day), payer.limits.daily_usd),
            (k(Scope::Global, Window::Day), self.0.global_daily),
            (k(Scope::Global, Window::Hour), None),
            (k(Scope::Tier(payer.tier), Window::Hour), None),
            (k(Scope::Tier(payer.tier), Window::Day), None),
        ]
    }

    /// Reserves `amount` USD in every window of `payer`, or in none when any limited window could
    /// not hold it beside what is spent and reserved already.
    pub fn try_reserve(&self, payer: &Payer, amount: f64) -> Result<Reservation, Refusal> {
        let now = self.0.clock.now_ms();
        self.reserve_local(payer, now, to_reserve(amount), true, None)
    }

    /// Like [`Book::try_reserve`], on the shared (Redis) book when one is configured; when
    /// Redis fails (counted in `redis_operations_total`), on this process's book alone.
    pub async fn reserve(&self, payer: &Payer, amount: f64) -> Result<Reservation, Refusal> {
        let now = self.0.clock.now_ms();
        let amount = to_reserve(amount);
        let Some(shared) = &self.0.shared else {
            return self.reserve_local(payer, now, amount, true, None);
        };
        let keys = self.keys(payer, now);
        let windows = shared_windows(&keys);
        let member = format!(
            "{}-{}",
            self.0.process,
            self.0
                .sequence
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        match shared.reserve(&windows, &member, amount, now).await {
            Ok(blocking) if blocking.is_empty() => self.reserve_local(
                payer,
                now,
                amount,
                false,
                Some((shared.clone(), windows, member)),
            ),
            Ok(blocking) => Err(refusal(
                payer,
                now,
                blocking
                    .into_iter()
                    .filter_map(|i| {
                        let (k, l) = keys.get(i)?;
                        Some((k.clone(), (*l)?))
                    })
                    .collect(),
            )),
            Err(e) => {
                tracing::warn!(error = %e, "shared budget unavailable; reserving on this replica alone");
                self.reserve_local(payer, now, amount, true, None)
            }
        }
    }

    fn reserve_local(
        &self,
        payer: &Payer,
        now: i64,
        amount: Nanos,
        check: bool,
        shared: Option<(SharedBook, Vec<SharedWindow>, String)>,
    ) -> Result<Reservation, Refusal> {
        let keys = self.keys(payer, now);
        {
            let mut buckets = self.lock();
            let blocking: Vec<(Key, f64)> = keys
                .iter()
                .filter_map(|(key, limit)| {
                    let limit = (*limit)?;
                    let b = buckets.get(key).copied().unwrap_or_default();
                    (check && b.spent + b.reserved + amount > nanos(limit))
                        .then(|| (key.clone(), limit))
                })
                .collect();
            if !blocking.is_empty() {
                return Err(refusal(payer, now, blocking));
            }
            for (key, _) in &keys {
                buckets.entry(key.clone()).or_default().reserved += amount;
            }
        }
        self.add_reserved(amount);
        Ok(Reservation {
            book: self.clone(),
            payer: payer.clone(),
            keys: Vec::from(keys),
            amount,
            open: true,
            shared,
        })
    }

    /// Reserves a model call routed to `decision`'s tier, moving the decision down a tier
    /// (routing reason `budget`) while the caller cannot afford it; refuses only when even the
    /// cheap tier cannot be afforded (the refusal is recorded: counter and 100% alerts).
    pub async fn reserve_route(
        &self,
        config: &crate::config::Config,
        payer: &Payer,
        decision: &mut crate::routing::Decision,
        prompt_tokens: u32,
    ) -> Result<Reservation, Refusal> {
        use crate::routing::ModelTier;
        let wanted = decision.tier;
        let mut tier = wanted;
        loop {
            let amount = super::worst_case(
                config,
                tier,
                prompt_tokens,
                config.llm.max_completion_tokens,
            );
            match self.reserve(payer, amount).await {
                Ok(r) => {
                    if tier != wanted {
                        decision.budget_downgrade(tier);
                        self.0.metrics.downgrades.inc();
                    }
                    return Ok(r);
                }
                Err(refusal) if tier == ModelTier::Cheap => {
                    self.refused(payer, &refusal);
                    return Err(refusal);
                }
                Err(_) => tier = tier.down(),
            }
        }
    }

    /// Records a final refusal: the refusal counter, and the 100% alert of each window that
    /// refused (once per window: a budget that cannot take the next call is spent).
    pub fn refused(&self, payer: &Payer, refusal: &Refusal) {
        self.0
            .metrics
            .refusals
            .with_label_values(&[refusal.scope])
            .inc();
        let mut out = Vec::new();
        {
            let mut buckets = self.lock();
            for (key, limit) in &refusal.blocking {
                let b = buckets.entry(key.clone()).or_default();
                let bit = 1 << (THRESHOLDS.len() - 1);
                if b.fired & bit == 0 {
                    b.fired |= bit;
                    out.push(crossing(key, payer, *limit, usd(b.spent), 100));
                }
            }
        }
        for c in out {
            (self.0.on_crossing)(c);
        }
    }

    /// Adds spend restored from the ledger (`principal`, caller tier, cost, time); thresholds
    /// already crossed are marked fired, so a restart does not alert again.
    pub fn restore(&self, rows: &[(String, Option<String>, UserTier, i64, f64)]) {
        let now = self.0.clock.now_ms();
        let mut buckets = self.lock();
        for (principal, user_id, tier, at, cost) in rows {
            let payer = Payer::new(&self.0.config, principal.clone(), user_id.clone(), *tier);
            for (key, limit) in self.keys(&payer, now) {
                if key.window.start(*at) != key.start {
                    continue;
                }
                let b = buckets.entry(key).or_default();
                b.spent += nanos(*cost);
                if let Some(l) = limit {
                    for (i, t) in THRESHOLDS.iter().enumerate() {
                        if l > 0.0 && b.spent >= threshold(l, *t) {
                            b.fired |= 1 << i;
                        }
                    }
                }
            }
        }
        drop(buckets);
        self.refresh();
    }

    /// Sets the spend gauges for the current windows and sweeps buckets of past windows that
    /// hold no reservation (called after each settlement and once a second).
    pub fn refresh(&self) {
        let now = self.0.clock.now_ms();
        let mut buckets = self.lock();
        buckets.retain(|k, b| k.start >= k.window.start(now) || b.reserved > 0);
        let m = &self.0.metrics;
        for w in Window::ALL {
            let start = w.start(now);
            let get = |scope: Scope| {
                buckets
                    .get(&Key {
                        scope,
                        window: w,
                        start,
                    })
                    .map_or(0.0, |b| usd(b.spent))
            };
            m.spend
                .with_label_values(&["global", w.as_str()])
                .set(get(Scope::Global));
            for t in USER_TIERS {
                m.spend
                    .with_label_values(&[t.as_str(), w.as_str()])
                    .set(get(Scope::Tier(t)));
            }
        }
    }

    /// A caller's windows (and the global one), as `GET /api/budget` shows them.
    pub fn view(&self, payer: &Payer) -> Vec<WindowView> {
        let now = self.0.clock.now_ms();
        let buckets = self.lock();
        self.keys(payer, now)
            .into_iter()
            .take(3)
            .map(|(key, limit)| {
                let b = buckets.get(&key).copied().unwrap_or_default();
                WindowView {
                    scope: match &key.scope {
                        Scope::Global => "global".to_owned(),
                        _ => "caller".to_owned(),
                    },
                    window: key.window.as_str(),
                    limit_usd: limit,
                    spent_usd: usd(b.spent),
                    reserved_usd: usd(b.reserved),
                    remaining_usd: limit.map(|l| usd((nanos(l) - b.spent - b.reserved).max(0))),
                    resets_at: crate::clock::rfc3339_ms(key.start + key.window.len_ms()),
                }
            })
            .collect()
    }

    /// Takes the shared spend of `keys` (what every replica settled) into this book, and alerts
    /// on thresholds it crossed.
    fn observe_shared(&self, payer: &Payer, keys: &[(Key, Option<f64>)], spent: &[i64]) {
        let mut out = Vec::new();
        {
            let mut buckets = self.lock();
            for ((key, limit), remote) in keys.iter().zip(spent) {
                let b = buckets.entry(key.clone()).or_default();
                b.spent = b.spent.max(*remote);
                let Some(l) = *limit else { continue };
                for (i, t) in THRESHOLDS.iter().enumerate() {
                    let bit = 1u8 << i;
                    if b.fired & bit == 0 && b.spent >= threshold(l, *t) && b.spent > 0 {
                        b.fired |= bit;
                        out.push(crossing(key, payer, l, usd(b.spent), *t));
                    }
                }
            }
        }
        for c in out {
            (self.0.on_crossing)(c);
        }
    }

    /// USD reserved across every principal.
    pub fn reserved_total(&self) -> f64 {
        usd(self.0.reserved.load(std::sync::atomic::Ordering::SeqCst))
    }

    fn add_reserved(&self, n: Nanos) {
        let total = self
            .0
            .reserved
            .fetch_add(n, std::sync::atomic::Ordering::SeqCst)
            + n;
        self.0.metrics.reserved.set(usd(total));
    }

    fn settle(&self, r: &mut Reservation, cost: f64) {
        let cost = nanos(cost);
        if let Some((shared, windows, member)) = r.shared.take() {
            let amount = r.amount;
            match tokio::runtime::Handle::try_current() {
                Ok(rt) => {
                    let book = self.clone();
                    let keys: Vec<(Key, Option<f64>)> = r.keys.iter().take(3).cloned().collect();
                    let payer = r.payer.clone();
                    rt.spawn(async move {
                        if let Ok(spent) = shared.settle(&windows, &member, amount, cost).await {
                            book.observe_shared(&payer, &keys, &spent);
                        }
                    });
                }
                // No runtime (shutdown): the reservation expires in Redis on its own.
                Err(_) => tracing::warn!("cannot settle a shared reservation: no runtime"),
            }
        }
        let mut out = Vec::new();
        {
            let mut buckets = self.lock();
            for (key, limit) in &r.keys {
                let b = buckets.entry(key.clone()).or_default();
                b.reserved = (b.reserved - r.amount).max(0);
                b.spent += cost;
                let Some(l) = *limit else { continue };
                for (i, t) in THRESHOLDS.iter().enumerate() {
                    let bit = 1u8 << i;
                    if b.fired & bit == 0 && b.spent >= threshold(l, *t) && cost > 0 {
                        b.fired |= bit;
                        out.push(crossing(key, &r.payer, l, usd(b.spent), *t));
                    }
                }
            }
        }
        self.add_reserved(-r.amount);
        self.refresh();
        for c in out {
            (self.0.on_crossing)(c);
        }
    }
}

/// A reservation's amount: rounded up, so it never holds less than the worst case.
fn to_reserve(usd: f64) -> Nanos {
    (usd.max(0.0) * 1e9).ceil() as Nanos
}

/// The limited windows (the first three keys) as the shared book sees them.
fn shared_windows(keys: &[(Key, Option<f64>)]) -> Vec<SharedWindow> {
    keys.iter()
        .take(3)
        .map(|(k, l)| SharedWindow {
            id: match &k.scope {
                Scope::Principal(p) => format!("{p}:{}:{}", k.window.as_str(), k.start),
                Scope::Global => format!("global:{}:{}", k.window.as_str(), k.start),
                Scope::Tier(t) => format!("tier:{}:{}:{}", t.as_str(), k.window.as_str(), k.start),
            },
            limit: l.map(nanos),
            ttl_secs: (k.start + k.window.len_ms()) / 1000 + 86_400,
        })
        .collect()
}

fn refusal(payer: &Payer, now: i64, blocking: Vec<(Key, f64)>) -> Refusal {
    let global = blocking.iter().any(|(k, _)| k.scope == Scope::Global);
    let retry = blocking
        .iter()
        .map(|(k, _)| k.window.secs_to_reset(now))
        .max()
        .unwrap_or(1);
    Refusal {
        scope: if global {
            "global"
        } else {
            payer.tier.as_str()
        },
        window: blocking.first().map_or(Window::Hour, |(k, _)| k.window),
        retry_after_secs: retry,
        blocking,
    }
}

/// `percent` of `limit_usd`, in nano-USD.
fn threshold(limit_usd: f64, percent: u8) -> Nanos {
    nanos(limit_usd * f64::from(percent) / 100.0)
}

fn crossing(key: &Key, payer: &Payer, limit: f64, spent: f64, threshold: u8) -> Crossing {
    let global = key.scope == Scope::Global;
    Crossing {
        scope: if global {
            "global".to_owned()
        } else {
            payer.principal.clone()
        },
        tier: (!global).then_some(payer.tier),
        window: key.window,
        threshold,
        limit_usd: limit,
        spent_usd: spent,
        window_start_ms: key.start,
        resets_at_ms: key.start + key.window.len_ms(),
    }
}

/// Money held for one call. Settle it with the real cost; dropping it unsettled releases it.
pub struct Reservation {
    book: Book,
    payer: Payer,
    keys: Vec<(Key, Option<f64>)>,
    amount: Nanos,
    open: bool,
    /// The shared book, windows and member id, when reserved there too.
    shared: Option<(SharedBook, Vec<SharedWindow>, String)>,
}

impl std::fmt::Debug for Reservation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reservation")
            .field("principal", &self.payer.principal)
            .field("amount", &usd(self.amount))
            .finish_non_exhaustive()
    }
}

impl Reservation {
    /// The reserved amount (USD).
    pub fn amount(&self) -> f64 {
        usd(self.amount)
    }

    /// Turns the reservation into spend at `cost_usd` and releases the rest.
    pub fn settle(mut self, cost_usd: f64) {
        self.open = false;
        let book = self.book.clone();
        book.settle(&mut self, cost_usd.max(0.0));
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.open {
            self.open = false;
            let book = self.book.clone();
            book.settle(self, 0.0);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::budget::Limits;

    fn book(clock: Clock, hourly: f64) -> (Book, Arc<Mutex<Vec<Crossing>>>) {
        let cfg = BudgetsConfig {
            standard: Limits {
                hourly_usd: Some(hourly),
                daily_usd: None,
            },
            ..BudgetsConfig::default()
        };
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = Arc::clone(&seen);
        let b = Book::new(
            cfg,
            clock,
            MoneyMetrics::new(&prometheus::Registry::new()),
            Box::new(move |c| s.lock().unwrap().push(c)),
            None,
        );
        (b, seen)
    }

    fn payer(b: &Book) -> Payer {
        Payer::new(
            b.config(),
            "user:u".into(),
            Some("u".into()),
            UserTier::Standard,
        )
    }

    #[test]
    fn concurrent_reservations_never_overshoot() {
        let (b, _) = book(Clock::manual(1_767_225_600_000), 1.0);
        let p = payer(&b);
        let held: Vec<_> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        (0..100)
                            .filter_map(|_| b.try_reserve(&p, 0.03).ok())
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(held.len(), 33);
        for r in held {
            r.settle(0.03);
        }
        let v = b.view(&p);
        assert!(v[0].spent_usd <= 1.0 + 1e-9, "{v:?}");
        assert_eq!(v[0].reserved_usd, 0.0);
        assert!(b.try_reserve(&p, 0.03).is_err());
    }

    #[test]
    fn dropped_reservations_release_and_windows_reset() {
        let clock = Clock::manual(1_767_225_600_000);
        let (b, seen) = book(clock.clone(), 1.0);
        let p = payer(&b);
        drop(b.try_reserve(&p, 0.9).unwrap());
        assert_eq!(b.reserved_total(), 0.0);
        b.try_reserve(&p, 0.6).unwrap().settle(0.6);
        b.try_reserve(&p, 0.3).unwrap().settle(0.3);
        let refusal = b.try_reserve(&p, 0.2).unwrap_err();
        assert_eq!(refusal.retry_after_secs, 3600);
        b.refused(&p, &refusal);
        b.refused(&p, &refusal);
        let t: Vec<u8> = seen.lock().unwrap().iter().map(|c| c.threshold).collect();
        assert_eq!(t, vec![50, 80, 100]);
        clock.advance(3_600_000);
        assert!(b.try_reserve(&p, 0.2).is_ok());
    }
}
