//! The shared Redis tier: one lazily connected, self-reconnecting client for every capability
//! that shares state across replicas (today: stream mirroring and cross-replica resume).
//!
//! Redis is optional (`redis.url`, env `CHARTGATE_REDIS__URL`). Every call is bounded by
//! `redis.timeout_ms` and counted in `redis_operations_total{op,outcome}`: a Redis that is down,
//! unreachable or slow degrades what needs it (a cross-replica resume answers 503) and never
//! slows or fails anything else. Keys are `<redis.key_prefix>:<kind>:<id>`, one prefix per
//! deployment. The URL may carry a password: it is a [`Secret`].

use crate::config::Secret;
use crate::metrics::Metrics;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde::Deserialize;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// `[redis]` as written in the config file (`url` only from the environment or the file).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawRedisConfig {
    url: Option<String>,
    key_prefix: String,
    timeout_ms: u64,
}

impl Default for RawRedisConfig {
    fn default() -> Self {
        RawRedisConfig {
            url: None,
            key_prefix: "chartgate".into(),
            timeout_ms: 250,
        }
    }
}

/// The validated `[redis]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct RedisConfig {
    /// `redis://[user:password@]host:port[/db]`; `None` runs without the shared tier.
    pub url: Option<Secret>,
    pub key_prefix: String,
    /// Bound on each operation (connect included).
    pub timeout: Duration,
}

impl TryFrom<RawRedisConfig> for RedisConfig {
    type Error = (&'static str, String);

    fn try_from(r: RawRedisConfig) -> Result<RedisConfig, Self::Error> {
        let url = r.url.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
        if let Some(u) = &url {
            if !(u.starts_with("redis://") || u.starts_with("unix://")) {
                return Err(("redis.url", "expected a redis:// or unix:// URL".to_owned()));
            }
            if redis::Client::open(u.as_str()).is_err() {
                return Err(("redis.url", "not a valid Redis URL".to_owned()));
            }
        }
        let prefix = r.key_prefix.trim();
        if prefix.is_empty()
            || prefix.len() > 64
            || !prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err((
                "redis.key_prefix",
                "1-64 characters of A-Z a-z 0-9 - _ .".to_owned(),
            ));
        }
        if r.timeout_ms == 0 {
            return Err(("redis.timeout_ms", "must be greater than 0".to_owned()));
        }
        Ok(RedisConfig {
            url: url.map(Secret::new),
            key_prefix: prefix.to_owned(),
            timeout: Duration::from_millis(r.timeout_ms),
        })
    }
}

impl Default for RedisConfig {
    fn default() -> Self {
        RedisConfig::try_from(RawRedisConfig::default())
            .expect("the embedded redis defaults are valid (unit test)")
    }
}

/// Why a Redis operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum RedisFailure {
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
}

/// The shared client. Cloning is cheap.
#[derive(Clone)]
pub struct Redis(Arc<Inner>);

struct Inner {
    client: redis::Client,
    conn: tokio::sync::Mutex<Option<ConnectionManager>>,
    prefix: String,
    timeout: Duration,
    metrics: Metrics,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("prefix", &self.0.prefix)
            .finish_non_exhaustive()
    }
}

impl Redis {
    /// The client for `cfg`, or `None` when no URL is configured. Does not connect yet.
    pub fn new(cfg: &RedisConfig, metrics: Metrics) -> Option<Redis> {
        let url = cfg.url.as_ref()?;
        let client = redis::Client::open(url.expose()).ok()?;
        Some(Redis(Arc::new(Inner {
            client,
            conn: tokio::sync::Mutex::new(None),
            prefix: cfg.key_prefix.clone(),
            timeout: cfg.timeout,
            metrics,
        })))
    }

    /// `<prefix>:<kind>:<id>`.
    pub fn key(&self, kind: &str, id: &str) -> String {
        format!("{}:{kind}:{id}", self.0.prefix)
    }

    /// The connection, connecting on first use (and again after a failed connect).
    async fn connection(&self) -> Result<ConnectionManager, RedisFailure> {
        let mut slot = self.0.conn.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.0.timeout))
            .set_response_timeout(Some(self.0.timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let c = ConnectionManager::new_with_config(self.0.client.clone(), config).await?;
        *slot = Some(c.clone());
        Ok(c)
    }

    /// Runs `f` on the connection within the timeout, counting the outcome under `op`.
    pub async fn run<T, F, Fut>(&self, op: &'static str, f: F) -> Result<T, RedisFailure>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let timeout = self.0.timeout;
        let result = tokio::time::timeout(timeout, async {
            let conn = self.connection().await?;
            f(conn).await.map_err(RedisFailure::from)
        })
        .await
        .unwrap_or(Err(RedisFailure::Timeout(timeout)));
        let outcome = if result.is_ok() { "ok" } else { "error" };
        self.0
            .metrics
            .redis_operations
            .with_label_values(&[op, outcome])
            .inc();
        if let Err(e) = &result {
            tracing::warn!(op, error = %e, "redis operation failed");
        }
        result
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn config_checks_name_their_key() {
        let bad = |r: RawRedisConfig| RedisConfig::try_from(r).unwrap_err().0;
        assert_eq!(
            bad(RawRedisConfig {
                url: Some("http://x".into()),
                ..RawRedisConfig::default()
            }),
            "redis.url"
        );
        assert_eq!(
            bad(RawRedisConfig {
                key_prefix: "a b".into(),
                ..RawRedisConfig::default()
            }),
            "redis.key_prefix"
        );
        let ok = RedisConfig::try_from(RawRedisConfig {
            url: Some("redis://:hunter2@127.0.0.1:6399/0".into()),
            ..RawRedisConfig::default()
        })
        .unwrap();
        assert!(
            !format!("{ok:?}").contains("hunter2"),
            "the URL is a secret"
        );
        assert_eq!(RedisConfig::default().url, None);
    }

    #[tokio::test]
    async fn an_unreachable_redis_fails_within_the_timeout_and_is_counted() {
        // Port 9 on loopback: nothing listens there (discard service is not run here).
        let cfg = RedisConfig::try_from(RawRedisConfig {
            url: Some("redis://127.0.0.1:9".into()),
            timeout_ms: 200,
            ..RawRedisConfig::default()
        })
        .unwrap();
        let metrics = Metrics::new(&crate::config::Config::defaults().models);
        let r = Redis::new(&cfg, metrics.clone()).unwrap();
        let t = std::time::Instant::now();
        let e = r
            .run("ping", |mut c| async move {
                redis::cmd("PING").query_async::<String>(&mut c).await
            })
            .await;
        assert!(e.is_err());
        assert!(t.elapsed() < Duration::from_secs(5), "bounded");
        assert!(metrics
            .render()
            .contains("redis_operations_total{op=\"ping\",outcome=\"error\"} 1"));
        assert_eq!(r.key("stream", "x"), "chartgate:stream:x");
    }
}
