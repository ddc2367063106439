//! Configuration end to end: the committed example loads and equals the embedded defaults,
//! unknown keys are rejected with their path, environment variables override the file, and the
//! API key never shows up in `Debug` output or in logs (while it does reach the upstream).
#![allow(clippy::unwrap_used)]

mod common;

use chartgate_mock_openai::Behavior;
use chartgate_server::config::{Config, ConfigError, ProviderKind};
use common::*;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

fn example() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/chartgate.example.toml"
    ))
}

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn the_example_config_loads_and_equals_the_defaults() {
    let loaded = Config::load(Some(&example()), &HashMap::new()).unwrap();
    assert_eq!(loaded, Config::defaults());
}

#[test]
fn the_example_config_is_found_through_chartgate_config() {
    let e = env(&[("CHARTGATE_CONFIG", example().to_str().unwrap())]);
    assert_eq!(Config::load(None, &e).unwrap(), Config::defaults());
}

#[test]
fn an_unknown_key_in_a_copy_of_the_example_is_rejected_with_its_path() {
    let text = std::fs::read_to_string(example()).unwrap();
    let typo = text.replace("cooldown_ms = 15000", "cooldown_msec = 15000");
    assert_ne!(text, typo);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.toml");
    std::fs::write(&p, typo).unwrap();
    let err = Config::load(Some(&p), &HashMap::new()).unwrap_err();
    assert_eq!(err.key(), "routing.breaker.cooldown_msec", "{err}");
    assert!(err.to_string().contains("unknown field"), "{err}");
}

#[test]
fn environment_overrides_the_file() {
    let e = env(&[
        ("CHARTGATE_BIND", "127.0.0.1:9999"),
        ("CHARTGATE_PROVIDER", "openai"),
        ("CHARTGATE_OPENAI_BASE_URL", "http://127.0.0.1:1/v1/"),
        ("CHARTGATE_MODELS__MID__MODEL", "gpt-4o-mini"),
        ("CHARTGATE_MODELS__MID__FALLBACKS", "[]"),
        ("CHARTGATE_ROUTING__BREAKER__COOLDOWN_MS", "2500"),
        ("ENABLE_STRUCTURED_CHART_OBJECTS", "25"),
    ]);
    let c = Config::load(Some(&example()), &e).unwrap();
    assert_eq!(c.server.bind.port(), 9999);
    assert_eq!(c.llm.provider, ProviderKind::OpenAi);
    assert_eq!(c.llm.base_url, "http://127.0.0.1:1/v1");
    assert_eq!(c.models.mid, vec!["gpt-4o-mini"]);
    assert_eq!(c.routing.breaker.cooldown.as_millis(), 2500);
    assert_eq!(c.flags.structured_objects_percent, 25);
}

#[test]
fn an_env_override_with_a_bad_value_names_the_key() {
    let e = env(&[("CHARTGATE_ROUTING__BREAKER__COOLDOWN_MS", "soon")]);
    let err = Config::load(Some(&example()), &e).unwrap_err();
    assert!(matches!(err, ConfigError::Invalid { .. }), "{err:?}");
    assert_eq!(err.key(), "routing.breaker.cooldown_ms");
}

/// A writer collecting log output in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// Every secret the server holds (the OpenAI key, the admin key, a caller's API key, a Redis
/// password) used in a workload at trace log level, with failures on purpose (an upstream 401, a
/// forged key, the admin key on a gated route, an unreachable Redis): none appears in the logs,
/// a response body or header, `/metrics` or `Debug` output.
#[tokio::test]
async fn no_secret_appears_in_logs_errors_debug_output_or_metrics() {
    const KEY: &str = "sk-test-NEVER-PRINT-THIS-0123456789";
    const ADMIN: &str = "admin-NEVER-PRINT-THIS-0123456789abcdef";
    const REDIS_PASSWORD: &str = "redispw-NEVER-PRINT-THIS";
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
        .json()
        .with_writer(logs.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mock = mock().await;
    // A failure and a fallback, so error paths log too.
    mock.state().set_model("gpt-4o", Behavior::failing(401));
    let redis_url = format!("redis://:{REDIS_PASSWORD}@127.0.0.1:9/0");
    let e = env(&[
        ("CHARTGATE_OPENAI_API_KEY", KEY),
        ("CHARTGATE_OPENAI_BASE_URL", &mock.base_url()),
        ("CHARTGATE_AUTH__ADMIN_KEY", ADMIN),
        ("CHARTGATE_REDIS__URL", &redis_url),
        ("CHARTGATE_REDIS__TIMEOUT_MS", "100"),
    ]);
    let mut config = Config::load(None, &e).unwrap();
    assert_eq!(
        config.llm.provider,
        ProviderKind::OpenAi,
        "auto picks openai when a key is set"
    );
    let debug = format!("{config:?}");
    for secret in [KEY, ADMIN, REDIS_PASSWORD] {
        assert!(
            !debug.contains(secret),
            "Debug of the config shows a secret"
        );
    }
    let m = model_config(&mock);
    config.routing = m.routing;
    let server = TestServer::start(config).await;
    let api_key = server.key("alice", chartgate_server::routing::UserTier::Standard);
    let forged = format!("{}x", &api_key[..api_key.len() - 1]);
    let bearer = |k: &str| format!("Bearer {k}");
    let mut seen = String::new();
    for headers in [
        vec![],
        vec![("authorization".to_owned(), bearer(&api_key))],
        vec![("x-api-key".to_owned(), forged.clone())],
        vec![("authorization".to_owned(), bearer(ADMIN))],
        vec![
            ("authorization".to_owned(), bearer(&api_key)),
            ("x-api-key".to_owned(), forged.clone()),
        ],
    ] {
        for path in ["/ask", "/api/agent/stream"] {
            let mut r = server
                .http
                .post(server.url(path))
                .json(&ask("hello there", Some("u1")));
            for (k, v) in &headers {
                r = r.header(k.as_str(), v.as_str());
            }
            let res = bounded(r.send()).await.unwrap();
            seen.push_str(&format!("{:?}", res.headers()));
            seen.push_str(&bounded(res.text()).await.unwrap());
        }
    }
    assert!(seen.contains("gpt-4o-mini"), "the workload was answered");
    assert!(seen.contains("unauthorized"), "the forged key was refused");
    assert_eq!(
        mock.state().last_authorization().as_deref(),
        Some(format!("Bearer {KEY}").as_str()),
        "the key reaches the upstream"
    );
    seen.push_str(&server.metrics().await);
    let _ = server.shutdown().await;
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("upstream attempt failed") && text.contains("redis operation failed"),
        "the capture works: {text}"
    );
    for secret in [
        KEY,
        ADMIN,
        REDIS_PASSWORD,
        api_key.as_str(),
        forged.as_str(),
    ] {
        assert!(!text.contains(secret), "a secret leaked into the logs");
        assert!(
            !seen.contains(secret),
            "a secret leaked into a response or /metrics"
        );
    }
}
