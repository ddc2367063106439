//! The cache's Redis tier through a real `redis-server`: what one replica stores is a hit on a
//! second replica (the real `chartgate` binary); with Redis killed mid-run no request fails and
//! the errors are counted.

#![allow(clippy::unwrap_used)]

mod common;

use chartgate_mock_openai::MockServer;
use chartgate_server::config::{Config, ProviderKind};
use chartgate_server::redis::{RawRedisConfig, RedisConfig};
use common::{bounded, mock, sample, RedisProcess, TestServer};
use serde_json::{json, Value};
use std::io::{BufRead, Read, Write};
use std::time::{Duration, Instant};

fn config(m: &MockServer, redis_url: &str) -> Config {
    let mut c = Config::defaults();
    c.llm.provider = ProviderKind::OpenAi;
    c.llm.base_url = m.base_url();
    c.routing.fast_path = false;
    let raw: RawRedisConfig =
        serde_json::from_value(json!({"url": redis_url, "key_prefix": "test"})).unwrap();
    c.redis = RedisConfig::try_from(raw).unwrap();
    c
}

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

/// `POST {base}/ask`: (status, X-Cache, body).
async fn ask(base: &str, query: &str) -> (u16, String, Value) {
    let r = bounded(
        reqwest::Client::new()
            .post(format!("{base}/ask"))
            .json(&json!({"query": query}))
            .send(),
    )
    .await
    .unwrap();
    let st = r.status().as_u16();
    let x = r
        .headers()
        .get("x-cache")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (st, x, bounded(r.json::<Value>()).await.unwrap())
}

/// How many cache keys Redis holds (a raw `KEYS`, read as its array length).
fn cache_keys(port: u16) -> usize {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"KEYS test:cache:*\r\n").unwrap();
    let mut buf = [0u8; 4096];
    let n = s.read(&mut buf).unwrap();
    let head = String::from_utf8_lossy(&buf[..n]);
    head.strip_prefix('*')
        .and_then(|r| r.split("\r\n").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn what_one_replica_stores_is_a_hit_on_another() {
    let redis = RedisProcess::start();
    let m = mock().await;
    let a = TestServer::start(config(&m, &redis.url())).await;
    let q = "explain how the stochastic oscillator works";
    let (st, x, first) = ask(&a.base, q).await;
    assert_eq!((st, x.as_str()), (200, "MISS"), "{first}");
    // The Redis write leaves the request path: wait (bounded) until it landed.
    let t = Instant::now();
    while cache_keys(redis.port) == 0 {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "never stored in redis"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chartgate"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CHARTGATE_DB", dir.path().join("replica.sqlite3"))
        .env("CHARTGATE_PROVIDER", "openai")
        .env("CHARTGATE_OPENAI_BASE_URL", m.base_url())
        .env("CHARTGATE_ROUTING__FAST_PATH", "false")
        .env("CHARTGATE_REDIS__URL", redis.url())
        .env("CHARTGATE_REDIS__KEY_PREFIX", "test")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    let (st, x, other) = ask(&base, q).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!((st, x.as_str()), (200, "HIT-redis"), "{other}");
    assert_eq!(other["text"], first["text"]);
    assert_eq!(other["cached"], true);
    assert_eq!(upstream_calls(&m).await, 1);
}

#[tokio::test]
async fn redis_killed_mid_run_fails_no_request_and_is_counted() {
    let mut redis = RedisProcess::start();
    let m = mock().await;
    let s = TestServer::start(config(&m, &redis.url())).await;
    assert_eq!(ask(&s.base, "what is a bear flag").await.1, "MISS");
    redis.kill();
    for i in 0..5 {
        let t = Instant::now();
        let (st, x, v) = ask(&s.base, &format!("what is a bull flag {i}")).await;
        assert_eq!((st, x.as_str()), (200, "MISS"), "{v}");
        // The Redis lookup is bounded (cache.redis_timeout_ms = 50 by default).
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    }
    assert_eq!(ask(&s.base, "what is a bear flag").await.1, "HIT-memory");
    let metrics = s.metrics().await;
    assert!(sample(&metrics, "prompt_cache_errors_total{tier=\"redis\"}") >= 5.0);
    assert!(
        sample(
            &metrics,
            "prompt_cache_requests_total{outcome=\"error\",tier=\"redis\"}"
        ) >= 5.0
    );
}
