//! A client that opens a stream and never reads it: the answer still runs to its end and is
//! settled (ledger row), what the server holds stays within the stream's byte bound, and the
//! connection is closed at `server.write_timeout_ms` once the socket buffers are full, counted as
//! `http_connections_refused_total{reason="write_timeout"}` and
//! `sse_streams_total{outcome="client_gone"}`.

#![allow(clippy::unwrap_used)]

mod common;

use chartgate_mock_openai::Behavior;
use common::{mock, model_config, sample, TestServer};
use std::io::Write;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_client_that_never_reads_is_dropped_at_the_write_timeout_and_counted() {
    let mock = mock().await;
    // About 24 MB of SSE: far more than loopback socket buffers hold.
    let words = "lorem ".repeat(400);
    mock.state().set_default(Behavior {
        text: words.repeat(10_000),
        fragment_chars: Some(2_400),
        ..Behavior::default()
    });
    let mut c = model_config(&mock);
    c.server.conn.write_timeout = Duration::from_millis(500);
    c.stream.max_bytes = 64 * 1024 * 1024;
    c.stream.max_total_bytes = 128 * 1024 * 1024;
    c.stream.max_events = 100_000;
    c.llm.max_response_bytes = 64 * 1024 * 1024;
    let server = TestServer::start(c).await;
    let addr = server.url("").trim_start_matches("http://").to_owned();
    let mut socket = std::net::TcpStream::connect(&addr).unwrap();
    let body = r#"{"query":"tell me a long story","user_id":"never-reads"}"#;
    write!(
        socket,
        "POST /api/agent/stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    // Never read: wait (bounded) until the server gives up on the socket and the answer settled.
    let start = Instant::now();
    let m = loop {
        let m = server.metrics().await;
        let dropped = sample(
            &m,
            r#"http_connections_refused_total{reason="write_timeout"}"#,
        );
        let gone = sample(&m, r#"sse_streams_total{outcome="client_gone"}"#);
        let held = sample(&m, "sse_held_bytes");
        assert!(held <= 64.0 * 1024.0 * 1024.0, "held {held} B");
        if dropped >= 1.0 && gone >= 1.0 && sample(&m, "chartgate_asks_in_flight") == 0.0 {
            break m;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the unread stream was never dropped:\n{m}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        sample(&m, r#"ledger_writes_total{outcome="ok"}"#),
        1.0,
        "the answer was settled although nobody read it"
    );
    drop(socket);
    let _ = server.shutdown().await;
}
