//! Budget alerts end to end: a real server and mock, and a loopback receiver started by each test
//! (a webhook endpoint that records what it gets, fails on demand or hangs).
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chartgate_mock_openai::Behavior;
use chartgate_server::alerts::{verify, AlertsConfig};
use chartgate_server::budget::{estimate_prompt_tokens, worst_case, Limits};
use chartgate_server::config::{Config, Secret};
use chartgate_server::routing::ModelTier;
use common::{bounded, mock, model_config, sample, TestServer};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const QUERY: &str = "what moved the market today";
const SECRET: &str = "whsec-test-0123456789abcdef";
const ADMIN: &str = "admin-key-0123456789abcdef0123456789";

/// What the receiver got, per path.
#[derive(Default)]
struct Received {
    calls: Mutex<Vec<(String, HeaderMap, Bytes)>>,
    /// Answer 500 to this many requests first.
    fail_first: AtomicUsize,
    /// Never answer.
    hang: std::sync::atomic::AtomicBool,
}

/// Starts the receiver on a free loopback port: `/hook` and `/slack`.
async fn receiver() -> (String, Arc<Received>) {
    let got = Arc::new(Received::default());
    let handler = |path: &'static str| {
        let got = Arc::clone(&got);
        move |headers: HeaderMap, body: Bytes| {
            let got = Arc::clone(&got);
            async move {
                got.calls
                    .lock()
                    .unwrap()
                    .push((path.to_owned(), headers, body));
                if got.hang.load(Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
                let left = got.fail_first.load(Ordering::SeqCst);
                if left > 0 {
                    got.fail_first.store(left - 1, Ordering::SeqCst);
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                StatusCode::OK
            }
        }
    };
    let app = axum::Router::new()
        .route("/hook", post(handler("hook")))
        .route("/slack", post(handler("slack")));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, got)
}

/// A config whose caller `alice` (standard tier) affords `calls` calls per hour, alerting to
/// `base`; every call costs exactly `unit` (returned).
fn config(
    mock: &chartgate_mock_openai::MockServer,
    base: &str,
    calls: f64,
    slack: bool,
) -> (Config, f64) {
    let mut c = model_config(mock);
    c.llm.max_completion_tokens = 100;
    // Every intent on the cheap tier: no budget downgrade can stretch the budget.
    let t = &mut c.routing.intent_tiers;
    for slot in [
        &mut t.chart_command,
        &mut t.price_only,
        &mut t.technical_analysis,
        &mut t.news_summary,
        &mut t.market_overview,
        &mut t.educational,
        &mut t.general_query,
    ] {
        *slot = ModelTier::Cheap;
    }
    let prompt = estimate_prompt_tokens(
        &[&c.llm.system_prompt, QUERY],
        c.budgets.prompt_allowance_tokens,
    );
    let unit = worst_case(&c, ModelTier::Cheap, prompt, c.llm.max_completion_tokens);
    mock.state().set_default(Behavior {
        prompt_tokens: Some(prompt),
        completion_tokens: Some(c.llm.max_completion_tokens),
        ..Behavior::default()
    });
    c.budgets.standard = Limits {
        hourly_usd: Some(unit * calls),
        daily_usd: None,
    };
    c.auth.admin_key = Some(Secret::new(ADMIN));
    c.rate_limits = chartgate_server::ratelimit::RateLimitsConfig {
        anonymous: None,
        standard: None,
        premium: None,
    };
    c.alerts = AlertsConfig {
        webhook_url: Some(format!("{base}/hook")),
        webhook_secret: Some(Secret::new(SECRET)),
        slack_url: slack.then(|| Secret::new(format!("{base}/slack"))),
        backoff: Duration::from_millis(50),
        timeout: Duration::from_secs(20),
        ..AlertsConfig::default()
    };
    (c, unit)
}

/// An ask by `alice` (a standard key).
async fn ask(server: &TestServer) -> u16 {
    let key = alice(server);
    bounded(
        server
            .http
            .post(server.url("/ask"))
            .bearer_auth(key)
            .json(&json!({"query": QUERY}))
            .send(),
    )
    .await
    .unwrap()
    .status()
    .as_u16()
}

/// Alice's key (created on first use).
fn alice(server: &TestServer) -> String {
    static KEYS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
    let mut keys = KEYS.lock().unwrap();
    if let Some((_, k)) = keys.iter().find(|(b, _)| *b == server.base) {
        return k.clone();
    }
    let k = server.key("alice", chartgate_server::routing::UserTier::Standard);
    keys.push((server.base.clone(), k.clone()));
    k
}

/// Waits until `f` holds (bounded).
async fn until(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn deliveries(server: &TestServer) -> Vec<Value> {
    let r = bounded(
        server
            .http
            .get(server.url("/api/alerts/deliveries?limit=100"))
            .header("x-api-key", ADMIN)
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    body["deliveries"].as_array().unwrap().clone()
}

#[tokio::test]
async fn each_threshold_alerts_once_per_window_signed_and_to_slack() {
    let mock = mock().await;
    let (base, got) = receiver().await;
    // 9.9 calls: 50% after the 5th, 80% after the 8th, the 10th is refused (100%).
    let (c, _) = config(&mock, &base, 9.9, true);
    let server = TestServer::start(c).await;
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(ask(&server).await);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        9,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 3);
    until("six deliveries", || got.calls.lock().unwrap().len() >= 6).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let calls = got.calls.lock().unwrap().clone();
    assert_eq!(
        calls.len(),
        6,
        "three alerts, each to the webhook and Slack"
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut thresholds = Vec::new();
    for (path, headers, body) in calls.iter().filter(|(p, _, _)| p == "hook") {
        let sig = headers["x-chartgate-signature"].to_str().unwrap();
        assert!(
            verify(SECRET.as_bytes(), sig, body, now, 300),
            "{path}: {sig}"
        );
        assert!(!verify(b"not-the-secret-at-all", sig, body, now, 300));
        let v: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(v["scope"], "user:alice");
        assert_eq!(v["window"], "hour");
        thresholds.push(v["threshold_percent"].as_u64().unwrap());
    }
    thresholds.sort_unstable();
    assert_eq!(thresholds, vec![50, 80, 100]);
    for (_, headers, body) in calls.iter().filter(|(p, _, _)| p == "slack") {
        assert!(headers.get("x-chartgate-signature").is_none());
        let v: Value = serde_json::from_slice(body).unwrap();
        assert!(v["text"].as_str().unwrap().contains("user:alice"), "{v}");
    }
    let log = deliveries(&server).await;
    assert_eq!(log.len(), 6);
    assert!(log
        .iter()
        .all(|d| d["outcome"] == "ok" && d["attempt"] == 1));
    let m = server.metrics().await;
    assert_eq!(
        sample(&m, r#"alert_deliveries_total{kind="webhook",outcome="ok"}"#),
        3.0
    );
    let _ = server.shutdown().await;
}

#[tokio::test]
async fn a_receiver_that_fails_twice_then_succeeds_shows_three_attempts() {
    let mock = mock().await;
    let (base, got) = receiver().await;
    got.fail_first.store(2, Ordering::SeqCst);
    // 1.9 calls: the first call crosses 50%.
    let (c, _) = config(&mock, &base, 1.9, false);
    let server = TestServer::start(c).await;
    assert_eq!(ask(&server).await, 200);
    until("three attempts", || got.calls.lock().unwrap().len() >= 3).await;
    let mut log = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while log.len() < 3 {
        assert!(Instant::now() < deadline, "the log never had three rows");
        tokio::time::sleep(Duration::from_millis(20)).await;
        log = deliveries(&server).await;
    }
    log.reverse();
    let seen: Vec<(u64, &str, Option<u64>)> = log
        .iter()
        .map(|d| {
            (
                d["attempt"].as_u64().unwrap(),
                d["outcome"].as_str().unwrap(),
                d["status"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (1, "retry", Some(500)),
            (2, "retry", Some(500)),
            (3, "ok", Some(200))
        ]
    );
    assert!(log.iter().all(|d| d["alert_id"] == log[0]["alert_id"]));
    let m = server.metrics().await;
    assert_eq!(
        sample(
            &m,
            r#"alert_deliveries_total{kind="webhook",outcome="retry"}"#
        ),
        2.0
    );
    let _ = server.shutdown().await;
}

#[tokio::test]
async fn a_receiver_that_hangs_does_not_slow_asks() {
    let mock = mock().await;
    let (base, got) = receiver().await;
    got.hang.store(true, Ordering::SeqCst);
    let (c, _) = config(&mock, &base, 100.0, false);
    let server = TestServer::start(c.clone()).await;
    // A baseline ask with no alert due, then the ask that crosses 50% and the ones after it.
    let t = Instant::now();
    assert_eq!(ask(&server).await, 200);
    let one = t.elapsed();
    server
        .state
        .budget
        .try_reserve(
            &chartgate_server::budget::Payer::new(
                &c.budgets,
                "user:alice".into(),
                Some("alice".into()),
                chartgate_server::routing::UserTier::Standard,
            ),
            0.0,
        )
        .unwrap()
        .settle(c.budgets.standard.hourly_usd.unwrap() * 0.6);
    until("the receiver got the alert", || {
        !got.calls.lock().unwrap().is_empty()
    })
    .await;
    let t = Instant::now();
    for _ in 0..5 {
        assert_eq!(ask(&server).await, 200);
    }
    let five = t.elapsed();
    // The delivery is still hanging (its timeout is 20 s), and asks took their usual time.
    assert!(
        deliveries(&server).await.is_empty(),
        "nothing was logged yet"
    );
    assert!(
        five < Duration::from_secs(5) && five < one * 50 + Duration::from_secs(1),
        "one ask {one:?}, five asks {five:?}"
    );
    let _ = server.shutdown().await;
}
