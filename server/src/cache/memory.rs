//! The memory tier: `moka`, bounded in bytes (each entry weighed by its encoded size) with
//! per-entry expiry. Freshness is decided by the cache's clock on every read (so a test clock
//! moves it); moka's own expiry only reclaims the memory of stale entries.

use super::entry::Entry;
use super::metrics::CacheMetrics;
use crate::clock::Clock;
use moka::notification::RemovalCause;
use moka::sync::Cache;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One held entry and its weight.
#[derive(Debug)]
pub struct Held {
    pub entry: Entry,
    pub weight: u32,
}

struct Expire(Clock);

impl moka::Expiry<String, Arc<Held>> for Expire {
    fn expire_after_create(
        &self,
        _key: &String,
        value: &Arc<Held>,
        _created_at: Instant,
    ) -> Option<Duration> {
        let left = value.entry.expires_ms.saturating_sub(self.0.now_ms());
        Some(Duration::from_millis(u64::try_from(left).unwrap_or(0)))
    }
}

/// The memory tier.
pub struct Memory {
    cache: Cache<String, Arc<Held>>,
    clock: Clock,
}

impl Memory {
    pub fn new(max_bytes: u64, clock: Clock, metrics: CacheMetrics) -> Memory {
        let cache = Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|_k: &String, v: &Arc<Held>| v.weight)
            .expire_after(Expire(clock.clone()))
            .eviction_listener(move |_k, _v, cause| {
                let reason = match cause {
                    RemovalCause::Expired => "expired",
                    RemovalCause::Size => "size",
                    RemovalCause::Explicit => "explicit",
                    RemovalCause::Replaced => "replaced",
                };
                metrics
                    .evictions
                    .with_label_values(&["memory", reason])
                    .inc();
            })
            .build();
        Memory { cache, clock }
    }

    /// The fresh entry under `key`.
    pub fn get(&self, key: &str) -> Option<Arc<Held>> {
        let now = self.clock.now_ms();
        self.cache.get(key).filter(|h| h.entry.fresh(now))
    }

    /// Holds `entry` (its encoded size is its weight).
    pub fn put(&self, entry: Entry, size: usize) {
        let weight = u32::try_from(size + entry.key.len() + 64).unwrap_or(u32::MAX);
        let key = entry.key.clone();
        self.cache.insert(key, Arc::new(Held { entry, weight }));
    }

    pub fn remove(&self, key: &str) {
        self.cache.invalidate(key);
    }

    /// Removes every entry (of `intent` when given).
    pub fn purge(&self, intent: Option<&str>) {
        match intent {
            None => self.cache.invalidate_all(),
            Some(i) => {
                let keys: Vec<Arc<String>> = self
                    .cache
                    .iter()
                    .filter(|(_, h)| h.entry.intent == i)
                    .map(|(k, _)| k)
                    .collect();
                for k in keys {
                    self.cache.invalidate(k.as_str());
                }
            }
        }
        self.cache.run_pending_tasks();
    }

    /// (entries, bytes), after pending maintenance.
    pub fn size(&self) -> (u64, u64) {
        self.cache.run_pending_tasks();
        (self.cache.entry_count(), self.cache.weighted_size())
    }

    /// Up to `limit` entries (for the listing when SQLite is unavailable).
    pub fn list(&self, limit: usize) -> Vec<Arc<Held>> {
        self.cache.iter().take(limit).map(|(_, h)| h).collect()
    }
}
