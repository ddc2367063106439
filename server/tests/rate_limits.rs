//! Rate limits per tier, over real sockets: per client address and per API key, with their
//! `X-RateLimit-*` headers and 429 `rate_limited` + `Retry-After`; `X-Forwarded-For` believed
//! only from a trusted proxy; no header or body field raises a tier; two server processes
//! sharing a real `redis-server` admit the configured rate together, not twice it; with Redis
//! down each replica still limits, and the failure is counted.

#![allow(clippy::unwrap_used)]

mod common;

use chartgate_server::config::Config;
use chartgate_server::ratelimit::{RateLimitsConfig, TierLimit};
use chartgate_server::redis::{RawRedisConfig, RedisConfig};
use chartgate_server::routing::{ModelTier, UserTier};
use common::*;
use serde_json::json;
use std::io::BufRead;
use std::num::NonZeroU32;

fn limit(per_minute: u32, burst: u32) -> Option<TierLimit> {
    Some(TierLimit {
        per_minute: NonZeroU32::new(per_minute).unwrap(),
        burst: NonZeroU32::new(burst).unwrap(),
    })
}

fn limited(anonymous: Option<TierLimit>, standard: Option<TierLimit>) -> Config {
    let mut c = Config::defaults();
    c.rate_limits = RateLimitsConfig {
        anonymous,
        standard,
        premium: None,
    };
    c
}

/// GETs `/api/flags` (a gated route that costs nothing) with `headers`.
async fn flags(server: &TestServer, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut r = server.http.get(server.url("/api/flags"));
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    bounded(r.send()).await.unwrap()
}

fn header(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn an_address_gets_its_burst_then_429_with_retry_after_and_probes_stay_free() {
    let server = TestServer::start_limited(limited(limit(60, 3), None), None).await;
    for left in ["2", "1", "0"] {
        let r = flags(&server, &[]).await;
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "x-ratelimit-limit").as_deref(), Some("60"));
        assert_eq!(header(&r, "x-ratelimit-remaining").as_deref(), Some(left));
        assert!(
            header(&r, "x-ratelimit-reset")
                .unwrap()
                .parse::<u64>()
                .unwrap()
                <= 3
        );
    }
    let (status, _, body) = server.post("/ask", &ask("show TSLA", None)).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited");
    assert!(body["error"]["request_id"].is_string());
    let r = flags(&server, &[]).await;
    assert_eq!(r.status(), 429);
    assert_eq!(header(&r, "retry-after").as_deref(), Some("1"));
    assert_eq!(header(&r, "x-ratelimit-remaining").as_deref(), Some("0"));
    // Probes and metrics are not limited.
    for _ in 0..5 {
        assert_eq!(server.get("/health").await.0, 200);
    }
    let m = server.metrics().await;
    assert_eq!(
        sample(
            &m,
            r#"rate_limit_refusals_total{by="address",tier="anonymous"}"#
        ),
        2.0
    );
    assert_eq!(
        sample(
            &m,
            r#"http_requests_total{method="GET",route="/api/flags",status="429"}"#
        ),
        1.0
    );
    let _ = server.shutdown().await;
}

#[tokio::test]
async fn each_key_has_its_own_limit_apart_from_the_address() {
    let server = TestServer::start_limited(limited(limit(60, 1), limit(60, 2)), None).await;
    let a = server.key("alice", UserTier::Standard);
    let b = server.key("bob", UserTier::Standard);
    for _ in 0..2 {
        let r = flags(&server, &[("x-api-key", a.as_str())]).await;
        assert_eq!(r.status(), 200);
    }
    let r = flags(&server, &[("x-api-key", a.as_str())]).await;
    assert_eq!(r.status(), 429);
    // Bob's key and the anonymous address each have their own state.
    assert_eq!(
        flags(&server, &[("x-api-key", b.as_str())]).await.status(),
        200
    );
    assert_eq!(flags(&server, &[]).await.status(), 200);
    assert_eq!(flags(&server, &[]).await.status(), 429);
    let m = server.metrics().await;
    assert_eq!(
        sample(&m, r#"rate_limit_refusals_total{by="key",tier="standard"}"#),
        1.0
    );
    assert_eq!(
        sample(
            &m,
            r#"rate_limit_refusals_total{by="address",tier="anonymous"}"#
        ),
        1.0
    );
    let _ = server.shutdown().await;
}

#[tokio::test]
async fn forwarded_for_counts_only_from_a_trusted_proxy() {
    // Untrusted: every X-Forwarded-For value is the same caller, the socket's 127.0.0.1.
    let server = TestServer::start_limited(limited(limit(60, 1), None), None).await;
    let r = flags(&server, &[("x-forwarded-for", "198.51.100.1")]).await;
    assert_eq!(r.status(), 200);
    let r = flags(&server, &[("x-forwarded-for", "198.51.100.2")]).await;
    assert_eq!(
        r.status(),
        429,
        "a made-up X-Forwarded-For is not a new caller"
    );
    let _ = server.shutdown().await;

    // Trusted loopback proxy: each forwarded client has its own limit; a client-supplied
    // prefix does not change who the proxy says the client is.
    let mut c = limited(limit(60, 1), None);
    c.auth.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    let server = TestServer::start_limited(c, None).await;
    let ok = |v: &'static str| flags_status(&server, v);
    assert_eq!(ok("198.51.100.1").await, 200);
    assert_eq!(ok("198.51.100.2").await, 200);
    assert_eq!(ok("198.51.100.1").await, 429);
    assert_eq!(ok("203.0.113.9, 198.51.100.2").await, 429);
    let _ = server.shutdown().await;
}

async fn flags_status(server: &TestServer, xff: &'static str) -> u16 {
    flags(server, &[("x-forwarded-for", xff)])
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn no_header_or_body_field_raises_an_anonymous_callers_tier() {
    let mock = mock().await;
    let mut c = model_config(&mock);
    c.routing.user_caps.anonymous = ModelTier::Cheap;
    c.routing.intent_tiers.general_query = ModelTier::Premium;
    c.routing.intent_tiers.educational = ModelTier::Premium;
    c.routing.intent_tiers.technical_analysis = ModelTier::Premium;
    let server = TestServer::start(c).await;
    let body = json!({"query": "explain the RSI indicator", "user_id": "vip", "tier": "premium"});
    let attempts: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![("x-user-tier", "premium")],
        vec![("x-tier", "premium"), ("x-user-id", "vip")],
        vec![("x-forwarded-user", "vip"), ("x-chartgate-tier", "premium")],
    ];
    for headers in attempts {
        let (status, _, answer) = server.post_with("/ask", &headers, &body).await;
        if status == 422 {
            // `tier` is not a body field: the body is refused, which raises nothing either.
            assert_eq!(answer["error"]["code"], "invalid_field", "{answer}");
            continue;
        }
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["tier"], "cheap", "{headers:?}: {answer}");
        assert_eq!(answer["model"], "gpt-4o-mini");
    }
    let body = json!({"query": "explain the RSI indicator", "user_id": "vip"});
    let (status, _, answer) = server
        .post_with("/ask", &[("x-user-tier", "premium")], &body)
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["tier"], "cheap");
    let _ = server.shutdown().await;
}

fn with_redis(mut c: Config, url: &str) -> Config {
    let raw: RawRedisConfig =
        serde_json::from_value(json!({"url": url, "key_prefix": "rl"})).unwrap();
    c.redis = RedisConfig::try_from(raw).unwrap();
    c
}

/// The real binary as a second replica sharing `redis_url`, anonymous limit 1/min, burst 50.
fn replica(redis_url: &str, dir: &std::path::Path) -> (std::process::Child, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chartgate"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CHARTGATE_DB", dir.join("replica.sqlite3"))
        .env("CHARTGATE_REDIS__URL", redis_url)
        .env("CHARTGATE_REDIS__KEY_PREFIX", "rl")
        .env("CHARTGATE_RATE_LIMITS__ANONYMOUS__PER_MINUTE", "1")
        .env("CHARTGATE_RATE_LIMITS__ANONYMOUS__BURST", "50")
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

#[tokio::test]
async fn two_replicas_sharing_redis_admit_the_configured_burst_together() {
    let redis = RedisProcess::start();
    // 1 per minute: nothing comes back during the test, so exactly the burst (50) may pass.
    let server =
        TestServer::start_limited(with_redis(limited(limit(1, 50), None), &redis.url()), None)
            .await;
    let dir = tempfile::tempdir().unwrap();
    let (mut child, base) = replica(&redis.url(), dir.path());
    let http = reqwest::Client::new();
    // 150 requests alternating between the replicas, 16 at a time (under the front door's
    // per-address connection cap).
    let mut admitted = 0;
    for wave in 0..10 {
        let mut tasks = Vec::new();
        for i in 0..15 {
            let url = if (wave * 15 + i) % 2 == 0 {
                server.url("/api/flags")
            } else {
                format!("{base}/api/flags")
            };
            let http = http.clone();
            tasks.push(tokio::spawn(async move {
                bounded(http.get(url).send())
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }));
        }
        for t in tasks {
            match t.await.unwrap() {
                200 => admitted += 1,
                429 => {}
                other => panic!("unexpected status {other}"),
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    // Within 5% of the limit (in fact exact: one Redis script decides every request).
    assert!(
        (48..=52).contains(&admitted),
        "{admitted} admitted by two replicas for a burst of 50 (twice it would be 100)"
    );
    let m = server.metrics().await;
    assert!(
        sample(
            &m,
            r#"redis_operations_total{op="rate_limit",outcome="ok"}"#
        ) >= 70.0
    );
    let _ = server.shutdown().await;
}

#[tokio::test]
async fn with_redis_down_each_replica_still_limits_and_counts_the_failure() {
    let mut redis = RedisProcess::start();
    let url = redis.url();
    redis.kill();
    let server =
        TestServer::start_limited(with_redis(limited(limit(60, 2), None), &url), None).await;
    assert_eq!(flags(&server, &[]).await.status(), 200);
    assert_eq!(flags(&server, &[]).await.status(), 200);
    assert_eq!(flags(&server, &[]).await.status(), 429);
    let m = server.metrics().await;
    assert!(
        sample(
            &m,
            r#"redis_operations_total{op="rate_limit",outcome="error"}"#
        ) >= 3.0
    );
    let _ = server.shutdown().await;
}
