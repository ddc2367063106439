//! An [`EventLog`] as a `text/event-stream` body: every event after a cursor, then the live ones
//! as they come, with a `: keep-alive` comment at the start and whenever nothing was written for
//! the keep-alive interval. The body ends after the terminal event.
//!
//! The body is pulled by the connection: a client that does not read is not read for, and holds
//! nothing but its (bounded) log. Each connection is counted while open and, when it ends, by how
//! it ended (`done`, `error`, or `client_gone` when it was dropped before the terminal event).

use super::{EventLog, StoredEvent};
use crate::metrics::Metrics;
use bytes::Bytes;
use futures_core::Stream;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

/// The keep-alive comment.
pub const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";

/// Counts the connection in `sse_connections_active` and, on drop, in `sse_streams_total`.
struct Open {
    metrics: Metrics,
    outcome: &'static str,
}

impl Drop for Open {
    fn drop(&mut self) {
        self.metrics.sse_connections_active.dec();
        self.metrics
            .sse_streams
            .with_label_values(&[self.outcome])
            .inc();
    }
}

struct Reader {
    log: Arc<EventLog>,
    rx: tokio::sync::watch::Receiver<u64>,
    cursor: u64,
    queue: VecDeque<Bytes>,
    ended: bool,
    keep_alive: Duration,
    open: Open,
}

impl Reader {
    fn take(&mut self, events: Vec<Arc<StoredEvent>>) {
        for e in events {
            self.cursor = e.id;
            self.open
                .metrics
                .sse_events
                .with_label_values(&[e.event.type_name()])
                .inc();
            self.queue.push_back(e.frame().clone());
            if e.is_terminal() {
                self.ended = true;
                self.open.outcome = if e.event.is_error() { "error" } else { "done" };
            }
        }
    }

    async fn next(&mut self) -> Option<Bytes> {
        loop {
            if let Some(b) = self.queue.pop_front() {
                return Some(b);
            }
            if self.ended {
                return None;
            }
            // Mark the current id as seen before reading, so an event appended after the read
            // wakes `changed` below.
            self.rx.borrow_and_update();
            let events = self.log.events_after(self.cursor);
            if !events.is_empty() {
                self.take(events);
                continue;
            }
            if self.log.ended_at().is_some() {
                // The terminal event is at or before the cursor (a resume after the last id).
                self.ended = true;
                let last = self.log.events_after(self.cursor.saturating_sub(1));
                self.open.outcome = if last.first().is_some_and(|e| e.event.is_error()) {
                    "error"
                } else {
                    "done"
                };
                continue;
            }
            tokio::select! {
                changed = self.rx.changed() => {
                    if changed.is_err() {
                        // The log is gone (cannot happen while we hold it): end quietly.
                        self.ended = true;
                    }
                }
                () = tokio::time::sleep(self.keep_alive) => {
                    self.queue.push_back(Bytes::from_static(KEEP_ALIVE));
                }
            }
        }
    }
}

/// The body: events of `log` after id `after`, live until the terminal event.
pub fn body(
    log: Arc<EventLog>,
    after: u64,
    keep_alive: Duration,
    metrics: &Metrics,
) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
    metrics.sse_connections_active.inc();
    let rx = log.subscribe();
    let reader = Reader {
        log,
        rx,
        cursor: after,
        queue: VecDeque::from([Bytes::from_static(KEEP_ALIVE)]),
        ended: false,
        keep_alive,
        open: Open {
            metrics: metrics.clone(),
            outcome: "client_gone",
        },
    };
    futures_util::stream::unfold(
        reader,
        |mut r| async move { r.next().await.map(|b| (Ok(b), r)) },
    )
}
