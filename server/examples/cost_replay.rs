//! Replays a query log through the real pipeline against the mock model server and prints what
//! the routing policy costs next to sending everything to gpt-4o (docs/COST_OPTIMIZATION.md).
//!
//! ```sh
//! cargo run -p chartgate-server --example cost_replay -- tests/load/querylog.jsonl
//! ```
//!
//! Token counts are the mock's: prompt tokens from the characters of the messages sent (about
//! four per token, the real system prompt and chart context included), completion tokens from
//! its fixed answer. Each line of the log is `{"query": …, "user_id": …}` (other fields ignored).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chartgate_mock_openai::{MockConfig, MockServer};
use chartgate_server::config::{Config, ProviderKind};
use chartgate_server::pipeline::{self, AskInput, Principal};
use chartgate_server::routing::{ModelTier, UserTier};
use chartgate_server::AppState;
use std::collections::BTreeMap;
use std::io::BufRead;

/// Sum of cost, answers per model.
async fn replay(config: Config, log: &[(String, Option<String>)]) -> (f64, BTreeMap<String, u64>) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config;
    config.store.path = dir.path().join("replay.sqlite3");
    let state = AppState::new(config).await.unwrap();
    let mut total = 0.0;
    let mut models = BTreeMap::new();
    for (i, (query, user)) in log.iter().enumerate() {
        let input = AskInput {
            query: query.clone(),
            history: Vec::new(),
            session_id: None,
            user_id: user.clone(),
            chart_context: None,
            // Every caller of the log as a standard key's user.
            principal: user.clone().map_or_else(
                || Principal::anonymous(None),
                |u| Principal::key(u, UserTier::Standard),
            ),
        };
        // Without the cache (the log's timestamps are not replayed, so hits would be inflated).
        let no_store = chartgate_server::cache::CacheControl {
            no_lookup: true,
            no_store: true,
        };
        match pipeline::ask(&state, input, format!("replay-{i}"), no_store).await {
            Ok((out, _)) => {
                total += out.cost_usd;
                *models.entry(out.model).or_insert(0) += 1;
            }
            Err(e) => *models.entry(format!("error:{}", e.code())).or_insert(0) += 1,
        }
    }
    state.drain(std::time::Duration::from_secs(10)).await;
    (total, models)
}

#[tokio::main]
async fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tests/load/querylog.jsonl".to_owned());
    let file = std::fs::File::open(&path).expect("the query log");
    let log: Vec<(String, Option<String>)> = std::io::BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(&l).expect("a JSON line");
            (
                v["query"].as_str().unwrap_or_default().to_owned(),
                v["user_id"].as_str().map(str::to_owned),
            )
        })
        .collect();
    chartgate_server::llm::openai::install_crypto_provider();
    let mock = MockServer::start("127.0.0.1:0".parse().unwrap(), MockConfig::default())
        .await
        .unwrap();
    let mut policy = Config::defaults();
    policy.llm.provider = ProviderKind::OpenAi;
    policy.llm.base_url = mock.base_url();
    let mut gpt4o = policy.clone();
    gpt4o.routing.fast_path = false;
    gpt4o.models.premium = vec!["gpt-4o".to_owned()];
    gpt4o.routing.user_caps.anonymous = ModelTier::Premium;
    gpt4o.routing.user_caps.standard = ModelTier::Premium;
    let t = &mut gpt4o.routing.intent_tiers;
    for slot in [
        &mut t.chart_command,
        &mut t.price_only,
        &mut t.technical_analysis,
        &mut t.news_summary,
        &mut t.market_overview,
        &mut t.educational,
        &mut t.general_query,
    ] {
        *slot = ModelTier::Premium;
    }
    let (cost, models) = replay(policy, &log).await;
    let (base, base_models) = replay(gpt4o, &log).await;
    println!("queries: {}", log.len());
    println!("policy:  ${cost:.4}  {models:?}");
    println!("gpt-4o:  ${base:.4}  {base_models:?}");
    println!(
        "policy costs {:.1}% of gpt-4o-only ({:.1}% cheaper)",
        100.0 * cost / base,
        100.0 * (1.0 - cost / base)
    );
}
