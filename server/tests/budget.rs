//! Budgets end to end: a real server, the real mock with latency, the real SQLite ledger.
//! Every call in these tests costs exactly its reservation (the mock returns the estimated prompt
//! tokens and `max_completion_tokens`), so "a budget that affords N" is exact.
#![allow(clippy::unwrap_used)]

mod common;

use chartgate_mock_openai::Behavior;
use chartgate_server::budget::{estimate_prompt_tokens, worst_case, Limits};
use chartgate_server::clock::Clock;
use chartgate_server::config::Config;
use chartgate_server::routing::{ModelTier, UserTier};
use chartgate_server::AppState;
use common::{bounded, mock, model_config, sample, TestServer};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;
use tokio::sync::oneshot;

const QUERY: &str = "what moved the market today";

/// The cost of one call of `QUERY` on `tier` (its reservation, and with [`exact_mock`] its cost).
fn unit(c: &Config, tier: ModelTier) -> f64 {
    worst_case(c, tier, prompt_tokens(c), c.llm.max_completion_tokens)
}

fn prompt_tokens(c: &Config) -> u32 {
    estimate_prompt_tokens(
        &[&c.llm.system_prompt, QUERY],
        c.budgets.prompt_allowance_tokens,
    )
}

/// The mock answers with exactly the reserved token counts, after `latency_ms`.
fn exact_mock(c: &Config, latency_ms: u64) -> Behavior {
    Behavior {
        latency_ms,
        prompt_tokens: Some(prompt_tokens(c)),
        completion_tokens: Some(c.llm.max_completion_tokens),
        ..Behavior::default()
    }
}

/// Routes every intent to `tier`.
fn route_all(c: &mut Config, tier: ModelTier) {
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
        *slot = tier;
    }
}

/// A config for `mock`, every intent on the cheap tier (so no budget downgrade is possible),
/// with room for a thousand connections from one address.
fn config(mock: &chartgate_mock_openai::MockServer) -> Config {
    let mut c = model_config(mock);
    route_all(&mut c, ModelTier::Cheap);
    c.llm.max_completion_tokens = 100;
    c.server.conn.max_connections = 2048;
    c.server.conn.max_connections_per_address = 2048;
    // Rate limits are the gate's business: off here, so only budgets refuse.
    c.rate_limits = chartgate_server::ratelimit::RateLimitsConfig {
        anonymous: None,
        standard: None,
        premium: None,
    };
    c
}

/// A standard API key for `user` in the store at `db`.
fn key_in(db: &Path, user: &str) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    let k = chartgate_server::store::keys::create(&conn, user, UserTier::Standard, None).unwrap();
    k.secret.expose().to_owned()
}

/// A server on an explicit store path and clock (for restarts and window resets).
struct Proc {
    base: String,
    #[allow(dead_code)]
    state: AppState,
    stop: oneshot::Sender<()>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start_at(mut c: Config, db: &Path, clock: Clock) -> Proc {
    chartgate_server::llm::openai::install_crypto_provider();
    c.store.path = db.to_path_buf();
    let state = bounded(AppState::builder(c).clock(clock).build())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let done = tokio::spawn(chartgate_server::serve(listener, state.clone(), async {
        let _ = stopped.await;
    }));
    Proc {
        base,
        state,
        stop,
        done,
    }
}

impl Proc {
    async fn stop(self) {
        let _ = self.stop.send(());
        bounded(self.done).await.unwrap().unwrap();
    }
}

/// POSTs an ask with an API key (or none); status, Retry-After and body.
async fn ask(http: &reqwest::Client, base: &str, key: Option<&str>) -> (u16, Option<u64>, Value) {
    ask_query(http, base, key, QUERY).await
}

async fn ask_query(
    http: &reqwest::Client,
    base: &str,
    key: Option<&str>,
    query: &str,
) -> (u16, Option<u64>, Value) {
    let mut req = http
        .post(format!("{base}/ask"))
        .json(&json!({"query": query}));
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    let r = bounded(req.send()).await.unwrap();
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (status, retry, bounded(r.json()).await.unwrap())
}

fn ledger_spend(db: &Path) -> (i64, f64) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(
        "SELECT count(*), coalesce(sum(cost_usd), 0) FROM ledger",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_asks_on_a_budget_for_a_hundred_never_overshoot() {
    let mock = mock().await;
    let mut c = config(&mock);
    let unit = unit(&c, ModelTier::Cheap);
    let budget = unit * 100.5;
    c.budgets.global_daily_usd = Some(budget);
    mock.state().set_default(exact_mock(&c, 200));
    let server = TestServer::start(c).await;
    let http = reqwest::Client::builder()
        .timeout(common::LIMIT)
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..1000 {
        let (http, base) = (http.clone(), server.base.clone());
        tasks.push(tokio::spawn(async move {
            let _ = i;
            ask(&http, &base, None).await
        }));
    }
    let (mut ok, mut refused) = (0, 0);
    for t in tasks {
        let (status, retry, body) = bounded(t).await.unwrap();
        match status {
            200 => ok += 1,
            429 => {
                refused += 1;
                assert_eq!(body["error"]["code"], "budget_exceeded", "{body}");
                let secs = retry.expect("Retry-After on a budget refusal");
                assert!((1..=86_400).contains(&secs), "{secs}");
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((ok, refused), (100, 900));
    assert_eq!(
        server.state.budget.reserved_total(),
        0.0,
        "no reservation left"
    );
    let m = server.metrics().await;
    assert_eq!(sample(&m, "budget_reserved_usd"), 0.0);
    assert_eq!(
        sample(&m, r#"budget_refusals_total{scope="global"}"#),
        900.0
    );
    assert!(sample(&m, r#"budget_spend_usd{scope="global",window="day"}"#) <= budget);
    let dir = server.shutdown().await;
    let (rows, spent) = ledger_spend(&dir.path().join("data/chartgate.sqlite3"));
    assert_eq!(rows, 100);
    assert!(spent <= budget, "{spent} > {budget}");
}

#[tokio::test]
async fn a_caller_is_moved_down_a_tier_before_being_refused_and_the_fast_path_never_is() {
    let mock = mock().await;
    let mut c = config(&mock);
    route_all(&mut c, ModelTier::Mid);
    c.routing.fast_path = true;
    let (mid, cheap) = (unit(&c, ModelTier::Mid), unit(&c, ModelTier::Cheap));
    assert!(
        mid > 2.0 * cheap,
        "the test needs mid dearer than two cheap calls"
    );
    // Affords one cheap call and a half, never a mid one.
    c.budgets.standard = Limits {
        hourly_usd: Some(cheap * 1.5),
        daily_usd: None,
    };
    mock.state().set_default(exact_mock(&c, 0));
    let server = TestServer::start(c).await;
    let thrifty = server.key("thrifty", UserTier::Standard);
    let other = server.key("other", UserTier::Standard);
    let (status, _, body) = ask(&server.http, &server.base, Some(&thrifty)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tier"], "cheap");
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(mock.state().stats("gpt-4o").requests, 0);
    let (status, retry, body) = ask(&server.http, &server.base, Some(&thrifty)).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "budget_exceeded");
    assert!(retry.unwrap() <= 3600);
    // Chart control costs nothing: answered by core while the budget is spent.
    let (status, _, body) = ask_query(
        &server.http,
        &server.base,
        Some(&thrifty),
        "show me Tesla on the weekly with the 50 day",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["model"], "offline");
    // Another caller has their own budget.
    assert_eq!(ask(&server.http, &server.base, Some(&other)).await.0, 200);
    let m = server.metrics().await;
    assert_eq!(sample(&m, "budget_downgrades_total"), 2.0);
    assert_eq!(
        sample(&m, r#"budget_refusals_total{scope="standard"}"#),
        1.0
    );
    let b: Value = server
        .http
        .get(server.url("/api/budget"))
        .bearer_auth(&thrifty)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(b["principal"], "user:thrifty", "{b}");
    assert_eq!(b["windows"][0]["window"], "hour");
    assert_eq!(b["windows"][0]["reserved_usd"], 0.0);
    assert!(
        b["windows"][0]["remaining_usd"].as_f64().unwrap() < cheap,
        "{b}"
    );
    let _ = server.shutdown().await;
}

#[tokio::test]
async fn windows_reset_on_the_utc_clock_and_a_restart_keeps_spend() {
    let mock = mock().await;
    let mut c = config(&mock);
    let unit = unit(&c, ModelTier::Cheap);
    c.budgets.standard = Limits {
        hourly_usd: Some(unit * 1.5),
        daily_usd: Some(unit * 2.5),
    };
    mock.state().set_default(exact_mock(&c, 0));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chartgate.sqlite3");
    // 10:30 UTC today: the hour resets in 30 minutes.
    let now = chartgate_server::clock::unix_ms(std::time::SystemTime::now());
    let day = now - now.rem_euclid(86_400_000);
    let clock = Clock::manual(day + 10 * 3_600_000 + 1_800_000);
    let p = start_at(c.clone(), &db, clock.clone()).await;
    let walt_key = key_in(&db, "walt");
    let walt = Some(walt_key.as_str());
    let http = reqwest::Client::new();
    assert_eq!(ask(&http, &p.base, walt).await.0, 200);
    let (status, retry, _) = ask(&http, &p.base, walt).await;
    assert_eq!((status, retry), (429, Some(1800)));
    let r: Value = http
        .get(format!("{}/api/budget", p.base))
        .bearer_auth(&walt_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["windows"].as_array().unwrap().len(), 3, "{r}");
    assert_eq!(
        r["windows"][0]["resets_at"].as_str().unwrap().len(),
        24,
        "{r}"
    );
    clock.advance(1_800_000);
    assert_eq!(ask(&http, &p.base, walt).await.0, 200, "a new hour");
    p.stop().await;
    // A restart reads the day's spend back from the ledger: two calls of 2.5 are spent.
    let p = start_at(c, &db, clock.clone()).await;
    clock.advance(3_600_000);
    let (status, retry, body) = ask(&http, &p.base, walt).await;
    assert_eq!(status, 429, "{body}");
    assert!(retry.unwrap() > 3600, "the day window refuses");
    p.stop().await;
}

#[tokio::test]
async fn a_client_that_disconnects_mid_call_is_settled_once() {
    let mock = mock().await;
    let mut c = config(&mock);
    let unit = unit(&c, ModelTier::Cheap);
    c.budgets.global_daily_usd = Some(unit * 10.0);
    let mut b = exact_mock(&c, 0);
    b.text = "one two three four five six seven eight".into();
    b.chunk_interval_ms = 60;
    mock.state().set_default(b);
    let server = TestServer::start(c).await;
    let mut sse = server
        .stream(&json!({"query": QUERY, "user_id": "leaver"}))
        .await;
    assert_eq!(sse.next().await.unwrap().data["type"], "metadata");
    assert!(
        server.state.budget.reserved_total() > 0.0,
        "held during the call"
    );
    drop(sse);
    // The answer's task runs to its end and settles.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while server.state.budget.reserved_total() > 0.0 {
        assert!(std::time::Instant::now() < deadline, "never settled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let m = server.metrics().await;
    let spent = sample(&m, r#"budget_spend_usd{scope="global",window="day"}"#);
    assert!((spent - unit).abs() < 1e-12, "{spent} vs {unit}");
    let _ = server.shutdown().await;
}

#[tokio::test]
async fn cost_reports_show_the_callers_rows_and_reject_bad_parameters() {
    let mock = mock().await;
    let mut c = config(&mock);
    let admin = "a".repeat(40);
    c.auth.admin_key = Some(chartgate_server::config::Secret::new(admin.clone()));
    mock.state().set_default(exact_mock(&c, 0));
    let server = TestServer::start(c).await;
    let rep_key = server.key("rep", UserTier::Standard);
    for _ in 0..3 {
        assert_eq!(ask(&server.http, &server.base, Some(&rep_key)).await.0, 200);
    }
    server.state.ledger.flush().await;
    // Another caller (anonymous) sees none of rep's rows; rep sees its own.
    let (status, body) = server.get("/api/costs/summary?window=hour").await;
    assert_eq!(
        (status, body["total_requests"].as_i64()),
        (200, Some(0)),
        "{body}"
    );
    let own: Value = server
        .http
        .get(server.url("/api/costs/recent"))
        .bearer_auth(&rep_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(own["rows"].as_array().unwrap().len(), 3, "{own}");
    assert_eq!(own["rows"][0]["principal"], "user:rep");
    server.state.ledger.flush().await;
    let get = |path: &str| {
        let req = server
            .http
            .get(server.url(path))
            .header("authorization", format!("Bearer {admin}"));
        async move {
            let r = bounded(req.send()).await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = get("/api/costs/summary?window=day&group_by=model").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total_requests"], 3, "{body}");
    assert_eq!(body["groups"][0]["key"], "gpt-4o-mini");
    let (status, body) = get("/api/costs/summary?window=week&group_by=user").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["groups"][0]["requests"], 3, "{body}");
    let (status, body) = get("/api/costs/recent?limit=2").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rows"].as_array().unwrap().len(), 2);
    let (status, body) = get("/api/alerts/deliveries").await;
    assert_eq!(
        (status, body["deliveries"].as_array().map(Vec::len)),
        (200, Some(0))
    );
    for bad in [
        "/api/costs/summary?window=month",
        "/api/costs/summary?group_by=colour",
        "/api/costs/summary?nope=1",
        "/api/costs/recent?limit=0",
        "/api/costs/recent?limit=abc",
        "/api/costs/recent?limit=1001",
    ] {
        let (status, body) = server.get(bad).await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "invalid_field");
    }
    let (status, body) = server.get("/api/alerts/deliveries").await;
    assert_eq!(status, 401, "{body}");
    let _ = server.shutdown().await;
}
