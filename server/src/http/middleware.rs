//! Request middleware.
//!
//! [`observe`] wraps every request: it generates the request id (always ours: it keys the
//! ledger, so a client must not be able to choose or repeat it), keeps a valid incoming
//! `X-Request-ID` only for correlation (span field `client_request_id`, echoed back in
//! `X-Client-Request-ID`), opens the tracing span, refuses a declared body over the limit before
//! anything reads it, renders every error response as `{"error": {"code", "message",
//! "request_id"}}`, sets `X-Request-ID`, and records the HTTP metrics (labelled by the matched
//! route template, `unmatched` for 404s and refusals before routing) and the gateway overhead of
//! answers. [`record_route`] runs after routing and hands the matched template out.

use super::extract::RequestId;
use super::handlers::UpstreamTime;
use super::{CLIENT_REQUEST_ID_HEADER, REQUEST_ID_HEADER};
use crate::error::{AppError, ErrorCode, ErrorPayload};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;
use tracing::Instrument;

/// Keeps an incoming id only if it is short and plain.
fn valid_incoming_id(v: &HeaderValue) -> Option<&str> {
    let s = v.to_str().ok()?;
    let ok = !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    ok.then_some(s)
}

/// The error body every error answer carries.
pub fn error_body(code: ErrorCode, message: &str, request_id: &str) -> Vec<u8> {
    let body = serde_json::json!({
        "error": {
            "code": code.as_str(),
            "message": message,
            "request_id": request_id,
        }
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

/// The metrics label of a method: a fixed set, anything else is `OTHER`.
pub fn method_label_str(m: &str) -> &'static str {
    match Method::from_bytes(m.as_bytes()) {
        Ok(m) => method_label(&m),
        Err(_) => "OTHER",
    }
}

fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// Decrements the in-flight gauge even if the request future is dropped.
struct InFlight<'a>(&'a prometheus::IntGauge);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// See the module docs.
pub async fn observe(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let request_id = state.next_request_id();
    let client_id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(valid_incoming_id)
        .map(str::to_owned);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method = method_label(req.method());
    let metrics = &state.metrics;
    metrics.http_in_flight.inc();
    let _in_flight = InFlight(&metrics.http_in_flight);
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        client_request_id = client_id.as_deref().unwrap_or(""),
        method,
        path = %req.uri().path()
    );

    let max_body = state.config.server.limits.max_body_bytes;
    let mut res = match declared_too_large(&req, max_body) {
        Some(e) => e.into_response(),
        None => next.run(req).instrument(span.clone()).await,
    };

    let status = res.status();
    if status.is_client_error() || status.is_server_error() {
        let payload = res
            .extensions_mut()
            .remove::<ErrorPayload>()
            .unwrap_or_else(|| {
                let code = ErrorCode::from_status(status);
                ErrorPayload {
                    code,
                    message: status.canonical_reason().unwrap_or("error").to_owned(),
                }
            });
        let bytes = error_body(payload.code, &payload.message, &request_id);
        let headers = res.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(CONTENT_LENGTH, HeaderValue::from(bytes.len()));
        *res.body_mut() = Body::from(bytes);
        if status.is_server_error() {
            span.in_scope(|| {
                tracing::warn!(
                    status = status.as_u16(),
                    code = payload.code.as_str(),
                    "request failed"
                )
            });
        } else {
            span.in_scope(|| {
                tracing::debug!(
                    status = status.as_u16(),
                    code = payload.code.as_str(),
                    "request rejected"
                )
            });
        }
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    if let Some(v) = client_id.and_then(|c| HeaderValue::from_str(&c).ok()) {
        res.headers_mut().insert(CLIENT_REQUEST_ID_HEADER, v);
    }

    let route = res.extensions().get::<MatchedPath>().cloned();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let elapsed = start.elapsed();
    metrics
        .http_requests
        .with_label_values(&[method, route, status.as_str()])
        .inc();
    metrics
        .http_duration
        .with_label_values(&[method, route])
        .observe(elapsed.as_secs_f64());
    if let Some(UpstreamTime(upstream)) = res.extensions().get::<UpstreamTime>() {
        metrics
            .gateway_overhead
            .with_label_values(&[route])
            .observe(elapsed.saturating_sub(*upstream).as_secs_f64());
    }
    res
}

/// A `Content-Length` over the body limit is refused before anything reads the body (the
/// listener refuses it even earlier, at the head; this covers in-process callers and heads the
/// listener passed through). Unparsable values are left to the body reader.
fn declared_too_large(req: &Request, max: usize) -> Option<AppError> {
    let n: u64 = req
        .headers()
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (n > max as u64).then(|| {
        AppError::new(
            ErrorCode::PayloadTooLarge,
            format!("request body exceeds {max} bytes (Content-Length: {n})"),
        )
    })
}

/// Copies the matched route template into the response for [`observe`].
pub async fn record_route(req: Request, next: Next) -> Response {
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let mut res = next.run(req).await;
    if let Some(m) = matched {
        res.extensions_mut().insert(m);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incoming_ids_are_kept_only_when_plain() {
        assert_eq!(
            valid_incoming_id(&HeaderValue::from_static("abc-123_x.y:z")),
            Some("abc-123_x.y:z")
        );
        assert_eq!(
            valid_incoming_id(&HeaderValue::from_static("has space")),
            None
        );
        assert_eq!(valid_incoming_id(&HeaderValue::from_static("")), None);
        let long = "a".repeat(129);
        assert_eq!(
            valid_incoming_id(
                &HeaderValue::from_str(&long).unwrap_or(HeaderValue::from_static("x y"))
            ),
            None
        );
    }
}
