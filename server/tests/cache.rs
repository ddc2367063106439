//! The prompt/response cache against the real mock model and real SQLite files: hits and misses
//! per tier, a restart on the same file, expiry by a test clock, every never-store case, single
//! flight (one upstream call for 100 identical requests, a failing leader's waiters), a locked
//! SQLite file, a cached stream's events, `Cache-Control`, and the admin endpoints.

#![allow(clippy::unwrap_used)]

mod common;

use chartgate_mock_openai::{Behavior, MockServer};
use chartgate_server::clock::Clock;
use chartgate_server::config::{Config, Secret};
use common::{bounded, mock, model_config, sample, TestServer};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const TOOL_ARGS: &str = r#"{"commands":[{"type":"load","payload":{"symbol":"nvda","asset_type":null}},{"type":"indicator","payload":{"name":"MA50","enabled":true,"params":null}}]}"#;

const ADMIN: &str = "admin-key-for-the-cache-tests-0123456789";

/// Upstream calls the mock received, over every model (`GET /mock/stats`).
async fn upstream_calls(m: &MockServer) -> u64 {
    let stats: Value = reqwest::get(format!("http://{}/mock/stats", m.addr()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    stats
        .as_object()
        .unwrap()
        .values()
        .map(|s| s["requests"].as_u64().unwrap())
        .sum()
}

fn config(m: &MockServer) -> Config {
    let mut c = model_config(m);
    c.cache.enabled = true;
    c.auth.admin_key = Some(Secret::new(ADMIN.to_owned()));
    c.server.conn.max_connections_per_address = 256;
    c.server.conn.max_connections = 512;
    c
}

/// `POST /ask` with extra headers: (status, X-Cache, body).
async fn ask_h(s: &TestServer, query: &str, headers: &[(&str, &str)]) -> (u16, String, Value) {
    let mut req = s.http.post(s.url("/ask")).json(&json!({"query": query}));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = bounded(req.send()).await.unwrap();
    let status = r.status().as_u16();
    let x = r
        .headers()
        .get("x-cache")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, x, bounded(r.json::<Value>()).await.unwrap())
}

async fn ask(s: &TestServer, query: &str) -> (u16, String, Value) {
    ask_h(s, query, &[]).await
}

/// The parts of an answer that must not differ between a fresh and a cached delivery.
fn essence(v: &Value) -> Value {
    json!({
        "text": v["text"], "model": v["model"], "intent": v["intent"], "tier": v["tier"],
        "chart_commands": v["chart_commands"],
        "chart_commands_structured": v["chart_commands_structured"],
        "chart_objects": v.get("chart_objects"),
    })
}

#[tokio::test]
async fn a_repeat_is_a_memory_hit_that_costs_nothing_and_the_ledger_records_the_saving() {
    let m = mock().await;
    m.state().set_default(Behavior {
        text: "RSI measures momentum.".into(),
        tool_arguments: Some(
            r#"{"commands":[{"type":"load","payload":{"symbol":"TSLA","asset_type":null}}]}"#
                .into(),
        ),
        ..Behavior::default()
    });
    let s = TestServer::start(config(&m)).await;
    let (st, x, first) = ask(&s, "Explain RSI on Tesla please").await;
    assert_eq!((st, x.as_str()), (200, "MISS"), "{first}");
    assert_eq!(first["cached"], false);
    let cost = first["cost_usd"].as_f64().unwrap();
    assert!(cost > 0.0);
    // Case and whitespace are folded.
    let (st, x, second) = ask(&s, "  explain RSI   on TESLA please ").await;
    assert_eq!((st, x.as_str()), (200, "HIT-memory"), "{second}");
    assert_eq!(second["cached"], true);
    assert_eq!(second["cost_usd"], 0.0);
    assert_eq!(essence(&first), essence(&second));
    assert_eq!(upstream_calls(&m).await, 1);
    let metrics = s.metrics().await;
    assert_eq!(
        sample(
            &metrics,
            "prompt_cache_requests_total{outcome=\"hit\",tier=\"memory\"}"
        ),
        1.0
    );
    assert!((sample(&metrics, "prompt_cache_saved_usd_total") - cost).abs() < 1e-12);
    s.state.ledger.flush().await;
    let rows = chartgate_server::store::ledger::recent(&s.state.store, 10)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows[0].cached && rows[0].cost_usd == 0.0);
    assert!((rows[0].saved_usd - cost).abs() < 1e-12);
    assert!(!rows[1].cached && rows[1].saved_usd == 0.0);
}

#[tokio::test]
async fn a_restart_on_the_same_file_answers_from_sqlite_then_from_memory() {
    let m = mock().await;
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(&m);
    c.cache.path = Some(dir.path().join("cache.sqlite3"));
    let a = TestServer::start(c.clone()).await;
    let (_, x, first) = ask(&a, "what does a doji candle mean").await;
    assert_eq!(x, "MISS");
    a.state.cache.flush().await;
    a.shutdown().await;
    let b = TestServer::start(c).await;
    let (_, x, again) = ask(&b, "what does a doji candle mean").await;
    assert_eq!(x, "HIT-sqlite", "{again}");
    assert_eq!(essence(&first), essence(&again));
    let (_, x, _) = ask(&b, "what does a doji candle mean").await;
    assert_eq!(x, "HIT-memory");
    assert_eq!(upstream_calls(&m).await, 1);
}

#[tokio::test]
async fn entries_expire_by_intent_on_the_test_clock_and_price_keys_join_phrasings() {
    let m = mock().await;
    let clock = Clock::starting_now();
    let mut c = config(&m);
    let raw: chartgate_server::cache::config::RawCacheConfig = toml::from_str(
        "[intents.educational]\nttl_seconds = 0\n[intents.price_only]\nttl_seconds = 15",
    )
    .unwrap();
    c.cache = raw.try_into().unwrap();
    let s = TestServer::start_with_clock(c, clock.clone()).await;
    let (_, x, first) = ask(&s, "what's TSLA at?").await;
    assert_eq!(first["intent"], "price_only");
    assert_eq!(x, "MISS");
    // Keyed by understanding: another phrasing of the same question is the same entry.
    let (_, x, _) = ask(&s, "tesla price?").await;
    assert_eq!(x, "HIT-memory");
    clock.advance_by(Duration::from_secs(14));
    assert_eq!(ask(&s, "what's TSLA at?").await.1, "HIT-memory");
    clock.advance_by(Duration::from_secs(2));
    assert_eq!(ask(&s, "what's TSLA at?").await.1, "MISS");
    assert_eq!(upstream_calls(&m).await, 2);
    // ttl 0: never cached.
    for _ in 0..2 {
        let (_, x, v) = ask(&s, "explain what the RSI indicator means").await;
        assert_eq!(v["intent"], "educational");
        assert_eq!(x, "BYPASS");
    }
    assert_eq!(upstream_calls(&m).await, 4);
}

#[tokio::test]
async fn errors_refusals_odd_finishes_dropped_tool_calls_and_broken_streams_are_never_stored() {
    let m = mock().await;
    let s = TestServer::start(config(&m)).await;
    let cases: Vec<(&str, Behavior)> = vec![
        ("failing upstream", Behavior::failing(500)),
        (
            "a refusal",
            Behavior {
                refusal: Some("I can't help with that.".into()),
                ..Behavior::default()
            },
        ),
        (
            "cut at the length limit",
            Behavior {
                finish_reason: Some("length".into()),
                ..Behavior::default()
            },
        ),
        (
            "an invalid tool call",
            Behavior {
                tool_arguments: Some(
                    r#"{"commands":[{"type":"load","payload":{"symbol":"TSLA","asset_type":null}},{"type":"explode"}]}"#
                        .into(),
                ),
                ..Behavior::default()
            },
        ),
    ];
    for (i, (what, b)) in cases.into_iter().enumerate() {
        m.state().set_default(b);
        let q = format!("tell me something about market breadth number {i}");
        let before = upstream_calls(&m).await;
        let (st1, x1, v1) = ask(&s, &q).await;
        let (st2, x2, v2) = ask(&s, &q).await;
        if st1 == 200 {
            assert_eq!(
                (x1.as_str(), x2.as_str()),
                ("MISS", "MISS"),
                "{what}: {v1} {v2}"
            );
        } else {
            assert_eq!((st1, st2), (502, 502), "{what}: {v1} {v2}");
        }
        assert!(upstream_calls(&m).await >= before + 2, "{what}");
        assert_ne!(v2["cached"], true, "{what}");
    }
    // A stream that breaks mid-answer.
    m.state().set_default(Behavior {
        text: "one two three four five six".into(),
        break_after_chunks: Some(3),
        ..Behavior::default()
    });
    let body = json!({"query": "describe sector rotation briefly"});
    for _ in 0..2 {
        let mut r = s.stream(&body).await;
        assert_eq!(r.headers.get("x-cache").unwrap(), "MISS");
        let events = r.rest().await;
        assert_eq!(events.last().unwrap().data["type"], "error");
    }
    s.state.cache.flush().await;
    let listed = s.state.cache.list(100, None).await.unwrap();
    assert!(listed.is_empty(), "nothing was stored: {listed:?}");
}

#[tokio::test]
async fn a_hundred_identical_requests_make_one_upstream_call_and_get_one_answer() {
    let m = mock().await;
    m.state().set_default(Behavior {
        latency_ms: 400,
        text: "Volume confirms the move.".into(),
        ..Behavior::default()
    });
    let s = Arc::new(TestServer::start(config(&m)).await);
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let s = Arc::clone(&s);
        tasks.push(tokio::spawn(async move {
            ask(&s, "why does volume matter for breakouts").await
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        let (st, _, v) = bounded(t).await.unwrap();
        assert_eq!(st, 200, "{v}");
        answers.push(essence(&v));
    }
    assert_eq!(upstream_calls(&m).await, 1);
    assert!(answers.iter().all(|a| *a == answers[0]));
    let metrics = s.metrics().await;
    let waiters = sample(&metrics, "prompt_cache_singleflight_waiters_total");
    let hits = sample(
        &metrics,
        "prompt_cache_requests_total{outcome=\"hit\",tier=\"memory\"}",
    );
    assert_eq!(waiters + hits, 99.0, "waiters {waiters} hits {hits}");
    assert!(waiters > 0.0);
}

#[tokio::test]
async fn a_failing_leader_wakes_every_waiter_with_its_error_at_once() {
    let m = mock().await;
    m.state().set_default(Behavior {
        latency_ms: 300,
        ..Behavior::failing(500)
    });
    let s = Arc::new(TestServer::start(config(&m)).await);
    let t0 = std::time::Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let s = Arc::clone(&s);
        tasks.push(tokio::spawn(async move {
            ask(&s, "what moves bond yields").await
        }));
    }
    for t in tasks {
        let (st, _, v) = bounded(t).await.unwrap();
        assert_eq!(st, 502, "{v}");
        assert_eq!(v["error"]["code"], "upstream_error", "{v}");
    }
    // One leader walked the chain (one call per model); nobody waited past it.
    let chain = s
        .state
        .config
        .models
        .chain(chartgate_server::routing::ModelTier::Cheap)
        .len()
        .max(1) as u64;
    assert!(
        upstream_calls(&m).await <= chain * 2,
        "{}",
        upstream_calls(&m).await
    );
    assert!(t0.elapsed() < Duration::from_secs(10));
    assert!(s.state.cache.flights.is_empty());
}

#[tokio::test]
async fn a_locked_sqlite_file_fails_no_request_and_is_counted() {
    let m = mock().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite3");
    let mut c = config(&m);
    c.cache.path = Some(path.clone());
    let s = TestServer::start(c).await;
    // Another process holds the write lock: every cache write fails (busy), reads still work.
    let locker = rusqlite::Connection::open(&path).unwrap();
    locker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    for i in 0..5 {
        let (st, _, v) = ask(&s, &format!("what is a moving average crossover {i}")).await;
        assert_eq!(st, 200, "{v}");
    }
    bounded(s.state.cache.flush()).await;
    let metrics = s.metrics().await;
    assert!(sample(&metrics, "prompt_cache_errors_total{tier=\"sqlite\"}") >= 1.0);
    // The memory tier still answers.
    assert_eq!(
        ask(&s, "what is a moving average crossover 0").await.1,
        "HIT-memory"
    );
    locker.execute_batch("ROLLBACK").unwrap();
}

#[tokio::test]
async fn a_cache_path_that_cannot_be_created_leaves_the_other_tiers_running() {
    let m = mock().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let mut c = config(&m);
    c.cache.path = Some(file.join("cache.sqlite3"));
    let s = TestServer::start(c).await;
    assert_eq!(ask(&s, "what is beta in a stock").await.1, "MISS");
    assert_eq!(ask(&s, "what is beta in a stock").await.1, "HIT-memory");
    let metrics = s.metrics().await;
    assert!(sample(&metrics, "prompt_cache_errors_total{tier=\"sqlite\"}") >= 1.0);
}

/// A stream's events with what differs per delivery taken out.
fn stream_shape(events: &[common::SseEvent]) -> Vec<Value> {
    events
        .iter()
        .map(|e| {
            let mut d = e.data.clone();
            for k in [
                "stream_id",
                "request_id",
                "session_id",
                "timestamp",
                "latency_ms",
                "cached",
                "cost_usd",
                "usage",
            ] {
                d.as_object_mut().unwrap().remove(k);
            }
            d
        })
        .collect()
}

#[tokio::test]
async fn a_cached_answer_streams_the_same_events_as_the_fresh_one() {
    let m = mock().await;
    m.state().set_default(Behavior {
        text: "Support held twice this week.".into(),
        tool_arguments: Some(TOOL_ARGS.into()),
        ..Behavior::default()
    });
    let s = TestServer::start(config(&m)).await;
    let body = json!({"query": "walk me through support levels on the chart"});
    let mut r = s.stream(&body).await;
    assert_eq!(r.headers.get("x-cache").unwrap(), "MISS");
    let fresh = r.rest().await;
    let mut r = s.stream(&body).await;
    assert_eq!(r.headers.get("x-cache").unwrap(), "HIT-memory");
    let cached = r.rest().await;
    assert_eq!(fresh.len(), cached.len());
    assert_eq!(stream_shape(&fresh), stream_shape(&cached));
    assert_eq!(cached[0].data["cached"], true);
    assert_eq!(cached.last().unwrap().data["cached"], true);
    assert!(fresh.iter().any(|e| e.data["type"] == "chart_command"));
    // The same entry answers the JSON endpoint, shaped as a fresh JSON answer.
    let (_, x, v) = ask(&s, "walk me through support levels on the chart").await;
    assert_eq!(x, "HIT-memory");
    assert_eq!(v["text"], fresh.last().unwrap().data["text"]);
    assert_eq!(upstream_calls(&m).await, 1);
}

#[tokio::test]
async fn cache_control_no_cache_skips_the_lookup_and_no_store_skips_both() {
    let m = mock().await;
    let s = TestServer::start(config(&m)).await;
    let q = "how do options greeks work";
    let (_, x, _) = ask_h(&s, q, &[("cache-control", "no-store")]).await;
    assert_eq!(x, "BYPASS");
    assert_eq!(ask(&s, q).await.1, "MISS", "no-store stored nothing");
    let (_, x, v) = ask_h(&s, q, &[("cache-control", "no-cache")]).await;
    assert_eq!(x, "BYPASS");
    assert_eq!(v["cached"], false);
    assert_eq!(upstream_calls(&m).await, 3);
    let q2 = "how do futures margins work";
    ask_h(&s, q2, &[("cache-control", "No-Cache")]).await;
    assert_eq!(ask(&s, q2).await.1, "HIT-memory", "no-cache still stores");
}

async fn admin(
    s: &TestServer,
    method: reqwest::Method,
    path: &str,
    key: Option<&str>,
) -> (u16, Value) {
    let mut req = s.http.request(method, s.url(path));
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    let r = bounded(req.send()).await.unwrap();
    let st = r.status().as_u16();
    let text = bounded(r.text()).await.unwrap();
    (
        st,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn admin_endpoints_need_the_admin_key_and_manage_every_tier() {
    use reqwest::Method;
    let m = mock().await;
    let s = TestServer::start(config(&m)).await;
    let (_, _, first) = ask(&s, "what is implied volatility").await;
    assert_eq!(first["intent"], "educational");
    s.state.cache.flush().await;
    let api_key = s.key("eve", chartgate_server::routing::UserTier::Premium);
    for path in ["/api/cache/stats", "/api/cache/entries"] {
        assert_eq!(admin(&s, Method::GET, path, None).await.0, 401);
        assert_eq!(
            admin(&s, Method::GET, path, Some("not-the-key")).await.0,
            401,
            "an unknown key"
        );
        assert_eq!(
            admin(&s, Method::GET, path, Some(&api_key)).await.0,
            403,
            "a valid API key has no admin right"
        );
    }
    assert_eq!(
        admin(&s, Method::DELETE, "/api/cache", Some("nope"))
            .await
            .0,
        401
    );
    let (st, stats) = admin(&s, Method::GET, "/api/cache/stats", Some(ADMIN)).await;
    assert_eq!(st, 200, "{stats}");
    assert_eq!(stats["tiers"][0]["tier"], "memory");
    assert_eq!(stats["tiers"][0]["misses"], 1);
    assert_eq!(stats["tiers"][1]["entries"], 1);
    let (st, list) = admin(&s, Method::GET, "/api/cache/entries?limit=10", Some(ADMIN)).await;
    assert_eq!(st, 200, "{list}");
    let entry = &list["entries"][0];
    let key = entry["key"].as_str().unwrap().to_owned();
    assert_eq!(entry["intent"], "educational");
    assert!(entry.get("user_id").is_none() && !list.to_string().contains("session"));
    // Hostile keys never reach a tier.
    for bad in [
        "not-hex".to_owned(),
        "..%2F..%2Fetc%2Fpasswd".to_owned(),
        "G".repeat(64),
        "a".repeat(5000),
    ] {
        let (st, _) = admin(
            &s,
            Method::DELETE,
            &format!("/api/cache/entries/{bad}"),
            Some(ADMIN),
        )
        .await;
        assert!((400..500).contains(&st), "{bad}: {st}");
    }
    for bad in ["limit=0", "limit=100000", "cursor=..", "limit=x", "bogus=1"] {
        let (st, _) = admin(
            &s,
            Method::GET,
            &format!("/api/cache/entries?{bad}"),
            Some(ADMIN),
        )
        .await;
        assert_eq!(st, 422, "{bad}");
    }
    let path = format!("/api/cache/entries/{key}");
    assert_eq!(admin(&s, Method::DELETE, &path, Some(ADMIN)).await.0, 200);
    assert_eq!(admin(&s, Method::DELETE, &path, Some(ADMIN)).await.0, 404);
    assert_eq!(ask(&s, "what is implied volatility").await.1, "MISS");
    assert_eq!(
        admin(&s, Method::DELETE, "/api/cache?intent=weather", Some(ADMIN))
            .await
            .0,
        422
    );
    let (st, v) = admin(
        &s,
        Method::DELETE,
        "/api/cache?intent=educational",
        Some(ADMIN),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(ask(&s, "what is implied volatility").await.1, "MISS");
    let (st, _) = admin(&s, Method::DELETE, "/api/cache", Some(ADMIN)).await;
    assert_eq!(st, 200);
    let (_, list) = admin(&s, Method::GET, "/api/cache/entries", Some(ADMIN)).await;
    assert_eq!(list["entries"], json!([]));
}

#[tokio::test]
async fn without_an_admin_key_configured_admin_endpoints_are_forbidden() {
    let m = mock().await;
    let mut c = config(&m);
    c.auth.admin_key = None;
    let s = TestServer::start(c).await;
    let (st, v) = admin(&s, reqwest::Method::GET, "/api/cache/stats", None).await;
    assert_eq!(st, 403, "{v}");
    let api_key = s.key("eve", chartgate_server::routing::UserTier::Premium);
    let (st, v) = admin(&s, reqwest::Method::GET, "/api/cache/stats", Some(&api_key)).await;
    assert_eq!(st, 403, "{v}");
}

#[tokio::test]
async fn every_cache_family_is_in_the_first_scrape() {
    let m = mock().await;
    let s = TestServer::start(config(&m)).await;
    let metrics = s.metrics().await;
    for family in [
        "prompt_cache_requests_total{outcome=\"miss\",tier=\"redis\"}",
        "prompt_cache_entries{tier=\"sqlite\"}",
        "prompt_cache_bytes{tier=\"memory\"}",
        "prompt_cache_evictions_total{reason=\"size\",tier=\"sqlite\"}",
        "prompt_cache_errors_total{tier=\"redis\"}",
        "prompt_cache_lookup_duration_seconds_count{tier=\"memory\"}",
        "prompt_cache_saved_usd_total",
        "prompt_cache_singleflight_waiters_total",
    ] {
        assert!(
            metrics.lines().any(|l| l.starts_with(family)),
            "{family} missing"
        );
    }
}
