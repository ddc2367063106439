//! API keys on requests: a key's user is the caller whatever the body's `user_id` says, in both
//! headers; unknown, revoked and ambiguous keys are 401 with the error body; with
//! `auth.anonymous = "deny"` a request without a key is 401. The tier a key's user gets cannot
//! be raised by the body's `user_id` or by a header.
#![allow(clippy::unwrap_used)]

mod common;

use chartgate_server::routing::{ModelTier, UserTier};
use chartgate_server::store::{keys, ledger, Store};
use common::*;
use serde_json::{json, Value};

fn key_for(server: &TestServer, user: &str, tier: UserTier) -> (String, String) {
    let conn = server.state.store.connect().unwrap();
    let k = keys::create(&conn, user, tier, None).unwrap();
    (k.id, k.secret.expose().to_owned())
}

async fn post_with(
    server: &TestServer,
    headers: &[(&str, &str)],
    body: &Value,
) -> (u16, String, Value) {
    let mut r = server.http.post(server.url("/ask")).json(body);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let res = bounded(r.send()).await.unwrap();
    let status = res.status().as_u16();
    let rid = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    (status, rid, bounded(res.json::<Value>()).await.unwrap())
}

#[tokio::test]
async fn a_keys_user_is_the_caller_and_the_body_cannot_raise_the_tier() {
    let mock = mock().await;
    let mut c = model_config(&mock);
    for slot in [
        &mut c.routing.intent_tiers.general_query,
        &mut c.routing.intent_tiers.educational,
        &mut c.routing.intent_tiers.technical_analysis,
    ] {
        *slot = ModelTier::Premium;
    }
    let t = &mut c.routing.intent_tiers;
    for slot in [
        &mut t.chart_command,
        &mut t.price_only,
        &mut t.news_summary,
        &mut t.market_overview,
    ] {
        *slot = ModelTier::Premium;
    }
    let server = TestServer::start(c).await;
    let (_, secret) = key_for(&server, "alice", UserTier::Standard);
    let bearer = format!("Bearer {secret}");
    let body = json!({"query": "explain the RSI indicator", "user_id": "mallory"});
    let mut ids = Vec::new();
    for headers in [
        vec![
            ("authorization", bearer.as_str()),
            ("x-user-tier", "premium"),
        ],
        vec![("x-api-key", secret.as_str())],
    ] {
        let (status, rid, answer) = post_with(&server, &headers, &body).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(
            answer["tier"], "mid",
            "capped at alice's tier, not mallory's"
        );
        ids.push(rid);
    }
    let path = server.state.store.path().to_path_buf();
    let _dir = server.shutdown().await;
    let rows = ledger::recent(&Store::open(&path).unwrap(), 10)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        assert!(ids.contains(&row.request_id));
        assert_eq!(row.user_id.as_deref(), Some("alice"), "never the body's");
    }
}

#[tokio::test]
async fn unknown_revoked_and_ambiguous_keys_are_401() {
    let server = TestServer::start(chartgate_server::config::Config::defaults()).await;
    let (id, secret) = key_for(&server, "bob", UserTier::Premium);
    let (_, other) = key_for(&server, "carol", UserTier::Standard);
    let body = ask("show TSLA", None);
    let (ok, _, _) = post_with(&server, &[("x-api-key", secret.as_str())], &body).await;
    assert_eq!(ok, 200);
    let forged = format!("{}0", &secret[..secret.len() - 1]);
    let forged = if forged == secret {
        format!("{}1", &secret[..secret.len() - 1])
    } else {
        forged
    };
    let bearer_other = format!("Bearer {other}");
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("x-api-key", forged.as_str())],
        vec![("authorization", "Bearer cgk_not_a_key")],
        vec![("authorization", "Basic Ym9iOnB3")],
        vec![
            ("x-api-key", secret.as_str()),
            ("authorization", bearer_other.as_str()),
        ],
    ];
    for headers in &cases {
        let (status, rid, e) = post_with(&server, headers, &body).await;
        assert_eq!(status, 401, "{headers:?}: {e}");
        assert_eq!(e["error"]["code"], "unauthorized");
        assert_eq!(e["error"]["request_id"], rid.as_str());
    }
    keys::revoke(&server.state.store.connect().unwrap(), &id).unwrap();
    let (status, _, _) = post_with(&server, &[("x-api-key", secret.as_str())], &body).await;
    assert_eq!(status, 401, "revoked");
    server.shutdown().await;
}

#[tokio::test]
async fn anonymous_callers_are_refused_when_auth_anonymous_is_deny() {
    let mut c = chartgate_server::config::Config::defaults();
    c.auth.allow_anonymous = false;
    let server = TestServer::start(c).await;
    let body = ask("show TSLA", Some("someone"));
    let (status, _, e) = post_with(&server, &[], &body).await;
    assert_eq!(status, 401, "{e}");
    assert_eq!(e["error"]["code"], "unauthorized");
    let (_, secret) = key_for(&server, "dave", UserTier::Standard);
    let (status, _, _) = post_with(&server, &[("x-api-key", secret.as_str())], &body).await;
    assert_eq!(status, 200);
    server.shutdown().await;
}
