//! The SSE transcripts in `tests/sse/*.json` (`docs/streaming.md`): each names a request, the
//! mock model's behaviour and the server's config, and lists every event the stream must carry,
//! in order, with its id. `data` is matched as a subset, so fields that change from run to run
//! (`stream_id`, `request_id`, `session_id`, `timestamp`, `latency_ms`) are left out of the files.
//! The browser client's tests replay the same files.
//!
//! `UPDATE_TRANSCRIPTS=1 cargo test -p chartgate-server --test stream_transcripts` rewrites the
//! `events` of every file from what the server sends now; review the diff before committing.

#![allow(clippy::unwrap_used)]

mod common;

use chartgate_core::conformance::subset_match;
use chartgate_mock_openai::{Behavior, MockConfig, MockServer};
use chartgate_server::config::{Config, ProviderKind};
use common::{bounded, SseEvent, TestServer};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

/// Fields of event data that differ between runs.
const VOLATILE: [&str; 5] = [
    "stream_id",
    "request_id",
    "session_id",
    "timestamp",
    "latency_ms",
];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/sse")
}

fn stable(mut e: SseEvent) -> Value {
    if let Some(o) = e.data.as_object_mut() {
        for k in VOLATILE {
            o.remove(k);
        }
    }
    serde_json::json!({"id": e.id, "data": e.data})
}

async fn run(t: &Value) -> (Vec<Value>, Option<MockServer>) {
    let mut config = Config::defaults();
    let cfg = t.get("config").cloned().unwrap_or(Value::Null);
    if let Some(f) = cfg.get("fast_path").and_then(Value::as_bool) {
        config.routing.fast_path = f;
    }
    let mut mock = None;
    if cfg.get("provider").and_then(Value::as_str) == Some("openai") {
        let behavior: Behavior =
            serde_json::from_value(t.get("mock").cloned().unwrap_or(Value::Null))
                .unwrap_or_default();
        let m = MockServer::start(
            "127.0.0.1:0".parse().unwrap(),
            MockConfig {
                default: behavior,
                ..MockConfig::default()
            },
        )
        .await
        .unwrap();
        config.llm.provider = ProviderKind::OpenAi;
        config.llm.base_url = m.base_url();
        config.llm.timeout = Duration::from_secs(10);
        config.stream.upstream_idle_timeout = Duration::from_millis(
            cfg.get("upstream_idle_timeout_ms")
                .and_then(Value::as_u64)
                .unwrap_or(10_000),
        );
        mock = Some(m);
    }
    let server = TestServer::start(config).await;
    let mut sse = server.stream(&t["request"]).await;
    assert_eq!(sse.status, 200);
    let events = bounded(sse.rest()).await;
    server.shutdown().await;
    (events.into_iter().map(stable).collect(), mock)
}

#[tokio::test]
async fn every_transcript_streams_exactly_its_events() {
    let update = std::env::var("UPDATE_TRANSCRIPTS").is_ok_and(|v| v == "1");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "expected the transcripts in {:?}", dir());
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut t: Value = serde_json::from_str(&text).unwrap();
        let (actual, _mock) = run(&t).await;
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if update {
            t["events"] = Value::Array(actual);
            let mut out = serde_json::to_string_pretty(&t).unwrap();
            out.push('\n');
            std::fs::write(&path, out).unwrap();
            continue;
        }
        let expected = t["events"].as_array().unwrap();
        let ids: Vec<u64> = actual.iter().map(|e| e["id"].as_u64().unwrap()).collect();
        let want: Vec<u64> = (1..=actual.len() as u64).collect();
        assert_eq!(ids, want, "{name}: ids are 1, 2, 3, …");
        assert_eq!(
            actual.len(),
            expected.len(),
            "{name}: event count\nactual: {}",
            serde_json::to_string_pretty(&actual).unwrap()
        );
        for (i, (e, a)) in expected.iter().zip(&actual).enumerate() {
            subset_match(e, a).unwrap_or_else(|err| {
                panic!(
                    "{name}: event {} differs: {err}\nexpected {e}\nactual {a}",
                    i + 1
                )
            });
        }
        let last = &actual[actual.len() - 1]["data"]["type"];
        assert!(
            last == "done" || last == "error",
            "{name}: ends with done or error"
        );
        assert_eq!(
            actual[0]["data"]["type"], "metadata",
            "{name}: starts with metadata"
        );
    }
}
