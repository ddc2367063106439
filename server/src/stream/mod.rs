//! Streams: every answer's events as a recorded, subscribable sequence.
//!
//! - [`log::EventLog`]: one answer's events (ids 1, 2, 3, …), appended by the pipeline's task and
//!   read by any number of consumers (an SSE connection, a resumed SSE connection, a JSON endpoint
//!   waiting for the end) without ever blocking the producer.
//! - [`registry::StreamRegistry`]: the streams kept for resume (`GET /api/agent/stream/{id}`),
//!   the cap on concurrent streams, retention after the end and the memory bounds.
//! - [`sse`]: events → `text/event-stream` bytes, with keep-alive comments.
//! - [`mirror`]: each stream's events in Redis too, and the resume of another replica's stream.
//!
//! Nothing here knows what a chart command is, which model answered or what HTTP is.

pub mod log;
pub mod mirror;
pub mod registry;
pub mod sse;

use serde::Deserialize;
use std::time::Duration;

pub use log::{EventLog, StoredEvent};
pub use registry::{StreamRegistry, TooManyStreams};

/// `[stream]` as written in the config file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawStreamConfig {
    keep_alive_ms: u64,
    retain_ms: u64,
    max_concurrent: usize,
    max_events: usize,
    max_bytes: usize,
    max_total_bytes: usize,
    upstream_idle_timeout_ms: u64,
}

impl Default for RawStreamConfig {
    fn default() -> Self {
        RawStreamConfig {
            keep_alive_ms: 15_000,
            retain_ms: 120_000,
            max_concurrent: 2_048,
            max_events: 10_000,
            max_bytes: 1024 * 1024,
            max_total_bytes: 256 * 1024 * 1024,
            upstream_idle_timeout_ms: 20_000,
        }
    }
}

/// The validated `[stream]` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamConfig {
    /// A `: keep-alive` comment goes out when nothing was written for this long.
    pub keep_alive: Duration,
    /// How long a finished stream stays resumable.
    pub retain: Duration,
    /// Streams running at once (over it: 503 `too_many_streams`).
    pub max_concurrent: usize,
    /// Events per stream; an answer that needs more ends with `error` `stream_limit`.
    pub max_events: usize,
    /// Bytes of serialized events per stream (same consequence).
    pub max_bytes: usize,
    /// Bytes kept for every stream together; the oldest finished streams are dropped first.
    pub max_total_bytes: usize,
    /// A model that sends nothing for this long ends the stream with `upstream_timeout`.
    pub upstream_idle_timeout: Duration,
}

impl TryFrom<RawStreamConfig> for StreamConfig {
    type Error = (&'static str, String);

    /// Validates each key; the error names it (`stream.<key>`).
    fn try_from(r: RawStreamConfig) -> Result<StreamConfig, Self::Error> {
        for (key, v) in [
            ("stream.keep_alive_ms", r.keep_alive_ms),
            (
                "stream.upstream_idle_timeout_ms",
                r.upstream_idle_timeout_ms,
            ),
        ] {
            if v == 0 {
                return Err((key, "must be greater than 0".to_owned()));
            }
        }
        for (key, v) in [
            ("stream.max_concurrent", r.max_concurrent),
            ("stream.max_events", r.max_events),
            ("stream.max_bytes", r.max_bytes),
            ("stream.max_total_bytes", r.max_total_bytes),
        ] {
            if v == 0 {
                return Err((key, "must be greater than 0".to_owned()));
            }
        }
        if r.max_total_bytes < r.max_bytes {
            return Err((
                "stream.max_total_bytes",
                format!(
                    "must be at least stream.max_bytes ({}), got {}",
                    r.max_bytes, r.max_total_bytes
                ),
            ));
        }
        Ok(StreamConfig {
            keep_alive: Duration::from_millis(r.keep_alive_ms),
            retain: Duration::from_millis(r.retain_ms),
            max_concurrent: r.max_concurrent,
            max_events: r.max_events,
            max_bytes: r.max_bytes,
            max_total_bytes: r.max_total_bytes,
            upstream_idle_timeout: Duration::from_millis(r.upstream_idle_timeout_ms),
        })
    }
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig::try_from(RawStreamConfig::default())
            .expect("the embedded stream defaults are valid (unit test)")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let c = StreamConfig::default();
        assert_eq!(c.keep_alive, Duration::from_secs(15));
        assert_eq!(c.retain, Duration::from_secs(120));
    }

    #[test]
    fn zero_and_inconsistent_bounds_name_their_key() {
        let e = StreamConfig::try_from(RawStreamConfig {
            max_events: 0,
            ..RawStreamConfig::default()
        })
        .unwrap_err();
        assert_eq!(e.0, "stream.max_events");
        let e = StreamConfig::try_from(RawStreamConfig {
            max_total_bytes: 10,
            ..RawStreamConfig::default()
        })
        .unwrap_err();
        assert_eq!(e.0, "stream.max_total_bytes");
    }
}
