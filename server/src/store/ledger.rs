//! The cost ledger: one row per upstream model call that returned usage (request id, user,
//! model, intent, tier, tokens, cost, time). The foundation of budgets (a later issue).
//!
//! Writes leave the request path through a bounded channel to one writer thread that owns its
//! own connection and commits rows in batches (one transaction per batch, a group-commit window
//! of 20 ms), so SQLite never blocks an async worker. `flush` waits until everything sent before it is committed; the server
//! calls it on shutdown.

use super::{Store, StoreError};
use crate::config::Usage;
use crate::metrics::Metrics;
use rusqlite::{params, Connection};
use tokio::sync::{mpsc, oneshot};

/// Rows committed per transaction at most.
const BATCH: usize = 512;

/// How long the writer lets rows accumulate after the first one before committing.
const GROUP_WINDOW: std::time::Duration = std::time::Duration::from_millis(20);

/// One ledger row.
#[derive(Clone, Debug, PartialEq)]
pub struct LedgerEntry {
    pub request_id: String,
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    /// Who paid: `user:<id>` or `addr:<ip>` (budgets).
    pub principal: Option<String>,
    /// The caller's tier (budgets).
    pub user_tier: Option<&'static str>,
    pub model: String,
    pub intent: &'static str,
    pub tier: &'static str,
    pub usage: Usage,
    pub cost_usd: f64,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// Unix milliseconds (for windows).
    pub created_at_ms: i64,
    /// Served from the prompt cache (or shared by single flight): no tokens, no cost.
    pub cached: bool,
    /// What the answer would have cost (cached rows only).
    pub saved_usd: f64,
}

/// A ledger row as read back.
#[derive(Clone, Debug, PartialEq)]
pub struct LedgerRow {
    pub request_id: String,
    pub user_id: Option<String>,
    pub model: String,
    pub intent: String,
    pub tier: String,
    pub usage: Usage,
    pub cost_usd: f64,
    pub created_at: String,
    pub cached: bool,
    pub saved_usd: f64,
}

enum Msg {
    Entry(Box<LedgerEntry>),
    Flush(oneshot::Sender<()>),
}

/// The sending side of the ledger writer. Cloning is cheap.
#[derive(Clone, Debug)]
pub struct LedgerWriter {
    tx: mpsc::Sender<Msg>,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Msg::Entry(_) => f.write_str("Entry"),
            Msg::Flush(_) => f.write_str("Flush"),
        }
    }
}

impl LedgerWriter {
    /// Starts the writer thread with its own connection to `store`.
    pub fn spawn(
        store: &Store,
        metrics: Metrics,
        queue: usize,
    ) -> Result<LedgerWriter, StoreError> {
        let mut conn = store.connect()?;
        let (tx, mut rx) = mpsc::channel::<Msg>(queue.max(1));
        std::thread::Builder::new()
            .name("chartgate-ledger".into())
            .spawn(move || {
                while let Some(first) = rx.blocking_recv() {
                    // Group commit: after the first row, let more arrive for a moment so one
                    // transaction (one WAL append) carries many rows and the thread wakes at
                    // most ~1/GROUP_WINDOW times a second. A flush does not wait.
                    if matches!(first, Msg::Entry(_)) {
                        std::thread::sleep(GROUP_WINDOW);
                    }
                    let mut rows = Vec::new();
                    let mut acks = Vec::new();
                    let mut next = Some(first);
                    while let Some(m) = next.take() {
                        match m {
                            Msg::Entry(e) => rows.push(*e),
                            Msg::Flush(ack) => acks.push(ack),
                        }
                        if rows.len() < BATCH {
                            next = rx.try_recv().ok();
                        }
                    }
                    if !rows.is_empty() {
                        match insert(&mut conn, &rows) {
                            Ok(()) => metrics
                                .ledger_writes
                                .with_label_values(&["ok"])
                                .inc_by(rows.len() as u64),
                            Err(e) => {
                                metrics
                                    .ledger_writes
                                    .with_label_values(&["error"])
                                    .inc_by(rows.len() as u64);
                                tracing::error!(error = %e, rows = rows.len(), "ledger write failed");
                            }
                        }
                    }
                    for ack in acks {
                        let _ = ack.send(());
                    }
                }
            })
            .map_err(|e| StoreError::Task(e.to_string()))?;
        Ok(LedgerWriter { tx })
    }

    /// Queues a row (waits when the queue is full: back-pressure, never a silent drop).
    pub async fn record(&self, entry: LedgerEntry) {
        if self.tx.send(Msg::Entry(Box::new(entry))).await.is_err() {
            tracing::error!("ledger writer is gone; row lost");
        }
    }

    /// Waits until every row queued before this call is committed.
    pub async fn flush(&self) {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Msg::Flush(ack)).await.is_ok() {
            let _ = done.await;
        }
    }
}

fn insert(conn: &mut Connection, rows: &[LedgerEntry]) -> Result<(), rusqlite::Error> {
    let tx = conn.transaction()?;
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO ledger (request_id, user_id, session_id, model, intent, tier,
                prompt_tokens, completion_tokens, cached_tokens, cost_usd, created_at, created_at_ms,
                cached, saved_usd, principal, user_tier)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )?;
        for r in rows {
            stmt.execute(params![
                r.request_id,
                r.user_id,
                r.session_id,
                r.model,
                r.intent,
                r.tier,
                r.usage.prompt_tokens,
                r.usage.completion_tokens,
                r.usage.cached_tokens,
                r.cost_usd,
                r.created_at,
                r.created_at_ms,
                r.cached,
                r.saved_usd,
                r.principal,
                r.user_tier,
            ])?;
        }
    }
    tx.commit()
}

/// The most recent rows, newest first.
pub async fn recent(store: &Store, limit: usize) -> Result<Vec<LedgerRow>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    store
        .read(move |c| {
            let mut stmt = c.prepare(
                "SELECT request_id, user_id, model, intent, tier, prompt_tokens, completion_tokens,
                        cached_tokens, cost_usd, created_at, cached, saved_usd
                 FROM ledger ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit], |r| {
                Ok(LedgerRow {
                    request_id: r.get(0)?,
                    user_id: r.get(1)?,
                    model: r.get(2)?,
                    intent: r.get(3)?,
                    tier: r.get(4)?,
                    usage: Usage {
                        prompt_tokens: r.get(5)?,
                        completion_tokens: r.get(6)?,
                        cached_tokens: r.get(7)?,
                    },
                    cost_usd: r.get(8)?,
                    created_at: r.get(9)?,
                    cached: r.get(10)?,
                    saved_usd: r.get(11)?,
                })
            })?;
            rows.collect()
        })
        .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn entry(i: u32) -> LedgerEntry {
        LedgerEntry {
            request_id: format!("req-{i}"),
            user_id: Some("u1".into()),
            session_id: None,
            principal: Some("user:u1".into()),
            user_tier: Some("standard"),
            model: "gpt-4o-mini".into(),
            intent: "general_query",
            tier: "cheap",
            usage: Usage {
                prompt_tokens: 100 + i,
                completion_tokens: 20,
                cached_tokens: 0,
            },
            cost_usd: 0.001,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            created_at_ms: 1_767_225_600_000,
            cached: false,
            saved_usd: 0.0,
        }
    }

    #[tokio::test]
    async fn rows_are_committed_by_flush_and_read_back_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("l.sqlite3")).unwrap();
        let metrics = Metrics::new(&crate::routing::TierChains {
            cheap: vec![],
            mid: vec![],
            premium: vec![],
        });
        let w = LedgerWriter::spawn(&store, metrics.clone(), 4).unwrap();
        for i in 0..10 {
            w.record(entry(i)).await;
        }
        w.flush().await;
        let rows = recent(&store, 100).await.unwrap();
        assert_eq!(rows.len(), 10);
        assert_eq!(rows[0].request_id, "req-9");
        assert_eq!(rows[0].usage.prompt_tokens, 109);
        assert_eq!(rows[9].user_id.as_deref(), Some("u1"));
        assert!(metrics
            .render()
            .contains("ledger_writes_total{outcome=\"ok\"} 10"));
    }
}
