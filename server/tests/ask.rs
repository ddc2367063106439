//! The ask pipeline over real HTTP: offline answers and the fast path, the model path through
//! the mock and the real async-openai client, tool-call commands validated by core, invalid
//! tool arguments dropped and counted, flags shaping the answer, the SQLite ledger, and the
//! operational endpoints (`/health`, `/ready`, `/metrics` checked by promtool).
#![allow(clippy::unwrap_used)]

mod common;

use chartgate_core::{parse_legacy_list, Intent, Understanding};
use chartgate_mock_openai::Behavior;
use chartgate_server::config::Config;
use chartgate_server::store::ledger;
use chartgate_server::store::Store;
use common::*;
use serde_json::json;

const TOOL_ARGS: &str = r#"{"commands":[{"type":"load","payload":{"symbol":"nvda","asset_type":null}},{"type":"indicator","payload":{"name":"MA50","enabled":true,"params":null}}]}"#;

#[tokio::test]
async fn default_config_answers_offline_and_health_says_so() {
    let server = TestServer::start(Config::defaults()).await;
    let (status, health) = server.get("/health").await;
    assert_eq!(status, 200);
    assert_eq!(health["provider"], "offline");
    let (status, rid, body) = server
        .post(
            "/api/agent/orchestrate",
            &ask("what is the RSI indicator?", Some("u1")),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["model"], "offline");
    assert_eq!(body["tier"], "offline");
    assert_eq!(body["cost_usd"], 0.0);
    assert_eq!(body["request_id"], rid.as_str());
    assert_eq!(body["cached"], false);
    for field in [
        "text",
        "intent",
        "session_id",
        "timestamp",
        "latency_ms",
        "chart_commands",
        "chart_commands_structured",
        "usage",
        "flags",
    ] {
        assert!(body.get(field).is_some(), "missing {field} in {body}");
    }
    assert!(
        body.get("chart_objects").is_none(),
        "objects are off by default"
    );
    assert!(!body["text"].as_str().unwrap().is_empty());
    let _ = server.shutdown().await;
}

#[tokio::test]
async fn ready_reports_the_store() {
    let server = TestServer::start(Config::defaults()).await;
    let (status, body) = server.get("/ready").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")));
    assert!(server.dir.path().join("data/chartgate.sqlite3").exists());
    let _ = server.shutdown().await;
}

#[tokio::test]
async fn ready_is_503_while_the_store_schema_is_behind_and_recovers() {
    let server = TestServer::start(Config::defaults()).await;
    let db = server.dir.path().join("data/chartgate.sqlite3");
    let set_version = |v: i64| {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.pragma_update(None, "user_version", v).unwrap();
    };
    let current: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert!(current > 0);

    // Another process rolled the schema back (or the file was swapped): not ready.
    set_version(0);
    let (status, body) = server.get("/ready").await;
    assert_eq!(status, 503);
    assert_eq!(body["error"]["code"], "not_ready");
    assert!(body["error"]["request_id"].is_string());
    // Liveness is unaffected.
    assert_eq!(server.get("/health").await.0, 200);

    set_version(current);
    let (status, body) = server.get("/ready").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")));
    let _ = server.shutdown().await;
}

fn forced_chart_control(_: &str) -> Understanding {
    let parsed = parse_legacy_list(&["LOAD:TSLA", "TIMEFRAME:1W", "INDICATOR:SMA:ON:50"]);
    Understanding::new(Intent::ChartCommand, parsed.commands)
}

#[tokio::test]
async fn chart_control_is_answered_by_core_alone_even_with_a_model_configured() {
    let mock = mock().await;
    let mut config = model_config(&mock);
    config.routing.fast_path = true;
    let server = TestServer::start_with(config, Some(forced_chart_control)).await;
    let (status, _, body) = server
        .post(
            "/ask",
            &ask("show me Tesla on the weekly with the 50 day", Some("u1")),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["model"], "offline");
    assert_eq!(body["intent"], "chart_command");
    assert_eq!(body["cost_usd"], 0.0);
    assert_eq!(body["usage"]["prompt_tokens"], 0);
    assert_eq!(
        body["chart_commands"],
        json!(["LOAD:TSLA", "TIMEFRAME:1W", "INDICATOR:SMA:ON:50"])
    );
    assert_eq!(body["chart_commands_structured"][0]["type"], "load");
    assert_eq!(mock.state().stats("gpt-4o").requests, 0, "no model call");
    let m = server.metrics().await;
    assert_eq!(
        sample(
            &m,
            r#"model_selections_total{intent="chart_command",model="offline",tier="offline"}"#
        ),
        1.0
    );
    let _ = server.shutdown().await;
}

#[tokio::test]
async fn the_fast_path_is_taken_exactly_when_core_finds_chart_control() {
    let mock = mock().await;
    let mut config = model_config(&mock);
    config.routing.fast_path = true;
    let server = TestServer::start(config).await;
    for q in [
        "show me Tesla on the weekly with the 50 day moving average",
        "zoom in",
        "what do you think about the semiconductor sector this year?",
        "explain how the MACD works",
    ] {
        let u = chartgate_core::understand(q);
        let fast = u.intent == Intent::ChartCommand && !u.commands.is_empty();
        let before = mock.state().stats("gpt-4o").requests;
        let (status, _, body) = server.post("/ask", &ask(q, Some("u1"))).await;
        assert_eq!(status, 200, "{q}: {body}");
        let after = mock.state().stats("gpt-4o").requests;
        if fast {
            assert_eq!(body["model"], "offline", "{q}");
            assert_eq!(after, before, "{q}: fast path must not call the model");
            let legacy: Vec<String> = u.commands.iter().map(|c| c.legacy().to_owned()).collect();
            assert_eq!(body["chart_commands"], json!(legacy), "{q}");
        } else {
            assert_eq!(body["model"], "gpt-4o", "{q}");
            assert_eq!(after, before + 1, "{q}");
        }
    }
    let _ = server.shutdown().await;
}

#[tokio::test]
async fn model_path_returns_validated_tool_commands_cost_and_a_ledger_row() {
    let mock = mock().await;
    mock.state().set_default(Behavior {
        text: "NVDA is consolidating.".into(),
        tool_arguments: Some(TOOL_ARGS.into()),
        prompt_tokens: Some(1000),
        completion_tokens: Some(200),
        cached_tokens: 400,
        ..Behavior::default()
    });
    let server = TestServer::start(model_config(&mock)).await;
    let (status, rid, body) = server
        .post(
            "/api/agent/orchestrate",
            &json!({"query": "hello there", "user_id": "alice", "session_id": "s-1",
                    "conversation_history": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
                    "chart_context": {"symbol": "nvda", "timeframe": "1d"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["model"], "gpt-4o");
    assert_eq!(body["tier"], "mid");
    assert_eq!(body["text"], "NVDA is consolidating.");
    assert_eq!(body["session_id"], "s-1");
    let legacy: Vec<&str> = body["chart_commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(legacy.contains(&"LOAD:NVDA"), "{legacy:?}");
    assert!(legacy.contains(&"INDICATOR:SMA:ON:50"), "{legacy:?}");
    assert_eq!(
        body["usage"],
        json!({"prompt_tokens": 1000, "completion_tokens": 200, "cached_tokens": 400})
    );
    // gpt-4o: 600 uncached × 2.50 + 400 cached × 1.25 + 200 × 10, per 1M tokens.
    let expected = (600.0 * 2.50 + 400.0 * 1.25 + 200.0 * 10.0) / 1e6;
    assert!(
        (body["cost_usd"].as_f64().unwrap() - expected).abs() < 1e-12,
        "{body}"
    );

    // What the model saw: history, chart context, and core's schema as a strict tool.
    let sent = mock.state().last_request().unwrap();
    assert_eq!(sent["messages"].as_array().unwrap().len(), 4);
    assert!(sent["messages"][0]["content"]
        .as_str()
        .unwrap()
        .contains("NVDA"));
    assert_eq!(sent["tools"][0]["function"]["name"], "chart_commands");
    assert_eq!(sent["tools"][0]["function"]["strict"], true);
    assert_eq!(
        sent["tools"][0]["function"]["parameters"],
        chartgate_core::chart_command_schema()
    );

    let m = server.metrics().await;
    assert_eq!(
        sample(&m, r#"chart_tool_calls_total{outcome="valid"}"#),
        1.0
    );
    assert_eq!(
        sample(&m, r#"openai_requests_total{model="gpt-4o",outcome="ok"}"#),
        1.0
    );
    assert_eq!(
        sum_where(
            &m,
            "openai_tokens_total",
            &[("model", "gpt-4o"), ("kind", "prompt")]
        ),
        1000.0,
        "{m}"
    );
    assert_eq!(
        sum_where(
            &m,
            "openai_tokens_total",
            &[("model", "gpt-4o"), ("kind", "cached")]
        ),
        400.0
    );
    assert!(
        (sum_where(&m, "openai_cost_usd_total", &[("model", "gpt-4o")]) - expected).abs() < 1e-12
    );
    assert!(
        m.contains("gateway_overhead_seconds_count{route=\"/api/agent/orchestrate\"} 1"),
        "{m}"
    );

    // The ledger row is in the SQLite file, also after a restart of the store.
    let path = server.state.store.path().to_path_buf();
    let _dir = server.shutdown().await;
    let store = Store::open(&path).unwrap();
    let rows = ledger::recent(&store, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.request_id, rid);
    assert_eq!(row.user_id.as_deref(), Some("alice"));
    assert_eq!(row.model, "gpt-4o");
    assert_eq!(row.tier, "mid");
    assert_eq!(row.usage.prompt_tokens, 1000);
    assert!((row.cost_usd - expected).abs() < 1e-12);
    assert!(row.created_at.ends_with('Z'));
}

#[tokio::test]
async fn invalid_tool_arguments_are_dropped_and_counted() {
    let mock = mock().await;
    mock.state().set_model(
        "gpt-4o",
        Behavior {
            tool_arguments: Some(
                r#"{"commands":[{"type":"load","payload":{"symbol":"NOT A TICKER!!"}},{"type":"teleport","payload":{}},{"type":"zoom","payload":{"direction":"in","amount":null}}]}"#.into(),
            ),
            ..Behavior::default()
        },
    );
    let server = TestServer::start(model_config(&mock)).await;
    let (status, _, body) = server.post("/ask", &ask("hello there", Some("u1"))).await;
    assert_eq!(status, 200, "{body}");
    let legacy = body["chart_commands"].as_array().unwrap();
    assert!(
        legacy.iter().any(|c| c == "ZOOM:IN"),
        "the valid command survives: {body}"
    );
    assert!(
        !body.to_string().contains("TICKER") && !body.to_string().contains("teleport"),
        "invalid commands never pass through: {body}"
    );
    // Garbled (non-JSON) arguments.
    mock.state().set_model(
        "gpt-4o",
        Behavior {
            tool_arguments: Some("{not json".into()),
            ..Behavior::default()
        },
    );
    let (status, _, body) = server.post("/ask", &ask("hello there", Some("u1"))).await;
    assert_eq!(status, 200, "{body}");
    let m = server.metrics().await;
    assert_eq!(
        sample(
            &m,
            r#"chart_command_validation_issues_total{code="invalid_symbol"}"#
        ),
        1.0,
        "{m}"
    );
    assert_eq!(
        sample(
            &m,
            r#"chart_command_validation_issues_total{code="unknown_command_type"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &m,
            r#"chart_command_validation_issues_total{code="invalid_type"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(&m, r#"chart_tool_calls_total{outcome="invalid"}"#),
        2.0
    );
    let _ = server.shutdown().await;
}

#[tokio::test]
async fn flags_shape_the_answer() {
    let mock = mock().await;
    mock.state().set_default(Behavior {
        tool_arguments: Some(TOOL_ARGS.into()),
        ..Behavior::default()
    });
    let mut config = model_config(&mock);
    config.flags.prefer_structured_percent = 100;
    config.flags.structured_objects_percent = 100;
    let server = TestServer::start(config).await;
    let (status, _, body) = server.post("/ask", &ask("hello there", Some("u1"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["flags"]["PREFER_STRUCTURED_CHART_COMMANDS"], true);
    assert_eq!(body["flags"]["ENABLE_STRUCTURED_CHART_OBJECTS"], true);
    assert_eq!(
        body["chart_commands"],
        json!([]),
        "structured-first empties the legacy list"
    );
    let structured = body["chart_commands_structured"].as_array().unwrap();
    assert!(structured.iter().any(|c| c["legacy"] == "LOAD:NVDA"));
    let objects = &body["chart_objects"];
    assert_eq!(objects["version"], "2.0");
    assert_eq!(objects["symbol"], "NVDA");
    assert_eq!(objects["indicators"][0]["name"], "SMA");
    let m = server.metrics().await;
    assert_eq!(
        sample(&m, r#"chart_commands_emitted_total{shape="legacy"}"#),
        0.0
    );
    assert!(sample(&m, r#"chart_commands_emitted_total{shape="objects"}"#) >= 2.0);
    let _ = server.shutdown().await;
}

#[tokio::test]
async fn metrics_expose_every_family_and_pass_promtool() {
    let server = TestServer::start(Config::defaults()).await;
    server.post("/ask", &ask("show TSLA", None)).await;
    server.get("/health").await;
    let _ = server.http.get(server.url("/nope")).send().await.unwrap();
    let m = server.metrics().await;
    for name in [
        "http_requests_total{method=\"POST\",route=\"/ask\",status=\"200\"} 1",
        "http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1",
        "http_request_duration_seconds_bucket{method=\"GET\",route=\"/health\"",
        "model_selections_total{",
        "model_fallbacks_total{reason=\"rate_limited\"} 0",
        "model_routing_duration_seconds_count",
        "circuit_breaker_state{model=\"gpt-5\"} 0",
        "openai_requests_total{model=\"gpt-4o\",outcome=\"ok\"} 0",
        "chart_commands_emitted_total{shape=\"structured\"}",
        "chart_command_validation_issues_total{code=\"unknown_verb\"} 0",
        "gateway_overhead_seconds_bucket{route=\"/ask\"",
        "chartgate_build_info{version=",
        "http_requests_in_flight",
    ] {
        assert!(m.contains(name), "missing {name}:\n{m}");
    }
    promtool_check(&m);
    let _ = server.shutdown().await;
}

/// Pipes the exposition through `promtool check metrics` (required when CI=true).
fn promtool_check(text: &str) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            assert!(
                std::env::var("CI").map(|v| v != "true").unwrap_or(true),
                "promtool is required when CI=true: {e}"
            );
            println!("note: promtool not found ({e}); skipped `promtool check metrics`");
            return;
        }
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_call_whose_client_disconnects_is_still_settled_in_the_ledger() {
    let mock = mock().await;
    mock.state().set_default(Behavior {
        latency_ms: 600,
        prompt_tokens: Some(50),
        completion_tokens: Some(5),
        ..Behavior::default()
    });
    let server = TestServer::start(model_config(&mock)).await;
    // The client gives up long before the model answers.
    let impatient = reqwest::Client::builder()
        .timeout(std::time::Duration::from_millis(150))
        .build()
        .unwrap();
    let r = impatient
        .post(server.url("/ask"))
        .json(&ask("hello there", Some("leaver")))
        .send()
        .await;
    assert!(r.is_err(), "the client was supposed to time out");
    drop(impatient);
    // The upstream call completes and is settled anyway.
    bounded(async {
        loop {
            server.state.ledger.flush().await;
            let rows = ledger::recent(&server.state.store, 10).await.unwrap();
            if let Some(row) = rows.first() {
                assert_eq!(row.user_id.as_deref(), Some("leaver"));
                assert_eq!(row.usage.prompt_tokens, 50);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await;
    bounded(async {
        while server.state.asks_in_flight() != 0 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    let _ = server.shutdown().await;
}
