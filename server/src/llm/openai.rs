//! The `openai` provider: chat completions through `async-openai` against a configurable base URL
//! (OpenAI itself, or an OpenAI-compatible server such as Ollama, vLLM, LM Studio or the
//! project's mock).
//!
//! The model gets core's JSON Schema as the strict `chart_commands` tool. This module returns the
//! tool calls' raw argument strings untouched: validating them is core's job, in the pipeline.
//! One attempt per call, bounded by the configured timeout; no retries here (the pipeline walks
//! the fallback chain). The API key comes from config (which read it from the environment).
//!
//! [`Provider::stream`] asks for `stream: true` with `stream_options.include_usage` and maps each
//! chunk to [`Delta`]s; chunks are read leniently (only the fields used), so OpenAI-compatible
//! local servers that leave out `id`, `created` or `object` work too. Every response body, whole
//! or streamed, is cut at `llm.max_response_bytes` (a [`FailureKind::TooLarge`]).

use super::{
    BoxFuture, ChartContext, Completion, Delta, DeltaStream, FailureKind, ModelRequest, Provider,
    ProviderError, Role, ToolCall,
};
use crate::config::{LlmConfig, Usage};
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use async_openai::types::chat::{
    ChatCompletionMessageToolCalls, ChatCompletionRequestAssistantMessage,
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestUserMessage, CreateChatCompletionResponse,
};
use async_openai::Client;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::time::Duration;

/// Why the provider could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client for the model provider: {0}")]
pub struct BuildError(String);

/// The OpenAI-compatible provider.
#[derive(Clone)]
pub struct OpenAiProvider {
    client: Client<OpenAIConfig>,
    /// `[chart_commands tool]`, serialized once: the schema is ~10 kB and cloning and
    /// re-serializing it per request was most of the gateway's CPU time.
    tools: Box<RawValue>,
    timeout: Duration,
}

/// The chat-completion request body. async-openai's message types, plus the tool list as
/// pre-serialized JSON (sent through async-openai's bring-your-own-type entry point).
#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: Vec<ChatCompletionRequestMessage>,
    tools: &'a RawValue,
    max_completion_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

/// One streamed chunk, read leniently: only what becomes a [`Delta`].
#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    #[serde(default)]
    usage: Option<ChunkUsage>,
}

#[derive(Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    delta: Option<ChunkDelta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ChunkDelta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ChunkToolCall>>,
}

#[derive(Deserialize)]
struct ChunkToolCall {
    #[serde(default)]
    index: u32,
    #[serde(default)]
    function: Option<ChunkFunction>,
}

#[derive(Deserialize)]
struct ChunkFunction {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

#[derive(Deserialize)]
struct ChunkUsage {
    #[serde(default)]
    prompt_tokens: u32,
    #[serde(default)]
    completion_tokens: u32,
    #[serde(default)]
    prompt_tokens_details: Option<ChunkUsageDetails>,
}

#[derive(Deserialize)]
struct ChunkUsageDetails {
    #[serde(default)]
    cached_tokens: Option<u32>,
}

impl std::fmt::Debug for OpenAiProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiProvider")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Installs the process-wide TLS crypto provider (ring) once; later calls are no-ops.
pub fn install_crypto_provider() {
    // `install_default` fails only when a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl OpenAiProvider {
    /// Builds the provider: an HTTP client with TCP_NODELAY, a connect timeout and pooled
    /// keep-alive connections, and the strict `chart_commands` tool built once from core's schema.
    pub fn new(cfg: &LlmConfig) -> Result<OpenAiProvider, BuildError> {
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .tcp_nodelay(true)
            .connect_timeout(cfg.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            // One attempt per call (the pipeline walks the fallback chain), and a model endpoint
            // that redirects is misconfigured: follow nothing, retry nothing.
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .build()
            .map_err(|e| BuildError(e.to_string()))?;
        // Every field set explicitly so async-openai does not read OPENAI_* variables itself
        // (config.rs is the only reader of the environment).
        let config = OpenAIConfig::new()
            .with_api_base(cfg.base_url.clone())
            .with_api_key(
                cfg.api_key
                    .as_ref()
                    .map(|k| k.expose().to_owned())
                    .unwrap_or_default(),
            )
            .with_org_id("")
            .with_project_id("");
        // Replace async-openai's default executor, which retries 429/5xx/connect errors with
        // backoff: retries would hide failures from the breakers and delay the fallback chain.
        // The replacement sends once and bounds the response body (whole or streamed).
        let max = cfg.max_response_bytes;
        let transport = http.clone();
        let service = tower::service_fn(move |factory: HttpRequestFactory| {
            let transport = transport.clone();
            async move {
                let request = factory.build().await?;
                let response = transport
                    .execute(request)
                    .await
                    .map_err(OpenAIError::Reqwest)?;
                let response: http::Response<reqwest::Body> = response.into();
                Ok::<_, OpenAIError>(reqwest::Response::from(
                    response
                        .map(|body| reqwest::Body::wrap(http_body_util::Limited::new(body, max))),
                ))
            }
        });
        let client = Client::build(http, config).with_http_service(service);
        Ok(OpenAiProvider {
            client,
            tools: serde_json::value::to_raw_value(&[chartgate_core::chart_commands_tool()])
                .map_err(|e| BuildError(format!("cannot serialize the tool schema: {e}")))?,
            timeout: cfg.timeout,
        })
    }

    fn build_request<'a>(
        &'a self,
        model: &'a str,
        req: &ModelRequest,
        stream: bool,
    ) -> ChatRequest<'a> {
        let mut messages = Vec::with_capacity(req.history.len() + 2);
        messages.push(ChatCompletionRequestMessage::System(
            ChatCompletionRequestSystemMessage::from(system_text(req)),
        ));
        for turn in &req.history {
            messages.push(match turn.role {
                Role::User => ChatCompletionRequestMessage::User(
                    ChatCompletionRequestUserMessage::from(turn.content.as_str()),
                ),
                Role::Assistant => ChatCompletionRequestMessage::Assistant(
                    ChatCompletionRequestAssistantMessage::from(turn.content.as_str()),
                ),
            });
        }
        messages.push(ChatCompletionRequestMessage::User(
            ChatCompletionRequestUserMessage::from(req.query.as_str()),
        ));
        ChatRequest {
            model,
            messages,
            tools: &self.tools,
            max_completion_tokens: req.max_completion_tokens,
            temperature: req.temperature,
            stream,
            stream_options: stream.then_some(StreamOptions {
                include_usage: true,
            }),
        }
    }
}

/// The system message: the configured prompt, the chart context, and what core already applied.
fn system_text(req: &ModelRequest) -> String {
    let mut s = req.system_prompt.clone();
    if let Some(ChartContext { symbol, timeframe }) = &req.chart_context {
        if let Some(sym) = symbol {
            s.push_str(&format!("\nThe chart currently shows {sym}."));
        }
        if let Some(tf) = timeframe {
            s.push_str(&format!("\nThe current timeframe is {tf}."));
        }
    }
    if !req.understanding.legacy.is_empty() {
        s.push_str("\nThese chart commands were already applied from the request: ");
        s.push_str(&req.understanding.legacy.join(", "));
        s.push('.');
    }
    s
}

impl Provider for OpenAiProvider {
    fn name(&self) -> &'static str {
        "openai"
    }

    fn complete<'a>(
        &'a self,
        model: &'a str,
        request: &'a ModelRequest,
    ) -> BoxFuture<'a, Result<Completion, ProviderError>> {
        Box::pin(async move {
            let body = self.build_request(model, request, false);
            let chat = self.client.chat();
            let call = chat.create_byot::<_, CreateChatCompletionResponse>(body);
            match tokio::time::timeout(self.timeout, call).await {
                Err(_) => Err(timed_out(self.timeout)),
                Ok(Err(e)) => Err(classify(&e)),
                Ok(Ok(resp)) => completion(resp),
            }
        })
    }

    fn stream<'a>(
        &'a self,
        model: &'a str,
        request: &'a ModelRequest,
    ) -> BoxFuture<'a, Result<DeltaStream, ProviderError>> {
        Box::pin(async move {
            let body = self.build_request(model, request, true);
            let chat = self.client.chat();
            let call = chat.create_stream_byot::<_, Chunk>(body);
            let chunks = match tokio::time::timeout(self.timeout, call).await {
                Err(_) => return Err(timed_out(self.timeout)),
                Ok(Err(e)) => return Err(classify(&e)),
                Ok(Ok(chunks)) => chunks,
            };
            let deltas = chunks.flat_map(|chunk| {
                futures_util::stream::iter(match chunk {
                    Ok(c) => deltas(c).into_iter().map(Ok).collect(),
                    Err(e) => vec![Err(classify(&e))],
                })
            });
            let stream: DeltaStream = Box::pin(deltas);
            Ok(stream)
        })
    }
}

fn timed_out(timeout: Duration) -> ProviderError {
    ProviderError::new(
        FailureKind::Timeout,
        format!("no answer within {} ms", timeout.as_millis()),
    )
}

/// The deltas of one streamed chunk, in a fixed order: text, tool-call fragments, finish, usage.
fn deltas(c: Chunk) -> Vec<Delta> {
    let mut out = Vec::new();
    for choice in c.choices {
        if let Some(d) = choice.delta {
            let refused = d.refusal.as_deref().is_some_and(|r| !r.is_empty());
            if let Some(t) = d.content.or(d.refusal).filter(|t| !t.is_empty()) {
                out.push(Delta::Text(t));
            }
            if refused {
                // Marks the answer a refusal (the pipeline keeps it as the finish reason).
                out.push(Delta::Finish("refusal".to_owned()));
            }
            for call in d.tool_calls.unwrap_or_default() {
                let (name, arguments) = match call.function {
                    Some(f) => (f.name, f.arguments.unwrap_or_default()),
                    None => (None, String::new()),
                };
                if name.is_some() || !arguments.is_empty() {
                    out.push(Delta::ToolCall {
                        index: call.index,
                        name,
                        arguments,
                    });
                }
            }
        }
        if let Some(f) = choice.finish_reason {
            out.push(Delta::Finish(f));
        }
    }
    if let Some(u) = c.usage {
        out.push(Delta::Usage(Usage {
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
            cached_tokens: u
                .prompt_tokens_details
                .and_then(|d| d.cached_tokens)
                .unwrap_or(0),
        }));
    }
    out
}

/// Whether `e`'s source chain holds the body limit's error.
fn is_too_large(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cur = err.source();
    }
    false
}

/// Maps an async-openai error onto a bounded failure kind.
fn classify(e: &OpenAIError) -> ProviderError {
    let kind = match e {
        OpenAIError::ApiError(api) => {
            let s = api.status_code.as_u16();
            match s {
                429 => FailureKind::RateLimited,
                408 => FailureKind::Timeout,
                400 | 404 | 413 | 422 => FailureKind::BadRequest,
                500..=599 => FailureKind::ServerError,
                _ => FailureKind::ClientError,
            }
        }
        OpenAIError::Reqwest(r) if is_too_large(r) => FailureKind::TooLarge,
        OpenAIError::Reqwest(r) if r.is_timeout() => FailureKind::Timeout,
        OpenAIError::Reqwest(r) if r.is_decode() || r.is_body() => FailureKind::BadResponse,
        OpenAIError::Reqwest(_) => FailureKind::Connect,
        OpenAIError::JSONDeserialize(..) | OpenAIError::StreamError(_) => FailureKind::BadResponse,
        _ => FailureKind::ClientError,
    };
    // The message is for logs; trim it (a garbled body can be long).
    let mut message = e.to_string();
    if message.len() > 300 {
        let mut cut = 300;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push('…');
    }
    ProviderError::new(kind, message)
}

fn completion(resp: CreateChatCompletionResponse) -> Result<Completion, ProviderError> {
    let Some(choice) = resp.choices.into_iter().next() else {
        return Err(ProviderError::new(
            FailureKind::BadResponse,
            "chat completion without choices",
        ));
    };
    let finish_reason = choice
        .finish_reason
        .and_then(|f| serde_json::to_value(f).ok())
        .and_then(|v| v.as_str().map(str::to_owned));
    let msg = choice.message;
    let finish_reason = if msg.refusal.as_deref().is_some_and(|r| !r.is_empty()) {
        Some("refusal".to_owned())
    } else {
        finish_reason
    };
    let tool_calls = msg
        .tool_calls
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| match c {
            ChatCompletionMessageToolCalls::Function(f) => Some(ToolCall {
                name: f.function.name,
                arguments: f.function.arguments,
            }),
            ChatCompletionMessageToolCalls::Custom(_) => None,
        })
        .collect();
    let usage = resp
        .usage
        .map(|u| Usage {
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
            cached_tokens: u
                .prompt_tokens_details
                .and_then(|d| d.cached_tokens)
                .unwrap_or(0),
        })
        .unwrap_or_default();
    Ok(Completion {
        text: msg.content.or(msg.refusal).unwrap_or_default(),
        tool_calls,
        usage,
        finish_reason,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::Config;
    use async_openai::types::chat::{ChatCompletionTool, ChatCompletionTools};

    #[test]
    fn cores_tool_is_a_strict_openai_function_tool() {
        // The request sends core's tool JSON as is; it must read as async-openai's tool type.
        let t: ChatCompletionTools =
            serde_json::from_value(chartgate_core::chart_commands_tool()).unwrap();
        let ChatCompletionTools::Function(ChatCompletionTool { function }) = t else {
            panic!("not a function tool");
        };
        assert_eq!(function.name, chartgate_core::schema::TOOL_NAME);
        assert_eq!(function.strict, Some(true));
        assert_eq!(
            function.parameters,
            Some(chartgate_core::chart_command_schema())
        );
    }

    #[test]
    fn request_carries_history_context_and_tool() {
        let mut cfg = Config::defaults().llm;
        cfg.base_url = "http://127.0.0.1:9/v1".into();
        let p = OpenAiProvider::new(&cfg).unwrap();
        let req = ModelRequest {
            system_prompt: "SYS".into(),
            history: vec![super::super::Turn {
                role: Role::Assistant,
                content: "earlier".into(),
            }],
            query: "what now?".into(),
            chart_context: Some(ChartContext {
                symbol: Some("TSLA".into()),
                timeframe: Some("1D".into()),
            }),
            understanding: chartgate_core::understand("what now?"),
            max_completion_tokens: 50,
            temperature: None,
        };
        let body = serde_json::to_value(p.build_request("gpt-4o", &req, false)).unwrap();
        assert_eq!(body["model"], "gpt-4o");
        assert_eq!(body["messages"][0]["role"], "system");
        assert!(body["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("TSLA"));
        assert_eq!(body["messages"][1]["role"], "assistant");
        assert_eq!(body["messages"][2]["content"], "what now?");
        assert_eq!(body["tools"][0]["function"]["name"], "chart_commands");
        assert!(body.get("temperature").is_none());
        assert_eq!(body["max_completion_tokens"], 50);
        assert!(body.get("stream").is_none());
        let streamed = serde_json::to_value(p.build_request("gpt-4o", &req, true)).unwrap();
        assert_eq!(streamed["stream"], true);
        assert_eq!(streamed["stream_options"]["include_usage"], true);
    }
}
