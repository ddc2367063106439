//! GCRA as one atomic Redis script, on Redis's own clock, so every replica shares one state per
//! caller. The key is `<prefix>:ratelimit:<tier>:<caller>`; it expires when the caller's burst
//! has fully recovered, so idle callers cost nothing.

use super::{secs_ceil, TierLimit, Verdict};
use crate::redis::{Redis, RedisFailure};
use crate::routing::UserTier;
use std::sync::LazyLock;
use std::time::Duration;

/// KEYS[1]: the caller's key. ARGV[1]: the interval between requests (µs). ARGV[2]: the burst.
/// Returns {allowed (0|1), remaining, retry_after (µs), reset (µs until the burst is whole)}.
const SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - interval * burst
if now < allow_at then
  return {0, 0, allow_at - now, tat - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000))
return {1, math.floor((now - allow_at) / interval), 0, new_tat - now}
";

static GCRA: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(SCRIPT));

/// Runs the script for `key` at `tier`.
pub async fn check(
    redis: &Redis,
    tier: UserTier,
    key: &str,
    limit: TierLimit,
) -> Result<Verdict, RedisFailure> {
    let rkey = redis.key("ratelimit", &format!("{}:{key}", tier.as_str()));
    let interval_us = u64::try_from(limit.interval().as_micros())
        .unwrap_or(u64::MAX)
        .max(1);
    let burst = limit.burst.get();
    let (allowed, remaining, retry_us, reset_us): (i64, i64, i64, i64) = redis
        .run("rate_limit", |mut c| async move {
            GCRA.key(rkey)
                .arg(interval_us)
                .arg(burst)
                .invoke_async(&mut c)
                .await
        })
        .await?;
    let us = |v: i64| Duration::from_micros(u64::try_from(v).unwrap_or(0));
    Ok(Verdict {
        allowed: allowed == 1,
        limit: limit.per_minute.get(),
        remaining: u32::try_from(remaining).unwrap_or(0),
        reset_secs: secs_ceil(us(reset_us)),
        retry_after_secs: if allowed == 1 {
            0
        } else {
            secs_ceil(us(retry_us)).max(1)
        },
    })
}
