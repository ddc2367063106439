//! The prompt/response cache (spec §5, `docs/CACHE_TUNING.md`): memory (`moka`), then SQLite (its
//! own file, so a restart stays warm), then Redis (shared by replicas).
//!
//! A lookup walks the tiers in that order and fills the faster ones on a hit; a store writes
//! every tier, off the request path. Each slow tier has a bounded timeout and every failure is
//! counted and taken as a miss: the cache never fails a request and never adds more than its
//! timeouts. What is cached is the recorded event sequence of a fresh answer ([`entry::Entry`]);
//! the pipeline replays it through the same steps as a fresh one. Concurrent identical misses
//! share one upstream call ([`singleflight`]).

pub mod config;
pub mod entry;
pub mod key;
pub mod memory;
pub mod metrics;
pub mod shared;
pub mod singleflight;
pub mod sqlite;

use crate::clock::Clock;
use config::CacheConfig;
use entry::Entry;
use memory::Memory;
use metrics::CacheMetrics;
use serde::Serialize;
use shared::Shared;
use singleflight::Flights;
use sqlite::{Bounds, Sqlite};
use std::path::Path;
use std::time::Instant;

/// Where an answer came from, as `X-Cache` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    HitMemory,
    HitSqlite,
    HitRedis,
    Miss,
    /// Not looked up (`Cache-Control: no-cache` / `no-store`, an intent never cached, a path
    /// without a model, the cache disabled).
    Bypass,
}

impl CacheStatus {
    pub fn header(self) -> &'static str {
        match self {
            CacheStatus::HitMemory => "HIT-memory",
            CacheStatus::HitSqlite => "HIT-sqlite",
            CacheStatus::HitRedis => "HIT-redis",
            CacheStatus::Miss => "MISS",
            CacheStatus::Bypass => "BYPASS",
        }
    }

    pub fn is_hit(self) -> bool {
        matches!(
            self,
            CacheStatus::HitMemory | CacheStatus::HitSqlite | CacheStatus::HitRedis
        )
    }
}

/// What the caller allows (`Cache-Control` request directives).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheControl {
    /// `no-cache`: do not answer from the cache (the fresh answer is still stored).
    pub no_lookup: bool,
    /// `no-store`: neither look up nor store.
    pub no_store: bool,
}

impl CacheControl {
    /// From the `Cache-Control` header values (directives are case-insensitive; unknown ones are
    /// ignored, as HTTP says).
    pub fn parse<'a>(values: impl IntoIterator<Item = &'a str>) -> CacheControl {
        let mut c = CacheControl::default();
        for v in values {
            for d in v.split(',') {
                let d = d.trim();
                let name = d.split('=').next().unwrap_or("").trim();
                if name.eq_ignore_ascii_case("no-store") {
                    c.no_store = true;
                    c.no_lookup = true;
                } else if name.eq_ignore_ascii_case("no-cache") {
                    c.no_lookup = true;
                }
            }
        }
        c
    }
}

/// The cache: its tiers, flights and metrics.
pub struct Cache {
    pub config: CacheConfig,
    memory: Memory,
    sqlite: Option<Sqlite>,
    shared: Option<Shared>,
    pub flights: Flights,
    pub metrics: CacheMetrics,
    pub clock: Clock,
    /// `llm.system_prompt`'s version (part of every key).
    pub prompt_version: String,
    /// The chart-command tool schema's version (part of every key).
    pub schema_version: String,
}

/// The per-tier figures of the stats endpoint.
#[derive(Debug, Serialize)]
pub struct TierStats {
    pub tier: &'static str,
    pub available: bool,
    pub entries: Option<u64>,
    pub bytes: Option<u64>,
    pub hits: u64,
    pub misses: u64,
    pub errors: u64,
    pub hit_ratio: Option<f64>,
    pub evictions: std::collections::BTreeMap<&'static str, u64>,
}

fn ratio(hits: u64, misses: u64) -> Option<f64> {
    let n = hits + misses;
    (n > 0).then(|| hits as f64 / n as f64)
}

impl Cache {
    /// Builds the tiers. Blocking (opens the SQLite file). A tier that cannot start is left out,
    /// logged and counted; the cache still runs on the others.
    pub fn open(
        config: CacheConfig,
        store_path: &Path,
        redis: Option<crate::redis::Redis>,
        registry: &prometheus::Registry,
        clock: Clock,
        system_prompt: &str,
    ) -> Cache {
        let metrics = CacheMetrics::new(registry);
        let memory = Memory::new(config.memory_max_bytes, clock.clone(), metrics.clone());
        let sqlite = if config.enabled {
            let path = config
                .path
                .clone()
                .unwrap_or_else(|| store_path.with_file_name("cache.sqlite3"));
            match Sqlite::open(
                &path,
                Bounds {
                    max_entries: config.sqlite_max_entries,
                    max_bytes: config.sqlite_max_bytes,
                },
                config.write_queue,
                config.sqlite_timeout,
                metrics.clone(),
                clock.clone(),
            ) {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::error!(path = %path.display(), error = %e, "cache sqlite tier unavailable; running without it");
                    metrics.errors.with_label_values(&["sqlite"]).inc();
                    None
                }
            }
        } else {
            None
        };
        let shared = redis
            .filter(|_| config.enabled)
            .map(|r| Shared::new(r, config.redis_timeout, metrics.clone()));
        let schema =
            serde_json::to_string(&chartgate_core::chart_command_schema()).unwrap_or_default();
        Cache {
            memory,
            sqlite,
            shared,
            flights: Flights::default(),
            metrics,
            clock,
            prompt_version: key::version_of(system_prompt),
            schema_version: key::version_of(&schema),
            config,
        }
    }

    fn observe(&self, tier: &str, outcome: &str, t: Instant) {
        let m = &self.metrics;
        m.requests.with_label_values(&[tier, outcome]).inc();
        m.lookup
            .with_label_values(&[tier])
            .observe(t.elapsed().as_secs_f64());
    }

    /// The memory tier alone (synchronous).
    pub fn lookup_memory(&self, key: &str) -> Option<Entry> {
        let t = Instant::now();
        let hit = self.memory.get(key);
        self.observe("memory", if hit.is_some() { "hit" } else { "miss" }, t);
        hit.map(|h| h.entry.clone())
    }

    /// The memory tier without counting a lookup (the single-flight leader's re-check).
    pub fn peek_memory(&self, key: &str) -> Option<Entry> {
        self.memory.get(key).map(|h| h.entry.clone())
    }

    /// Walks the tiers for `key`, filling the faster ones on a hit.
    pub async fn lookup(&self, intent: &str, key: &str) -> Option<(Entry, CacheStatus)> {
        if let Some(e) = self.lookup_memory(key) {
            self.touch(key);
            return Some((e, CacheStatus::HitMemory));
        }
        if let Some(s) = &self.sqlite {
            let t = Instant::now();
            match s.get(key).await {
                Ok(Some(e)) => {
                    self.observe("sqlite", "hit", t);
                    s.touch(key);
                    self.promote(&e, false);
                    return Some((e, CacheStatus::HitSqlite));
                }
                Ok(None) => self.observe("sqlite", "miss", t),
                Err(()) => self.observe("sqlite", "error", t),
            }
        }
        if let Some(r) = &self.shared {
            let t = Instant::now();
            match r.get(intent, key).await {
                Ok(Some(e)) if e.fresh(self.clock.now_ms()) => {
                    self.observe("redis", "hit", t);
                    self.promote(&e, true);
                    return Some((e, CacheStatus::HitRedis));
                }
                Ok(_) => self.observe("redis", "miss", t),
                Err(()) => self.observe("redis", "error", t),
            }
        }
        None
    }

    fn touch(&self, key: &str) {
        if let Some(s) = &self.sqlite {
            s.touch(key);
        }
    }

    /// Fills the faster tiers with an entry found in a slower one.
    fn promote(&self, e: &Entry, into_sqlite: bool) {
        let body = e.encode();
        if into_sqlite {
            if let Some(s) = &self.sqlite {
                s.put(e.clone(), body.clone());
            }
        }
        self.memory.put(e.clone(), body.len());
        self.set_memory_gauges();
    }

    fn set_memory_gauges(&self) {
        // moka's counts are eventually consistent; this is cheap enough per store.
        let (n, b) = self.memory.size();
        self.metrics
            .entries
            .with_label_values(&["memory"])
            .set(i64::try_from(n).unwrap_or(i64::MAX));
        self.metrics
            .bytes
            .with_label_values(&["memory"])
            .set(i64::try_from(b).unwrap_or(i64::MAX));
    }

    /// Stores `entry` in every tier (memory now, SQLite and Redis off the request path). An
    /// answer over `cache.max_entry_bytes` is not stored.
    pub fn store(&self, entry: Entry) {
        let body = entry.encode();
        if body.is_empty() || body.len() as u64 > self.config.max_entry_bytes {
            tracing::debug!(bytes = body.len(), "answer too large to cache");
            return;
        }
        if let Some(r) = &self.shared {
            r.put(&entry, body.clone(), self.clock.now_ms());
        }
        if let Some(s) = &self.sqlite {
            s.put(entry.clone(), body.clone());
        }
        self.memory.put(entry, body.len());
        self.set_memory_gauges();
    }

    /// Deletes `key` from every tier; whether any tier had it (`Err`: a tier failed).
    pub async fn delete(&self, key: &str) -> Result<bool, &'static str> {
        let had_memory = self.memory.get(key).is_some();
        self.memory.remove(key);
        self.set_memory_gauges();
        let mut found = had_memory;
        if let Some(s) = &self.sqlite {
            found |= s.delete(key).await.ok_or("sqlite")?;
        }
        if let Some(r) = &self.shared {
            found |= r.delete(key).await.ok_or("redis")? > 0;
        }
        Ok(found)
    }

    /// Purges every tier (of `intent`); entries removed from SQLite and Redis.
    pub async fn purge(&self, intent: Option<&str>) -> Result<(u64, u64), &'static str> {
        self.memory.purge(intent);
        self.set_memory_gauges();
        let sqlite = match &self.sqlite {
            Some(s) => s.purge(intent).await.ok_or("sqlite")?,
            None => 0,
        };
        let redis = match &self.shared {
            Some(r) => r.purge(intent).await.ok_or("redis")?,
            None => 0,
        };
        Ok((sqlite, redis))
    }

    /// Waits until queued SQLite writes are committed (tests, shutdown).
    pub async fn flush(&self) {
        if let Some(s) = &self.sqlite {
            s.flush().await;
        }
    }

    /// The listing (SQLite when it runs, else memory).
    pub async fn list(
        &self,
        limit: usize,
        cursor: Option<String>,
    ) -> Result<Vec<sqlite::Listed>, &'static str> {
        if let Some(s) = &self.sqlite {
            return s.list(limit, cursor).await.ok_or("sqlite");
        }
        let mut v: Vec<sqlite::Listed> = self
            .memory
            .list(usize::MAX)
            .into_iter()
            .map(|h| sqlite::Listed {
                key: h.entry.key.clone(),
                intent: h.entry.intent.clone(),
                model: h.entry.model.clone(),
                size: u64::from(h.weight),
                created_ms: h.entry.created_ms,
                expires_ms: h.entry.expires_ms,
                hits: 0,
            })
            .filter(|l| cursor.as_deref().is_none_or(|c| l.key.as_str() > c))
            .collect();
        v.sort_by(|a, b| a.key.cmp(&b.key));
        v.truncate(limit);
        Ok(v)
    }

    /// Per-tier figures.
    pub async fn stats(&self) -> Vec<TierStats> {
        let (mn, mb) = self.memory.size();
        let sqlite_size = match &self.sqlite {
            Some(s) => s.size().await,
            None => None,
        };
        let mut out = Vec::new();
        for tier in metrics::TIERS {
            let [hits, misses, errors] = self.metrics.counts(tier);
            let (available, entries, bytes) = match tier {
                "memory" => (true, Some(mn), Some(mb)),
                "sqlite" => (
                    self.sqlite.is_some(),
                    sqlite_size.map(|s| s.0),
                    sqlite_size.map(|s| s.1),
                ),
                _ => (self.shared.is_some(), None, None),
            };
            let evictions = metrics::EVICTION_REASONS
                .iter()
                .map(|r| {
                    (
                        *r,
                        self.metrics.evictions.with_label_values(&[tier, r]).get(),
                    )
                })
                .collect();
            out.push(TierStats {
                tier,
                available,
                entries,
                bytes,
                hits,
                misses,
                errors,
                hit_ratio: ratio(hits, misses),
                evictions,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_directives() {
        assert_eq!(CacheControl::parse([]), CacheControl::default());
        let c = CacheControl::parse(["max-age=0, No-Cache"]);
        assert!(c.no_lookup && !c.no_store);
        let c = CacheControl::parse(["private", "no-store"]);
        assert!(c.no_lookup && c.no_store);
        assert_eq!(CacheControl::parse(["no-cachex"]), CacheControl::default());
    }
}
