//! Budget alerts: when a budget window reaches 50%, 80% or 100% of its limit (once per window,
//! see `budget::book`), a signed JSON webhook and a Slack-compatible message are delivered by a
//! background worker with retries and exponential backoff; every attempt is a row of the SQLite
//! delivery log (`GET /api/alerts/deliveries`).
//!
//! The request path only `try_send`s into a bounded queue: a receiver that is down, slow or hangs
//! never slows an ask (a full queue drops the alert, counted as `outcome="dropped"`). Each
//! attempt is bounded by `alerts.timeout_ms`.
//!
//! The webhook is signed like Stripe's: `X-Chartgate-Signature: t=<unix seconds>,v1=<hex of
//! HMAC-SHA256(secret, "<t>.<body>")>`, the secret from `CHARTGATE_ALERTS__WEBHOOK_SECRET`
//! (environment only). A receiver recomputes the HMAC over the raw body and compares in constant
//! time, and rejects old `t` values to stop replays ([`verify`]).

mod worker;

pub use worker::{deliveries, Delivery};

use crate::budget::book::Crossing;
use crate::budget::metrics::MoneyMetrics;
use crate::config::Secret;
use crate::store::Store;
use serde::Deserialize;
use std::collections::HashMap;
use std::time::Duration;

/// The variable the webhook secret is read from (never the file).
pub const SECRET_VAR: &str = "CHARTGATE_ALERTS__WEBHOOK_SECRET";

/// `[alerts]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawAlerts {
    webhook_url: Option<String>,
    slack_url: Option<String>,
    max_attempts: u32,
    backoff_ms: u64,
    timeout_ms: u64,
    queue: usize,
}

impl Default for RawAlerts {
    fn default() -> Self {
        RawAlerts {
            webhook_url: None,
            slack_url: None,
            max_attempts: 5,
            backoff_ms: 1_000,
            timeout_ms: 5_000,
            queue: 1_024,
        }
    }
}

/// The validated `[alerts]` section.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertsConfig {
    pub webhook_url: Option<String>,
    /// Slack incoming-webhook URLs carry their own secret.
    pub slack_url: Option<Secret>,
    pub webhook_secret: Option<Secret>,
    /// Attempts per delivery (the first included).
    pub max_attempts: u32,
    /// Wait before the second attempt; doubled before each next one.
    pub backoff: Duration,
    /// Bound on one attempt (connect, send, response).
    pub timeout: Duration,
    /// Alerts waiting for the worker at most.
    pub queue: usize,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig::from_raw(RawAlerts::default(), &HashMap::new())
            .expect("the embedded alerts defaults are valid (unit test)")
    }
}

fn url(key: &'static str, u: Option<String>) -> Result<Option<String>, (&'static str, String)> {
    let u = u.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
    if let Some(u) = &u {
        if !(u.starts_with("http://") || u.starts_with("https://"))
            || reqwest::Url::parse(u).is_err()
        {
            return Err((key, "expected an http:// or https:// URL".to_owned()));
        }
    }
    Ok(u)
}

impl AlertsConfig {
    /// Validates `[alerts]`; the webhook secret comes from `env` only.
    pub fn from_raw(
        r: RawAlerts,
        env: &HashMap<String, String>,
    ) -> Result<AlertsConfig, (&'static str, String)> {
        let webhook_url = url("alerts.webhook_url", r.webhook_url)?;
        let slack_url = url("alerts.slack_url", r.slack_url)?.map(Secret::new);
        let webhook_secret = env
            .get(SECRET_VAR)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(Secret::new);
        if webhook_url.is_some() && webhook_secret.is_none() {
            return Err((
                SECRET_VAR,
                "alerts.webhook_url is set: the webhook secret must be set too (environment only)"
                    .to_owned(),
            ));
        }
        if webhook_secret
            .as_ref()
            .is_some_and(|s| s.expose().len() < 16)
        {
            return Err((SECRET_VAR, "must be at least 16 characters".to_owned()));
        }
        if r.max_attempts == 0 || r.max_attempts > 20 {
            return Err(("alerts.max_attempts", "must be between 1 and 20".to_owned()));
        }
        if r.timeout_ms == 0 {
            return Err(("alerts.timeout_ms", "must be greater than 0".to_owned()));
        }
        if r.queue == 0 {
            return Err(("alerts.queue", "must be greater than 0".to_owned()));
        }
        Ok(AlertsConfig {
            webhook_url,
            slack_url,
            webhook_secret,
            max_attempts: r.max_attempts,
            backoff: Duration::from_millis(r.backoff_ms),
            timeout: Duration::from_millis(r.timeout_ms),
            queue: r.queue,
        })
    }

    /// Whether any receiver is configured.
    pub fn enabled(&self) -> bool {
        self.webhook_url.is_some() || self.slack_url.is_some()
    }
}

/// The `X-Chartgate-Signature` value of `body` sent at `t` (Unix seconds).
pub fn sign(secret: &[u8], t: u64, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let mut ctx = ring::hmac::Context::with_key(&key);
    ctx.update(t.to_string().as_bytes());
    ctx.update(b".");
    ctx.update(body);
    let tag = ctx.sign();
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={t},v1={hex}")
}

/// Checks a signature header against `body` (what a receiver does): the HMAC in constant time,
/// and `t` no further than `tolerance_secs` from `now`.
pub fn verify(secret: &[u8], header: &str, body: &[u8], now: u64, tolerance_secs: u64) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<u64>().ok(),
            Some(("v1", v)) => v1 = Some(v),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    if now.abs_diff(t) > tolerance_secs || v1.len() % 2 != 0 {
        return false;
    }
    let Some(tag) = (0..v1.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(v1.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()
    else {
        return false;
    };
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let mut msg = t.to_string().into_bytes();
    msg.push(b'.');
    msg.extend_from_slice(body);
    ring::hmac::verify(&key, &msg, &tag).is_ok()
}

/// The handle the budget book reports crossings to. Cloning is cheap.
#[derive(Clone, Debug)]
pub struct Alerts {
    tx: Option<tokio::sync::mpsc::Sender<Crossing>>,
    metrics_dropped: Option<MoneyMetrics>,
}

impl Alerts {
    /// Starts the delivery worker when a receiver is configured (a no-op handle otherwise).
    /// Must be called inside a tokio runtime.
    pub fn start(cfg: &AlertsConfig, store: &Store, metrics: MoneyMetrics) -> Alerts {
        if !cfg.enabled() {
            return Alerts {
                tx: None,
                metrics_dropped: None,
            };
        }
        let (tx, rx) = tokio::sync::mpsc::channel(cfg.queue);
        worker::spawn(cfg.clone(), store.clone(), metrics.clone(), rx);
        Alerts {
            tx: Some(tx),
            metrics_dropped: Some(metrics),
        }
    }

    /// Queues an alert for `c` without waiting; a full queue drops it (counted).
    pub fn notify(&self, c: Crossing) {
        let Some(tx) = &self.tx else { return };
        if tx.try_send(c).is_err() {
            tracing::warn!("budget alert queue full; alert dropped");
            if let Some(m) = &self.metrics_dropped {
                for kind in crate::budget::metrics::ALERT_KINDS {
                    m.alert_deliveries
                        .with_label_values(&[kind, "dropped"])
                        .inc();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn signatures_verify_and_reject_tampering() {
        let s = sign(b"0123456789abcdef", 1_700_000_000, b"{\"a\":1}");
        assert!(s.starts_with("t=1700000000,v1="), "{s}");
        assert_eq!(s.len(), "t=1700000000,v1=".len() + 64);
        assert!(verify(
            b"0123456789abcdef",
            &s,
            b"{\"a\":1}",
            1_700_000_010,
            300
        ));
        assert!(!verify(
            b"0123456789abcdef",
            &s,
            b"{\"a\":2}",
            1_700_000_010,
            300
        ));
        assert!(!verify(
            b"another-secret-xx",
            &s,
            b"{\"a\":1}",
            1_700_000_010,
            300
        ));
        assert!(!verify(
            b"0123456789abcdef",
            &s,
            b"{\"a\":1}",
            1_700_009_999,
            300
        ));
    }

    #[test]
    fn a_webhook_needs_its_secret_from_the_environment() {
        let raw: RawAlerts = toml::from_str("webhook_url = \"http://127.0.0.1:9/h\"").unwrap();
        assert_eq!(
            AlertsConfig::from_raw(raw, &HashMap::new()).unwrap_err().0,
            SECRET_VAR
        );
        let raw: RawAlerts = toml::from_str("webhook_url = \"http://127.0.0.1:9/h\"").unwrap();
        let env = HashMap::from([(SECRET_VAR.to_owned(), "s3cret-s3cret-s3cret".to_owned())]);
        let c = AlertsConfig::from_raw(raw, &env).unwrap();
        assert!(c.enabled() && c.webhook_secret.is_some());
        assert!(toml::from_str::<RawAlerts>("webhook_secret = \"x\"").is_err());
    }
}
