//! Per-model circuit breakers: closed → open on a high error rate over a window → half-open after
//! a cool-down, where one probe decides between closed and open again.
//!
//! The state machine ([`Breaker`]) is pure: callers pass `now`. [`Breakers`] holds one per
//! configured model behind a `std::sync::Mutex` that is only ever held for a few arithmetic
//! operations, never across an `.await`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Breaker tuning.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BreakerConfig {
    /// The sliding window over which the error rate is computed.
    pub window: Duration,
    /// Outcomes needed in the window before the breaker may open.
    pub min_requests: u32,
    /// Error fraction (0–1] at or above which the breaker opens.
    pub error_rate: f64,
    /// How long an open breaker rejects calls before letting one probe through.
    pub cooldown: Duration,
}

/// The observable state (also the `circuit_breaker_state` gauge: 0, 1, 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    HalfOpen,
    Open,
}

impl BreakerState {
    /// Gauge value: closed 0, half-open 1, open 2.
    pub fn gauge(self) -> i64 {
        match self {
            BreakerState::Closed => 0,
            BreakerState::HalfOpen => 1,
            BreakerState::Open => 2,
        }
    }

    /// Label spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::HalfOpen => "half_open",
            BreakerState::Open => "open",
        }
    }
}

/// Whether a call may go to the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Closed: go ahead.
    Allowed,
    /// Half-open: this call is the probe; its outcome decides the next state.
    Probe,
    /// Open (or a probe is already out): skip this model.
    Rejected,
}

/// A state change, reported so the caller can count it and update the gauge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    pub from: BreakerState,
    pub to: BreakerState,
}

const BUCKETS: usize = 10;

#[derive(Clone, Copy, Debug, Default)]
struct Bucket {
    /// Index of the time slice this bucket counts (since `origin`), or `u64::MAX` when unused.
    slice: u64,
    ok: u32,
    err: u32,
}

#[derive(Clone, Copy, Debug)]
enum Phase {
    Closed,
    Open { until: Instant },
    HalfOpen { probe_started: Instant },
}

/// One model's breaker.
#[derive(Clone, Debug)]
pub struct Breaker {
    phase: Phase,
    origin: Instant,
    buckets: [Bucket; BUCKETS],
}

impl Breaker {
    /// A closed breaker whose window starts at `now`.
    pub fn new(now: Instant) -> Breaker {
        Breaker {
            phase: Phase::Closed,
            origin: now,
            buckets: [Bucket {
                slice: u64::MAX,
                ok: 0,
                err: 0,
            }; BUCKETS],
        }
    }

    /// The current state.
    pub fn state(&self) -> BreakerState {
        match self.phase {
            Phase::Closed => BreakerState::Closed,
            Phase::Open { .. } => BreakerState::Open,
            Phase::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }

    /// Asks whether a call may go out at `now`. An open breaker whose cool-down has passed turns
    /// half-open and admits exactly one probe; a probe that never reports back (its task died)
    /// is replaced after another cool-down.
    pub fn admit(&mut self, cfg: &BreakerConfig, now: Instant) -> (Admission, Option<Transition>) {
        match self.phase {
            Phase::Closed => (Admission::Allowed, None),
            Phase::Open { until } if now >= until => {
                self.phase = Phase::HalfOpen { probe_started: now };
                (
                    Admission::Probe,
                    Some(Transition {
                        from: BreakerState::Open,
                        to: BreakerState::HalfOpen,
                    }),
                )
            }
            Phase::Open { .. } => (Admission::Rejected, None),
            Phase::HalfOpen { probe_started } => {
                if now.saturating_duration_since(probe_started) >= cfg.cooldown {
                    self.phase = Phase::HalfOpen { probe_started: now };
                    (Admission::Probe, None)
                } else {
                    (Admission::Rejected, None)
                }
            }
        }
    }

    /// Records the outcome of a call admitted as `admission`.
    pub fn record(
        &mut self,
        cfg: &BreakerConfig,
        now: Instant,
        admission: Admission,
        success: bool,
    ) -> Option<Transition> {
        match (self.phase, admission) {
            (Phase::HalfOpen { .. }, Admission::Probe) => {
                if success {
                    self.phase = Phase::Closed;
                    self.clear();
                    Some(Transition {
                        from: BreakerState::HalfOpen,
                        to: BreakerState::Closed,
                    })
                } else {
                    self.phase = Phase::Open {
                        until: now + cfg.cooldown,
                    };
                    Some(Transition {
                        from: BreakerState::HalfOpen,
                        to: BreakerState::Open,
                    })
                }
            }
            (Phase::Closed, _) => {
                self.count(cfg, now, success);
                let (ok, err) = self.totals(cfg, now);
                let total = ok + err;
                if !success
                    && total >= cfg.min_requests
                    && f64::from(err) >= cfg.error_rate * f64::from(total)
                {
                    self.phase = Phase::Open {
                        until: now + cfg.cooldown,
                    };
                    Some(Transition {
                        from: BreakerState::Closed,
                        to: BreakerState::Open,
                    })
                } else {
                    None
                }
            }
            // Late outcomes of calls admitted before the breaker opened do not move it.
            _ => None,
        }
    }

    fn slice_width(cfg: &BreakerConfig) -> u128 {
        (cfg.window.as_millis() / BUCKETS as u128).max(1)
    }

    fn slice_of(&self, cfg: &BreakerConfig, now: Instant) -> u64 {
        let ms = now.saturating_duration_since(self.origin).as_millis();
        u64::try_from(ms / Self::slice_width(cfg)).unwrap_or(u64::MAX - 1)
    }

    fn count(&mut self, cfg: &BreakerConfig, now: Instant, success: bool) {
        let slice = self.slice_of(cfg, now);
        let idx = (slice % BUCKETS as u64) as usize;
        let b = &mut self.buckets[idx];
        if b.slice != slice {
            *b = Bucket {
                slice,
                ok: 0,
                err: 0,
            };
        }
        if success {
            b.ok = b.ok.saturating_add(1);
        } else {
            b.err = b.err.saturating_add(1);
        }
    }

    fn totals(&self, cfg: &BreakerConfig, now: Instant) -> (u32, u32) {
        let current = self.slice_of(cfg, now);
        self.buckets
            .iter()
            .filter(|b| b.slice != u64::MAX && b.slice + (BUCKETS as u64) > current)
            .fold((0, 0), |(ok, err), b| {
                (ok.saturating_add(b.ok), err.saturating_add(b.err))
            })
    }

    fn clear(&mut self) {
        for b in &mut self.buckets {
            b.slice = u64::MAX;
        }
    }
}

/// One breaker per configured model.
#[derive(Debug)]
pub struct Breakers {
    cfg: BreakerConfig,
    by_model: HashMap<String, Mutex<Breaker>>,
}

impl Breakers {
    /// Breakers for `models`, all closed.
    pub fn new(cfg: BreakerConfig, models: &[String], now: Instant) -> Breakers {
        Breakers {
            cfg,
            by_model: models
                .iter()
                .map(|m| (m.clone(), Mutex::new(Breaker::new(now))))
                .collect(),
        }
    }

    /// Admission for `model` (models without a breaker are always allowed).
    pub fn admit(&self, model: &str, now: Instant) -> (Admission, Option<Transition>) {
        match self.by_model.get(model) {
            Some(b) => lock(b).admit(&self.cfg, now),
            None => (Admission::Allowed, None),
        }
    }

    /// Records an outcome for `model`.
    pub fn record(
        &self,
        model: &str,
        now: Instant,
        admission: Admission,
        success: bool,
    ) -> Option<Transition> {
        self.by_model
            .get(model)
            .and_then(|b| lock(b).record(&self.cfg, now, admission, success))
    }

    /// The state of `model`'s breaker.
    pub fn state(&self, model: &str) -> Option<BreakerState> {
        self.by_model.get(model).map(|b| lock(b).state())
    }
}

/// Locks a breaker; a poisoned lock (a panic while holding it, which the code above cannot do)
/// still holds a consistent breaker, so it is used as is.
fn lock(m: &Mutex<Breaker>) -> std::sync::MutexGuard<'_, Breaker> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> BreakerConfig {
        BreakerConfig {
            window: Duration::from_secs(10),
            min_requests: 4,
            error_rate: 0.5,
            cooldown: Duration::from_secs(5),
        }
    }

    fn fail(b: &mut Breaker, now: Instant) -> Option<Transition> {
        let (a, _) = b.admit(&cfg(), now);
        b.record(&cfg(), now, a, false)
    }

    fn succeed(b: &mut Breaker, now: Instant) -> Option<Transition> {
        let (a, _) = b.admit(&cfg(), now);
        b.record(&cfg(), now, a, true)
    }

    #[test]
    fn stays_closed_below_min_requests() {
        let t0 = Instant::now();
        let mut b = Breaker::new(t0);
        for _ in 0..3 {
            assert_eq!(fail(&mut b, t0), None);
        }
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn opens_at_the_error_rate_and_rejects_until_cooldown() {
        let t0 = Instant::now();
        let mut b = Breaker::new(t0);
        succeed(&mut b, t0);
        succeed(&mut b, t0);
        fail(&mut b, t0);
        let t = fail(&mut b, t0);
        assert_eq!(
            t,
            Some(Transition {
                from: BreakerState::Closed,
                to: BreakerState::Open
            })
        );
        assert_eq!(
            b.admit(&cfg(), t0 + Duration::from_secs(4)).0,
            Admission::Rejected
        );
    }

    #[test]
    fn a_low_error_rate_keeps_it_closed() {
        let t0 = Instant::now();
        let mut b = Breaker::new(t0);
        for _ in 0..10 {
            succeed(&mut b, t0);
        }
        for _ in 0..4 {
            assert_eq!(fail(&mut b, t0), None);
        }
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn old_outcomes_leave_the_window() {
        let t0 = Instant::now();
        let mut b = Breaker::new(t0);
        for _ in 0..3 {
            fail(&mut b, t0);
        }
        // 11 s later the three failures are out of the 10 s window: one more is not enough.
        assert_eq!(fail(&mut b, t0 + Duration::from_secs(11)), None);
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn half_open_probe_success_closes() {
        let t0 = Instant::now();
        let mut b = Breaker::new(t0);
        for _ in 0..4 {
            fail(&mut b, t0);
        }
        assert_eq!(b.state(), BreakerState::Open);
        let later = t0 + Duration::from_secs(5);
        let (a, t) = b.admit(&cfg(), later);
        assert_eq!(a, Admission::Probe);
        assert_eq!(t.map(|t| t.to), Some(BreakerState::HalfOpen));
        // Only one probe at a time.
        assert_eq!(b.admit(&cfg(), later).0, Admission::Rejected);
        let t = b.record(&cfg(), later, a, true);
        assert_eq!(t.map(|t| t.to), Some(BreakerState::Closed));
        assert_eq!(b.admit(&cfg(), later).0, Admission::Allowed);
        // The window was cleared: a single failure does not reopen it.
        assert_eq!(fail(&mut b, later), None);
    }

    #[test]
    fn half_open_probe_failure_reopens_for_another_cooldown() {
        let t0 = Instant::now();
        let mut b = Breaker::new(t0);
        for _ in 0..4 {
            fail(&mut b, t0);
        }
        let later = t0 + Duration::from_secs(6);
        let (a, _) = b.admit(&cfg(), later);
        let t = b.record(&cfg(), later, a, false);
        assert_eq!(t.map(|t| t.to), Some(BreakerState::Open));
        assert_eq!(
            b.admit(&cfg(), later + Duration::from_secs(4)).0,
            Admission::Rejected
        );
        assert_eq!(
            b.admit(&cfg(), later + Duration::from_secs(5)).0,
            Admission::Probe
        );
    }

    #[test]
    fn a_lost_probe_is_replaced_after_a_cooldown() {
        let t0 = Instant::now();
        let mut b = Breaker::new(t0);
        for _ in 0..4 {
            fail(&mut b, t0);
        }
        let t1 = t0 + Duration::from_secs(5);
        assert_eq!(b.admit(&cfg(), t1).0, Admission::Probe);
        assert_eq!(
            b.admit(&cfg(), t1 + Duration::from_secs(1)).0,
            Admission::Rejected
        );
        assert_eq!(
            b.admit(&cfg(), t1 + Duration::from_secs(5)).0,
            Admission::Probe
        );
    }

    #[test]
    fn late_outcomes_do_not_move_an_open_breaker() {
        let t0 = Instant::now();
        let mut b = Breaker::new(t0);
        for _ in 0..4 {
            fail(&mut b, t0);
        }
        assert_eq!(b.record(&cfg(), t0, Admission::Allowed, true), None);
        assert_eq!(b.state(), BreakerState::Open);
    }

    #[test]
    fn breakers_track_models_independently() {
        let t0 = Instant::now();
        let models = vec!["a".to_owned(), "b".to_owned()];
        let bs = Breakers::new(cfg(), &models, t0);
        for _ in 0..4 {
            let (a, _) = bs.admit("a", t0);
            bs.record("a", t0, a, false);
        }
        assert_eq!(bs.state("a"), Some(BreakerState::Open));
        assert_eq!(bs.state("b"), Some(BreakerState::Closed));
        assert_eq!(bs.admit("unknown", t0).0, Admission::Allowed);
    }
}
