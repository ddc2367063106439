//! Streams across replicas through Redis: [`spawn_mirror`] appends each event of a local stream
//! to a Redis stream (`XADD <prefix>:stream:<id> MAXLEN ~ stream.max_events 0-<event id> t <type>
//! d <json>`, refreshed to expire `stream.retain` after its last write, and the owner under
//! `<prefix>:stream-owner:<id>`); [`open_remote`] rebuilds, on another replica, a local log from
//! those entries and keeps polling for new ones until the terminal event, so a client whose
//! reconnection lands elsewhere resumes there.
//!
//! The mirror runs beside the answer and never slows it: it reads the log like any consumer. A
//! failed write stops mirroring that stream (counted and logged); the local stream is unharmed.

use super::log::{EventLog, TerminalGuard};
use crate::pipeline::event::{Event, Relayed};
use crate::redis::{Redis, RedisFailure};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The event types a Redis entry may carry.
fn kind_of(t: &str) -> Option<&'static str> {
    Event::TYPES.into_iter().find(|k| *k == t)
}

/// Mirrors `log` into Redis until its terminal event is written (or a write fails).
pub fn spawn_mirror(redis: Redis, log: Arc<EventLog>, retain: Duration, max_events: usize) {
    tokio::spawn(async move {
        let key = redis.key("stream", &log.stream_id);
        let owner_key = redis.key("stream-owner", &log.stream_id);
        let ttl_ms = u64::try_from(retain.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut rx = log.subscribe();
        let mut cursor = 0u64;
        let mut first = true;
        loop {
            rx.borrow_and_update();
            let events = log.events_after(cursor);
            if events.is_empty() {
                if rx.changed().await.is_err() {
                    return;
                }
                continue;
            }
            let mut pipe = redis::pipe();
            if first {
                pipe.cmd("SET")
                    .arg(&owner_key)
                    .arg(&log.owner)
                    .arg("PX")
                    .arg(ttl_ms)
                    .ignore();
                first = false;
            }
            let mut ended = false;
            for e in &events {
                pipe.cmd("XADD")
                    .arg(&key)
                    .arg("MAXLEN")
                    .arg("~")
                    .arg(max_events)
                    .arg(format!("0-{}", e.id))
                    .arg("t")
                    .arg(e.event.type_name())
                    .arg("d")
                    .arg(e.event.to_json())
                    .ignore();
                cursor = e.id;
                ended |= e.is_terminal();
            }
            pipe.cmd("PEXPIRE").arg(&key).arg(ttl_ms).ignore();
            pipe.cmd("PEXPIRE").arg(&owner_key).arg(ttl_ms).ignore();
            let written = redis
                .run("stream_mirror", |mut c| async move {
                    pipe.query_async::<()>(&mut c).await
                })
                .await;
            if written.is_err() {
                tracing::warn!(stream_id = %log.stream_id, "stopped mirroring the stream to redis");
                return;
            }
            if ended {
                return;
            }
        }
    });
}

/// Entries of a Redis stream after `after`, as (id, type, data).
async fn read_after(
    redis: &Redis,
    key: &str,
    after: u64,
) -> Result<Vec<(u64, &'static str, String)>, RedisFailure> {
    let key = key.to_owned();
    let reply: redis::streams::StreamRangeReply = redis
        .run("stream_read", |mut c| async move {
            redis::cmd("XRANGE")
                .arg(&key)
                .arg(format!("(0-{after}"))
                .arg("+")
                .query_async(&mut c)
                .await
        })
        .await?;
    let mut out = Vec::with_capacity(reply.ids.len());
    for entry in reply.ids {
        let id = entry
            .id
            .strip_prefix("0-")
            .and_then(|n| n.parse::<u64>().ok());
        let t: Option<String> = entry.get("t");
        let d: Option<String> = entry.get("d");
        match (id, t.as_deref().and_then(kind_of), d) {
            (Some(id), Some(kind), Some(data)) => out.push((id, kind, data)),
            _ => tracing::warn!(entry = %entry.id, "skipping a malformed stream entry in redis"),
        }
    }
    Ok(out)
}

/// Rebuilds another replica's stream `stream_id` for `owner` from Redis: `Ok(None)` when Redis
/// has no such stream or it is someone else's. The returned log holds every event so far and is
/// fed new ones (polled every 50 ms) until the terminal event or `retain` passes.
pub async fn open_remote(
    redis: &Redis,
    stream_id: &str,
    owner: &str,
    retain: Duration,
) -> Result<Option<Arc<EventLog>>, RedisFailure> {
    let owner_key = redis.key("stream-owner", stream_id);
    let stored: Option<String> = redis
        .run("stream_read", |mut c| async move {
            redis::cmd("GET").arg(&owner_key).query_async(&mut c).await
        })
        .await?;
    if stored.as_deref() != Some(owner) {
        return Ok(None);
    }
    let key = redis.key("stream", stream_id);
    let log = Arc::new(EventLog::new(
        stream_id.to_owned(),
        owner.to_owned(),
        false,
        usize::MAX,
        usize::MAX,
    ));
    let mut cursor = append(&log, read_after(redis, &key, 0).await?);
    if log.ended_at().is_some() {
        return Ok(Some(log));
    }
    let (redis, feed) = (redis.clone(), Arc::clone(&log));
    tokio::spawn(async move {
        let _guard = TerminalGuard {
            log: Arc::clone(&feed),
            request_id: String::new(),
        };
        let until = Instant::now() + retain;
        while feed.ended_at().is_none() && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(50)).await;
            match read_after(&redis, &key, cursor).await {
                Ok(entries) => cursor = append(&feed, entries),
                Err(_) => return,
            }
        }
    });
    Ok(Some(log))
}

/// Appends relayed entries in id order (ids must continue the log's); returns the last id.
fn append(log: &EventLog, entries: Vec<(u64, &'static str, String)>) -> u64 {
    for (id, kind, data) in entries {
        if id != log.last_id() + 1 {
            tracing::warn!(stream_id = %log.stream_id, id, "gap in a relayed stream; stopping there");
            break;
        }
        let _ = log.push(Event::Relayed(Relayed { kind, data }));
    }
    log.last_id()
}
