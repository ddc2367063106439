//! Replays a query log (`tests/load/querylog.jsonl`, made by `tests/load/querylog.py`) through a
//! real server on loopback against the mock model, and reports the cache's hit ratio per intent
//! and overall, and the cost saved: with the default keys (price questions keyed by core's
//! understanding), with every intent keyed by its text, and (the log's ceiling) with every
//! answer kept for the whole day.
//!
//! The cache's clock is set to each line's timestamp before it is sent, so expiry follows the
//! log's trading day (6.5 hours replayed in seconds) with the configured `ttl_seconds`.
//! Requests go one at a time (what is measured is what the cache keeps, not speed).
//!
//! ```text
//! cargo run -p chartgate-server --example cache_replay -- [tests/load/querylog.jsonl] [LIMIT]
//! ```

use chartgate_mock_openai::{MockConfig, MockServer};
use chartgate_server::clock::Clock;
use chartgate_server::config::{Config, ProviderKind};
use chartgate_server::AppState;
use serde_json::{json, Value};
use std::collections::BTreeMap;

#[derive(Default)]
struct Tally {
    requests: u64,
    /// Answered by a model or the cache (not the fast path, not `ttl = 0`).
    cacheable: u64,
    hits: u64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).cloned().unwrap_or_else(|| {
        format!(
            "{}/../tests/load/querylog.jsonl",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    let limit: usize = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(usize::MAX);
    let lines: Vec<Value> = std::fs::read_to_string(&path)?
        .lines()
        .take(limit)
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    chartgate_server::llm::openai::install_crypto_provider();
    let mock = MockServer::start("127.0.0.1:0".parse()?, MockConfig::default()).await?;
    println!("{} lines from {path}", lines.len());
    for (mode, day) in [
        ("understanding", false),
        ("text", false),
        ("understanding", true),
    ] {
        replay(&mock, &lines, mode, day).await?;
    }
    Ok(())
}

async fn replay(
    mock: &MockServer,
    lines: &[Value],
    price_key: &str,
    a_day: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let mut c = Config::defaults();
    c.llm.provider = ProviderKind::OpenAi;
    c.llm.base_url = mock.base_url();
    c.store.path = dir.path().join("chartgate.sqlite3");
    let mut cache_toml = format!("[intents.price_only]\nkey = \"{price_key}\"\n");
    if a_day {
        // Every answer kept all day: the log's own repetition, the ceiling of any TTL.
        cache_toml.push_str("ttl_seconds = 86400\n");
        for i in [
            "chart_command",
            "technical_analysis",
            "news_summary",
            "market_overview",
            "general_query",
        ] {
            cache_toml.push_str(&format!("[intents.{i}]\nttl_seconds = 86400\n"));
        }
    }
    let raw: chartgate_server::cache::config::RawCacheConfig = toml::from_str(&cache_toml)?;
    c.cache = raw.try_into().map_err(|(k, m)| format!("{k}: {m}"))?;
    let clock = Clock::starting_now();
    let state = AppState::builder(c).clock(clock.clone()).build().await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(chartgate_server::serve(listener, state.clone(), async {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::new();
    let mut by_intent: BTreeMap<String, Tally> = BTreeMap::new();
    let mut paid = 0.0;
    let t0 = std::time::Instant::now();
    for line in lines {
        clock.set(line["ts_ms"].as_i64().unwrap_or(0));
        let r = http
            .post(format!("{base}/ask"))
            .json(&json!({"query": line["query"], "user_id": line["user_id"],
                          "session_id": line["session_id"]}))
            .send()
            .await?;
        let x = r
            .headers()
            .get("x-cache")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let v: Value = r.json().await?;
        let intent = v["intent"].as_str().unwrap_or("error").to_owned();
        paid += v["cost_usd"].as_f64().unwrap_or(0.0);
        let t = by_intent.entry(intent).or_default();
        t.requests += 1;
        if x != "BYPASS" {
            t.cacheable += 1;
        }
        if x.starts_with("HIT") {
            t.hits += 1;
        }
    }
    let took = t0.elapsed();
    let saved = state.cache.metrics.saved_usd.get();
    let _ = stop.send(());
    let _ = server.await;
    println!(
        "\nprice_only keyed by {price_key}, {} ({:.1} s):",
        if a_day {
            "every TTL one day"
        } else {
            "default TTLs"
        },
        took.as_secs_f64()
    );
    println!(
        "{:<20} {:>8} {:>10} {:>8} {:>10} {:>12}",
        "intent", "requests", "cacheable", "hits", "hit/all", "hit/cacheable"
    );
    let mut total = Tally::default();
    for (intent, t) in &by_intent {
        row(intent, t);
        total.requests += t.requests;
        total.cacheable += t.cacheable;
        total.hits += t.hits;
    }
    row("overall", &total);
    println!(
        "cost paid ${paid:.4}, saved by the cache ${saved:.4} ({:.1} % of what the log would cost uncached)",
        100.0 * saved / (paid + saved).max(f64::MIN_POSITIVE)
    );
    Ok(())
}

fn row(name: &str, t: &Tally) {
    let pct = |a: u64, b: u64| {
        if b == 0 {
            "-".to_owned()
        } else {
            format!("{:.1} %", 100.0 * a as f64 / b as f64)
        }
    };
    println!(
        "{:<20} {:>8} {:>10} {:>8} {:>10} {:>12}",
        name,
        t.requests,
        t.cacheable,
        t.hits,
        pct(t.hits, t.requests),
        pct(t.hits, t.cacheable)
    );
}
