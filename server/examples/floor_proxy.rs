//! The latency floor of any gateway on this machine: an axum server that, for every POST, sends
//! one fixed body upstream through a pooled reqwest client (TCP_NODELAY, like the real provider)
//! and returns the upstream's answer bytes. No understanding, routing, validation, ledger,
//! metrics or logs. The load harness runs it in front of the same mock as the real server, so
//! "added p99" of this proxy is what the extra process and loopback hop cost by themselves.
//!
//! JSON answers are buffered whole and sent as one body (as `tests/load/run.sh` has always
//! measured it). When the upstream answers `text/event-stream` (the body file asks for
//! `"stream": true`), its bytes go through unchanged as they arrive: each `chunk()` read from
//! the upstream becomes one body frame, polled by the connection's own task (no extra task or
//! channel), which is the least any streaming gateway can do (`tests/load/stream.sh`).
//!
//! ```sh
//! cargo run --release -p chartgate-server --example floor_proxy -- 127.0.0.1:0 \
//!     http://127.0.0.1:PORT/v1/chat/completions upstream-body.json
//! ```
//! Prints `floor listening on http://ADDR` once bound.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use axum::{extract::State, routing::post, Router};
use std::sync::Arc;

struct Upstream {
    client: reqwest::Client,
    url: String,
    body: Bytes,
}

async fn forward(State(up): State<Arc<Upstream>>, _body: Bytes) -> Result<Response, StatusCode> {
    let resp = up
        .client
        .post(&up.url)
        .header("content-type", "application/json")
        .body(up.body.clone())
        .send()
        .await
        .map_err(|_| StatusCode::BAD_GATEWAY)?;
    let is_sse = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if !is_sse {
        let bytes = resp.bytes().await.map_err(|_| StatusCode::BAD_GATEWAY)?;
        return Ok(bytes.into_response());
    }
    let status = resp.status();
    // `None` once the upstream body ended or failed, so the stream ends after one error.
    let frames = futures_util::stream::unfold(Some(resp), |state| async move {
        let mut resp = state?;
        match resp.chunk().await {
            Ok(Some(bytes)) => Some((Ok(bytes), Some(resp))),
            Ok(None) => None,
            Err(e) => Some((Err(e), None)),
        }
    });
    let mut out = Response::new(Body::from_stream(frames));
    *out.status_mut() = status;
    let h = out.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(out)
}

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (Some(bind), Some(url), Some(body_file)) = (args.next(), args.next(), args.next()) else {
        return Err("usage: floor_proxy BIND UPSTREAM_URL BODY_FILE".into());
    };
    let body = std::fs::read(&body_file).map_err(|e| format!("{body_file}: {e}"))?;
    chartgate_server::llm::openai::install_crypto_provider();
    let client = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .map_err(|e| e.to_string())?;
    let up = Arc::new(Upstream {
        client,
        url,
        body: Bytes::from(body),
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&bind)
            .await
            .map_err(|e| format!("{bind}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        println!("floor listening on http://{addr}");
        let app = Router::new().fallback(post(forward)).with_state(up);
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, app).await.map_err(|e| e.to_string())
    })
}
