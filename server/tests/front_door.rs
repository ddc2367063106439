//! The front door over real loopback sockets (the listener of `chartgate_server::serve` on
//! port 0): header, body, idle and write timeouts, refusals before routing with the error body,
//! connection caps per address and in total, CORS, and graceful shutdown with idle, slow and
//! busy connections. Timeouts are configured short so each case ends quickly; every wait is
//! bounded by `common::LIMIT` and nothing asserts how fast anything was.
#![allow(clippy::unwrap_used)]

mod common;

use chartgate_mock_openai::{Behavior, MockConfig, MockServer};
use chartgate_server::config::Config;
use common::*;
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

fn short_timeouts() -> Config {
    let mut c = Config::defaults();
    let conn = &mut c.server.conn;
    conn.header_timeout = Duration::from_millis(300);
    conn.body_timeout = Duration::from_millis(500);
    conn.idle_timeout = Duration::from_millis(300);
    conn.write_timeout = Duration::from_millis(300);
    c
}

fn addr(server: &TestServer) -> SocketAddr {
    server.base.trim_start_matches("http://").parse().unwrap()
}

/// A connection from `from` (any 127.0.0.0/8 address) to the server.
async fn connect_from(server: &TestServer, from: [u8; 4]) -> TcpStream {
    let s = TcpSocket::new_v4().unwrap();
    s.bind(SocketAddr::from((from, 0))).unwrap();
    bounded(s.connect(addr(server))).await.unwrap()
}

/// Reads until the peer closes (or resets); returns what arrived.
async fn read_to_close(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match bounded(s.read(&mut buf)).await {
            Ok(0) | Err(_) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// Reads one response with a `content-length` body: (status, head text, body).
async fn read_response(s: &mut TcpStream) -> (u16, String, Vec<u8>) {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse().unwrap())
                .unwrap_or(0);
            if data.len() >= end + 4 + len {
                let status = head[9..12].parse().unwrap();
                return (status, head, data[end + 4..end + 4 + len].to_vec());
            }
        }
        let n = bounded(s.read(&mut buf)).await.unwrap();
        assert!(n > 0, "closed before a whole response: {data:?}");
        data.extend_from_slice(&buf[..n]);
    }
}

/// Polls `/metrics` on a fresh connection each time (short idle timeouts would race a pooled
/// one) until `pred` holds (bounded).
async fn wait_metrics(server: &TestServer, pred: impl Fn(&str) -> bool) -> String {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(LIMIT)
        .build()
        .unwrap();
    bounded(async {
        loop {
            if let Ok(r) = http.get(server.url("/metrics")).send().await {
                if let Ok(m) = r.text().await {
                    if pred(&m) {
                        return m;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
}

/// Polls `/metrics` over the test client's pooled connection until `pred` holds (bounded).
async fn wait_metrics_pooled(server: &TestServer, pred: impl Fn(&str) -> bool) -> String {
    bounded(async {
        loop {
            let m = server.metrics().await;
            if pred(&m) {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
}

fn refused(m: &str, reason: &str) -> f64 {
    sample(
        m,
        &format!("http_connections_refused_total{{reason=\"{reason}\"}}"),
    )
}

#[tokio::test]
async fn every_refusal_reason_exists_from_the_first_scrape() {
    let server = TestServer::start(Config::defaults()).await;
    let m = server.metrics().await;
    for reason in [
        "per_address_cap",
        "total_cap",
        "header_timeout",
        "body_timeout",
    ] {
        let line = format!("http_connections_refused_total{{reason=\"{reason}\"}} 0");
        assert!(m.contains(&line), "missing {line}");
    }
    assert!(m.contains("http_connections_active 1"), "the scrape's own");
    server.shutdown().await;
}

#[tokio::test]
async fn a_partial_head_is_closed_at_the_header_timeout_and_counted() {
    let server = TestServer::start(short_timeouts()).await;
    let mut s = connect_from(&server, [127, 0, 0, 1]).await;
    s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    // One more byte now and then: the bound is on the whole head, not between bytes.
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = s.write_all(b"a").await;
    }
    let got = read_to_close(&mut s).await;
    assert!(got.is_empty(), "no answer to a head that never ended");
    let m = wait_metrics(&server, |m| refused(m, "header_timeout") >= 1.0).await;
    assert_eq!(refused(&m, "header_timeout"), 1.0);
    server.shutdown().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let server = TestServer::start(short_timeouts()).await;
    let mut s = connect_from(&server, [127, 0, 0, 1]).await;
    s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (status, _, _) = read_response(&mut s).await;
    assert_eq!(status, 200);
    // Keep-alive: a second request on the same connection works.
    s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(read_response(&mut s).await.0, 200);
    assert!(read_to_close(&mut s).await.is_empty());
    let m = server.metrics().await;
    assert_eq!(refused(&m, "header_timeout"), 0.0, "idle is not a refusal");
    server.shutdown().await;
}

#[tokio::test]
async fn a_trickled_body_gets_408_at_the_body_deadline() {
    let server = TestServer::start(short_timeouts()).await;
    let mut s = connect_from(&server, [127, 0, 0, 1]).await;
    s.write_all(
        b"POST /ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"query\":",
    )
    .await
    .unwrap();
    let writer = async {
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if s.write_all(b" ").await.is_err() {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_millis(400), writer).await;
    let (status, head, body) = read_response(&mut s).await;
    assert_eq!(status, 408, "{head}");
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "request_timeout");
    assert!(head.contains("x-request-id: req_"), "{head}");
    let m = wait_metrics(&server, |m| refused(m, "body_timeout") >= 1.0).await;
    assert_eq!(refused(&m, "body_timeout"), 1.0);
    server.shutdown().await;
}

#[tokio::test]
async fn a_declared_oversized_body_is_refused_before_any_byte_of_it() {
    let server = TestServer::start(Config::defaults()).await;
    let mut s = connect_from(&server, [127, 0, 0, 1]).await;
    // Only the head is sent: the answer must come without the body.
    s.write_all(b"POST /ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n")
        .await
        .unwrap();
    let (status, head, body) = read_response(&mut s).await;
    assert_eq!(status, 413, "{head}");
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");
    let rid = body["error"]["request_id"].as_str().unwrap();
    assert!(head.contains(&format!("x-request-id: {rid}")), "{head}");
    assert!(head.contains("connection: close"), "{head}");
    let m = server.metrics().await;
    assert_eq!(
        sum_where(
            &m,
            "http_requests_total",
            &[
                ("route", "unmatched"),
                ("status", "413"),
                ("method", "POST")
            ]
        ),
        1.0
    );
    server.shutdown().await;
}

#[tokio::test]
async fn broken_framing_and_oversized_heads_get_the_error_body() {
    let server = TestServer::start(Config::defaults()).await;
    let limits = server.state.config.server.conn;
    let long_uri = format!(
        "GET /{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(limits.max_uri_bytes)
    );
    let fat = format!(
        "GET /health HTTP/1.1\r\nHost: x\r\nX-Fat: {}\r\n\r\n",
        "f".repeat(limits.max_header_bytes)
    );
    let many = format!(
        "GET /health HTTP/1.1\r\nHost: x\r\n{}\r\n",
        (0..limits.max_headers)
            .map(|i| format!("X-H{i}: v\r\n"))
            .collect::<String>()
    );
    let cases: Vec<(&str, String, u16, &str)> = vec![
        (
            "non-numeric Content-Length",
            "POST /ask HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n".into(),
            400,
            "invalid_request",
        ),
        (
            "duplicate Content-Length",
            "POST /ask HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}"
                .into(),
            400,
            "invalid_request",
        ),
        (
            "conflicting Content-Length",
            "POST /ask HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"
                .into(),
            400,
            "invalid_request",
        ),
        (
            "Content-Length and Transfer-Encoding",
            "POST /ask HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"
                .into(),
            400,
            "invalid_request",
        ),
        ("long target", long_uri, 414, "uri_too_long"),
        ("large head", fat, 431, "headers_too_large"),
        ("too many header lines", many, 431, "headers_too_large"),
        (
            "garbage request line",
            "\x16\x03\x01 hello\r\n\r\n".into(),
            400,
            "invalid_request",
        ),
    ];
    for (name, raw, status, code) in &cases {
        let mut s = connect_from(&server, [127, 0, 0, 1]).await;
        s.write_all(raw.as_bytes()).await.unwrap();
        let (got, head, body) = read_response(&mut s).await;
        assert_eq!(got, *status, "{name}: {head}");
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], *code, "{name}");
        let rid = body["error"]["request_id"].as_str().unwrap();
        assert!(
            head.contains(&format!("x-request-id: {rid}")),
            "{name}: {head}"
        );
    }
    let m = server.metrics().await;
    let counted = sum_where(&m, "http_requests_total", &[("route", "unmatched")]);
    assert_eq!(counted, cases.len() as f64, "{m}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_cut_at_the_write_timeout() {
    let server = TestServer::start(short_timeouts()).await;
    let s = TcpSocket::new_v4().unwrap();
    s.set_recv_buffer_size(4096).unwrap();
    s.bind(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
    let mut s = bounded(s.connect(addr(&server))).await.unwrap();
    // Pipelined requests whose answers (the metrics page, ~20 KB each) are never read.
    let one = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    let many: Vec<u8> = one.iter().copied().cycle().take(one.len() * 1000).collect();
    let _ = bounded(s.write_all(&many)).await;
    let m = wait_metrics(&server, |m| refused(m, "write_timeout") >= 1.0).await;
    assert_eq!(refused(&m, "write_timeout"), 1.0);
    drop(s);
    server.shutdown().await;
}

#[tokio::test]
async fn connections_over_the_caps_are_closed_at_once_and_counted() {
    let mut c = Config::defaults();
    c.server.conn.max_connections = 4;
    c.server.conn.max_connections_per_address = 2;
    let server = TestServer::start(c).await;
    let mut held = vec![
        connect_from(&server, [127, 0, 0, 2]).await,
        connect_from(&server, [127, 0, 0, 2]).await,
    ];
    // Admission happens on accept: wait until both are counted as open.
    let _ = wait_metrics_pooled(&server, |m| sample(m, "http_connections_active") >= 3.0).await;
    let mut third = connect_from(&server, [127, 0, 0, 2]).await;
    let _ = third
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    assert!(
        read_to_close(&mut third).await.is_empty(),
        "closed unanswered"
    );
    held.push(connect_from(&server, [127, 0, 0, 3]).await);
    // Four are open now: three held and the test client's pooled metrics connection.
    let _ = wait_metrics_pooled(&server, |m| {
        sample(m, "http_connections_active") >= 4.0 && refused(m, "per_address_cap") >= 1.0
    })
    .await;
    let mut over = connect_from(&server, [127, 0, 0, 5]).await;
    let _ = over
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let got = read_to_close(&mut over).await;
    drop(held);
    let m = wait_metrics_pooled(&server, |m| sample(m, "http_connections_active") <= 1.0).await;
    assert_eq!(refused(&m, "per_address_cap"), 1.0);
    assert!(got.is_empty(), "over the total cap: closed unanswered");
    assert!(refused(&m, "total_cap") >= 1.0, "{m}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_request_waiting_on_a_slow_model_is_not_idle() {
    let mock = MockServer::start(
        "127.0.0.1:0".parse().unwrap(),
        MockConfig {
            default: Behavior {
                latency_ms: 1200,
                ..Behavior::default()
            },
            ..MockConfig::default()
        },
    )
    .await
    .unwrap();
    let mut c = model_config(&mock);
    c.server.conn.idle_timeout = Duration::from_millis(200);
    c.server.conn.header_timeout = Duration::from_millis(200);
    let server = TestServer::start(c).await;
    let (status, _, body) = server.post("/ask", &ask("explain RSI", None)).await;
    assert_eq!(status, 200, "{body}");
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_idle_and_slow_connections_and_lets_the_ask_finish() {
    let mock = MockServer::start(
        "127.0.0.1:0".parse().unwrap(),
        MockConfig {
            default: Behavior {
                latency_ms: 1000,
                ..Behavior::default()
            },
            ..MockConfig::default()
        },
    )
    .await
    .unwrap();
    let server = TestServer::start(model_config(&mock)).await;
    let mut idle = connect_from(&server, [127, 0, 0, 1]).await;
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(read_response(&mut idle).await.0, 200);
    let mut slow = connect_from(&server, [127, 0, 0, 1]).await;
    slow.write_all(b"GET /health HTTP/1.1\r\nHo").await.unwrap();
    let http = server.http.clone();
    let url = server.url("/ask");
    let ask = tokio::spawn(async move {
        let r = http
            .post(url)
            .json(&ask("explain RSI", None))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    });
    let _ = wait_metrics(&server, |m| sample(m, "chartgate_asks_in_flight") >= 1.0).await;
    let dir = server.shutdown().await;
    // The default idle timeout is a minute: these were closed by the shutdown.
    assert!(read_to_close(&mut idle).await.is_empty());
    assert!(read_to_close(&mut slow).await.is_empty());
    let (status, body) = bounded(ask).await.unwrap();
    assert_eq!(status, 200, "{body}");
    drop(dir);
}

#[tokio::test]
async fn cors_preflights_are_answered_for_allowed_origins_only() {
    let mut c = Config::defaults();
    c.server.cors.origins = vec!["https://charts.example".to_owned()];
    let server = TestServer::start(c).await;
    for path in ["/ask", "/api/agent/stream", "/api/agent/stream/s_1"] {
        let r = bounded(
            server
                .http
                .request(reqwest::Method::OPTIONS, server.url(path))
                .header("origin", "https://charts.example")
                .header("access-control-request-method", "POST")
                .header(
                    "access-control-request-headers",
                    "content-type, last-event-id, x-request-id",
                )
                .send(),
        )
        .await
        .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        let h = r.headers();
        assert_eq!(h["access-control-allow-origin"], "https://charts.example");
        let allowed = h["access-control-allow-headers"].to_str().unwrap();
        assert!(allowed.contains("last-event-id"), "{allowed}");
        assert!(h.get("access-control-allow-credentials").is_none());
    }
    let other = bounded(
        server
            .http
            .request(reqwest::Method::OPTIONS, server.url("/ask"))
            .header("origin", "https://evil.example")
            .header("access-control-request-method", "POST")
            .send(),
    )
    .await
    .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    let real = bounded(
        server
            .http
            .post(server.url("/ask"))
            .header("origin", "https://charts.example")
            .json(&ask("show TSLA", None))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(real.status(), 200);
    let exposed = real.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_owned();
    for h in ["x-request-id", "x-ratelimit-remaining", "retry-after"] {
        assert!(exposed.contains(h), "{exposed}");
    }
    server.shutdown().await;
}
