//! The SQLite tier: its own file (default `cache.sqlite3` beside the main store, WAL), so a restart
//! keeps the cache warm with no preload: lookups read through it and promote hits to memory.
//!
//! Reads run on the blocking pool behind a timeout (`cache.sqlite_timeout_ms`). Writes, hit
//! touches, deletions and purges leave the request path through a bounded queue to one writer
//! thread that commits them in batches and then enforces the bounds (`sqlite_max_entries`,
//! `sqlite_max_bytes`): expired entries go first, then the least recently used. A full queue drops
//! the write, counted as an error; nothing waits for SQLite but a bounded lookup.

use super::entry::Entry;
use super::metrics::CacheMetrics;
use crate::clock::Clock;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS entries (
        key          TEXT PRIMARY KEY,
        intent       TEXT    NOT NULL,
        model        TEXT    NOT NULL,
        size         INTEGER NOT NULL,
        created_ms   INTEGER NOT NULL,
        expires_ms   INTEGER NOT NULL,
        last_used_ms INTEGER NOT NULL,
        hits         INTEGER NOT NULL DEFAULT 0,
        body         BLOB    NOT NULL
    );
    CREATE INDEX IF NOT EXISTS entries_by_expiry ON entries (expires_ms);
    CREATE INDEX IF NOT EXISTS entries_by_use ON entries (last_used_ms);
    CREATE INDEX IF NOT EXISTS entries_by_intent ON entries (intent);";

/// Commands per transaction at most.
const BATCH: usize = 256;
/// How long the writer lets commands gather after the first.
const GROUP_WINDOW: Duration = Duration::from_millis(5);

enum Msg {
    Put(Box<Entry>, Vec<u8>),
    Touch(String, i64),
    Delete(String, oneshot::Sender<bool>),
    Purge(Option<String>, oneshot::Sender<u64>),
    Flush(oneshot::Sender<()>),
}

/// One row of the listing (never who asked: the cache does not know).
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub key: String,
    pub intent: String,
    pub model: String,
    pub size: u64,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub hits: u64,
}

/// The SQLite tier.
pub struct Sqlite {
    reader: Arc<Mutex<Connection>>,
    tx: mpsc::Sender<Msg>,
    timeout: Duration,
    metrics: CacheMetrics,
    clock: Clock,
}

/// Bounds the writer enforces.
#[derive(Clone, Copy)]
pub struct Bounds {
    pub max_entries: u64,
    pub max_bytes: u64,
}

fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    // Short: a locked file is a failing tier, not a reason to wait.
    conn.busy_timeout(Duration::from_millis(100))?;
    let _: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    conn.execute_batch("PRAGMA synchronous = NORMAL;")?;
    Ok(conn)
}

impl Sqlite {
    /// Opens (creating) the file and starts the writer. Blocking.
    pub fn open(
        path: &Path,
        bounds: Bounds,
        queue: usize,
        timeout: Duration,
        metrics: CacheMetrics,
        clock: Clock,
    ) -> Result<Sqlite, String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let writer = connect(path).map_err(|e| e.to_string())?;
        writer.execute_batch(SCHEMA).map_err(|e| e.to_string())?;
        let reader = connect(path).map_err(|e| e.to_string())?;
        let (tx, rx) = mpsc::channel(queue.max(1));
        let m = metrics.clone();
        let c = clock.clone();
        std::thread::Builder::new()
            .name("chartgate-cache".into())
            .spawn(move || writer_loop(writer, rx, bounds, m, c))
            .map_err(|e| e.to_string())?;
        let s = Sqlite {
            reader: Arc::new(Mutex::new(reader)),
            tx,
            timeout,
            metrics,
            clock,
        };
        Ok(s)
    }

    fn error(&self) {
        self.metrics.errors.with_label_values(&["sqlite"]).inc();
    }

    async fn read<T, F>(&self, f: F) -> Option<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let reader = Arc::clone(&self.reader);
        let task = tokio::task::spawn_blocking(move || {
            let conn = reader
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&conn)
        });
        match tokio::time::timeout(self.timeout, task).await {
            Ok(Ok(Ok(v))) => Some(v),
            Ok(Ok(Err(e))) => {
                tracing::warn!(error = %e, "cache sqlite read failed");
                self.error();
                None
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "cache sqlite task failed");
                self.error();
                None
            }
            Err(_) => {
                tracing::warn!(
                    timeout_ms = self.timeout.as_millis() as u64,
                    "cache sqlite read timed out"
                );
                self.error();
                None
            }
        }
    }

    /// The fresh entry under `key`: `Ok(None)` a miss, `Err` the tier failed.
    pub async fn get(&self, key: &str) -> Result<Option<Entry>, ()> {
        let now = self.clock.now_ms();
        let k = key.to_owned();
        let Some(body) = self
            .read(move |c| {
                c.query_row(
                    "SELECT body FROM entries WHERE key = ?1 AND expires_ms > ?2",
                    params![k, now],
                    |r| r.get::<_, Vec<u8>>(0),
                )
                .optional()
            })
            .await
        else {
            return Err(());
        };
        match body.map(|b| Entry::decode(&b)) {
            None => Ok(None),
            Some(Some(e)) => Ok(Some(e)),
            Some(None) => {
                self.error();
                Ok(None)
            }
        }
    }

    fn send(&self, m: Msg) -> bool {
        let advisory = matches!(m, Msg::Touch(..));
        if self.tx.try_send(m).is_err() {
            if advisory {
                // A hit's touch only orders LRU and counts hits: under overload it may go.
                return false;
            }
            tracing::warn!("cache sqlite write queue full or writer gone; write dropped");
            self.error();
            return false;
        }
        true
    }

    /// Queues `entry` (already encoded as `body`).
    pub fn put(&self, entry: Entry, body: Vec<u8>) {
        self.send(Msg::Put(Box::new(entry), body));
    }

    /// Queues a hit on `key` (for LRU order and the listing's hit count).
    pub fn touch(&self, key: &str) {
        self.send(Msg::Touch(key.to_owned(), self.clock.now_ms()));
    }

    /// Deletes `key`; whether it was there (`None`: the tier failed).
    pub async fn delete(&self, key: &str) -> Option<bool> {
        let (ack, done) = oneshot::channel();
        if !self.send(Msg::Delete(key.to_owned(), ack)) {
            return None;
        }
        tokio::time::timeout(Duration::from_secs(5), done)
            .await
            .ok()?
            .ok()
    }

    /// Deletes every entry (of `intent`); how many (`None`: the tier failed).
    pub async fn purge(&self, intent: Option<&str>) -> Option<u64> {
        let (ack, done) = oneshot::channel();
        if !self.send(Msg::Purge(intent.map(str::to_owned), ack)) {
            return None;
        }
        tokio::time::timeout(Duration::from_secs(5), done)
            .await
            .ok()?
            .ok()
    }

    /// Waits until every write queued before is committed (bounded).
    pub async fn flush(&self) {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Msg::Flush(ack)).await.is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(5), done).await;
        }
    }

    /// Up to `limit` entries with keys after `cursor`, in key order.
    pub async fn list(&self, limit: usize, cursor: Option<String>) -> Option<Vec<Listed>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let after = cursor.unwrap_or_default();
        self.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT key, intent, model, size, created_ms, expires_ms, hits FROM entries
                 WHERE key > ?1 ORDER BY key LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![after, limit], |r| {
                Ok(Listed {
                    key: r.get(0)?,
                    intent: r.get(1)?,
                    model: r.get(2)?,
                    size: r.get::<_, i64>(3)?.max(0) as u64,
                    created_ms: r.get(4)?,
                    expires_ms: r.get(5)?,
                    hits: r.get::<_, i64>(6)?.max(0) as u64,
                })
            })?;
            rows.collect()
        })
        .await
    }

    /// (entries, bytes) as stored.
    pub async fn size(&self) -> Option<(u64, u64)> {
        self.read(totals).await
    }
}

fn totals(c: &Connection) -> rusqlite::Result<(u64, u64)> {
    c.query_row(
        "SELECT count(*), coalesce(sum(size), 0) FROM entries",
        [],
        |r| {
            Ok((
                r.get::<_, i64>(0)?.max(0) as u64,
                r.get::<_, i64>(1)?.max(0) as u64,
            ))
        },
    )
}

fn writer_loop(
    mut conn: Connection,
    mut rx: mpsc::Receiver<Msg>,
    bounds: Bounds,
    metrics: CacheMetrics,
    clock: Clock,
) {
    let set_size = |conn: &Connection| {
        if let Ok((n, b)) = totals(conn) {
            metrics
                .entries
                .with_label_values(&["sqlite"])
                .set(i64::try_from(n).unwrap_or(i64::MAX));
            metrics
                .bytes
                .with_label_values(&["sqlite"])
                .set(i64::try_from(b).unwrap_or(i64::MAX));
        }
    };
    set_size(&conn);
    while let Some(first) = rx.blocking_recv() {
        if matches!(first, Msg::Put(..) | Msg::Touch(..)) {
            std::thread::sleep(GROUP_WINDOW);
        }
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        let now = clock.now_ms();
        let changed = batch
            .iter()
            .any(|m| !matches!(m, Msg::Touch(..) | Msg::Flush(_)));
        let mut acks: Vec<Box<dyn FnOnce(bool)>> = Vec::new();
        let result = (|| -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            for m in batch {
                match m {
                    Msg::Put(e, body) => {
                        tx.execute(
                            "INSERT INTO entries (key, intent, model, size, created_ms, expires_ms, last_used_ms, hits, body)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8)
                             ON CONFLICT (key) DO UPDATE SET intent = excluded.intent, model = excluded.model,
                               size = excluded.size, created_ms = excluded.created_ms,
                               expires_ms = excluded.expires_ms, last_used_ms = excluded.last_used_ms,
                               body = excluded.body",
                            params![e.key, e.intent, e.model, body.len() as i64, e.created_ms, e.expires_ms, now, body],
                        )?;
                    }
                    Msg::Touch(key, at) => {
                        tx.execute(
                            "UPDATE entries SET hits = hits + 1, last_used_ms = ?2 WHERE key = ?1",
                            params![key, at],
                        )?;
                    }
                    Msg::Delete(key, ack) => {
                        let n = tx.execute("DELETE FROM entries WHERE key = ?1", params![key])?;
                        metrics
                            .evictions
                            .with_label_values(&["sqlite", "explicit"])
                            .inc_by(n as u64);
                        acks.push(Box::new(move |ok| {
                            let _ = ack.send(ok && n > 0);
                        }));
                    }
                    Msg::Purge(intent, ack) => {
                        let n = match &intent {
                            None => tx.execute("DELETE FROM entries", [])?,
                            Some(i) => {
                                tx.execute("DELETE FROM entries WHERE intent = ?1", params![i])?
                            }
                        } as u64;
                        metrics
                            .evictions
                            .with_label_values(&["sqlite", "explicit"])
                            .inc_by(n);
                        acks.push(Box::new(move |ok| {
                            if ok {
                                let _ = ack.send(n);
                            }
                        }));
                    }
                    Msg::Flush(ack) => acks.push(Box::new(move |_| {
                        let _ = ack.send(());
                    })),
                }
            }
            if changed {
                enforce(&tx, bounds, now, &metrics)?;
            }
            tx.commit()
        })();
        if let Err(e) = &result {
            tracing::warn!(error = %e, "cache sqlite write failed");
            metrics.errors.with_label_values(&["sqlite"]).inc();
        }
        for ack in acks {
            ack(result.is_ok());
        }
        if changed {
            set_size(&conn);
        }
    }
}

/// Over a bound: expired entries go first, then the least recently used.
fn enforce(c: &Connection, b: Bounds, now: i64, metrics: &CacheMetrics) -> rusqlite::Result<()> {
    let (n, bytes) = totals(c)?;
    if n <= b.max_entries && bytes <= b.max_bytes {
        return Ok(());
    }
    let expired = c.execute("DELETE FROM entries WHERE expires_ms <= ?1", params![now])? as u64;
    metrics
        .evictions
        .with_label_values(&["sqlite", "expired"])
        .inc_by(expired);
    loop {
        let (n, bytes) = totals(c)?;
        if n <= b.max_entries && bytes <= b.max_bytes {
            return Ok(());
        }
        // Remove about a tenth of what is over, at least one, oldest use first.
        let over_n = n.saturating_sub(b.max_entries);
        let avg = bytes / n.max(1);
        let over_b = bytes.saturating_sub(b.max_bytes) / avg.max(1);
        let k = over_n.max(over_b).max(1) as i64;
        let gone = c.execute(
            "DELETE FROM entries WHERE key IN (SELECT key FROM entries ORDER BY last_used_ms LIMIT ?1)",
            params![k],
        )? as u64;
        metrics
            .evictions
            .with_label_values(&["sqlite", "size"])
            .inc_by(gone);
        if gone == 0 {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::cache::entry::FORMAT;
    use crate::clock::Clock;

    fn entry(key: &str, now: i64, ttl_ms: i64) -> Entry {
        Entry {
            format: FORMAT,
            key: key.into(),
            intent: "educational".into(),
            model: "m".into(),
            tier: "mid".into(),
            text: "t".into(),
            events: vec![],
            prompt_tokens: 1,
            completion_tokens: 1,
            cost_usd: 0.001,
            created_ms: now,
            expires_ms: now + ttl_ms,
        }
    }

    #[tokio::test]
    async fn over_its_bound_it_drops_expired_entries_first_then_the_least_recently_used() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Clock::starting_now();
        let metrics = CacheMetrics::new(&prometheus::Registry::new());
        let s = Sqlite::open(
            &dir.path().join("c.sqlite3"),
            Bounds {
                max_entries: 3,
                max_bytes: u64::MAX,
            },
            64,
            Duration::from_secs(5),
            metrics.clone(),
            clock.clone(),
        )
        .unwrap();
        let now = clock.now_ms();
        let put = |e: Entry| {
            let b = e.encode();
            s.put(e, b);
        };
        put(entry("old", now, 60_000));
        put(entry("short", now, 1_000));
        put(entry("used", now, 60_000));
        s.flush().await;
        clock.advance_by(Duration::from_secs(2));
        s.touch("used");
        s.touch("old");
        s.flush().await;
        clock.advance_by(Duration::from_secs(1));
        s.touch("used");
        s.flush().await;
        // A fourth entry: `short` has expired and goes first; nothing else has to.
        put(entry("new1", clock.now_ms(), 60_000));
        s.flush().await;
        assert!(s.get("short").await.unwrap().is_none());
        assert_eq!(s.size().await.unwrap().0, 3);
        // A fifth: nothing is expired, so the least recently used (`old`) goes.
        put(entry("new2", clock.now_ms(), 60_000));
        s.flush().await;
        assert!(s.get("old").await.unwrap().is_none());
        for k in ["used", "new1", "new2"] {
            assert!(s.get(k).await.unwrap().is_some(), "{k}");
        }
        let ev = |r: &str| metrics.evictions.with_label_values(&["sqlite", r]).get();
        assert_eq!((ev("expired"), ev("size")), (1, 1));
        let listed = s.list(10, None).await.unwrap();
        let used = listed.iter().find(|l| l.key == "used").unwrap();
        assert_eq!(used.hits, 2);
        // Delete and purge.
        assert_eq!(s.delete("used").await, Some(true));
        assert_eq!(s.delete("used").await, Some(false));
        assert_eq!(s.purge(Some("educational")).await, Some(2));
        assert_eq!(s.size().await.unwrap(), (0, 0));
    }
}
