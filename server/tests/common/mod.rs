//! Test helpers: a real server (`app(state)` on 127.0.0.1:0 through `chartgate_server::serve`),
//! the mock on port 0, and a few HTTP shortcuts. Every wait is bounded.
#![allow(dead_code, clippy::unwrap_used)]

use chartgate_mock_openai::{MockConfig, MockServer};
use chartgate_server::config::{Config, ProviderKind};
use chartgate_server::routing::ModelTier;
use chartgate_server::state::Understander;
use chartgate_server::AppState;
use serde_json::Value;
use std::future::Future;
use std::time::Duration;
use tokio::sync::oneshot;

/// Upper bound for any single step of a test.
pub const LIMIT: Duration = Duration::from_secs(30);

/// Awaits `f` or fails the test after [`LIMIT`].
pub async fn bounded<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(LIMIT, f)
        .await
        .expect("step timed out")
}

/// A running server and what it runs on.
pub struct TestServer {
    pub base: String,
    pub state: AppState,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts the server for `config` (its store path is replaced by a temp file).
    pub async fn start(config: Config) -> TestServer {
        TestServer::start_with(config, None).await
    }

    /// Same, with request understanding replaced.
    pub async fn start_with(mut config: Config, understander: Option<Understander>) -> TestServer {
        chartgate_server::llm::openai::install_crypto_provider();
        let dir = tempfile::tempdir().unwrap();
        config.store.path = dir.path().join("data").join("chartgate.sqlite3");
        let mut builder = AppState::builder(config);
        if let Some(u) = understander {
            builder = builder.understander(u);
        }
        let state = bounded(builder.build()).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let done = tokio::spawn(chartgate_server::serve(listener, state.clone(), async {
            let _ = stopped.await;
        }));
        TestServer {
            base,
            state,
            http: reqwest::Client::builder().timeout(LIMIT).build().unwrap(),
            stop: Some(stop),
            done: Some(done),
            dir,
        }
    }

    /// Stops the server gracefully and waits for it (the ledger is flushed on the way out).
    /// Returns the temp directory so the caller can inspect the database afterwards.
    pub async fn shutdown(mut self) -> tempfile::TempDir {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(d) = self.done.take() {
            bounded(d).await.unwrap().unwrap();
        }
        self.dir
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POSTs `body` to `path`; returns status, the X-Request-ID header and the JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, String, Value) {
        let r = bounded(self.http.post(self.url(path)).json(body).send())
            .await
            .unwrap();
        let status = r.status().as_u16();
        let rid = r
            .headers()
            .get("x-request-id")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let json = bounded(r.json::<Value>()).await.unwrap();
        (status, rid, json)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = bounded(self.http.get(self.url(path)).send()).await.unwrap();
        let status = r.status().as_u16();
        (status, bounded(r.json::<Value>()).await.unwrap())
    }

    pub async fn metrics(&self) -> String {
        let r = bounded(self.http.get(self.url("/metrics")).send())
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        bounded(r.text()).await.unwrap()
    }
}

/// Starts the mock on a free port.
pub async fn mock() -> MockServer {
    MockServer::start("127.0.0.1:0".parse().unwrap(), MockConfig::default())
        .await
        .unwrap()
}

/// A config whose every intent routes to the `mid` chain (gpt-4o → gpt-4o-mini) of the openai
/// provider at `mock`, with the fast path off, so tests do not depend on how core classifies text.
pub fn model_config(mock: &MockServer) -> Config {
    let mut c = Config::defaults();
    c.llm.provider = ProviderKind::OpenAi;
    c.llm.base_url = mock.base_url();
    c.llm.timeout = Duration::from_secs(10);
    c.routing.fast_path = false;
    let t = &mut c.routing.intent_tiers;
    for slot in [
        &mut t.chart_command,
        &mut t.price_only,
        &mut t.technical_analysis,
        &mut t.news_summary,
        &mut t.market_overview,
        &mut t.educational,
        &mut t.general_query,
    ] {
        *slot = ModelTier::Mid;
    }
    c
}

/// Value of the sample `name` (exact label text) in a Prometheus exposition, or 0.
pub fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0.0)
}

/// An ask body.
pub fn ask(query: &str, user: Option<&str>) -> Value {
    match user {
        Some(u) => serde_json::json!({"query": query, "user_id": u}),
        None => serde_json::json!({"query": query}),
    }
}

/// Sum of every sample of `metric` whose labels include all of `labels` (order-independent).
pub fn sum_where(text: &str, metric: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(&format!("{metric}{{")))
        .filter(|l| {
            labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .sum()
}
