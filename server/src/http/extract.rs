//! Extractors whose every rejection is an [`AppError`], so each 4xx carries the error body.
//!
//! - [`JsonBody`]: `Content-Type` must be JSON when present (absent is accepted, as the old
//!   backend did); the body is bounded by `server.max_body_bytes` (413); syntax errors, truncated
//!   bodies and invalid UTF-8 are 400 `malformed_json`; valid JSON of the wrong shape (wrong type,
//!   missing field, unknown field) is 422 `invalid_field` with the field path.
//! - [`ApiQuery`]: query-string rejections are 422 `invalid_field`.
//! - [`RequestId`]: the id the middleware assigned.

use super::body::BodyTimedOut;
use super::wire::ObjectOnly;
use crate::error::{AppError, ErrorCode};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// A JSON body of type `T` (see the module docs for the status codes).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

fn is_json_content_type(value: &str) -> bool {
    let mime = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Parses `bytes` as `T`, a JSON object (an array in its place is a 422, although serde's derive
/// would read it by position), classifying failures into 400 (not JSON) and 422 (wrong shape).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::new(
            ErrorCode::MalformedJson,
            "request body is empty; expected a JSON object",
        ));
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(AppError::new(
            ErrorCode::MalformedJson,
            format!("request body is not valid UTF-8 (byte {})", e.valid_up_to()),
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut track = serde_path_to_error::Track::new();
    let result = T::deserialize(ObjectOnly(serde_path_to_error::Deserializer::new(
        &mut de, &mut track,
    )));
    let value: T = result.map_err(|inner| {
        let path = track.path().to_string();
        match inner.classify() {
            serde_json::error::Category::Data => {
                if path == "." {
                    AppError::invalid_field(format!("request body: {inner}"))
                } else {
                    AppError::invalid_field(format!("{path}: {inner}"))
                }
            }
            _ => AppError::new(
                ErrorCode::MalformedJson,
                format!("request body is not valid JSON: {inner}"),
            ),
        }
    })?;
    de.end().map_err(|e| {
        AppError::new(
            ErrorCode::MalformedJson,
            format!("request body is not valid JSON: {e}"),
        )
    })?;
    Ok(value)
}

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        if let Some(ct) = req.headers().get(CONTENT_TYPE) {
            let ok = ct.to_str().map(is_json_content_type).unwrap_or(false);
            if !ok {
                return Err(AppError::new(
                    ErrorCode::UnsupportedMediaType,
                    "Content-Type must be application/json",
                ));
            }
        }
        let max = state.config.server.limits.max_body_bytes;
        let timed_out = req.extensions().get::<BodyTimedOut>().cloned();
        let bytes = Bytes::from_request(req, state).await.map_err(|rej| {
            if timed_out.as_ref().is_some_and(BodyTimedOut::is_set) {
                AppError::new(
                    ErrorCode::RequestTimeout,
                    format!(
                        "the request body did not arrive within {} ms",
                        state.config.server.conn.body_timeout.as_millis()
                    ),
                )
            } else if rej.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::new(
                    ErrorCode::PayloadTooLarge,
                    format!("request body exceeds {max} bytes"),
                )
            } else {
                AppError::new(
                    ErrorCode::MalformedJson,
                    format!("cannot read the request body: {}", rej.body_text()),
                )
            }
        })?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// A query string of type `T`; rejections are 422.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|rej| AppError::invalid_field(rej.body_text()))
    }
}

/// The client's address, when the listener recorded it (`ConnectInfo`); `None` in-process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerAddr(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// The request id assigned by the middleware.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(|| RequestId("unknown".to_owned())))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        query: String,
        n: Option<u32>,
    }

    #[test]
    fn classifies_json_failures() {
        let code = |b: &[u8]| parse_json::<Body>(b).unwrap_err().code;
        assert_eq!(code(b""), ErrorCode::MalformedJson);
        assert_eq!(code(b"{\"query\": "), ErrorCode::MalformedJson);
        assert_eq!(
            code(b"{\"query\": \"x\"} trailing"),
            ErrorCode::MalformedJson
        );
        assert_eq!(code(b"{\"query\": \"\xff\"}"), ErrorCode::MalformedJson);
        assert_eq!(code(b"[]"), ErrorCode::InvalidField);
        assert_eq!(code(b"{\"query\": 5}"), ErrorCode::InvalidField);
        assert_eq!(code(b"{}"), ErrorCode::InvalidField);
        assert_eq!(
            code(b"{\"query\": \"x\", \"extra\": 1}"),
            ErrorCode::InvalidField
        );
        let e = parse_json::<Body>(b"{\"query\": \"x\", \"n\": -1}").unwrap_err();
        assert!(e.message.starts_with("n: "), "{}", e.message);
        assert!(parse_json::<Body>(b" {\"query\": \"x\"} ").is_ok());
    }

    #[test]
    fn content_types() {
        assert!(is_json_content_type("application/json"));
        assert!(is_json_content_type("application/json; charset=utf-8"));
        assert!(is_json_content_type("Application/JSON"));
        assert!(is_json_content_type("application/merge-patch+json"));
        assert!(!is_json_content_type("text/plain"));
        assert!(!is_json_content_type("multipart/form-data; boundary=x"));
    }
}
