//! The delivery worker: one task reading crossings from the queue; each alert's deliveries (the
//! webhook, Slack) run as their own tasks, so a receiver that hangs holds up only its own retries.
//! Every attempt is logged to `alert_deliveries` and counted in `alert_deliveries_total`.

use super::AlertsConfig;
use crate::budget::book::Crossing;
use crate::budget::metrics::MoneyMetrics;
use crate::store::{Store, StoreError};
use serde::Serialize;
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One row of the delivery log.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Delivery {
    pub alert_id: String,
    /// `webhook` or `slack`.
    pub kind: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// `ok`, `retry` (failed, will be retried) or `failed` (failed, the last attempt).
    pub outcome: String,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    pub error: Option<String>,
    /// The payload sent.
    pub body: serde_json::Value,
    pub created_at: String,
}

/// The newest `limit` attempts, newest first.
pub async fn deliveries(store: &Store, limit: usize) -> Result<Vec<Delivery>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    store
        .read(move |c| {
            let mut stmt = c.prepare(
                "SELECT alert_id, kind, attempt, outcome, status, error, body, created_at
                 FROM alert_deliveries ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit], |r| {
                let body: String = r.get(6)?;
                Ok(Delivery {
                    alert_id: r.get(0)?,
                    kind: r.get(1)?,
                    attempt: r.get(2)?,
                    outcome: r.get(3)?,
                    status: r.get(4)?,
                    error: r.get(5)?,
                    body: serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
                    created_at: r.get(7)?,
                })
            })?;
            rows.collect()
        })
        .await
}

/// The generic webhook payload.
fn webhook_body(id: &str, c: &Crossing) -> serde_json::Value {
    json!({
        "id": id,
        "type": "budget.threshold",
        "scope": c.scope,
        "tier": c.tier.map(|t| t.as_str()),
        "window": c.window.as_str(),
        "threshold_percent": c.threshold,
        "limit_usd": c.limit_usd,
        "spent_usd": c.spent_usd,
        "window_start": crate::clock::rfc3339_ms(c.window_start_ms),
        "resets_at": crate::clock::rfc3339_ms(c.resets_at_ms),
    })
}

/// The Slack-compatible payload (`text`, plus a section block).
fn slack_body(c: &Crossing) -> serde_json::Value {
    let window = match c.window {
        crate::budget::Window::Hour => "hourly",
        crate::budget::Window::Day => "daily",
    };
    let text = format!(
        ":warning: chartgate budget: `{}` has spent ${:.4} of its {} budget of ${:.4} ({}%); it resets at {}.",
        c.scope,
        c.spent_usd,
        window,
        c.limit_usd,
        c.threshold,
        crate::clock::rfc3339_ms(c.resets_at_ms)
    );
    json!({
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    })
}

/// Starts the worker.
pub(super) fn spawn(
    cfg: AlertsConfig,
    store: Store,
    metrics: MoneyMetrics,
    mut rx: tokio::sync::mpsc::Receiver<Crossing>,
) {
    crate::llm::openai::install_crypto_provider();
    let http = match reqwest::Client::builder()
        .timeout(cfg.timeout)
        .connect_timeout(cfg.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the alert HTTP client; alerts are off");
            return;
        }
    };
    let cfg = Arc::new(cfg);
    let seq = Arc::new(AtomicU64::new(0));
    tokio::spawn(async move {
        while let Some(c) = rx.recv().await {
            let n = seq.fetch_add(1, Ordering::Relaxed);
            let id = format!(
                "alrt_{:x}_{n}",
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis())
            );
            tracing::info!(alert_id = %id, scope = %c.scope, window = c.window.as_str(), threshold = c.threshold, "budget alert");
            if let Some(url) = cfg.webhook_url.clone() {
                let body = webhook_body(&id, &c);
                tokio::spawn(deliver(
                    Arc::clone(&cfg),
                    http.clone(),
                    store.clone(),
                    metrics.clone(),
                    id.clone(),
                    "webhook",
                    url,
                    body,
                ));
            }
            if let Some(url) = cfg.slack_url.clone() {
                tokio::spawn(deliver(
                    Arc::clone(&cfg),
                    http.clone(),
                    store.clone(),
                    metrics.clone(),
                    id.clone(),
                    "slack",
                    url.expose().to_owned(),
                    slack_body(&c),
                ));
            }
        }
    });
}

/// Delivers one payload with retries: waits `backoff`, `2·backoff`, `4·backoff`… between
/// attempts, at most `max_attempts` attempts.
#[allow(clippy::too_many_arguments)]
async fn deliver(
    cfg: Arc<AlertsConfig>,
    http: reqwest::Client,
    store: Store,
    metrics: MoneyMetrics,
    alert_id: String,
    kind: &'static str,
    url: String,
    body: serde_json::Value,
) {
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let mut wait = cfg.backoff;
    for attempt in 1..=cfg.max_attempts {
        let mut req = http
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(bytes.clone());
        if kind == "webhook" {
            if let Some(secret) = &cfg.webhook_secret {
                let t = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                req = req.header(
                    "x-chartgate-signature",
                    super::sign(secret.expose().as_bytes(), t, &bytes),
                );
                req = req.header("x-chartgate-alert-id", &alert_id);
            }
        }
        let (status, error) = match req.send().await {
            Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), None),
            Ok(r) => (
                Some(r.status().as_u16()),
                Some(format!("receiver answered {}", r.status().as_u16())),
            ),
            Err(e) if e.is_timeout() => (None, Some("timed out".to_owned())),
            Err(e) if e.is_connect() => (None, Some("cannot connect".to_owned())),
            Err(_) => (None, Some("request failed".to_owned())),
        };
        let last = attempt == cfg.max_attempts;
        let outcome = match (&error, last) {
            (None, _) => "ok",
            (Some(_), false) => "retry",
            (Some(_), true) => "failed",
        };
        metrics
            .alert_deliveries
            .with_label_values(&[kind, outcome])
            .inc();
        if let Some(e) = &error {
            tracing::warn!(alert_id = %alert_id, kind, attempt, error = %e, "alert delivery failed");
        }
        log(
            &store, &alert_id, kind, attempt, outcome, status, error, &body,
        )
        .await;
        if outcome != "retry" {
            return;
        }
        tokio::time::sleep(wait).await;
        wait = wait.saturating_mul(2).min(Duration::from_secs(300));
    }
}

#[allow(clippy::too_many_arguments)]
async fn log(
    store: &Store,
    alert_id: &str,
    kind: &'static str,
    attempt: u32,
    outcome: &'static str,
    status: Option<u16>,
    error: Option<String>,
    body: &serde_json::Value,
) {
    let row = (
        alert_id.to_owned(),
        attempt,
        status,
        error,
        body.to_string(),
        crate::clock::rfc3339(SystemTime::now()),
    );
    let r = store
        .read(move |c| {
            c.execute(
                "INSERT INTO alert_deliveries (alert_id, kind, attempt, outcome, status, error, body, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                rusqlite::params![row.0, kind, row.1, outcome, row.2, row.3, row.4, row.5],
            )
        })
        .await;
    if let Err(e) = r {
        tracing::error!(error = %e, "cannot write the alert delivery log");
    }
}
