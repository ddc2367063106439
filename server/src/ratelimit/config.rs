//! `[rate_limits]`: requests per minute and burst for each caller tier.

use crate::routing::UserTier;
use serde::Deserialize;
use std::num::NonZeroU32;

/// One tier's limit as written in the file.
#[derive(Deserialize, Clone, Copy, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RawTierLimit {
    per_minute: u32,
    burst: u32,
}

/// `[rate_limits]` as written in the file: `anonymous`, `standard`, `premium`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawRateLimits {
    anonymous: RawTierLimit,
    standard: RawTierLimit,
    premium: RawTierLimit,
}

impl Default for RawRateLimits {
    fn default() -> Self {
        let limit = |per_minute, burst| RawTierLimit { per_minute, burst };
        RawRateLimits {
            anonymous: limit(60, 20),
            standard: limit(600, 60),
            premium: limit(3000, 200),
        }
    }
}

/// A tier's limit: a sustained rate and the burst admitted at once (GCRA).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierLimit {
    pub per_minute: NonZeroU32,
    pub burst: NonZeroU32,
}

impl TierLimit {
    /// The time one request's worth of capacity takes to come back.
    pub fn interval(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(60_000_000_000 / u64::from(self.per_minute.get()))
    }
}

/// The validated `[rate_limits]`: `None` for a tier means no limit (`per_minute = 0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitsConfig {
    pub anonymous: Option<TierLimit>,
    pub standard: Option<TierLimit>,
    pub premium: Option<TierLimit>,
}

impl RateLimitsConfig {
    /// The limit of `tier`, if it has one.
    pub fn of(&self, tier: UserTier) -> Option<TierLimit> {
        match tier {
            UserTier::Anonymous => self.anonymous,
            UserTier::Standard => self.standard,
            UserTier::Premium => self.premium,
        }
    }

    /// No limit for any tier (tests and load runs that measure something else).
    pub fn unlimited() -> RateLimitsConfig {
        RateLimitsConfig {
            anonymous: None,
            standard: None,
            premium: None,
        }
    }
}

impl Default for RateLimitsConfig {
    fn default() -> Self {
        RateLimitsConfig::try_from(RawRateLimits::default())
            .expect("the embedded rate-limit defaults are valid (unit test)")
    }
}

fn tier(name: &'static str, r: RawTierLimit) -> Result<Option<TierLimit>, (String, String)> {
    let Some(per_minute) = NonZeroU32::new(r.per_minute) else {
        return Ok(None);
    };
    if r.per_minute > 6_000_000 {
        return Err((
            format!("rate_limits.{name}.per_minute"),
            "at most 6000000 (100,000 per second)".to_owned(),
        ));
    }
    // A burst of 0 means "the minute's worth": one request per interval, none saved up.
    let burst = NonZeroU32::new(r.burst).unwrap_or(NonZeroU32::MIN);
    if burst.get() > 100_000 {
        return Err((
            format!("rate_limits.{name}.burst"),
            "at most 100000".to_owned(),
        ));
    }
    Ok(Some(TierLimit { per_minute, burst }))
}

impl TryFrom<RawRateLimits> for RateLimitsConfig {
    type Error = (String, String);

    fn try_from(r: RawRateLimits) -> Result<RateLimitsConfig, Self::Error> {
        Ok(RateLimitsConfig {
            anonymous: tier("anonymous", r.anonymous)?,
            standard: tier("standard", r.standard)?,
            premium: tier("premium", r.premium)?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_limit_every_tier_and_zero_means_unlimited() {
        let d = RateLimitsConfig::default();
        assert_eq!(d.of(UserTier::Anonymous).unwrap().per_minute.get(), 60);
        assert_eq!(d.of(UserTier::Premium).unwrap().burst.get(), 200);
        let mut raw = RawRateLimits::default();
        raw.standard.per_minute = 0;
        assert_eq!(RateLimitsConfig::try_from(raw).unwrap().standard, None);
        let mut raw = RawRateLimits::default();
        raw.premium.per_minute = 6_000_001;
        assert_eq!(
            RateLimitsConfig::try_from(raw).unwrap_err().0,
            "rate_limits.premium.per_minute"
        );
        let l = d.of(UserTier::Anonymous).unwrap();
        assert_eq!(l.interval(), std::time::Duration::from_secs(1));
    }
}
