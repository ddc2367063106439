//! Rate limits per caller: GCRA (the generic cell rate algorithm) with a sustained rate and a
//! burst per tier (`[rate_limits]`), keyed by [`Principal::id`](crate::pipeline::Principal): an
//! API key's user, or an anonymous client address.
//!
//! One replica uses `governor`'s keyed limiter in memory. With Redis configured, the same GCRA
//! runs as one atomic Lua script on Redis's clock ([`redis_gcra`]), so N replicas together admit
//! the configured rate, not N times it. A Redis that fails or is slow (bounded by
//! `redis.timeout_ms`, counted in `redis_operations_total{op="rate_limit"}`) degrades to the
//! in-memory limiter of the replica: limits stay enforced per replica, never dropped.

pub mod config;
mod redis_gcra;

pub use config::{RateLimitsConfig, RawRateLimits, TierLimit};

use crate::routing::UserTier;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter as Gcra};
use std::sync::Arc;
use std::time::Duration;

type Keyed = Gcra<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// What a rate-limit check decided, with what the `X-RateLimit-*` headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    /// Requests per minute of the caller's tier (`X-RateLimit-Limit`).
    pub limit: u32,
    /// Requests that could still be made at once (`X-RateLimit-Remaining`).
    pub remaining: u32,
    /// Seconds until the full burst is available again (`X-RateLimit-Reset`).
    pub reset_secs: u64,
    /// Seconds to wait before the next request can pass (`Retry-After` of a refusal).
    pub retry_after_secs: u64,
}

/// The limiters of every tier.
#[derive(Clone)]
pub struct RateLimiter(Arc<Inner>);

struct Inner {
    config: RateLimitsConfig,
    local: [Option<Keyed>; 3],
    redis: Option<crate::redis::Redis>,
}

fn index(tier: UserTier) -> usize {
    match tier {
        UserTier::Anonymous => 0,
        UserTier::Standard => 1,
        UserTier::Premium => 2,
    }
}

fn secs_ceil(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

impl RateLimiter {
    /// The limiters for `config`; with `redis`, checks run on Redis first.
    pub fn new(config: RateLimitsConfig, redis: Option<crate::redis::Redis>) -> RateLimiter {
        let local = UserTier::ALL.map(|t| {
            config.of(t).map(|l| {
                Gcra::keyed(Quota::per_minute(l.per_minute).allow_burst(l.burst))
                    .with_middleware::<StateInformationMiddleware>()
            })
        });
        RateLimiter(Arc::new(Inner {
            config,
            local,
            redis,
        }))
    }

    /// Checks one request of `key` at `tier`; `None` when the tier has no limit.
    pub async fn check(&self, tier: UserTier, key: &str) -> Option<Verdict> {
        let limit = self.0.config.of(tier)?;
        if let Some(redis) = &self.0.redis {
            if let Ok(v) = redis_gcra::check(redis, tier, key, limit).await {
                return Some(v);
            }
            // Redis failed (counted by the client): this replica's own limiter still applies.
        }
        self.check_local(tier, key, limit)
    }

    fn check_local(&self, tier: UserTier, key: &str, limit: TierLimit) -> Option<Verdict> {
        let limiter = self.0.local[index(tier)].as_ref()?;
        let interval = limit.interval();
        let key = key.to_owned();
        Some(match limiter.check_key(&key) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let used = limit.burst.get().saturating_sub(remaining);
                Verdict {
                    allowed: true,
                    limit: limit.per_minute.get(),
                    remaining,
                    reset_secs: secs_ceil(interval.saturating_mul(used)),
                    retry_after_secs: 0,
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Verdict {
                    allowed: false,
                    limit: limit.per_minute.get(),
                    remaining: 0,
                    reset_secs: secs_ceil(interval.saturating_mul(limit.burst.get())),
                    retry_after_secs: secs_ceil(wait).max(1),
                }
            }
        })
    }

    /// Forgets callers whose limit has fully recovered (bounds the in-memory state by the
    /// callers seen within one burst's recovery time); the state calls it every minute.
    pub fn forget_idle(&self) {
        for limiter in self.0.local.iter().flatten() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// Callers with in-memory state (for tests and debugging).
    pub fn tracked(&self) -> usize {
        self.0.local.iter().flatten().map(|l| l.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::num::NonZeroU32;

    fn limiter(per_minute: u32, burst: u32) -> RateLimiter {
        let l = TierLimit {
            per_minute: NonZeroU32::new(per_minute).unwrap(),
            burst: NonZeroU32::new(burst).unwrap(),
        };
        RateLimiter::new(
            RateLimitsConfig {
                anonymous: Some(l),
                standard: None,
                premium: Some(l),
            },
            None,
        )
    }

    #[tokio::test]
    async fn a_burst_passes_then_the_next_is_refused_with_a_retry_after() {
        let r = limiter(60, 3);
        for left in [2, 1, 0] {
            let v = r.check(UserTier::Anonymous, "addr:10.0.0.1").await.unwrap();
            assert!(v.allowed);
            assert_eq!(v.remaining, left);
            assert_eq!(v.limit, 60);
        }
        let v = r.check(UserTier::Anonymous, "addr:10.0.0.1").await.unwrap();
        assert!(!v.allowed);
        assert_eq!(v.remaining, 0);
        assert_eq!(v.retry_after_secs, 1, "one interval is a second at 60/min");
        assert_eq!(v.reset_secs, 3);
        // Another caller, and the same id at another tier, have their own state.
        assert!(
            r.check(UserTier::Anonymous, "addr:10.0.0.2")
                .await
                .unwrap()
                .allowed
        );
        assert!(
            r.check(UserTier::Premium, "addr:10.0.0.1")
                .await
                .unwrap()
                .allowed
        );
        assert_eq!(
            r.check(UserTier::Standard, "x").await,
            None,
            "unlimited tier"
        );
        assert_eq!(r.tracked(), 3);
    }
}
