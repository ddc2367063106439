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

    /// Same, with request understanding replaced. Rate limits are off (the suites send many
    /// requests from one address); `start_limited` keeps the config's limits.
    pub async fn start_with(mut config: Config, understander: Option<Understander>) -> TestServer {
        config.rate_limits = chartgate_server::ratelimit::RateLimitsConfig::unlimited();
        TestServer::start_full(config, understander, None).await
    }

    /// Starts the server for `config` exactly as given (rate limits included).
    pub async fn start_limited(config: Config, understander: Option<Understander>) -> TestServer {
        TestServer::start_full(config, understander, None).await
    }

    /// Same as `start`, with the calendar clock (cache expiry) replaced.
    pub async fn start_with_clock(
        mut config: Config,
        clock: chartgate_server::clock::Clock,
    ) -> TestServer {
        config.rate_limits = chartgate_server::ratelimit::RateLimitsConfig::unlimited();
        TestServer::start_full(config, None, Some(clock)).await
    }

    async fn start_full(
        mut config: Config,
        understander: Option<Understander>,
        clock: Option<chartgate_server::clock::Clock>,
    ) -> TestServer {
        chartgate_server::llm::openai::install_crypto_provider();
        let dir = tempfile::tempdir().unwrap();
        config.store.path = dir.path().join("data").join("chartgate.sqlite3");
        let mut builder = AppState::builder(config);
        if let Some(u) = understander {
            builder = builder.understander(u);
        }
        if let Some(c) = clock {
            builder = builder.clock(c);
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

    /// POSTs `body` to `path` with extra headers; returns status, X-Request-ID and the JSON body.
    pub async fn post_with(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: &Value,
    ) -> (u16, String, Value) {
        let mut req = self.http.post(self.url(path)).json(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let r = bounded(req.send()).await.unwrap();
        let status = r.status().as_u16();
        let rid = r
            .headers()
            .get("x-request-id")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let json = bounded(r.json::<Value>()).await.unwrap();
        (status, rid, json)
    }

    /// Creates an API key for `user` at `tier` in the server's store; returns its secret.
    pub fn key(&self, user: &str, tier: chartgate_server::routing::UserTier) -> String {
        let conn = self.state.store.connect().unwrap();
        let k = chartgate_server::store::keys::create(&conn, user, tier, None).unwrap();
        k.secret.expose().to_owned()
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
/// provider at `mock`, with the fast path off, so tests do not depend on how core classifies text,
/// and anonymous callers not capped.
pub fn model_config(mock: &MockServer) -> Config {
    let mut c = Config::defaults();
    c.llm.provider = ProviderKind::OpenAi;
    c.llm.base_url = mock.base_url();
    c.llm.timeout = Duration::from_secs(10);
    c.routing.fast_path = false;
    // Tests that repeat a question expect the model to answer each time; the cache's own tests
    // (`cache.rs`) turn it back on.
    c.cache.enabled = false;
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
    // The suites ask without API keys (anonymous); caller caps are tested in `auth.rs`.
    c.routing.user_caps.anonymous = ModelTier::Premium;
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

/// One SSE event as a client sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct SseEvent {
    pub id: u64,
    pub data: Value,
}

/// Parses a complete `text/event-stream` body (comments skipped). Every event must carry an
/// `id:` and one JSON `data:` line.
pub fn parse_sse(body: &str) -> Vec<SseEvent> {
    body.split("\n\n")
        .filter_map(|block| {
            let mut id = None;
            let mut data = None;
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id: ") {
                    id = Some(v.parse::<u64>().unwrap());
                } else if let Some(v) = line.strip_prefix("data: ") {
                    assert!(data.is_none(), "two data lines in {block:?}");
                    data = Some(serde_json::from_str::<Value>(v).unwrap());
                } else {
                    assert!(
                        line.is_empty() || line.starts_with(':'),
                        "unexpected line {line:?}"
                    );
                }
            }
            match (id, data) {
                (Some(id), Some(data)) => Some(SseEvent { id, data }),
                (None, None) => None,
                other => panic!("incomplete event {other:?} in {block:?}"),
            }
        })
        .collect()
}

/// An open SSE response read incrementally.
pub struct SseReader {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    resp: reqwest::Response,
    buf: String,
    pub comments: usize,
}

impl SseReader {
    pub async fn open(req: reqwest::RequestBuilder) -> SseReader {
        let resp = bounded(req.send()).await.unwrap();
        SseReader {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            resp,
            buf: String::new(),
            comments: 0,
        }
    }

    /// The next event, or `None` at the end of the body.
    pub async fn next(&mut self) -> Option<SseEvent> {
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut parsed = parse_sse(&block);
                if block.trim_start().starts_with(':') && parsed.is_empty() {
                    self.comments += 1;
                    continue;
                }
                assert_eq!(parsed.len(), 1, "{block:?}");
                return parsed.pop();
            }
            match bounded(self.resp.chunk()).await.unwrap() {
                Some(bytes) => self.buf.push_str(std::str::from_utf8(&bytes).unwrap()),
                None => {
                    assert!(self.buf.trim().is_empty(), "trailing bytes {:?}", self.buf);
                    return None;
                }
            }
        }
    }

    /// Every remaining event.
    pub async fn rest(&mut self) -> Vec<SseEvent> {
        let mut out = Vec::new();
        while let Some(e) = self.next().await {
            out.push(e);
        }
        out
    }

    /// The error body of a refused stream.
    pub async fn json(self) -> Value {
        bounded(self.resp.json::<Value>()).await.unwrap()
    }
}

impl TestServer {
    /// `POST /api/agent/stream` with `body`.
    pub async fn stream(&self, body: &Value) -> SseReader {
        SseReader::open(self.http.post(self.url("/api/agent/stream")).json(body)).await
    }

    /// `GET /api/agent/stream/{id}` with an optional `Last-Event-ID` and query.
    pub async fn resume(&self, id: &str, last: Option<&str>, query: &str) -> SseReader {
        let mut req = self
            .http
            .get(self.url(&format!("/api/agent/stream/{id}{query}")));
        if let Some(l) = last {
            req = req.header("last-event-id", l);
        }
        SseReader::open(req).await
    }
}

/// A real `redis-server` on a free loopback port, stopped (by its PID) on drop.
pub struct RedisProcess {
    pub port: u16,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl RedisProcess {
    /// Starts `redis-server` (Debian's package; `scripts/test.sh` installs it) and waits until it
    /// answers PING.
    pub fn start() -> RedisProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ])
            .current_dir(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("redis-server must be installed (scripts/test.sh installs it)");
        let r = RedisProcess {
            port,
            child,
            _dir: dir,
        };
        let deadline = std::time::Instant::now() + LIMIT;
        loop {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                use std::io::{Read, Write};
                let _ = s.write_all(b"PING\r\n");
                let mut buf = [0u8; 16];
                if s.read(&mut buf)
                    .is_ok_and(|n| buf[..n].starts_with(b"+PONG"))
                {
                    return r;
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server now (a Redis that goes down mid-run).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
