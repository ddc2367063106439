//! `POST /api/agent/stream` and `GET /api/agent/stream/{id}` end to end: the real server on a
//! port, the real async-openai client streaming from the mock. Fallback before the first delta,
//! errors after it, stalls, disconnects (settlement still happens), resume at every event
//! boundary, live continuation, the bounds, and bad resume requests.

#![allow(clippy::unwrap_used)]

mod common;

use chartgate_mock_openai::Behavior;
use chartgate_server::config::Config;
use common::{bounded, mock, model_config, sample, SseEvent, TestServer};
use serde_json::{json, Value};
use std::time::Duration;

const ARGS_TSLA: &str = r#"{"commands":[{"type":"load","payload":{"symbol":"TSLA"}},{"type":"timeframe","payload":{"value":"1W"}}]}"#;

fn types(events: &[SseEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| e.data["type"].as_str().unwrap().to_owned())
        .collect()
}

fn commands(events: &[SseEvent]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.data["type"] == "chart_command")
        .map(|e| e.data["command"].as_str().unwrap().to_owned())
        .collect()
}

fn text(events: &[SseEvent]) -> String {
    events
        .iter()
        .filter(|e| e.data["type"] == "content")
        .map(|e| e.data["text"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn tool_arguments_in_one_character_fragments_become_validated_commands() {
    let mock = mock().await;
    mock.state().set_default(Behavior {
        text: "Switching to the weekly.".into(),
        tool_arguments: Some(ARGS_TSLA.into()),
        fragment_chars: Some(1),
        ..Behavior::default()
    });
    let server = TestServer::start(model_config(&mock)).await;
    let mut sse = server
        .stream(&json!({"query": "what now?", "user_id": "u1"}))
        .await;
    assert_eq!(sse.status, 200);
    assert_eq!(
        sse.headers["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let events = sse.rest().await;
    assert_eq!(commands(&events), ["LOAD:TSLA", "TIMEFRAME:1W"]);
    assert_eq!(text(&events), "Switching to the weekly.");
    let done = &events.last().unwrap().data;
    assert_eq!(done["type"], "done");
    assert_eq!(done["model"], "gpt-4o");
    assert_eq!(done["chart_commands"], json!(["LOAD:TSLA", "TIMEFRAME:1W"]));
    assert_eq!(done["text"], "Switching to the weekly.");
    assert!(sse.comments >= 1, "a keep-alive comment opens the stream");
    let seq: Vec<u64> = events
        .iter()
        .filter(|e| e.data["type"] == "chart_command")
        .map(|e| e.data["sequence"].as_u64().unwrap())
        .collect();
    assert_eq!(seq, [1, 2]);
}

#[tokio::test]
async fn json_and_stream_endpoints_answer_the_same() {
    let mock = mock().await;
    mock.state().set_default(Behavior {
        text: "Same answer.".into(),
        tool_arguments: Some(ARGS_TSLA.into()),
        ..Behavior::default()
    });
    let server = TestServer::start(model_config(&mock)).await;
    let body = json!({"query": "what now?", "user_id": "u1", "session_id": "s1"});
    let (status, _, json_answer) = server.post("/ask", &body).await;
    assert_eq!(status, 200);
    let events = server.stream(&body).await.rest().await;
    let done = &events.last().unwrap().data;
    for k in [
        "text",
        "model",
        "intent",
        "tier",
        "cached",
        "session_id",
        "chart_commands",
        "chart_commands_structured",
        "usage",
        "cost_usd",
        "flags",
    ] {
        assert_eq!(done[k], json_answer[k], "field {k}");
    }
}

#[tokio::test]
async fn a_429_before_the_first_delta_falls_back_to_the_next_model() {
    let mock = mock().await;
    mock.state().set_model("gpt-4o", Behavior::failing(429));
    mock.state().set_model(
        "gpt-4o-mini",
        Behavior {
            text: "From the fallback.".into(),
            ..Behavior::default()
        },
    );
    let server = TestServer::start(model_config(&mock)).await;
    let events = server
        .stream(&json!({"query": "hi", "user_id": "u1"}))
        .await
        .rest()
        .await;
    assert_eq!(
        events[0].data["model"], "gpt-4o",
        "metadata names the planned model"
    );
    let done = &events.last().unwrap().data;
    assert_eq!(done["type"], "done");
    assert_eq!(
        done["model"], "gpt-4o-mini",
        "done names the model that answered"
    );
    assert_eq!(text(&events), "From the fallback.");
    let m = server.metrics().await;
    assert_eq!(
        sample(&m, "model_fallbacks_total{reason=\"rate_limited\"}"),
        1.0
    );
}

#[tokio::test]
async fn a_failure_after_the_first_delta_ends_with_an_error_event_and_no_fallback() {
    let mock = mock().await;
    mock.state().set_model(
        "gpt-4o",
        Behavior {
            text: "one two three four five".into(),
            break_after_chunks: Some(3),
            ..Behavior::default()
        },
    );
    let server = TestServer::start(model_config(&mock)).await;
    let events = server
        .stream(&json!({"query": "hi", "user_id": "u1"}))
        .await
        .rest()
        .await;
    let last = &events.last().unwrap().data;
    assert_eq!(last["type"], "error", "{events:?}");
    assert_eq!(last["code"], "upstream_error");
    assert!(!text(&events).is_empty(), "some text came before the break");
    assert_eq!(
        mock.state().stats("gpt-4o-mini").requests,
        0,
        "no switch mid-answer"
    );
    let m = server.metrics().await;
    assert_eq!(
        sample(&m, "sse_stream_errors_total{code=\"upstream_error\"}"),
        1.0
    );
    assert_eq!(sample(&m, "sse_streams_total{outcome=\"error\"}"), 1.0);
}

#[tokio::test]
async fn garbled_upstream_sse_before_any_delta_falls_back() {
    let mock = mock().await;
    mock.state().set_model(
        "gpt-4o",
        Behavior {
            garble: true,
            ..Behavior::default()
        },
    );
    let server = TestServer::start(model_config(&mock)).await;
    let events = server
        .stream(&json!({"query": "hi", "user_id": "u1"}))
        .await
        .rest()
        .await;
    let done = &events.last().unwrap().data;
    assert_eq!(done["type"], "done", "{events:?}");
    assert_eq!(done["model"], "gpt-4o-mini");
}

#[tokio::test]
async fn an_upstream_that_stalls_ends_the_stream_with_upstream_timeout() {
    let mock = mock().await;
    mock.state().set_default(Behavior {
        text: "a b c d e f".into(),
        stall_after_chunks: Some(3),
        ..Behavior::default()
    });
    let mut config = model_config(&mock);
    config.stream.upstream_idle_timeout = Duration::from_millis(200);
    let server = TestServer::start(config).await;
    let events = server
        .stream(&json!({"query": "hi", "user_id": "u1"}))
        .await
        .rest()
        .await;
    let last = &events.last().unwrap().data;
    assert_eq!(last["type"], "error");
    assert_eq!(last["code"], "upstream_timeout");
}

#[tokio::test]
async fn a_client_that_disconnects_mid_stream_still_gets_its_answer_settled() {
    let mock = mock().await;
    mock.state().set_default(Behavior {
        text: "one two three four five six seven eight".into(),
        chunk_interval_ms: 50,
        prompt_tokens: Some(1000),
        completion_tokens: Some(200),
        ..Behavior::default()
    });
    let server = TestServer::start(model_config(&mock)).await;
    let mut sse = server
        .stream(&json!({"query": "hi", "user_id": "leaver"}))
        .await;
    let first = sse.next().await.unwrap();
    assert_eq!(first.data["type"], "metadata");
    let _ = sse.next().await;
    drop(sse);
    let dir = server.shutdown().await;
    let conn = rusqlite::Connection::open(dir.path().join("data/chartgate.sqlite3")).unwrap();
    let (n, tokens): (i64, i64) = conn
        .query_row(
            "SELECT count(*), coalesce(sum(completion_tokens), 0) FROM ledger WHERE user_id = 'leaver'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((n, tokens), (1, 200), "the ledger row is written once");
}

#[tokio::test]
async fn core_commands_go_out_before_the_models_first_token() {
    let mock = mock().await;
    mock.state().set_default(Behavior {
        latency_ms: 300,
        text: "It is up today.".into(),
        ..Behavior::default()
    });
    let mut config = model_config(&mock);
    config.routing.fast_path = true;
    let server = TestServer::start(config).await;
    let events = server
        .stream(&json!({"query": "what's TSLA trading at?"}))
        .await
        .rest()
        .await;
    let t = types(&events);
    assert_eq!(t[0], "metadata");
    assert_eq!(t[1], "chart_command");
    assert_eq!(events[1].data["command"], "LOAD:TSLA");
    assert!(t.iter().position(|x| x == "content") > Some(1));
    let m = server.metrics().await;
    assert_eq!(sample(&m, "sse_first_command_seconds_count"), 1.0);
    assert_eq!(sample(&m, "sse_ttfb_seconds_count"), 1.0);
}

#[tokio::test]
async fn resume_replays_exactly_the_events_after_every_boundary() {
    let server = TestServer::start(Config::defaults()).await;
    let body = json!({"query": "show me NVDA on the weekly with RSI", "session_id": "r1"});
    let all = server.stream(&body).await.rest().await;
    let id = all[0].data["stream_id"].as_str().unwrap().to_owned();
    assert!(all.len() > 5);
    for k in 0..=all.len() {
        let last = k.to_string();
        let mut sse = server.resume(&id, Some(&last), "?session_id=r1").await;
        assert_eq!(sse.status, 200, "Last-Event-ID {k}");
        let rest = sse.rest().await;
        assert_eq!(rest, all[k..].to_vec(), "Last-Event-ID {k}");
    }
    // Without Last-Event-ID: from the start.
    let again = server
        .resume(&id, None, "?session_id=r1")
        .await
        .rest()
        .await;
    assert_eq!(again, all);
}

#[tokio::test]
async fn a_resume_continues_live_while_the_answer_runs() {
    let mock = mock().await;
    mock.state().set_default(Behavior {
        text: "one two three four five six".into(),
        chunk_interval_ms: 40,
        ..Behavior::default()
    });
    let server = TestServer::start(model_config(&mock)).await;
    let body = json!({"query": "hi", "user_id": "u-live"});
    let mut sse = server.stream(&body).await;
    let meta = sse.next().await.unwrap();
    let second = sse.next().await.unwrap();
    drop(sse);
    let id = meta.data["stream_id"].as_str().unwrap();
    let mut resumed = server
        .resume(id, Some(&second.id.to_string()), "?user_id=u-live")
        .await;
    let rest = resumed.rest().await;
    assert_eq!(
        rest[0].id,
        second.id + 1,
        "continues right after the last id seen"
    );
    assert_eq!(rest.last().unwrap().data["type"], "done");
    let mut full = vec![meta, second];
    full.extend(rest);
    let ids: Vec<u64> = full.iter().map(|e| e.id).collect();
    assert_eq!(
        ids,
        (1..=full.len() as u64).collect::<Vec<_>>(),
        "every event once"
    );
    assert_eq!(text(&full), "one two three four five six");
}

#[tokio::test]
async fn bad_resume_requests_are_4xx_with_the_error_body() {
    let server = TestServer::start(Config::defaults()).await;
    let body = json!({"query": "show TSLA", "user_id": "owner"});
    let all = server.stream(&body).await.rest().await;
    let id = all[0].data["stream_id"].as_str().unwrap().to_owned();
    let last = all.len();
    let cases: Vec<(String, Option<String>, &str, u16, &str)> = vec![
        (
            id.clone(),
            Some("abc".into()),
            "?user_id=owner",
            422,
            "invalid_field",
        ),
        (
            id.clone(),
            Some("-1".into()),
            "?user_id=owner",
            422,
            "invalid_field",
        ),
        (
            id.clone(),
            Some(" 1e3".into()),
            "?user_id=owner",
            422,
            "invalid_field",
        ),
        (
            id.clone(),
            Some((last + 1).to_string()),
            "?user_id=owner",
            422,
            "invalid_field",
        ),
        (
            id.clone(),
            Some("99999999999999999999999".into()),
            "?user_id=owner",
            422,
            "invalid_field",
        ),
        (
            id.clone(),
            Some("1".into()),
            "?user_id=intruder",
            404,
            "stream_not_found",
        ),
        (id.clone(), Some("1".into()), "", 404, "stream_not_found"),
        (
            id.clone(),
            Some("1".into()),
            "?user_id=owner&extra=1",
            422,
            "invalid_field",
        ),
        (
            format!("str_{}", "0".repeat(32)),
            None,
            "?user_id=owner",
            404,
            "stream_not_found",
        ),
        ("../../etc/passwd".into(), None, "", 404, "not_found"),
        ("x".repeat(5000), None, "", 404, "stream_not_found"),
    ];
    for (sid, lei, q, status, code) in cases {
        let sse = server.resume(&sid, lei.as_deref(), q).await;
        let got = sse.status;
        let rid = sse
            .headers
            .get("x-request-id")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = sse.json().await;
        assert_eq!(got, status, "{sid:.40} {lei:?} {q}: {body}");
        assert_eq!(body["error"]["code"], code, "{sid:.40} {lei:?} {q}");
        assert_eq!(body["error"]["request_id"].as_str(), rid.as_deref());
    }
    let m = server.metrics().await;
    assert!(sample(&m, "sse_resumes_total{outcome=\"not_found\"}") >= 3.0);
    assert!(sample(&m, "sse_resumes_total{outcome=\"bad_last_event_id\"}") >= 5.0);
}

#[tokio::test]
async fn a_thousand_resumes_of_one_stream_each_get_the_same_events() {
    // A thousand connections from one test client: raise the front door's per-address cap (its
    // own tests cover it).
    let mut config = Config::defaults();
    config.server.conn.max_connections_per_address = 2_000;
    config.server.conn.max_connections = 4_000;
    let server = TestServer::start(config).await;
    let body = json!({"query": "show AAPL with MACD", "session_id": "many"});
    let all = server.stream(&body).await.rest().await;
    let id = all[0].data["stream_id"].as_str().unwrap().to_owned();
    let mut tasks = Vec::new();
    for i in 0..1000 {
        let (http, url) = (
            server.http.clone(),
            server.url(&format!("/api/agent/stream/{id}?session_id=many")),
        );
        let k = (i % all.len()).to_string();
        tasks.push(tokio::spawn(async move {
            let r = http
                .get(url)
                .header("last-event-id", k)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            common::parse_sse(&r.text().await.unwrap()).len()
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        let n = bounded(t).await.unwrap();
        assert_eq!(n, all.len() - i % all.len());
    }
    let m = server.metrics().await;
    assert_eq!(sample(&m, "sse_resumes_total{outcome=\"ok\"}"), 1000.0);
    assert_eq!(sample(&m, "sse_connections_active"), 0.0);
}

#[tokio::test]
async fn over_the_concurrent_stream_cap_is_503_with_retry_after() {
    let mock = mock().await;
    mock.state().set_default(Behavior {
        text: "slow".into(),
        stall_after_chunks: Some(2),
        ..Behavior::default()
    });
    let mut config = model_config(&mock);
    config.stream.max_concurrent = 1;
    config.stream.upstream_idle_timeout = Duration::from_secs(5);
    let server = TestServer::start(config).await;
    let mut first = server
        .stream(&json!({"query": "hi", "user_id": "u1"}))
        .await;
    assert_eq!(first.status, 200);
    assert_eq!(first.next().await.unwrap().data["type"], "metadata");
    let second = server
        .stream(&json!({"query": "hi", "user_id": "u1"}))
        .await;
    assert_eq!(second.status, 503);
    assert_eq!(second.headers["retry-after"], "1");
    assert_eq!(second.json().await["error"]["code"], "too_many_streams");
}

#[tokio::test]
async fn a_stream_over_its_event_bound_ends_with_stream_limit() {
    let mock = mock().await;
    mock.state().set_default(Behavior {
        text: "word ".repeat(100),
        ..Behavior::default()
    });
    let mut config = model_config(&mock);
    config.stream.max_events = 20;
    let server = TestServer::start(config).await;
    let events = server
        .stream(&json!({"query": "hi", "user_id": "u1"}))
        .await
        .rest()
        .await;
    assert!(events.len() <= 20);
    let last = &events.last().unwrap().data;
    assert_eq!(last["code"], "stream_limit", "{last}");
}

#[tokio::test]
async fn request_caused_upstream_errors_do_not_open_the_breaker() {
    let mock = mock().await;
    mock.state().set_model("gpt-4o", Behavior::failing(400));
    let server = TestServer::start(model_config(&mock)).await;
    for _ in 0..8 {
        let (status, _, _) = server
            .post("/ask", &json!({"query": "hi", "user_id": "u1"}))
            .await;
        assert_eq!(status, 200, "the fallback answers");
    }
    let m = server.metrics().await;
    assert_eq!(sample(&m, "circuit_breaker_state{model=\"gpt-4o\"}"), 0.0);
    assert_eq!(
        sample(
            &m,
            "openai_errors_total{model=\"gpt-4o\",reason=\"bad_request\"}"
        ),
        8.0
    );
    assert_eq!(mock.state().stats("gpt-4o").requests, 8, "never skipped");
}

#[tokio::test]
async fn a_stream_body_that_is_not_an_ask_is_refused_before_any_event() {
    let server = TestServer::start(Config::defaults()).await;
    for (body, status) in [
        (json!({}), 422),
        (json!({"query": ""}), 422),
        (json!({"query": "x", "extra": 1}), 422),
        (Value::String("show TSLA".into()), 422),
    ] {
        let sse = server.stream(&body).await;
        assert_eq!(sse.status, status, "{body}");
        assert_eq!(sse.json().await["error"]["code"], "invalid_field");
    }
}

#[tokio::test]
async fn a_model_command_goes_out_as_soon_as_its_element_is_complete() {
    // The model stalls in the middle of its tool call: the first command's JSON element is
    // complete, the second is not. The first is already on the wire when the stream times out.
    let mock = mock().await;
    mock.state().set_default(Behavior {
        text: String::new(),
        tool_arguments: Some(ARGS_TSLA.into()),
        fragment_chars: Some(10),
        stall_after_chunks: Some(8),
        ..Behavior::default()
    });
    let mut config = model_config(&mock);
    config.stream.upstream_idle_timeout = Duration::from_millis(300);
    let server = TestServer::start(config).await;
    let events = server
        .stream(&json!({"query": "hi", "user_id": "u1"}))
        .await
        .rest()
        .await;
    assert_eq!(commands(&events), ["LOAD:TSLA"], "{events:?}");
    let last = &events.last().unwrap().data;
    assert_eq!(last["code"], "upstream_timeout");
}
