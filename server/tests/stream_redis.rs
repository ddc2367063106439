//! Streams across replicas through a real `redis-server`: a stream started on one server
//! resumes on a second server process (the real `chartgate` binary) that shares the Redis, live
//! continuation included; with Redis down, streams still work and a cross-replica resume fails
//! with a clear 503, counted.

#![allow(clippy::unwrap_used)]

mod common;

use chartgate_mock_openai::Behavior;
use chartgate_server::config::Config;
use chartgate_server::redis::{RawRedisConfig, RedisConfig};
use common::{bounded, mock, model_config, parse_sse, sample, RedisProcess, TestServer};
use serde_json::json;
use std::io::BufRead;
use std::time::Duration;

fn with_redis(mut c: Config, url: &str) -> Config {
    let raw: RawRedisConfig =
        serde_json::from_value(json!({"url": url, "key_prefix": "test"})).unwrap();
    c.redis = RedisConfig::try_from(raw).unwrap();
    c
}

/// The real binary as a second replica, sharing `redis_url`; returns (child, base URL).
fn second_replica(redis_url: &str, dir: &std::path::Path) -> (std::process::Child, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chartgate"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CHARTGATE_DB", dir.join("replica.sqlite3"))
        .env("CHARTGATE_REDIS__URL", redis_url)
        .env("CHARTGATE_REDIS__KEY_PREFIX", "test")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    (child, base)
}

/// A resume on the other replica. The mirror writes beside the answer, so right after the stream
/// started its owner may not be in Redis yet: a 404 is retried (bounded) until it is.
async fn remote_resume(http: &reqwest::Client, url: &str, last: &str) -> reqwest::Response {
    for _ in 0..100 {
        let r = bounded(http.get(url).header("last-event-id", last).send())
            .await
            .unwrap();
        if r.status() != 404 {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the stream never reached the other replica through redis");
}

#[tokio::test]
async fn a_stream_resumes_on_another_replica_through_redis() {
    let redis = RedisProcess::start();
    let server = TestServer::start(with_redis(Config::defaults(), &redis.url())).await;
    let body = json!({"query": "show me NVDA on the weekly with RSI", "session_id": "x-rep"});
    let all = server.stream(&body).await.rest().await;
    let id = all[0].data["stream_id"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let (mut child, base) = second_replica(&redis.url(), dir.path());
    let http = reqwest::Client::new();
    // The mirror writes beside the answer: wait (bounded) until the whole stream is in Redis.
    let mut got = Vec::new();
    for _ in 0..100 {
        let r = remote_resume(
            &http,
            &format!("{base}/api/agent/stream/{id}?session_id=x-rep"),
            "2",
        )
        .await;
        assert_eq!(r.status(), 200);
        got = parse_sse(&r.text().await.unwrap());
        if got.len() == all.len() - 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        got,
        all[2..].to_vec(),
        "the same events, exactly once, on the other replica"
    );
    // Someone else's stream is not found there either.
    let r = bounded(
        http.get(format!("{base}/api/agent/stream/{id}?session_id=intruder"))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 404);
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test]
async fn a_running_stream_continues_live_on_another_replica() {
    let redis = RedisProcess::start();
    let mock = mock().await;
    mock.state().set_default(Behavior {
        text: "one two three four five six seven".into(),
        chunk_interval_ms: 60,
        ..Behavior::default()
    });
    let server = TestServer::start(with_redis(model_config(&mock), &redis.url())).await;
    let mut sse = server
        .stream(&json!({"query": "hi", "user_id": "live"}))
        .await;
    let meta = sse.next().await.unwrap();
    let id = meta.data["stream_id"].as_str().unwrap().to_owned();
    drop(sse);
    let dir = tempfile::tempdir().unwrap();
    let (mut child, base) = second_replica(&redis.url(), dir.path());
    let r = remote_resume(
        &reqwest::Client::new(),
        &format!("{base}/api/agent/stream/{id}?user_id=live"),
        "1",
    )
    .await;
    assert_eq!(r.status(), 200);
    let rest = parse_sse(&bounded(r.text()).await.unwrap());
    assert_eq!(rest[0].id, 2);
    assert_eq!(rest.last().unwrap().data["type"], "done");
    let ids: Vec<u64> = rest.iter().map(|e| e.id).collect();
    assert_eq!(ids, (2..=rest.len() as u64 + 1).collect::<Vec<_>>());
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test]
async fn with_redis_down_streams_work_and_a_cross_replica_resume_is_a_clear_503() {
    let mut redis = RedisProcess::start();
    let url = redis.url();
    redis.kill();
    let server = TestServer::start(with_redis(Config::defaults(), &url)).await;
    let all = server
        .stream(&json!({"query": "show TSLA", "session_id": "down"}))
        .await
        .rest()
        .await;
    assert_eq!(
        all.last().unwrap().data["type"],
        "done",
        "streams do not need redis"
    );
    // The local stream still resumes locally.
    let id = all[0].data["stream_id"].as_str().unwrap();
    let local = server.resume(id, Some("1"), "?session_id=down").await;
    assert_eq!(local.status, 200);
    // A stream this replica does not have: Redis would know, but is down.
    let other = format!("str_{}", "a".repeat(32));
    let sse = server.resume(&other, Some("1"), "?session_id=down").await;
    assert_eq!(sse.status, 503);
    assert_eq!(sse.headers["retry-after"], "1");
    assert_eq!(
        sse.json().await["error"]["code"],
        "stream_store_unavailable"
    );
    // The mirror fails beside the answer, within redis.timeout_ms: wait for its count (bounded).
    let mut m = server.metrics().await;
    for _ in 0..100 {
        if sample(
            &m,
            "redis_operations_total{op=\"stream_mirror\",outcome=\"error\"}",
        ) >= 1.0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        m = server.metrics().await;
    }
    assert!(
        sample(
            &m,
            "redis_operations_total{op=\"stream_mirror\",outcome=\"error\"}"
        ) >= 1.0
    );
    assert!(
        sample(
            &m,
            "redis_operations_total{op=\"stream_read\",outcome=\"error\"}"
        ) >= 1.0
    );
    assert_eq!(
        sample(&m, "sse_resumes_total{outcome=\"unavailable\"}"),
        1.0
    );
}
