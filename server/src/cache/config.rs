//! `[cache]`: the tiers' bounds and timeouts, and the policy per intent (expiry, key kind).
//!
//! Owned by the cache module; `config.rs` holds only the field. Every key is validated here and
//! a bad value names its key (`cache.intents.price_only.ttl_seconds`, …).

use chartgate_core::Intent;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// What an intent's key is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// The normalized text of the question (plus history, chart context, model, versions).
    Text,
    /// Core's canonical understanding (intent and canonical commands, so the symbol) instead of
    /// the text: "what's TSLA at?" and "tesla price?" share one entry.
    Understanding,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Text => "text",
            KeyKind::Understanding => "understanding",
        }
    }
}

/// One intent's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntentPolicy {
    /// How long an answer stays; zero: never cached.
    pub ttl: Duration,
    pub key: KeyKind,
}

/// `[cache.intents.<intent>]` as written.
#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawIntentPolicy {
    ttl_seconds: Option<u64>,
    key: Option<String>,
}

/// `[cache]` as written in the config file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawCacheConfig {
    enabled: bool,
    /// Empty: `cache.sqlite3` beside the main store.
    path: String,
    memory_max_bytes: u64,
    sqlite_max_bytes: u64,
    sqlite_max_entries: u64,
    max_entry_bytes: u64,
    sqlite_timeout_ms: u64,
    redis_timeout_ms: u64,
    write_queue: usize,
    intents: BTreeMap<String, RawIntentPolicy>,
}

impl Default for RawCacheConfig {
    fn default() -> Self {
        RawCacheConfig {
            enabled: true,
            path: String::new(),
            memory_max_bytes: 64 << 20,
            sqlite_max_bytes: 512 << 20,
            sqlite_max_entries: 200_000,
            max_entry_bytes: 256 << 10,
            sqlite_timeout_ms: 50,
            redis_timeout_ms: 50,
            write_queue: 4096,
            intents: BTreeMap::new(),
        }
    }
}

/// The validated `[cache]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheConfig {
    pub enabled: bool,
    /// `None`: `cache.sqlite3` in the main store's directory.
    pub path: Option<PathBuf>,
    pub memory_max_bytes: u64,
    pub sqlite_max_bytes: u64,
    pub sqlite_max_entries: u64,
    /// Answers larger than this (serialized) are not cached.
    pub max_entry_bytes: u64,
    /// Bound on one SQLite lookup.
    pub sqlite_timeout: Duration,
    /// Bound on one Redis lookup.
    pub redis_timeout: Duration,
    /// Writes queued for the SQLite writer thread; a full queue drops the write (counted).
    pub write_queue: usize,
    /// Indexed by `Intent::ALL` order.
    pub intents: [IntentPolicy; 7],
}

/// The default policy of each intent: a price goes stale in seconds, an explanation lasts a day.
pub fn default_policy(intent: Intent) -> IntentPolicy {
    let (secs, key) = match intent {
        Intent::PriceOnly => (15, KeyKind::Understanding),
        Intent::ChartCommand => (3_600, KeyKind::Text),
        Intent::TechnicalAnalysis => (300, KeyKind::Text),
        Intent::NewsSummary => (300, KeyKind::Text),
        Intent::MarketOverview => (60, KeyKind::Text),
        Intent::Educational => (86_400, KeyKind::Text),
        Intent::GeneralQuery => (3_600, KeyKind::Text),
    };
    IntentPolicy {
        ttl: Duration::from_secs(secs),
        key,
    }
}

fn index(intent: Intent) -> usize {
    Intent::ALL.iter().position(|i| *i == intent).unwrap_or(0)
}

impl CacheConfig {
    /// The policy of `intent`.
    pub fn policy(&self, intent: Intent) -> IntentPolicy {
        self.intents[index(intent)]
    }
}

impl TryFrom<RawCacheConfig> for CacheConfig {
    type Error = (String, String);

    fn try_from(r: RawCacheConfig) -> Result<CacheConfig, Self::Error> {
        let bad = |k: &str, m: &str| Err((format!("cache.{k}"), m.to_owned()));
        for (k, v) in [
            ("memory_max_bytes", r.memory_max_bytes),
            ("sqlite_max_bytes", r.sqlite_max_bytes),
            ("sqlite_max_entries", r.sqlite_max_entries),
            ("max_entry_bytes", r.max_entry_bytes),
            ("sqlite_timeout_ms", r.sqlite_timeout_ms),
            ("redis_timeout_ms", r.redis_timeout_ms),
            ("write_queue", r.write_queue as u64),
        ] {
            if v == 0 {
                return bad(k, "must be greater than 0");
            }
        }
        if r.sqlite_timeout_ms > 10_000 || r.redis_timeout_ms > 10_000 {
            return bad(
                "sqlite_timeout_ms",
                "lookup timeouts are at most 10000 ms (a cache must never be slower than the model)",
            );
        }
        let mut intents: [IntentPolicy; 7] =
            std::array::from_fn(|i| default_policy(Intent::ALL[i]));
        for (name, p) in r.intents {
            let Some(intent) = Intent::ALL.iter().find(|i| i.as_str() == name) else {
                return bad(
                    &format!("intents.{name}"),
                    "unknown intent (chart_command, price_only, technical_analysis, news_summary, market_overview, educational, general_query)",
                );
            };
            let slot = &mut intents[index(*intent)];
            if let Some(s) = p.ttl_seconds {
                if s > 30 * 86_400 {
                    return bad(
                        &format!("intents.{name}.ttl_seconds"),
                        "at most 2592000 (30 days)",
                    );
                }
                slot.ttl = Duration::from_secs(s);
            }
            if let Some(k) = p.key {
                slot.key = match k.as_str() {
                    "text" => KeyKind::Text,
                    "understanding" => KeyKind::Understanding,
                    _ => {
                        return bad(
                            &format!("intents.{name}.key"),
                            "expected \"text\" or \"understanding\"",
                        )
                    }
                };
            }
        }
        let path = r.path.trim();
        Ok(CacheConfig {
            enabled: r.enabled,
            path: (!path.is_empty()).then(|| PathBuf::from(path)),
            memory_max_bytes: r.memory_max_bytes,
            sqlite_max_bytes: r.sqlite_max_bytes,
            sqlite_max_entries: r.sqlite_max_entries,
            max_entry_bytes: r.max_entry_bytes,
            sqlite_timeout: Duration::from_millis(r.sqlite_timeout_ms),
            redis_timeout: Duration::from_millis(r.redis_timeout_ms),
            write_queue: r.write_queue,
            intents,
        })
    }
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig::try_from(RawCacheConfig::default())
            .expect("the embedded cache defaults are valid (unit test)")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(toml_text: &str) -> Result<CacheConfig, (String, String)> {
        let raw: RawCacheConfig = toml::from_str(toml_text).unwrap();
        CacheConfig::try_from(raw)
    }

    #[test]
    fn defaults_key_price_by_understanding_and_explanations_last_a_day() {
        let c = CacheConfig::default();
        assert_eq!(c.policy(Intent::PriceOnly).key, KeyKind::Understanding);
        assert_eq!(c.policy(Intent::PriceOnly).ttl, Duration::from_secs(15));
        assert_eq!(
            c.policy(Intent::Educational).ttl,
            Duration::from_secs(86_400)
        );
        assert_eq!(c.policy(Intent::Educational).key, KeyKind::Text);
    }

    #[test]
    fn intents_are_configured_one_by_one_and_bad_values_name_their_key() {
        let c = parse("[intents.educational]\nttl_seconds = 0\nkey = \"understanding\"").unwrap();
        assert_eq!(c.policy(Intent::Educational).ttl, Duration::ZERO);
        assert_eq!(c.policy(Intent::Educational).key, KeyKind::Understanding);
        assert_eq!(
            c.policy(Intent::PriceOnly),
            default_policy(Intent::PriceOnly)
        );
        assert_eq!(
            parse("[intents.weather]\nttl_seconds = 1").unwrap_err().0,
            "cache.intents.weather"
        );
        assert_eq!(
            parse("[intents.price_only]\nkey = \"symbol\"")
                .unwrap_err()
                .0,
            "cache.intents.price_only.key"
        );
        assert_eq!(
            parse("memory_max_bytes = 0").unwrap_err().0,
            "cache.memory_max_bytes"
        );
        assert!(toml::from_str::<RawCacheConfig>("tll = 3").is_err());
    }
}
