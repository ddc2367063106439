//! One answer's events: appended by the answer's task, read by any number of consumers.
//!
//! The producer never waits for a consumer: events go into a vector behind a short-held mutex and
//! a `watch` channel announces the newest id. A consumer reads everything after its cursor, then
//! waits for the next announcement, so a slow or absent reader costs nothing but the (bounded)
//! events themselves. Exactly one terminal event (`done` or `error`) ends a log; nothing can be
//! appended after it, and a log whose producer went away without one gets an `interrupted` error
//! from [`TerminalGuard`].

use crate::pipeline::event::Event;
use bytes::Bytes;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;
use tokio::sync::watch;

/// One event with its id and, once asked for, its SSE frame (`id: N`, `data: {json}`).
#[derive(Debug)]
pub struct StoredEvent {
    pub id: u64,
    pub event: Event,
    frame: OnceLock<Bytes>,
}

impl StoredEvent {
    /// `id: N\ndata: <json>\n\n` (serialized once, shared by every reader).
    pub fn frame(&self) -> &Bytes {
        self.frame.get_or_init(|| {
            Bytes::from(format!(
                "id: {}\ndata: {}\n\n",
                self.id,
                self.event.to_json()
            ))
        })
    }

    /// Whether this event ends its stream.
    pub fn is_terminal(&self) -> bool {
        self.event.is_terminal()
    }
}

/// Why an event was not appended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushError {
    /// The stream already ended.
    Ended,
    /// The stream's event or byte bound is reached (a terminal event is still accepted).
    Full,
}

#[derive(Debug, Default)]
struct Inner {
    events: Vec<Arc<StoredEvent>>,
    bytes: usize,
    ended_at: Option<Instant>,
}

/// One answer's event sequence. See the module docs.
#[derive(Debug)]
pub struct EventLog {
    pub stream_id: String,
    /// Who may resume it (see `docs/streaming.md`).
    pub owner: String,
    /// Retained logs (the SSE endpoint's) serialize each event when it is appended and count its
    /// bytes against the bounds; a JSON endpoint's log does neither.
    retained: bool,
    max_events: usize,
    max_bytes: usize,
    inner: Mutex<Inner>,
    last: watch::Sender<u64>,
}

impl EventLog {
    /// An empty log with its bounds.
    pub fn new(
        stream_id: String,
        owner: String,
        retained: bool,
        max_events: usize,
        max_bytes: usize,
    ) -> EventLog {
        EventLog {
            stream_id,
            owner,
            retained,
            max_events,
            max_bytes,
            inner: Mutex::new(Inner::default()),
            last: watch::channel(0).0,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Appends `event` and returns its id. A terminal event is always accepted (once); other
    /// events are refused after the end or over the bounds.
    pub fn push(&self, event: Event) -> Result<u64, PushError> {
        let terminal = event.is_terminal();
        let id = {
            let mut g = self.lock();
            if g.ended_at.is_some() {
                return Err(PushError::Ended);
            }
            if !terminal && g.events.len() + 1 >= self.max_events {
                return Err(PushError::Full);
            }
            let id = g.events.len() as u64 + 1;
            let stored = Arc::new(StoredEvent {
                id,
                event,
                frame: OnceLock::new(),
            });
            if self.retained {
                let n = stored.frame().len();
                if !terminal && g.bytes + n > self.max_bytes {
                    return Err(PushError::Full);
                }
                g.bytes += n;
            }
            g.events.push(stored);
            if terminal {
                g.ended_at = Some(Instant::now());
            }
            id
        };
        self.last.send_replace(id);
        Ok(id)
    }

    /// Every event with an id greater than `after`, in order.
    pub fn events_after(&self, after: u64) -> Vec<Arc<StoredEvent>> {
        let g = self.lock();
        let from = usize::try_from(after)
            .unwrap_or(usize::MAX)
            .min(g.events.len());
        g.events[from..].to_vec()
    }

    /// The id of the newest event (0 when empty).
    pub fn last_id(&self) -> u64 {
        *self.last.borrow()
    }

    /// When the terminal event was appended, if it was.
    pub fn ended_at(&self) -> Option<Instant> {
        self.lock().ended_at
    }

    /// Bytes of serialized events held (retained logs only).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// A receiver announcing each new id.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.last.subscribe()
    }

    /// Waits for the terminal event and returns it.
    pub async fn terminal(&self) -> Arc<StoredEvent> {
        let mut rx = self.subscribe();
        loop {
            rx.borrow_and_update();
            if let Some(last) = self.lock().events.last().filter(|e| e.is_terminal()) {
                return Arc::clone(last);
            }
            // The sender lives in `self`, so `changed` cannot fail while we borrow it.
            let _ = rx.changed().await;
        }
    }
}

/// Ends a log with an `interrupted` error if its producer goes away before the terminal event
/// (a task aborted at the shutdown deadline, a panic): no reader ever waits forever.
pub struct TerminalGuard {
    pub log: Arc<EventLog>,
    pub request_id: String,
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if self.log.ended_at().is_none() {
            let _ = self.log.push(Event::interrupted(&self.request_id));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn content(t: &str) -> Event {
        Event::Content { text: t.to_owned() }
    }

    #[tokio::test]
    async fn ids_count_from_one_and_nothing_follows_the_terminal_event() {
        let log = EventLog::new("s".into(), "o".into(), true, 100, 1 << 20);
        assert_eq!(log.push(content("a")), Ok(1));
        assert_eq!(log.push(content("b")), Ok(2));
        assert_eq!(log.push(Event::interrupted("r")), Ok(3));
        assert_eq!(log.push(content("c")), Err(PushError::Ended));
        assert_eq!(log.push(Event::interrupted("r")), Err(PushError::Ended));
        let after1: Vec<u64> = log.events_after(1).iter().map(|e| e.id).collect();
        assert_eq!(after1, [2, 3]);
        assert!(log.events_after(3).is_empty());
        assert!(log.events_after(u64::MAX).is_empty());
        assert_eq!(log.terminal().await.id, 3);
        assert_eq!(
            log.events_after(0)[0].frame(),
            &Bytes::from("id: 1\ndata: {\"type\":\"content\",\"text\":\"a\"}\n\n")
        );
    }

    #[test]
    fn bounds_refuse_more_events_but_never_the_terminal_one() {
        let log = EventLog::new("s".into(), "o".into(), true, 3, 1 << 20);
        log.push(content("a")).unwrap();
        log.push(content("b")).unwrap();
        assert_eq!(log.push(content("c")), Err(PushError::Full));
        assert_eq!(log.push(Event::interrupted("r")), Ok(3));
        let log = EventLog::new("s".into(), "o".into(), true, 100, 60);
        log.push(content("a")).unwrap();
        assert_eq!(log.push(content(&"x".repeat(50))), Err(PushError::Full));
        assert!(log.bytes() <= 60, "{}", log.bytes());
    }

    #[tokio::test]
    async fn a_guard_ends_an_abandoned_log() {
        let log = Arc::new(EventLog::new("s".into(), "o".into(), false, 10, 10));
        log.push(content("a")).unwrap();
        drop(TerminalGuard {
            log: Arc::clone(&log),
            request_id: "r".into(),
        });
        let t = log.terminal().await;
        assert_eq!(t.id, 2);
        assert!(t
            .frame()
            .starts_with(b"id: 2\ndata: {\"type\":\"error\",\"code\":\"interrupted\""));
    }
}
