//! Model providers behind one trait: [`offline::OfflineProvider`] (core's understanding and a
//! templated sentence, no network) and [`openai::OpenAiProvider`] (any OpenAI-compatible
//! endpoint through `async-openai`).
//!
//! A provider answers one attempt against one model, either whole ([`Provider::complete`], for the
//! JSON endpoints) or as a stream of [`Delta`]s ([`Provider::stream`], for SSE): it does not retry,
//! fall back or keep breakers (the pipeline does), and it never interprets tool-call arguments
//! (core validates them). Its errors carry a bounded [`FailureKind`] the pipeline uses for
//! fallbacks, breakers and metrics.

pub mod offline;
pub mod openai;

use crate::config::Usage;
use chartgate_core::Understanding;
use futures_core::Stream;
use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future (providers are used as `Arc<dyn Provider>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A streamed answer: deltas in the order the model produced them, ending after the last one
/// (or with an error). Owned (`'static`), so the pipeline's task can hold it.
pub type DeltaStream = Pin<Box<dyn Stream<Item = Result<Delta, ProviderError>> + Send>>;

/// One piece of a streamed answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Delta {
    /// The next piece of the answer's text.
    Text(String),
    /// The next fragment of a tool call's JSON arguments. `index` tells concurrent calls apart;
    /// `name` comes with a call's first fragment.
    ToolCall {
        index: u32,
        name: Option<String>,
        arguments: String,
    },
    /// Token counts (once, usually last).
    Usage(Usage),
    /// Why the model stopped (`stop`, `tool_calls`, `length`, `content_filter`, …).
    Finish(String),
}

/// Who said a conversation turn. Clients may send `user` and `assistant` turns only; the system
/// prompt is the server's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
}

/// One earlier turn of the conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Turn {
    pub role: Role,
    pub content: String,
}

/// What the chart currently shows (validated by core's vocabularies).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ChartContext {
    pub symbol: Option<String>,
    pub timeframe: Option<String>,
}

/// Everything a provider needs for one answer. Owned, so an attempt can run in its own task.
#[derive(Clone, Debug)]
pub struct ModelRequest {
    pub system_prompt: String,
    pub history: Vec<Turn>,
    pub query: String,
    pub chart_context: Option<ChartContext>,
    pub understanding: Understanding,
    pub max_completion_tokens: u32,
    pub temperature: Option<f32>,
}

/// One tool call the model made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolCall {
    pub name: String,
    /// The raw arguments string, exactly as the model produced it (may not even be JSON).
    pub arguments: String,
}

/// A provider's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Completion {
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    pub usage: Usage,
    /// Why the model stopped (`stop`, `tool_calls`, `length`, …), when the answer said.
    pub finish_reason: Option<String>,
}

/// Why an attempt failed; bounded, used as a metric label and to pick the response status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// HTTP 429.
    RateLimited,
    /// HTTP 5xx.
    ServerError,
    /// No complete answer within the attempt timeout (or HTTP 408).
    Timeout,
    /// Could not connect or the connection broke.
    Connect,
    /// A 2xx answer that is not a chat completion (garbled JSON, no choices).
    BadResponse,
    /// A 4xx the request itself caused (400, 404, 413, 422: a context that is too long, a
    /// parameter the model does not take): not the model's fault, so not counted by its breaker.
    BadRequest,
    /// Any other 4xx (401, 403: a bad key, a project without access, …).
    ClientError,
    /// The answer exceeded `llm.max_response_bytes`.
    TooLarge,
}

impl FailureKind {
    /// Every kind, for metric label sets.
    pub const ALL: [FailureKind; 8] = [
        FailureKind::RateLimited,
        FailureKind::ServerError,
        FailureKind::Timeout,
        FailureKind::Connect,
        FailureKind::BadResponse,
        FailureKind::BadRequest,
        FailureKind::ClientError,
        FailureKind::TooLarge,
    ];

    /// Label spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::RateLimited => "rate_limited",
            FailureKind::ServerError => "server_error",
            FailureKind::Timeout => "timeout",
            FailureKind::Connect => "connect_error",
            FailureKind::BadResponse => "bad_response",
            FailureKind::BadRequest => "bad_request",
            FailureKind::ClientError => "client_error",
            FailureKind::TooLarge => "too_large",
        }
    }

    /// Whether the failure says something about the model's health (and so counts in its
    /// circuit breaker). A request the model rightly refused (400, 404, 413, 422) does not: five
    /// over-long prompts must not take a healthy model away from every caller.
    pub fn counts_against_model(self) -> bool {
        !matches!(self, FailureKind::BadRequest)
    }
}

/// A failed attempt. `message` is for logs only (it never reaches a client).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", kind.as_str())]
pub struct ProviderError {
    pub kind: FailureKind,
    pub message: String,
}

impl ProviderError {
    /// A failure of `kind`.
    pub fn new(kind: FailureKind, message: impl Into<String>) -> ProviderError {
        ProviderError {
            kind,
            message: message.into(),
        }
    }
}

/// A model provider: one attempt against one model.
pub trait Provider: Send + Sync + 'static {
    /// `offline` or `openai` (shown in `/health`).
    fn name(&self) -> &'static str;

    /// Answers `request` with `model`. Must give up after its configured timeout.
    fn complete<'a>(
        &'a self,
        model: &'a str,
        request: &'a ModelRequest,
    ) -> BoxFuture<'a, Result<Completion, ProviderError>>;

    /// Starts a streamed answer. The future resolves once the model accepted the request (an
    /// HTTP error status fails it here, before any delta); the stream then yields deltas. The
    /// caller bounds the wait for each delta.
    fn stream<'a>(
        &'a self,
        model: &'a str,
        request: &'a ModelRequest,
    ) -> BoxFuture<'a, Result<DeltaStream, ProviderError>>;
}
