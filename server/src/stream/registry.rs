//! The streams kept for resume: a map from stream id to its [`EventLog`], the cap on streams
//! running at once, retention after the end and the total memory bound.
//!
//! A sweep (called about once a second by a background task) drops finished streams older than
//! `stream.retain`, then the oldest finished ones while the total is over `stream.max_total_bytes`.
//! Running streams are never dropped: their number is capped and each is bounded by
//! `stream.max_bytes`.

use super::{EventLog, StreamConfig};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Refusal when `stream.max_concurrent` streams are running.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{running} streams are running, the most this server takes at once")]
pub struct TooManyStreams {
    pub running: usize,
}

/// See the module docs.
#[derive(Debug)]
pub struct StreamRegistry {
    cfg: StreamConfig,
    streams: Mutex<HashMap<String, Arc<EventLog>>>,
    running: Arc<AtomicUsize>,
}

/// Counts a stream as running until dropped (when its answer's task ends).
#[derive(Debug)]
pub struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl StreamRegistry {
    /// An empty registry.
    pub fn new(cfg: StreamConfig) -> StreamRegistry {
        StreamRegistry {
            cfg,
            streams: Mutex::new(HashMap::new()),
            running: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<EventLog>>> {
        self.streams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Opens a retained stream, or refuses when the cap is reached.
    pub fn open(
        &self,
        stream_id: String,
        owner: String,
    ) -> Result<(Arc<EventLog>, Running), TooManyStreams> {
        let before = self.running.fetch_add(1, Ordering::AcqRel);
        let running = Running(Arc::clone(&self.running));
        if before >= self.cfg.max_concurrent {
            return Err(TooManyStreams { running: before });
        }
        let log = Arc::new(EventLog::new(
            stream_id.clone(),
            owner,
            true,
            self.cfg.max_events,
            self.cfg.max_bytes,
        ));
        self.lock().insert(stream_id, Arc::clone(&log));
        Ok((log, running))
    }

    /// The stream `id`, if this replica still has it.
    pub fn get(&self, id: &str) -> Option<Arc<EventLog>> {
        self.lock().get(id).cloned()
    }

    /// Streams running now.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::Acquire)
    }

    /// Streams held (running and retained) and their bytes.
    pub fn held(&self) -> (usize, usize) {
        let g = self.lock();
        (g.len(), g.values().map(|l| l.bytes()).sum())
    }

    /// Drops expired streams, then the oldest finished ones while over the memory bound.
    /// Returns how many were dropped.
    pub fn sweep(&self, now: Instant) -> usize {
        let mut g = self.lock();
        let before = g.len();
        let retain = self.cfg.retain;
        g.retain(|_, log| match log.ended_at() {
            Some(t) => now.saturating_duration_since(t) < retain,
            None => true,
        });
        let mut total: usize = g.values().map(|l| l.bytes()).sum();
        if total > self.cfg.max_total_bytes {
            let mut finished: Vec<(Instant, String, usize)> = g
                .iter()
                .filter_map(|(id, l)| l.ended_at().map(|t| (t, id.clone(), l.bytes())))
                .collect();
            finished.sort();
            for (_, id, bytes) in finished {
                if total <= self.cfg.max_total_bytes {
                    break;
                }
                g.remove(&id);
                total -= bytes;
            }
        }
        before - g.len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::pipeline::event::Event;
    use std::time::Duration;

    fn cfg() -> StreamConfig {
        StreamConfig {
            max_concurrent: 2,
            retain: Duration::from_secs(10),
            max_total_bytes: 1 << 20,
            ..StreamConfig::default()
        }
    }

    #[test]
    fn the_cap_counts_running_streams_and_frees_on_drop() {
        let r = StreamRegistry::new(cfg());
        let a = r.open("a".into(), "o".into()).unwrap();
        let _b = r.open("b".into(), "o".into()).unwrap();
        assert_eq!(
            r.open("c".into(), "o".into()).unwrap_err(),
            TooManyStreams { running: 2 }
        );
        assert_eq!(r.running(), 2);
        drop(a);
        assert_eq!(r.running(), 1);
        assert!(r.open("c".into(), "o".into()).is_ok());
        assert!(r.get("a").is_some(), "a finished stream stays resumable");
    }

    #[test]
    fn sweep_drops_expired_streams_then_the_oldest_over_the_bound() {
        let r = StreamRegistry::new(cfg());
        let (a, _ra) = r.open("a".into(), "o".into()).unwrap();
        let (b, _rb) = r.open("b".into(), "o".into()).unwrap();
        a.push(Event::interrupted("r")).unwrap();
        let now = Instant::now();
        assert_eq!(r.sweep(now), 0);
        assert_eq!(r.sweep(now + Duration::from_secs(11)), 1);
        assert!(r.get("a").is_none());
        assert!(r.get("b").is_some(), "running streams are never dropped");

        let small = StreamRegistry::new(StreamConfig {
            max_total_bytes: 1,
            max_bytes: 1,
            ..cfg()
        });
        let (x, _rx) = small.open("x".into(), "o".into()).unwrap();
        x.push(Event::interrupted("r")).unwrap();
        assert_eq!(
            small.sweep(Instant::now()),
            1,
            "over the bound: finished streams go"
        );
        drop(b);
    }
}
