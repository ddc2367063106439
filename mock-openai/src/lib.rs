//! An OpenAI-compatible mock server for chartgate's tests and load harness.
//!
//! `POST /v1/chat/completions` answers like OpenAI's chat completions (JSON, or SSE chunks when
//! `"stream": true`), with text, an optional `chart_commands` tool call and a `usage` block.
//! Behaviour is configurable per model (or by default): latency, an error rate with a status
//! code, garbled output, the reply text, the tool-call arguments and fixed token counts.
//!
//! Control: in-process through [`MockServer`] (tests spawn it on port 0), or over HTTP with
//! `PUT /mock/config` (a [`MockConfig`] JSON), `GET /mock/stats` and `GET /mock/last_request`. It is deterministic: the error
//! rate fails exactly `rate` of the requests, spread evenly, with no randomness.
//! It never talks to anything but its own clients.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// How the mock answers one model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Behavior {
    /// Delay before the answer (before the first chunk when streaming).
    pub latency_ms: u64,
    /// Fraction (0–1) of requests answered with `error_status`.
    pub error_rate: f64,
    /// Status of injected errors (429, 500, 503, …). 429 adds `Retry-After: 1`.
    pub error_status: u16,
    /// Answer 200 with a body that is not a valid completion (truncated JSON / broken SSE).
    pub garble: bool,
    /// The assistant's text.
    pub text: String,
    /// When set and the request offers tools, the answer calls `chart_commands` with exactly these
    /// arguments (a raw string: it may be invalid JSON on purpose).
    pub tool_arguments: Option<String>,
    /// Name of the tool called (default `chart_commands`).
    pub tool_name: String,
    /// Fixed token counts; `None` estimates from the text (about 4 characters per token).
    pub prompt_tokens: Option<u32>,
    pub completion_tokens: Option<u32>,
    pub cached_tokens: u32,
    /// Pause between streamed chunks.
    pub chunk_interval_ms: u64,
    /// Streamed text and tool-call arguments go out in pieces of this many characters (default:
    /// text word by word, arguments in two halves).
    pub fragment_chars: Option<usize>,
    /// Streaming: after this many chunks, send nothing more and keep the connection open (an
    /// upstream that stalls).
    pub stall_after_chunks: Option<usize>,
    /// Streaming: after this many chunks, break the connection mid-body (an upstream that dies).
    pub break_after_chunks: Option<usize>,
    /// Answers with this refusal (OpenAI's `refusal` field) instead of text.
    pub refusal: Option<String>,
    /// Overrides the finish reason (`length`, `content_filter`, …).
    pub finish_reason: Option<String>,
}

impl Default for Behavior {
    fn default() -> Self {
        Behavior {
            latency_ms: 0,
            error_rate: 0.0,
            error_status: 500,
            garble: false,
            text: "This is the mock model's answer.".to_owned(),
            tool_arguments: None,
            tool_name: "chart_commands".to_owned(),
            prompt_tokens: None,
            completion_tokens: None,
            cached_tokens: 0,
            chunk_interval_ms: 0,
            fragment_chars: None,
            stall_after_chunks: None,
            break_after_chunks: None,
            refusal: None,
            finish_reason: None,
        }
    }
}

impl Behavior {
    /// Always fails with `status`.
    pub fn failing(status: u16) -> Behavior {
        Behavior {
            error_rate: 1.0,
            error_status: status,
            ..Behavior::default()
        }
    }
}

/// The whole configuration: a default behaviour and per-model overrides.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MockConfig {
    pub default: Behavior,
    pub models: HashMap<String, Behavior>,
}

/// Counters per model: requests received and errors injected.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ModelStats {
    pub requests: u64,
    pub errors: u64,
}

#[derive(Default)]
struct Inner {
    config: MockConfig,
    stats: HashMap<String, ModelStats>,
    /// Raw bytes (a cheap reference-counted clone; parsed only when asked for).
    last_request: Option<axum::body::Bytes>,
    last_authorization: Option<String>,
}

/// Shared state of a mock server.
#[derive(Clone, Default)]
pub struct MockState(Arc<Mutex<Inner>>);

impl MockState {
    /// State with `config`.
    pub fn new(config: MockConfig) -> MockState {
        MockState(Arc::new(Mutex::new(Inner {
            config,
            ..Inner::default()
        })))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Replaces the default behaviour.
    pub fn set_default(&self, b: Behavior) {
        self.lock().config.default = b;
    }

    /// Sets the behaviour of one model.
    pub fn set_model(&self, model: &str, b: Behavior) {
        self.lock().config.models.insert(model.to_owned(), b);
    }

    /// Replaces the whole configuration.
    pub fn set_config(&self, c: MockConfig) {
        self.lock().config = c;
    }

    /// Requests and injected errors for `model`.
    pub fn stats(&self, model: &str) -> ModelStats {
        self.lock().stats.get(model).cloned().unwrap_or_default()
    }

    /// The last chat-completion request body received.
    pub fn last_request(&self) -> Option<Value> {
        let raw = self.lock().last_request.clone()?;
        serde_json::from_slice(&raw).ok()
    }

    /// The `Authorization` header of the last chat-completion request.
    pub fn last_authorization(&self) -> Option<String> {
        self.lock().last_authorization.clone()
    }

    /// Decides this request's fate: (behaviour, fail?). The n-th request of a model fails when
    /// `floor((n+1)·rate) > floor(n·rate)`, which fails exactly `rate` of them, evenly spread.
    fn admit(&self, model: &str, body: &axum::body::Bytes) -> (Behavior, bool) {
        let mut g = self.lock();
        let b = g
            .config
            .models
            .get(model)
            .cloned()
            .unwrap_or_else(|| g.config.default.clone());
        g.last_request = Some(body.clone());
        let s = g.stats.entry(model.to_owned()).or_default();
        let n = s.requests as f64;
        s.requests += 1;
        let rate = b.error_rate.clamp(0.0, 1.0);
        let fail = ((n + 1.0) * rate).floor() > (n * rate).floor();
        if fail {
            s.errors += 1;
        }
        (b, fail)
    }
}

/// The mock's routes over `state`.
pub fn router(state: MockState) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/models", get(models))
        .route("/mock/config", put(put_config).get(get_config))
        .route("/mock/stats", get(get_stats))
        .route("/mock/last_request", get(get_last_request))
        .route("/health", get(|| async { "ok" }))
        .with_state(state)
}

/// A running mock server; dropping it stops the server.
pub struct MockServer {
    addr: SocketAddr,
    state: MockState,
    stop: Option<oneshot::Sender<()>>,
}

impl MockServer {
    /// Starts a mock on `addr` (use port 0 for a free port) with `config`.
    pub async fn start(addr: SocketAddr, config: MockConfig) -> std::io::Result<MockServer> {
        let listener = TcpListener::bind(addr).await?;
        MockServer::start_on(listener, config)
    }

    /// Starts a mock on an already bound listener.
    pub fn start_on(listener: TcpListener, config: MockConfig) -> std::io::Result<MockServer> {
        let addr = listener.local_addr()?;
        let state = MockState::new(config);
        let (stop, stopped) = oneshot::channel::<()>();
        let app = router(state.clone());
        tokio::spawn(async move {
            let _ = serve(listener, app, async {
                let _ = stopped.await;
            })
            .await;
        });
        Ok(MockServer {
            addr,
            state,
            stop: Some(stop),
        })
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL clients use (`http://127.0.0.1:PORT/v1`).
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The shared state (to change behaviour and read counters).
    pub fn state(&self) -> &MockState {
        &self.state
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Serves `app` on `listener` with TCP_NODELAY until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

async fn models(State(state): State<MockState>) -> Json<Value> {
    let g = state.lock();
    let data: Vec<Value> = g
        .config
        .models
        .keys()
        .map(|m| json!({"id": m, "object": "model", "owned_by": "mock"}))
        .collect();
    Json(json!({"object": "list", "data": data}))
}

async fn put_config(State(state): State<MockState>, Json(c): Json<MockConfig>) -> StatusCode {
    state.set_config(c);
    StatusCode::NO_CONTENT
}

async fn get_config(State(state): State<MockState>) -> Json<MockConfig> {
    Json(state.lock().config.clone())
}

async fn get_last_request(State(state): State<MockState>) -> Json<Value> {
    Json(state.last_request().unwrap_or(Value::Null))
}

async fn get_stats(State(state): State<MockState>) -> Json<HashMap<String, ModelStats>> {
    Json(state.lock().stats.clone())
}

fn error_response(status: u16, message: &str, kind: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = (
        status,
        Json(json!({"error": {"message": message, "type": kind, "param": null, "code": null}})),
    )
        .into_response();
    if status == StatusCode::TOO_MANY_REQUESTS {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    res
}

fn estimate_tokens(chars: usize) -> u32 {
    u32::try_from(chars / 4 + 1).unwrap_or(u32::MAX)
}

/// The parts of a chat-completion request the mock looks at; everything else is skipped
/// without building a JSON tree (the tool schema alone is ~10 kB).
#[derive(Deserialize)]
struct ChatRequest {
    model: Option<String>,
    messages: Option<Vec<MessageView>>,
    stream: Option<bool>,
    tools: Option<Vec<serde::de::IgnoredAny>>,
    stream_options: Option<StreamOptionsView>,
}

#[derive(Deserialize)]
struct MessageView {
    content: Option<Value>,
}

#[derive(Deserialize)]
struct StreamOptionsView {
    include_usage: Option<bool>,
}

fn prompt_chars(messages: &[MessageView]) -> usize {
    messages
        .iter()
        .map(|m| {
            m.content
                .as_ref()
                .and_then(Value::as_str)
                .map_or(0, str::len)
                + 16
        })
        .sum()
}

async fn chat_completions(
    State(state): State<MockState>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    state.lock().last_authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Ok(req) = serde_json::from_slice::<ChatRequest>(&body) else {
        return error_response(
            400,
            "request body is not a chat completion request",
            "invalid_request_error",
        );
    };
    let Some(model) = req.model else {
        return error_response(400, "model is required", "invalid_request_error");
    };
    let Some(messages) = req.messages else {
        return error_response(400, "messages is required", "invalid_request_error");
    };
    let (b, fail) = state.admit(&model, &body);
    if b.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(b.latency_ms)).await;
    }
    if fail {
        let kind = if b.error_status == 429 {
            "rate_limit_error"
        } else {
            "server_error"
        };
        return error_response(b.error_status, "injected failure", kind);
    }
    let stream = req.stream.unwrap_or(false);
    let offers_tools = req.tools.is_some_and(|t| !t.is_empty());
    let tool_args = b.tool_arguments.clone().filter(|_| offers_tools);
    let prompt_tokens = b
        .prompt_tokens
        .unwrap_or_else(|| estimate_tokens(prompt_chars(&messages)));
    let completion_tokens = b.completion_tokens.unwrap_or_else(|| {
        estimate_tokens(b.text.len() + tool_args.as_deref().map_or(0, str::len))
    });
    let usage = json!({
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": b.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
            "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
    });
    let id = format!("chatcmpl-mock-{}", state.stats(&model).requests);
    if stream {
        let include_usage = req
            .stream_options
            .and_then(|o| o.include_usage)
            .unwrap_or(false);
        return stream_response(&b, &id, &model, tool_args, include_usage.then_some(usage));
    }
    if b.garble {
        return (
            [(header::CONTENT_TYPE, "application/json")],
            format!("{{\"id\":\"{id}\",\"object\":\"chat.completion\",\"choices\":[{{\"index\":0,\"message\":{{\"role\":\"assist"),
        )
            .into_response();
    }
    let tool_calls = tool_args.map(|args| {
        json!([{"id": "call_mock_1", "type": "function",
                "function": {"name": b.tool_name, "arguments": args}}])
    });
    let finish = match (&b.finish_reason, tool_calls.is_some()) {
        (Some(f), _) => f.as_str(),
        (None, true) => "tool_calls",
        (None, false) => "stop",
    };
    let mut message = match &b.refusal {
        Some(r) => json!({"role": "assistant", "content": null, "refusal": r}),
        None => json!({"role": "assistant", "content": b.text, "refusal": null}),
    };
    if let Some(tc) = tool_calls {
        message["tool_calls"] = tc;
    }
    Json(json!({
        "id": id,
        "object": "chat.completion",
        "created": 1_700_000_000u32,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": null}],
        "usage": usage,
        "system_fingerprint": "fp_mock",
    }))
    .into_response()
}

fn chunk(id: &str, model: &str, delta: Value, finish: Option<&str>) -> String {
    let c = json!({
        "id": id, "object": "chat.completion.chunk", "created": 1_700_000_000u32, "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": null}],
    });
    format!("data: {c}\n\n")
}

/// SSE chunks: role, text in word-sized deltas, the tool call's arguments in two halves, the
/// finish reason, an optional usage chunk, `[DONE]`.
fn stream_response(
    b: &Behavior,
    id: &str,
    model: &str,
    tool_args: Option<String>,
    usage: Option<Value>,
) -> Response {
    let mut events = vec![chunk(
        id,
        model,
        json!({"role": "assistant", "content": ""}),
        None,
    )];
    if b.garble {
        events.push("data: {\"id\": \"broken\", \"choices\": [\n\n".to_owned());
    }
    if let Some(r) = &b.refusal {
        events.push(chunk(id, model, json!({"refusal": r}), None));
    }
    let text = if b.refusal.is_some() {
        ""
    } else {
        b.text.as_str()
    };
    let text_pieces: Vec<String> = match b.fragment_chars {
        Some(n) => pieces(text, n),
        None => text.split_inclusive(' ').map(str::to_owned).collect(),
    };
    for piece in text_pieces {
        events.push(chunk(id, model, json!({"content": piece}), None));
    }
    let finish = if let Some(args) = tool_args {
        let parts = match b.fragment_chars {
            Some(n) => pieces(&args, n),
            None => {
                let mid = args
                    .char_indices()
                    .nth(args.chars().count() / 2)
                    .map_or(0, |(i, _)| i);
                let (a, z) = args.split_at(mid);
                vec![a.to_owned(), z.to_owned()]
            }
        };
        for (i, part) in parts.into_iter().enumerate() {
            let call = if i == 0 {
                json!({"index": 0, "id": "call_mock_1", "type": "function",
                       "function": {"name": b.tool_name, "arguments": part}})
            } else {
                json!({"index": 0, "function": {"arguments": part}})
            };
            events.push(chunk(id, model, json!({"tool_calls": [call]}), None));
        }
        "tool_calls"
    } else {
        "stop"
    };
    let finish = b.finish_reason.as_deref().unwrap_or(finish);
    events.push(chunk(id, model, json!({}), Some(finish)));
    if let Some(u) = usage {
        let c = json!({"id": id, "object": "chat.completion.chunk", "created": 1_700_000_000u32,
                       "model": model, "choices": [], "usage": u});
        events.push(format!("data: {c}\n\n"));
    }
    events.push("data: [DONE]\n\n".to_owned());
    let interval = Duration::from_millis(b.chunk_interval_ms);
    let (stall, brk) = (b.stall_after_chunks, b.break_after_chunks);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(4);
    tokio::spawn(async move {
        for (i, e) in events.into_iter().enumerate() {
            if stall == Some(i) {
                // Hold the connection open, sending nothing, until the client gives up.
                tx.closed().await;
                return;
            }
            if brk == Some(i) {
                // Let the chunks before the break reach the client first (a connection that
                // dies after it started answering, not before).
                tokio::time::sleep(Duration::from_millis(100)).await;
                let _ = tx
                    .send(Err(std::io::Error::other(
                        "mock: connection broken on purpose",
                    )))
                    .await;
                return;
            }
            if i > 0 && !interval.is_zero() {
                tokio::time::sleep(interval).await;
            }
            if tx.send(Ok(e)).await.is_err() {
                return;
            }
        }
    });
    let body = Body::from_stream(ReceiverStream(rx));
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// `s` in pieces of at most `n` characters (at least one).
fn pieces(s: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    chars.chunks(n.max(1)).map(|c| c.iter().collect()).collect()
}

/// A minimal `Stream` over an mpsc receiver (avoids a tokio-stream dependency).
struct ReceiverStream<T>(tokio::sync::mpsc::Receiver<T>);

impl<T> futures_core::Stream for ReceiverStream<T> {
    type Item = T;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<T>> {
        self.0.poll_recv(cx)
    }
}
