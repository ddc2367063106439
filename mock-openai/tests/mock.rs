//! The mock through the real `async-openai` client: JSON answers, tool calls, usage, streaming
//! chunks, injected errors and garbled output, and the HTTP control endpoints.
#![allow(clippy::unwrap_used)]

use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::ReqwestService;
use async_openai::types::chat::{
    ChatCompletionMessageToolCalls, ChatCompletionRequestMessage, ChatCompletionRequestUserMessage,
    ChatCompletionStreamOptions, ChatCompletionTool, ChatCompletionTools,
    CreateChatCompletionRequest, FunctionObject,
};
use async_openai::Client;
use chartgate_mock_openai::{Behavior, MockConfig, MockServer};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(20);

fn client(mock: &MockServer) -> Client<OpenAIConfig> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .unwrap();
    // Without async-openai's default retry layer, so each call is exactly one request.
    Client::build(
        http.clone(),
        OpenAIConfig::new()
            .with_api_base(mock.base_url())
            .with_api_key("test-key"),
    )
    .with_http_service(ReqwestService::new(http))
}

fn request(model: &str, with_tool: bool) -> CreateChatCompletionRequest {
    CreateChatCompletionRequest {
        model: model.to_owned(),
        messages: vec![ChatCompletionRequestMessage::User(
            ChatCompletionRequestUserMessage::from("show TSLA please"),
        )],
        tools: with_tool.then(|| {
            vec![ChatCompletionTools::Function(ChatCompletionTool {
                function: FunctionObject {
                    name: "chart_commands".into(),
                    description: None,
                    parameters: Some(serde_json::json!({"type": "object"})),
                    strict: Some(true),
                },
            })]
        }),
        ..Default::default()
    }
}

async fn start() -> MockServer {
    MockServer::start("127.0.0.1:0".parse().unwrap(), MockConfig::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn answers_text_with_usage() {
    let mock = start().await;
    let c = client(&mock);
    let resp = tokio::time::timeout(LIMIT, c.chat().create(request("gpt-4o-mini", false)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resp.model, "gpt-4o-mini");
    assert_eq!(
        resp.choices[0].message.content.as_deref(),
        Some("This is the mock model's answer.")
    );
    let usage = resp.usage.unwrap();
    assert!(usage.prompt_tokens > 0 && usage.completion_tokens > 0);
    assert_eq!(mock.state().stats("gpt-4o-mini").requests, 1);
    assert_eq!(mock.state().last_request().unwrap()["model"], "gpt-4o-mini");
}

#[tokio::test]
async fn calls_the_tool_only_when_offered() {
    let mock = start().await;
    mock.state().set_default(Behavior {
        tool_arguments: Some(
            r#"{"commands":[{"type":"load","payload":{"symbol":"TSLA"}}]}"#.into(),
        ),
        prompt_tokens: Some(100),
        completion_tokens: Some(20),
        cached_tokens: 40,
        ..Behavior::default()
    });
    let c = client(&mock);
    let resp = c.chat().create(request("m", true)).await.unwrap();
    let calls = resp.choices[0].message.tool_calls.clone().unwrap();
    let ChatCompletionMessageToolCalls::Function(f) = &calls[0] else {
        panic!("expected a function call")
    };
    assert_eq!(f.function.name, "chart_commands");
    assert!(f.function.arguments.contains("TSLA"));
    let usage = resp.usage.unwrap();
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (100, 20));
    assert_eq!(usage.prompt_tokens_details.unwrap().cached_tokens, Some(40));
    let resp = c.chat().create(request("m", false)).await.unwrap();
    assert!(resp.choices[0].message.tool_calls.is_none());
}

#[tokio::test]
async fn injected_errors_carry_the_status() {
    let mock = start().await;
    mock.state().set_model("bad", Behavior::failing(429));
    mock.state().set_model("worse", Behavior::failing(503));
    let c = client(&mock);
    for (model, status) in [("bad", 429u16), ("worse", 503)] {
        match c.chat().create(request(model, false)).await {
            Err(OpenAIError::ApiError(e)) => assert_eq!(e.status_code.as_u16(), status),
            other => panic!("{model}: expected an API error, got {other:?}"),
        }
    }
    assert_eq!(mock.state().stats("bad").errors, 1);
}

#[tokio::test]
async fn error_rate_fails_exactly_that_share() {
    let mock = start().await;
    mock.state().set_default(Behavior {
        error_rate: 0.25,
        ..Behavior::default()
    });
    let c = client(&mock);
    let mut failed = 0;
    for _ in 0..20 {
        if c.chat().create(request("m", false)).await.is_err() {
            failed += 1;
        }
    }
    assert_eq!(failed, 5);
}

#[tokio::test]
async fn garbled_output_is_a_deserialization_error() {
    let mock = start().await;
    mock.state().set_default(Behavior {
        garble: true,
        ..Behavior::default()
    });
    let err = client(&mock)
        .chat()
        .create(request("m", false))
        .await
        .unwrap_err();
    assert!(matches!(err, OpenAIError::JSONDeserialize(..)), "{err:?}");
}

#[tokio::test]
async fn latency_is_applied_so_a_client_timeout_fires() {
    let mock = start().await;
    mock.state().set_default(Behavior {
        latency_ms: 2_000,
        ..Behavior::default()
    });
    let c = client(&mock);
    let r = tokio::time::timeout(
        Duration::from_millis(100),
        c.chat().create(request("m", false)),
    )
    .await;
    assert!(r.is_err(), "answer arrived before the injected latency");
}

async fn next<S: futures_core::Stream + Unpin>(s: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| std::pin::Pin::new(&mut *s).poll_next(cx)).await
}

#[tokio::test]
async fn streams_chunks_tool_call_and_usage() {
    let mock = start().await;
    mock.state().set_default(Behavior {
        text: "one two three".into(),
        tool_arguments: Some(r#"{"commands":[]}"#.into()),
        ..Behavior::default()
    });
    let c = client(&mock);
    let mut req = request("m", true);
    req.stream = Some(true);
    req.stream_options = Some(ChatCompletionStreamOptions {
        include_usage: Some(true),
        include_obfuscation: None,
    });
    let mut stream = c.chat().create_stream(req).await.unwrap();
    let mut text = String::new();
    let mut args = String::new();
    let mut finish = None;
    let mut usage = None;
    tokio::time::timeout(LIMIT, async {
        while let Some(item) = next(&mut stream).await {
            let chunk = item.unwrap();
            if let Some(u) = chunk.usage {
                usage = Some(u);
            }
            for choice in chunk.choices {
                if let Some(t) = choice.delta.content {
                    text.push_str(&t);
                }
                for call in choice.delta.tool_calls.unwrap_or_default() {
                    if let Some(f) = call.function {
                        args.push_str(&f.arguments.unwrap_or_default());
                    }
                }
                if choice.finish_reason.is_some() {
                    finish = choice.finish_reason;
                }
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(text, "one two three");
    assert_eq!(args, r#"{"commands":[]}"#);
    assert!(finish.is_some());
    assert!(usage.unwrap().completion_tokens > 0);
}

#[tokio::test]
async fn config_and_stats_over_http() {
    let mock = start().await;
    let http = reqwest::Client::new();
    let cfg = serde_json::json!({"models": {"x": {"error_rate": 1.0, "error_status": 500}}});
    let r = http
        .put(format!("http://{}/mock/config", mock.addr()))
        .json(&cfg)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let err = client(&mock)
        .chat()
        .create(request("x", false))
        .await
        .unwrap_err();
    assert!(matches!(err, OpenAIError::ApiError(_)));
    let stats: serde_json::Value = http
        .get(format!("http://{}/mock/stats", mock.addr()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["x"]["errors"], 1);
}
