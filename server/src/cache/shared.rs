//! The Redis tier, shared by every replica (`redis.url`): what one stores is a hit on another.
//!
//! Keys are `<redis.key_prefix>:cache:<intent>:<key>` (the intent in the key lets an intent be
//! purged by a pattern); values are the entry's JSON, written with `SET … PX <ms left>` so Redis
//! expires them itself. Lookups are bounded by `cache.redis_timeout_ms` on top of the client's
//! own bound; every failure is counted (`prompt_cache_errors_total{tier="redis"}` and
//! `redis_operations_total{op="cache_*"}`) and is a miss, never a failed request.

use super::entry::Entry;
use super::metrics::CacheMetrics;
use crate::redis::Redis;
use std::time::Duration;

/// Keys scanned per `SCAN` round when purging.
const SCAN_COUNT: usize = 500;

/// The Redis tier.
pub struct Shared {
    redis: Redis,
    timeout: Duration,
    metrics: CacheMetrics,
}

impl Shared {
    pub fn new(redis: Redis, timeout: Duration, metrics: CacheMetrics) -> Shared {
        Shared {
            redis,
            timeout,
            metrics,
        }
    }

    fn error(&self) {
        self.metrics.errors.with_label_values(&["redis"]).inc();
    }

    fn key(&self, intent: &str, key: &str) -> String {
        self.redis.key("cache", &format!("{intent}:{key}"))
    }

    /// The entry under `key`: `Ok(None)` a miss, `Err` the tier failed or was too slow.
    pub async fn get(&self, intent: &str, key: &str) -> Result<Option<Entry>, ()> {
        let k = self.key(intent, key);
        let read = self.redis.run("cache_get", |mut c| async move {
            redis::cmd("GET")
                .arg(&k)
                .query_async::<Option<Vec<u8>>>(&mut c)
                .await
        });
        match tokio::time::timeout(self.timeout, read).await {
            Ok(Ok(None)) => Ok(None),
            Ok(Ok(Some(b))) => match Entry::decode(&b) {
                Some(e) => Ok(Some(e)),
                None => {
                    self.error();
                    Ok(None)
                }
            },
            Ok(Err(_)) | Err(_) => {
                self.error();
                Err(())
            }
        }
    }

    /// Stores `entry` for its remaining life (`now_ms` by the cache's clock). Runs in its own
    /// task: a request never waits for it.
    pub fn put(&self, entry: &Entry, body: Vec<u8>, now_ms: i64) {
        let ms = entry.expires_ms.saturating_sub(now_ms);
        if ms <= 0 {
            return;
        }
        let k = self.key(&entry.intent, &entry.key);
        let redis = self.redis.clone();
        let metrics = self.metrics.clone();
        tokio::spawn(async move {
            let r = redis
                .run("cache_set", |mut c| async move {
                    redis::cmd("SET")
                        .arg(&k)
                        .arg(body)
                        .arg("PX")
                        .arg(ms)
                        .query_async::<()>(&mut c)
                        .await
                })
                .await;
            if r.is_err() {
                metrics.errors.with_label_values(&["redis"]).inc();
            }
        });
    }

    /// Deletes the keys matching `pattern` (a SCAN, bounded rounds); how many (`None`: failed).
    async fn delete_matching(&self, pattern: String) -> Option<u64> {
        let mut cursor: u64 = 0;
        let mut gone = 0;
        // At most 10,000 rounds (5 M keys): a purge never runs unbounded.
        for _ in 0..10_000 {
            let p = pattern.clone();
            let r = self
                .redis
                .run("cache_del", |mut c| async move {
                    let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                        .arg(cursor)
                        .arg("MATCH")
                        .arg(&p)
                        .arg("COUNT")
                        .arg(SCAN_COUNT)
                        .query_async(&mut c)
                        .await?;
                    let n: u64 = if keys.is_empty() {
                        0
                    } else {
                        redis::cmd("DEL").arg(&keys).query_async(&mut c).await?
                    };
                    Ok((next, n))
                })
                .await;
            match r {
                Ok((next, n)) => {
                    gone += n;
                    cursor = next;
                    if cursor == 0 {
                        self.metrics
                            .evictions
                            .with_label_values(&["redis", "explicit"])
                            .inc_by(gone);
                        return Some(gone);
                    }
                }
                Err(_) => {
                    self.error();
                    return None;
                }
            }
        }
        Some(gone)
    }

    /// Deletes `key` (whatever its intent).
    pub async fn delete(&self, key: &str) -> Option<u64> {
        self.delete_matching(self.key("*", key)).await
    }

    /// Deletes every entry (of `intent`).
    pub async fn purge(&self, intent: Option<&str>) -> Option<u64> {
        self.delete_matching(self.key(intent.unwrap_or("*"), "*"))
            .await
    }
}
