//! `docs/local-models.md`'s configuration, loaded as written (its first `toml` block) with the
//! base URL pointed at the project's mock: the quoted model names route, price at zero, and
//! answer both whole and streamed.

#![allow(clippy::unwrap_used)]

mod common;

use chartgate_mock_openai::Behavior;
use chartgate_server::config::{Config, ProviderKind};
use common::{mock, TestServer};
use serde_json::json;
use std::collections::HashMap;

fn doc_config() -> String {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/local-models.md"
    ))
    .unwrap();
    let start = doc.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let len = doc[start..].find("```").unwrap();
    doc[start..start + len].to_owned()
}

#[tokio::test]
async fn the_documented_local_model_config_answers_through_an_openai_compatible_server() {
    let mock = mock().await;
    mock.state().set_default(Behavior {
        text: "RSI measures momentum.".into(),
        ..Behavior::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chartgate.toml");
    std::fs::write(&path, doc_config()).unwrap();
    let env: HashMap<String, String> =
        [("CHARTGATE_OPENAI_BASE_URL".to_owned(), mock.base_url())].into();
    let config = Config::load(Some(&path), &env).unwrap();
    assert_eq!(config.llm.provider, ProviderKind::OpenAi);
    assert!(config.llm.api_key.is_none(), "no key for a local server");
    assert_eq!(config.models.mid, ["qwen2.5:14b", "llama3.1:8b"]);
    assert_eq!(config.prices.get("qwen2.5:32b").unwrap().output, 0.0);
    let server = TestServer::start(config).await;
    let (status, _, body) = server
        .post("/ask", &json!({"query": "explain what RSI is"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["cost_usd"], 0.0);
    let model = body["model"].as_str().unwrap().to_owned();
    assert!(
        ["llama3.1:8b", "qwen2.5:14b", "qwen2.5:32b"].contains(&model.as_str()),
        "{model}"
    );
    assert_eq!(mock.state().last_request().unwrap()["model"], model);
    let events = server
        .stream(&json!({"query": "explain what RSI is"}))
        .await
        .rest()
        .await;
    let done = &events.last().unwrap().data;
    assert_eq!(done["type"], "done");
    assert_eq!(done["model"], model);
    assert_eq!(done["text"], "RSI measures momentum.");
}
