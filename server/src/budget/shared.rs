//! The shared budget book for several replicas: the same check-and-reserve as the in-process
//! book, as ONE Lua script on Redis (atomic on the server), so replicas sharing a Redis can never
//! together push a window past its limit.
//!
//! Per window: `<prefix>:budget:spent:<scope>:<window>:<start>` (nano-USD settled, `INCRBY`) and
//! `<prefix>:budget:held:<scope>:<window>:<start>` (a sorted set of reservations
//! `<id>:<nano-USD>` scored by their expiry). A reservation lives `budgets.reservation_ttl_secs`:
//! when its process dies before settling, the next reservation in that window drops it
//! (`ZREMRANGEBYSCORE … -inf now`), so a dead replica blocks a budget only that long. Keys expire
//! a day after their window ends.

use crate::redis::{Redis, RedisFailure};

/// Reserve: KEYS = (spent, held) per window; ARGV = now, expiry, id, amount, n, n limits (-1: no
/// limit), key TTL. Returns the 1-based windows that refused (empty: reserved everywhere).
const RESERVE: &str = r"
local now = tonumber(ARGV[1])
local amount = tonumber(ARGV[4])
local n = tonumber(ARGV[5])
local ttl = tonumber(ARGV[6 + n])
local blocking = {}
for i = 1, n do
  local held_key = KEYS[2 * i]
  redis.call('ZREMRANGEBYSCORE', held_key, '-inf', now)
  local limit = tonumber(ARGV[5 + i])
  if limit >= 0 then
    local spent = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
    local held = 0
    for _, m in ipairs(redis.call('ZRANGE', held_key, 0, -1)) do
      held = held + tonumber(string.match(m, ':(%d+)$'))
    end
    if spent + held + amount > limit then
      table.insert(blocking, i)
    end
  end
end
if #blocking > 0 then
  return blocking
end
for i = 1, n do
  redis.call('ZADD', KEYS[2 * i], ARGV[2], ARGV[3] .. ':' .. ARGV[4])
  redis.call('EXPIRE', KEYS[2 * i], ttl)
end
return blocking
";

/// Settle (or release, with cost 0): KEYS as above; ARGV = member, cost, key TTL. Returns the
/// spent total of each window after it.
const SETTLE: &str = r"
local out = {}
for i = 1, #KEYS / 2 do
  redis.call('ZREM', KEYS[2 * i], ARGV[1])
  local spent = redis.call('INCRBY', KEYS[2 * i - 1], ARGV[2])
  redis.call('EXPIRE', KEYS[2 * i - 1], ARGV[3])
  table.insert(out, spent)
end
return out
";

/// One window as the scripts see it.
#[derive(Clone, Debug)]
pub struct SharedWindow {
    /// `<scope>:<window>:<start>`.
    pub id: String,
    /// Nano-USD; `None`: no limit.
    pub limit: Option<i64>,
    /// Seconds the window's keys live (its end plus a day).
    pub ttl_secs: i64,
}

/// The Redis side of a book.
#[derive(Clone, Debug)]
pub struct SharedBook {
    redis: Redis,
    ttl_ms: i64,
}

impl SharedBook {
    /// The shared book on `redis`; reservations expire after `ttl`.
    pub fn new(redis: Redis, ttl: std::time::Duration) -> SharedBook {
        SharedBook {
            redis,
            ttl_ms: i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX),
        }
    }

    fn keys(&self, windows: &[SharedWindow]) -> Vec<String> {
        windows
            .iter()
            .flat_map(|w| {
                [
                    self.redis.key("budget:spent", &w.id),
                    self.redis.key("budget:held", &w.id),
                ]
            })
            .collect()
    }

    /// Reserves `amount` nano-USD as `member` in every window, or in none: `Ok(vec![])` when
    /// reserved, else the indexes (0-based) of the windows that refused.
    pub async fn reserve(
        &self,
        windows: &[SharedWindow],
        member: &str,
        amount: i64,
        now_ms: i64,
    ) -> Result<Vec<usize>, RedisFailure> {
        let keys = self.keys(windows);
        let ttl = windows.iter().map(|w| w.ttl_secs).max().unwrap_or(86_400);
        // EVAL with the script's text: atomic on the server (no `script` feature needed).
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(RESERVE).arg(keys.len()).arg(&keys);
        cmd.arg(now_ms)
            .arg(now_ms + self.ttl_ms)
            .arg(member)
            .arg(amount)
            .arg(windows.len());
        for w in windows {
            cmd.arg(w.limit.unwrap_or(-1));
        }
        cmd.arg(ttl);
        let blocking: Vec<usize> = self
            .redis
            .run("budget_reserve", |mut c| async move {
                cmd.query_async(&mut c).await
            })
            .await?;
        Ok(blocking.into_iter().map(|i| i.saturating_sub(1)).collect())
    }

    /// Settles `member` (reserved `amount`) at `cost` nano-USD; returns each window's spend after.
    pub async fn settle(
        &self,
        windows: &[SharedWindow],
        member: &str,
        amount: i64,
        cost: i64,
    ) -> Result<Vec<i64>, RedisFailure> {
        let keys = self.keys(windows);
        let ttl = windows.iter().map(|w| w.ttl_secs).max().unwrap_or(86_400);
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(SETTLE).arg(keys.len()).arg(&keys);
        cmd.arg(format!("{member}:{amount}")).arg(cost).arg(ttl);
        self.redis
            .run("budget_settle", |mut c| async move {
                cmd.query_async(&mut c).await
            })
            .await
    }
}
