//! The application state shared by every request: validated config, metrics registry, store and
//! ledger writer, the model provider, the circuit breakers and the in-flight counter.
//!
//! Built once at startup ([`AppState::new`]); cloning is an `Arc` bump. Tests use
//! [`AppState::builder`] to swap the request-understanding function (a seam for routing tests
//! that need a given intent), everything else is the real thing.

use crate::config::{Config, ProviderKind};
use crate::llm::offline::OfflineProvider;
use crate::llm::openai::{BuildError, OpenAiProvider};
use crate::llm::Provider;
use crate::metrics::Metrics;
use crate::routing::Breakers;
use crate::store::ledger::LedgerWriter;
use crate::store::{Store, StoreError};
use crate::stream::StreamRegistry;
use chartgate_core::Understanding;
use std::hash::{BuildHasher, Hasher};
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Turns a request's text into intent and commands (core's `understand` in production).
pub type Understander = fn(&str) -> Understanding;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("store {path}: {source}")]
    Store { path: String, source: StoreError },
    #[error(transparent)]
    Provider(#[from] BuildError),
}

/// Shared state; see the module docs.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The contents of [`AppState`].
pub struct Inner {
    pub config: Config,
    pub metrics: Metrics,
    pub store: Store,
    pub ledger: LedgerWriter,
    /// The provider of the model path (`offline` when no model is configured).
    pub provider: Arc<dyn Provider>,
    pub breakers: Breakers,
    /// Streams kept for resume, and the concurrent-stream cap.
    pub streams: StreamRegistry,
    /// The shared Redis tier, when `redis.url` is set.
    pub redis: Option<crate::redis::Redis>,
    /// Rate limits per caller (on Redis when configured).
    pub limits: crate::ratelimit::RateLimiter,
    /// Recent API-key lookups (`auth.key_cache_ttl_ms`).
    pub key_cache: crate::store::keys::KeyCache,
    /// The prompt/response cache (memory, SQLite, Redis).
    pub cache: crate::cache::Cache,
    /// Every answer's task; graceful shutdown waits for them (`drain`).
    pub tasks: tokio_util::task::TaskTracker,
    pub understand: Understander,
    /// Budgets: spent and reserved per window (`budget::book`).
    pub budget: crate::budget::book::Book,
    /// The budget alert queue (`alerts`).
    pub alerts: crate::alerts::Alerts,
    ids: IdGenerator,
    pub started: Instant,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// Builds an [`AppState`].
pub struct StateBuilder {
    config: Config,
    understand: Understander,
    clock: crate::clock::Clock,
}

impl StateBuilder {
    /// Replaces request understanding (tests only need this to force an intent).
    pub fn understander(mut self, f: Understander) -> StateBuilder {
        self.understand = f;
        self
    }

    /// Replaces the wall clock of what expires or resets by the calendar (cache entries, budget
    /// windows): tests move a manual clock instead of sleeping.
    pub fn clock(mut self, clock: crate::clock::Clock) -> StateBuilder {
        self.clock = clock;
        self
    }

    /// Opens the store (creating and migrating it), starts the ledger writer, builds the provider.
    pub async fn build(self) -> Result<AppState, StartupError> {
        let config = self.config;
        let path = config.store.path.clone();
        let store = tokio::task::spawn_blocking(move || Store::open(&path))
            .await
            .map_err(|e| StartupError::Store {
                path: config.store.path.display().to_string(),
                source: StoreError::Task(e.to_string()),
            })?
            .map_err(|source| StartupError::Store {
                path: config.store.path.display().to_string(),
                source,
            })?;
        let models = config.models.all_models();
        let metrics = Metrics::new(&config.models);
        let ledger = LedgerWriter::spawn(&store, metrics.clone(), config.store.ledger_queue)
            .map_err(|source| StartupError::Store {
                path: config.store.path.display().to_string(),
                source,
            })?;
        let provider: Arc<dyn Provider> = match config.llm.provider {
            ProviderKind::Offline => Arc::new(OfflineProvider),
            ProviderKind::OpenAi => Arc::new(OpenAiProvider::new(&config.llm)?),
        };
        let now = Instant::now();
        let breakers = Breakers::new(config.routing.breaker, &models, now);
        let streams = StreamRegistry::new(config.stream);
        let redis = crate::redis::Redis::new(&config.redis, metrics.clone());
        let limits = crate::ratelimit::RateLimiter::new(config.rate_limits, redis.clone());
        let config_key_ttl = config.auth.key_cache_ttl;
        let cache = {
            let (cfg, store_path, redis, registry, clock, prompt) = (
                config.cache.clone(),
                config.store.path.clone(),
                redis.clone(),
                metrics.registry().clone(),
                self.clock.clone(),
                config.llm.system_prompt.clone(),
            );
            tokio::task::spawn_blocking(move || {
                crate::cache::Cache::open(cfg, &store_path, redis, &registry, clock, &prompt)
            })
            .await
            .map_err(|e| StartupError::Store {
                path: "cache".into(),
                source: StoreError::Task(e.to_string()),
            })?
        };
        let alerts = crate::alerts::Alerts::start(&config.alerts, &store, metrics.money.clone());
        let budget = crate::budget::start(
            &config,
            &store,
            self.clock,
            metrics.money.clone(),
            alerts.clone(),
            redis.clone(),
        )
        .await
        .map_err(|source| StartupError::Store {
            path: config.store.path.display().to_string(),
            source,
        })?;
        let state = AppState(Arc::new(Inner {
            config,
            metrics,
            store,
            ledger,
            provider,
            breakers,
            streams,
            redis,
            limits,
            key_cache: crate::store::keys::KeyCache::new(10_000, config_key_ttl),
            cache,
            tasks: tokio_util::task::TaskTracker::new(),
            understand: self.understand,
            budget,
            alerts,
            ids: IdGenerator::new(),
            started: now,
        }));
        spawn_sweeper(&state);
        Ok(state)
    }
}

impl AppState {
    /// The production state for `config`.
    pub async fn new(config: Config) -> Result<AppState, StartupError> {
        AppState::builder(config).build().await
    }

    /// A builder starting from `config` and core's `understand`.
    pub fn builder(config: Config) -> StateBuilder {
        StateBuilder {
            config,
            understand: chartgate_core::understand,
            clock: crate::clock::Clock::System,
        }
    }

    /// Asks in progress (the `chartgate_asks_in_flight` gauge is the one count).
    pub fn asks_in_flight(&self) -> usize {
        usize::try_from(self.metrics.asks_in_flight.get()).unwrap_or(0)
    }

    /// Counts an ask as in flight until the guard drops.
    pub fn enter_ask(&self) -> InFlightGuard {
        self.metrics.asks_in_flight.inc();
        InFlightGuard(self.clone())
    }

    /// A new request id (`req_` + 24 hex digits: a per-process random prefix and a counter).
    pub fn next_request_id(&self) -> String {
        self.ids.next("req")
    }

    /// A new session id for callers that sent none.
    pub fn next_session_id(&self) -> String {
        self.ids.next("sess")
    }

    /// A new stream id: `str_` + 32 hex digits, 128 bits no other caller can guess (ids are the
    /// first check of a resume; the owner is the second).
    pub fn next_stream_id(&self) -> String {
        self.ids.unguessable("str")
    }

    /// The last step of a graceful shutdown, after the listener stopped accepting: waits for the
    /// answers in flight (their settlement writes ledger rows), then flushes the ledger, both
    /// within `deadline`. Answers still running at the deadline are cut; each is logged.
    pub async fn drain(&self, deadline: std::time::Duration) {
        let until = tokio::time::Instant::now() + deadline;
        self.tasks.close();
        if tokio::time::timeout_at(until, self.tasks.wait())
            .await
            .is_err()
        {
            tracing::error!(
                running = self.tasks.len(),
                "answers still running at the shutdown deadline"
            );
        }
        if tokio::time::timeout_at(until, self.cache.flush())
            .await
            .is_err()
        {
            tracing::error!("the cache did not flush within the shutdown deadline");
        }
        if tokio::time::timeout_at(until, self.ledger.flush())
            .await
            .is_err()
        {
            tracing::error!("the ledger did not flush within the shutdown deadline");
        }
    }
}

/// Sweeps expired streams about once a second (and idle rate-limit state once a minute), for as
/// long as the state lives.
fn spawn_sweeper(state: &AppState) {
    let weak = Arc::downgrade(&state.0);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut ticks: u64 = 0;
        loop {
            tick.tick().await;
            let Some(inner) = weak.upgrade() else { return };
            inner.streams.sweep(Instant::now());
            ticks += 1;
            if ticks % 60 == 0 {
                inner.limits.forget_idle();
            }
            inner.budget.refresh();
            let (held, bytes) = inner.streams.held();
            inner
                .metrics
                .sse_streams_held
                .set(i64::try_from(held).unwrap_or(i64::MAX));
            inner
                .metrics
                .sse_held_bytes
                .set(i64::try_from(bytes).unwrap_or(i64::MAX));
        }
    });
}

/// Decrements the in-flight count on drop (also when a client disconnects mid-request).
pub struct InFlightGuard(AppState);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.metrics.asks_in_flight.dec();
    }
}

/// Unique, unguessable-enough ids without a UUID dependency: a random per-process prefix (from
/// the standard library's randomly keyed hasher) followed by a counter.
struct IdGenerator {
    prefix: u64,
    counter: AtomicU64,
}

impl IdGenerator {
    fn new() -> IdGenerator {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        h.write_u32(std::process::id());
        IdGenerator {
            prefix: h.finish(),
            counter: AtomicU64::new(0),
        }
    }

    /// `kind_` + 32 hex digits from the standard library's randomly keyed hasher (SipHash with
    /// a fresh random key per call), mixed with the counter.
    fn unguessable(&self, kind: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let half = |salt: u64| {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(self.prefix ^ salt);
            h.write_u64(n);
            h.finish()
        };
        format!("{kind}_{:016x}{:016x}", half(1), half(2))
    }

    fn next(&self, kind: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!(
            "{kind}_{:012x}{:012x}",
            self.prefix >> 16,
            n & 0xffff_ffff_ffff
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_prefixed() {
        let g = IdGenerator::new();
        let a = g.next("req");
        let b = g.next("req");
        assert_ne!(a, b);
        assert!(a.starts_with("req_") && a.len() == 28, "{a}");
    }
}
