//! Bad input on every endpoint, in-process through `tower::ServiceExt::oneshot`: malformed JSON,
//! invalid UTF-8, wrong types, unknown fields, huge bodies, over-long fields, wrong methods and
//! unknown routes. Each gets the documented 4xx with the error body and the request id, never a
//! 5xx or a panic.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chartgate_server::config::Config;
use chartgate_server::AppState;
use common::bounded;
use serde_json::Value;
use tower::ServiceExt;

#[derive(Clone)]
struct Case {
    name: &'static str,
    method: Method,
    uri: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: u16,
    code: &'static str,
}

fn post(
    name: &'static str,
    uri: &str,
    body: impl Into<Vec<u8>>,
    status: u16,
    code: &'static str,
) -> Case {
    Case {
        name,
        method: Method::POST,
        uri: uri.to_owned(),
        content_type: Some("application/json"),
        body: body.into(),
        status,
        code,
    }
}

fn req(name: &'static str, method: Method, uri: &str, status: u16, code: &'static str) -> Case {
    Case {
        name,
        method,
        uri: uri.to_owned(),
        content_type: None,
        body: Vec::new(),
        status,
        code,
    }
}

async fn state() -> (AppState, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Config::defaults();
    c.store.path = dir.path().join("db.sqlite3");
    // Hundreds of cases from one caller: the rate limit is tested in `rate_limits.rs`.
    c.rate_limits = chartgate_server::ratelimit::RateLimitsConfig::unlimited();
    (bounded(AppState::new(c)).await.unwrap(), dir)
}

async fn run(state: &AppState, case: &Case) -> (StatusCode, Option<String>, Vec<u8>) {
    let mut b = Request::builder()
        .method(case.method.clone())
        .uri(&case.uri);
    if let Some(ct) = case.content_type {
        b = b.header("content-type", ct);
    }
    let request = b.body(Body::from(case.body.clone())).unwrap();
    let res = bounded(chartgate_server::app(state.clone()).oneshot(request))
        .await
        .unwrap();
    let status = res.status();
    let rid = res
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = bounded(axum::body::to_bytes(res.into_body(), 1 << 20))
        .await
        .unwrap();
    (status, rid, bytes.to_vec())
}

fn cases() -> Vec<Case> {
    let limits = Config::defaults().server.limits;
    let long_query = format!(
        r#"{{"query":"{}"}}"#,
        "q".repeat(limits.max_query_chars + 1)
    );
    let many_turns = format!(
        r#"{{"query":"q","conversation_history":[{}]}}"#,
        vec![r#"{"role":"user","content":"x"}"#; limits.max_history_messages + 1].join(",")
    );
    let long_turn = format!(
        r#"{{"query":"q","conversation_history":[{{"role":"user","content":"{}"}}]}}"#,
        "c".repeat(limits.max_history_content_chars + 1)
    );
    let two_mb = format!(r#"{{"query":"{}"}}"#, "x".repeat(2 * 1024 * 1024));
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let mut v = vec![
        post(
            "malformed json",
            "/ask",
            r#"{"query": "#,
            400,
            "malformed_json",
        ),
        post(
            "not json at all",
            "/ask",
            "query=hello",
            400,
            "malformed_json",
        ),
        post("empty body", "/ask", "", 400, "malformed_json"),
        post(
            "trailing garbage",
            "/ask",
            r#"{"query":"x"} {"#,
            400,
            "malformed_json",
        ),
        post(
            "invalid utf-8",
            "/ask",
            b"{\"query\": \"\xff\xfe\"}".to_vec(),
            400,
            "malformed_json",
        ),
        post(
            "invalid utf-8 outside strings",
            "/ask",
            b"\xc3\x28".to_vec(),
            400,
            "malformed_json",
        ),
        post("deeply nested", "/ask", deep, 422, "invalid_field"),
        post(
            "huge number",
            "/ask",
            r#"{"query": 1e999999}"#,
            400,
            "malformed_json",
        ),
        post("array body", "/ask", "[]", 422, "invalid_field"),
        // serde's derived struct deserializer would read these by position.
        post(
            "array body in place of the object",
            "/ask",
            r#"["show TSLA"]"#,
            422,
            "invalid_field",
        ),
        post(
            "array body on the orchestrate route",
            "/api/agent/orchestrate",
            r#"["show TSLA", null, null, null, null]"#,
            422,
            "invalid_field",
        ),
        post(
            "chart context as a list",
            "/ask",
            r#"{"query":"show TSLA","chart_context":["TSLA","1D"]}"#,
            422,
            "invalid_field",
        ),
        post(
            "history turn as a list",
            "/ask",
            r#"{"query":"show TSLA","conversation_history":[["user","hi"]]}"#,
            422,
            "invalid_field",
        ),
        post("null body", "/ask", "null", 422, "invalid_field"),
        post(
            "string body",
            "/ask",
            r#""show TSLA""#,
            422,
            "invalid_field",
        ),
        post("missing query", "/ask", "{}", 422, "invalid_field"),
        post(
            "query wrong type",
            "/ask",
            r#"{"query": 5}"#,
            422,
            "invalid_field",
        ),
        post(
            "query null",
            "/ask",
            r#"{"query": null}"#,
            422,
            "invalid_field",
        ),
        post(
            "history wrong type",
            "/ask",
            r#"{"query":"q","conversation_history":"hi"}"#,
            422,
            "invalid_field",
        ),
        post(
            "history item wrong type",
            "/ask",
            r#"{"query":"q","conversation_history":[5]}"#,
            422,
            "invalid_field",
        ),
        post(
            "history bad role",
            "/ask",
            r#"{"query":"q","conversation_history":[{"role":"system","content":"x"}]}"#,
            422,
            "invalid_field",
        ),
        post(
            "history unknown field",
            "/ask",
            r#"{"query":"q","conversation_history":[{"role":"user","content":"x","ts":1}]}"#,
            422,
            "invalid_field",
        ),
        post(
            "unknown top-level field",
            "/ask",
            r#"{"query":"q","stream":true}"#,
            422,
            "invalid_field",
        ),
        post(
            "context wrong type",
            "/ask",
            r#"{"query":"q","chart_context":"TSLA"}"#,
            422,
            "invalid_field",
        ),
        post(
            "context bad symbol",
            "/ask",
            r#"{"query":"q","chart_context":{"symbol":"$$$$"}}"#,
            422,
            "invalid_field",
        ),
        post(
            "context bad timeframe",
            "/ask",
            r#"{"query":"q","chart_context":{"timeframe":"fortnightly"}}"#,
            422,
            "invalid_field",
        ),
        post(
            "user id wrong type",
            "/ask",
            r#"{"query":"q","user_id":42}"#,
            422,
            "invalid_field",
        ),
        post(
            "user id too long",
            "/ask",
            format!(r#"{{"query":"q","user_id":"{}"}}"#, "u".repeat(200)),
            422,
            "invalid_field",
        ),
        post(
            "user id control chars",
            "/ask",
            r#"{"query":"q","user_id":"a\u0000b"}"#,
            422,
            "invalid_field",
        ),
        post(
            "blank query",
            "/ask",
            r#"{"query":"  \n "}"#,
            422,
            "invalid_field",
        ),
        post("overlong query", "/ask", long_query, 422, "invalid_field"),
        post(
            "too many turns",
            "/api/agent/orchestrate",
            many_turns,
            422,
            "invalid_field",
        ),
        post(
            "overlong turn",
            "/api/agent/orchestrate",
            long_turn,
            422,
            "invalid_field",
        ),
        post(
            "2 MB body",
            "/api/agent/orchestrate",
            two_mb,
            413,
            "payload_too_large",
        ),
        req(
            "ask with GET",
            Method::GET,
            "/ask",
            405,
            "method_not_allowed",
        ),
        req(
            "orchestrate with PUT",
            Method::PUT,
            "/api/agent/orchestrate",
            405,
            "method_not_allowed",
        ),
        req(
            "health with POST",
            Method::POST,
            "/health",
            405,
            "method_not_allowed",
        ),
        req(
            "metrics with DELETE",
            Method::DELETE,
            "/metrics",
            405,
            "method_not_allowed",
        ),
        req(
            "flags with POST",
            Method::POST,
            "/api/flags",
            405,
            "method_not_allowed",
        ),
        req("unknown route", Method::GET, "/api/nope", 404, "not_found"),
        req(
            "unknown route with POST",
            Method::POST,
            "/v1/chat/completions",
            404,
            "not_found",
        ),
        // GET / is the demo page (server/tests/demo.rs).
        req(
            "root with POST",
            Method::POST,
            "/",
            405,
            "method_not_allowed",
        ),
        req(
            "flags unknown param",
            Method::GET,
            "/api/flags?user_id=a&admin=1",
            422,
            "invalid_field",
        ),
        req(
            "flags id too long",
            Method::GET,
            &format!("/api/flags?user_id={}", "u".repeat(200)),
            422,
            "invalid_field",
        ),
        req(
            "flags repeated param",
            Method::GET,
            "/api/flags?user_id=a&user_id=b",
            422,
            "invalid_field",
        ),
    ];
    let mut text = post(
        "text/plain body",
        "/ask",
        r#"{"query":"q"}"#,
        415,
        "unsupported_media_type",
    );
    text.content_type = Some("text/plain");
    v.push(text);
    // The stream endpoint takes the same body: every bad /ask body is refused there too, before
    // any event, with the same status and code.
    let stream: Vec<Case> = v
        .iter()
        .filter(|c| c.method == Method::POST && c.uri == "/ask")
        .map(|c| Case {
            uri: "/api/agent/stream".to_owned(),
            ..c.clone()
        })
        .collect();
    assert!(stream.len() > 20);
    v.extend(stream);
    v
}

#[tokio::test]
async fn every_bad_input_gets_its_4xx_with_an_error_body() {
    let (state, _dir) = state().await;
    let mut failures = Vec::new();
    for case in cases() {
        let (status, rid, bytes) = run(&state, &case).await;
        let body: Value = match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(_) => {
                failures.push(format!(
                    "{}: body is not JSON: {:?}",
                    case.name,
                    String::from_utf8_lossy(&bytes)
                ));
                continue;
            }
        };
        if status.as_u16() != case.status || body["error"]["code"] != case.code {
            failures.push(format!(
                "{}: expected {} {}, got {} {}",
                case.name, case.status, case.code, status, body
            ));
            continue;
        }
        let rid = rid.unwrap_or_default();
        if rid.is_empty() || body["error"]["request_id"] != rid.as_str() {
            failures.push(format!(
                "{}: request id {rid:?} not echoed in {body}",
                case.name
            ));
        }
        if body["error"]["message"].as_str().is_none_or(str::is_empty) {
            failures.push(format!("{}: empty message in {body}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn field_errors_name_the_field() {
    let (state, _dir) = state().await;
    for (body, field) in [
        (r#"{"query": 5}"#, "query"),
        (
            r#"{"query":"q","conversation_history":[{"role":"user","content":7}]}"#,
            "conversation_history[0].content",
        ),
        (
            r#"{"query":"q","chart_context":{"symbol":"$$$$"}}"#,
            "chart_context.symbol",
        ),
    ] {
        let (_, _, bytes) = run(&state, &post("field", "/ask", body, 422, "invalid_field")).await;
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(msg.starts_with(field), "{msg:?} should name {field}");
    }
}

#[tokio::test]
async fn missing_content_type_is_accepted_as_json() {
    let (state, _dir) = state().await;
    let mut case = post(
        "no content type",
        "/ask",
        r#"{"query":"show TSLA"}"#,
        200,
        "",
    );
    case.content_type = None;
    let (status, _, _) = run(&state, &case).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn request_ids_are_echoed_or_replaced() {
    let (state, _dir) = state().await;
    let send = |id: &'static str| {
        let app = chartgate_server::app(state.clone());
        async move {
            let r = Request::builder()
                .uri("/health")
                .header("x-request-id", id)
                .body(Body::empty())
                .unwrap();
            let res = bounded(app.oneshot(r)).await.unwrap();
            let header = |n: &str| res.headers().get(n).map(|v| v.to_str().unwrap().to_owned());
            (
                header("x-request-id").unwrap(),
                header("x-client-request-id"),
            )
        }
    };
    // A client's id is echoed in X-Client-Request-ID; X-Request-ID is always the server's own.
    let (ours, echoed) = send("client-abc.123").await;
    assert!(ours.starts_with("req_"), "{ours}");
    assert_eq!(echoed.as_deref(), Some("client-abc.123"));
    let (again, _) = send("client-abc.123").await;
    assert_ne!(ours, again, "the same client id twice still gets two ids");
    let (replaced, echoed) = send("has spaces and <script>").await;
    assert!(replaced.starts_with("req_"), "{replaced}");
    assert_eq!(echoed, None, "an invalid client id is not echoed");
}

#[tokio::test]
async fn garbage_bytes_never_cause_a_5xx() {
    // A deterministic stream of odd bodies: every byte value, truncations of a valid body,
    // and random-looking mixes from a fixed-seed generator.
    let (state, _dir) = state().await;
    let valid = br#"{"query":"show TSLA","conversation_history":[{"role":"user","content":"hi"}],"chart_context":{"symbol":"TSLA","timeframe":"1D"}}"#;
    let mut bodies: Vec<Vec<u8>> = (0u8..=255).map(|b| vec![b]).collect();
    bodies.extend((0..valid.len()).map(|n| valid[..n].to_vec()));
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..200 {
        let mut b = valid.to_vec();
        for _ in 0..4 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x as usize) % b.len();
            b[i] = (x >> 32) as u8;
        }
        bodies.push(b);
    }
    for body in bodies {
        let case = post("garbage", "/ask", body.clone(), 0, "");
        let (status, _, bytes) = run(&state, &case).await;
        assert!(
            status.is_success() || status.is_client_error(),
            "{status} for {:?}: {}",
            String::from_utf8_lossy(&body),
            String::from_utf8_lossy(&bytes)
        );
        if status.is_client_error() {
            let v: Value = serde_json::from_slice(&bytes).unwrap();
            assert!(v["error"]["code"].is_string());
        }
    }
}

#[tokio::test]
async fn odd_query_strings_never_cause_a_5xx() {
    let (state, _dir) = state().await;
    for q in [
        "user_id=%FF",
        "user_id=%",
        "user_id=%zz",
        "user_id=a%00b",
        "=&&=&",
        "user_id",
        "session_id=x&session_id=y",
        "user_id=%E2%82%AC",
    ] {
        let case = req("query", Method::GET, &format!("/api/flags?{q}"), 0, "");
        let (status, _, bytes) = run(&state, &case).await;
        assert!(
            status.is_success() || status.is_client_error(),
            "{q}: {status} {}",
            String::from_utf8_lossy(&bytes)
        );
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        if status.is_client_error() {
            assert!(v["error"]["code"].is_string(), "{q}: {v}");
        }
    }
}
