//! Fallback chains and circuit breakers against the mock, through the real async-openai client:
//! 429, 500 and timeouts walk the chain before the first byte; an exhausted chain answers
//! 502/504; a failing model's breaker opens, skips the model, half-opens after the cool-down and
//! closes again on a successful probe; asks in flight over the threshold move down a tier.
#![allow(clippy::unwrap_used)]

mod common;

use chartgate_mock_openai::Behavior;
use chartgate_server::routing::BreakerState;
use common::*;
use std::time::Duration;

#[tokio::test]
async fn rate_limited_primary_falls_back_to_the_next_model() {
    let mock = mock().await;
    mock.state().set_model("gpt-4o", Behavior::failing(429));
    let server = TestServer::start(model_config(&mock)).await;
    let (status, _, body) = server.post("/ask", &ask("hello there", Some("u1"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["tier"], "mid");
    assert_eq!(
        mock.state().stats("gpt-4o").requests,
        1,
        "exactly one attempt, no hidden retries"
    );
    assert_eq!(mock.state().stats("gpt-4o-mini").requests, 1);
    let m = server.metrics().await;
    assert_eq!(
        sample(&m, r#"model_fallbacks_total{reason="rate_limited"}"#),
        1.0
    );
    assert_eq!(
        sample(
            &m,
            r#"openai_errors_total{model="gpt-4o",reason="rate_limited"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &m,
            r#"openai_requests_total{model="gpt-4o-mini",outcome="ok"}"#
        ),
        1.0
    );
    let _ = server.shutdown().await;
}

#[tokio::test]
async fn server_error_walks_the_whole_premium_chain() {
    let mock = mock().await;
    mock.state().set_model("gpt-5", Behavior::failing(500));
    mock.state().set_model("gpt-4o", Behavior::failing(503));
    let mut config = model_config(&mock);
    config.routing.intent_tiers.general_query = chartgate_server::routing::ModelTier::Premium;
    config.routing.intent_tiers.educational = chartgate_server::routing::ModelTier::Premium;
    config.routing.intent_tiers.chart_command = chartgate_server::routing::ModelTier::Premium;
    config.routing.intent_tiers.market_overview = chartgate_server::routing::ModelTier::Premium;
    config.routing.intent_tiers.news_summary = chartgate_server::routing::ModelTier::Premium;
    config.routing.intent_tiers.price_only = chartgate_server::routing::ModelTier::Premium;
    config.routing.intent_tiers.technical_analysis = chartgate_server::routing::ModelTier::Premium;
    let server = TestServer::start(config).await;
    let key = server.key("vip", chartgate_server::routing::UserTier::Premium);
    let (status, _, body) = server
        .post_with(
            "/ask",
            &[("x-api-key", key.as_str())],
            &ask("hello there", None),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["tier"], "premium");
    let m = server.metrics().await;
    assert_eq!(
        sample(&m, r#"model_fallbacks_total{reason="server_error"}"#),
        2.0
    );
    let _ = server.shutdown().await;
}

#[tokio::test]
async fn timeout_falls_back_and_an_all_timeout_chain_is_504() {
    let mock = mock().await;
    mock.state().set_model(
        "gpt-4o",
        Behavior {
            latency_ms: 5_000,
            ..Behavior::default()
        },
    );
    let mut config = model_config(&mock);
    // Generous for the answering fallback on a slow CI machine, far below the injected 5 s.
    config.llm.timeout = Duration::from_millis(1_000);
    let server = TestServer::start(config).await;
    let (status, _, body) = server.post("/ask", &ask("hello there", Some("u1"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["model"], "gpt-4o-mini");
    let m = server.metrics().await;
    assert_eq!(
        sample(&m, r#"model_fallbacks_total{reason="timeout"}"#),
        1.0
    );

    mock.state().set_model(
        "gpt-4o-mini",
        Behavior {
            latency_ms: 5_000,
            ..Behavior::default()
        },
    );
    let (status, rid, body) = server.post("/ask", &ask("hello there", Some("u1"))).await;
    assert_eq!(status, 504, "{body}");
    assert_eq!(body["error"]["code"], "upstream_timeout");
    assert_eq!(body["error"]["request_id"], rid.as_str());
    let _ = server.shutdown().await;
}

#[tokio::test]
async fn exhausted_chain_is_502_with_the_error_body() {
    let mock = mock().await;
    mock.state().set_default(Behavior::failing(500));
    let server = TestServer::start(model_config(&mock)).await;
    let (status, rid, body) = server.post("/ask", &ask("hello there", Some("u1"))).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"]["code"], "upstream_error");
    assert_eq!(body["error"]["request_id"], rid.as_str());
    assert!(
        !body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("injected"),
        "5xx bodies stay generic"
    );
    let _ = server.shutdown().await;
}

#[tokio::test]
async fn garbled_upstream_output_falls_back() {
    let mock = mock().await;
    mock.state().set_model(
        "gpt-4o",
        Behavior {
            garble: true,
            ..Behavior::default()
        },
    );
    let server = TestServer::start(model_config(&mock)).await;
    let (status, _, body) = server.post("/ask", &ask("hello there", Some("u1"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["model"], "gpt-4o-mini");
    let m = server.metrics().await;
    assert_eq!(
        sample(&m, r#"model_fallbacks_total{reason="bad_response"}"#),
        1.0
    );
    let _ = server.shutdown().await;
}

#[tokio::test]
async fn breaker_opens_skips_the_model_then_half_opens_and_closes() {
    let mock = mock().await;
    mock.state().set_model("gpt-4o", Behavior::failing(500));
    let mut config = model_config(&mock);
    config.routing.breaker.min_requests = 2;
    config.routing.breaker.error_rate = 0.5;
    config.routing.breaker.window = Duration::from_secs(60);
    config.routing.breaker.cooldown = Duration::from_millis(400);
    let server = TestServer::start(config).await;
    let breaker = |s: &TestServer| s.state.breakers.state("gpt-4o").unwrap();

    // Two failures open the breaker (each request still succeeds through the fallback).
    for _ in 0..2 {
        let (status, _, body) = server.post("/ask", &ask("hello there", Some("u1"))).await;
        assert_eq!((status, body["model"].as_str()), (200, Some("gpt-4o-mini")));
    }
    assert_eq!(breaker(&server), BreakerState::Open);
    let m = server.metrics().await;
    assert_eq!(sample(&m, r#"circuit_breaker_state{model="gpt-4o"}"#), 2.0);

    // While open, gpt-4o is not even called.
    let (status, _, body) = server.post("/ask", &ask("hello there", Some("u1"))).await;
    assert_eq!((status, body["model"].as_str()), (200, Some("gpt-4o-mini")));
    assert_eq!(mock.state().stats("gpt-4o").requests, 2);
    let m = server.metrics().await;
    assert_eq!(
        sample(&m, r#"model_fallbacks_total{reason="breaker_open"}"#),
        1.0
    );

    // The model recovers; after the cool-down one probe goes through and closes the breaker.
    mock.state().set_model("gpt-4o", Behavior::default());
    bounded(async {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let (status, _, body) = server.post("/ask", &ask("hello there", Some("u1"))).await;
            assert_eq!(status, 200, "{body}");
            if body["model"] == "gpt-4o" {
                break;
            }
        }
    })
    .await;
    assert_eq!(breaker(&server), BreakerState::Closed);
    let m = server.metrics().await;
    assert_eq!(sample(&m, r#"circuit_breaker_state{model="gpt-4o"}"#), 0.0);
    assert_eq!(
        sample(
            &m,
            r#"circuit_breaker_transitions_total{model="gpt-4o",to="open"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &m,
            r#"circuit_breaker_transitions_total{model="gpt-4o",to="half_open"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &m,
            r#"circuit_breaker_transitions_total{model="gpt-4o",to="closed"}"#
        ),
        1.0
    );
    let _ = server.shutdown().await;
}

#[tokio::test]
async fn all_open_breakers_give_503_with_retry_after_and_call_nothing() {
    let mock = mock().await;
    mock.state().set_default(Behavior::failing(500));
    let mut config = model_config(&mock);
    config.routing.breaker.min_requests = 1;
    config.routing.breaker.cooldown = Duration::from_secs(30);
    let server = TestServer::start(config).await;
    let (status, _, _) = server.post("/ask", &ask("hello there", Some("u1"))).await;
    assert_eq!(status, 502);
    // Both breakers are open now: nothing is called and the answer is 503 with Retry-After.
    let r = bounded(
        server
            .http
            .post(server.url("/ask"))
            .json(&ask("hello there", Some("u1")))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "30");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "upstream_unavailable");
    assert_eq!(mock.state().stats("gpt-4o").requests, 1);
    assert_eq!(mock.state().stats("gpt-4o-mini").requests, 1);
    let _ = server.shutdown().await;
}

#[tokio::test]
async fn load_over_the_threshold_moves_sheddable_intents_down_a_tier() {
    let mock = mock().await;
    // The first ask holds gpt-4o (mid) long enough for the second to see it in flight.
    mock.state().set_model(
        "gpt-4o",
        Behavior {
            latency_ms: 3_000,
            ..Behavior::default()
        },
    );
    let mut config = model_config(&mock);
    config.routing.load.max_in_flight = 1;
    config.routing.load.shed_intents = chartgate_server::routing::INTENTS.to_vec();
    let server = std::sync::Arc::new(TestServer::start(config).await);
    let first = {
        let s = server.clone();
        tokio::spawn(async move { s.post("/ask", &ask("hello there", Some("u1"))).await })
    };
    bounded(async {
        while server.state.asks_in_flight() < 1 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    let (status, _, body) = server.post("/ask", &ask("hello there", Some("u2"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tier"], "cheap", "shed from mid: {body}");
    assert_eq!(body["model"], "gpt-4o-mini");
    let (status, _, body) = bounded(first).await.unwrap();
    assert_eq!((status, body["model"].as_str()), (200, Some("gpt-4o")));
    let m = server.metrics().await;
    assert_eq!(
        sample(&m, r#"model_tier_downgrades_total{reason="load_shed"}"#),
        1.0
    );
    let server = std::sync::Arc::into_inner(server).unwrap();
    let _ = server.shutdown().await;
}
