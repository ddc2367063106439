//! What the gate (caller resolution and rate limiting) adds to a request (target: ≤ 20 µs p99).
//!
//! Criterion times the in-process parts alone: a cached API-key lookup, one rate-limit check
//! (in memory), the client address behind a trusted proxy. Then the whole router answers the
//! fast path (`POST /ask`, "show me TSLA on the weekly with RSI", core alone) in-process, as
//! interleaved pairs: without a key and with rate limits off, against with an API key and a limit
//! that is checked but never refuses; it prints p50/p99 of each and of their difference.
//!
//! Run: `cargo bench -p chartgate-server --bench gate`

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request};
use chartgate_server::config::Config;
use chartgate_server::ratelimit::{RateLimiter, RateLimitsConfig, TierLimit};
use chartgate_server::routing::UserTier;
use chartgate_server::state::AppState;
use chartgate_server::store::keys;
use criterion::{criterion_group, Criterion};
use std::hint::black_box;
use std::num::NonZeroU32;
use std::time::Instant;
use tower::ServiceExt;

fn huge() -> RateLimitsConfig {
    let l = Some(TierLimit {
        per_minute: NonZeroU32::new(6_000_000).expect("non-zero"),
        burst: NonZeroU32::new(100_000).expect("non-zero"),
    });
    RateLimitsConfig {
        anonymous: l,
        standard: l,
        premium: l,
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime")
}

async fn state(dir: &tempfile::TempDir, limits: RateLimitsConfig) -> AppState {
    let mut c = Config::defaults();
    c.store.path = dir.path().join("gate.sqlite3");
    c.rate_limits = limits;
    AppState::new(c).await.expect("state")
}

fn parts(c: &mut Criterion) {
    let rt = rt();
    let dir = tempfile::tempdir().expect("tempdir");
    let st = rt.block_on(state(&dir, huge()));
    let conn = st.store.connect().expect("conn");
    let secret = keys::create(&conn, "bench", UserTier::Standard, None)
        .expect("key")
        .secret
        .expose()
        .to_owned();
    rt.block_on(keys::lookup_cached(
        &st.key_cache,
        &st.store,
        secret.clone(),
    ))
    .expect("lookup");
    c.bench_function("gate/key_lookup_cached", |b| {
        b.iter(|| {
            rt.block_on(keys::lookup_cached(
                &st.key_cache,
                &st.store,
                black_box(secret.clone()),
            ))
        })
    });
    let limiter = RateLimiter::new(huge(), None);
    c.bench_function("gate/rate_limit_check", |b| {
        b.iter(|| rt.block_on(limiter.check(UserTier::Standard, black_box("user:bench"))))
    });
    let mut h = HeaderMap::new();
    h.insert(
        "x-forwarded-for",
        HeaderValue::from_static("203.0.113.9, 198.51.100.7"),
    );
    let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().expect("cidr")];
    let peer = "10.1.2.3".parse().expect("ip");
    c.bench_function("gate/client_addr_behind_proxy", |b| {
        b.iter(|| chartgate_server::http::gate::client_addr(black_box(peer), &h, &trusted))
    });
}

/// Interleaved fast-path requests with and without the gate's work, as percentiles.
fn end_to_end() {
    let rt = rt();
    let dir_a = tempfile::tempdir().expect("tempdir");
    let dir_b = tempfile::tempdir().expect("tempdir");
    let (plain, gated, secret) = rt.block_on(async {
        let plain = state(&dir_a, RateLimitsConfig::unlimited()).await;
        let gated = state(&dir_b, huge()).await;
        let conn = gated.store.connect().expect("conn");
        let secret = keys::create(&conn, "bench", UserTier::Standard, None)
            .expect("key")
            .secret
            .expose()
            .to_owned();
        (plain, gated, secret)
    });
    let body = r#"{"query":"show me TSLA on the weekly with RSI"}"#;
    let req = |key: Option<&str>| {
        let mut b = Request::post("/ask").header("content-type", "application/json");
        if let Some(k) = key {
            b = b.header("x-api-key", k);
        }
        b.body(Body::from(body)).expect("request")
    };
    let (app_plain, app_gated) = (
        chartgate_server::app(plain.clone()),
        chartgate_server::app(gated.clone()),
    );
    let n = 20_000;
    let (mut a, mut b) = (Vec::with_capacity(n), Vec::with_capacity(n));
    rt.block_on(async {
        for i in 0..n + 1_000 {
            let t = Instant::now();
            let r = app_plain.clone().oneshot(req(None)).await.expect("answer");
            let ta = t.elapsed().as_nanos() as u64;
            assert_eq!(r.status(), 200);
            let t = Instant::now();
            let r = app_gated
                .clone()
                .oneshot(req(Some(&secret)))
                .await
                .expect("answer");
            let tb = t.elapsed().as_nanos() as u64;
            assert_eq!(r.status(), 200);
            assert!(r.headers().contains_key("x-ratelimit-remaining"));
            if i >= 1_000 {
                a.push(ta);
                b.push(tb);
            }
        }
    });
    let pct = |v: &mut Vec<u64>, p: f64| {
        v.sort_unstable();
        v[((v.len() as f64 * p) as usize).min(v.len() - 1)] as f64 / 1000.0
    };
    let (a50, a99) = (pct(&mut a, 0.50), pct(&mut a, 0.99));
    let (b50, b99) = (pct(&mut b, 0.50), pct(&mut b, 0.99));
    println!(
        "fast path in-process, {n} interleaved pairs: no key, no limit p50 {a50:.1} µs p99 {a99:.1} µs; \
         API key + rate limit p50 {b50:.1} µs p99 {b99:.1} µs; added p50 {:.1} µs, p99 {:.1} µs",
        b50 - a50,
        b99 - a99
    );
    drop((plain, gated));
}

criterion_group!(group, parts);

fn main() {
    group();
    Criterion::default().configure_from_args().final_summary();
    end_to_end();
}
