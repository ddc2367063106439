//! The one error type that reaches HTTP: [`AppError`], a stable [`ErrorCode`], and the single
//! match that picks the status code.
//!
//! Handlers and extractors return `AppError`; capability errors convert into it with `From`.
//! `IntoResponse` does not render the body: it attaches the code and message to the response, and
//! the request middleware (`http::middleware`) writes `{"error": {"code", "message",
//! "request_id"}}` with the request's id. That keeps one place that knows the id and one shape
//! for every error, including axum's own rejections. 5xx messages are generic; details are logged
//! once where they happen. 4xx are not logged as errors.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Stable error codes. Clients switch on these; never rename one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// The body is not JSON (syntax error, truncated, invalid UTF-8).
    MalformedJson,
    /// JSON of the wrong shape: wrong type, missing or unknown field, value out of bounds.
    InvalidField,
    /// The body is larger than `server.max_body_bytes`.
    PayloadTooLarge,
    /// A `Content-Type` other than JSON.
    UnsupportedMediaType,
    /// The request's framing is broken: an invalid or repeated `Content-Length`, both
    /// `Content-Length` and `Transfer-Encoding`, an unparsable request head.
    InvalidRequest,
    /// The request body did not arrive within `server.body_timeout_ms`.
    RequestTimeout,
    /// The request target is longer than `server.max_uri_bytes`.
    UriTooLong,
    /// The request head is larger than `server.max_header_bytes` or has more than
    /// `server.max_headers` header lines.
    HeadersTooLarge,
    /// No API key where one is required, or a key that is unknown or revoked.
    Unauthorized,
    /// A valid caller without the right (an admin endpoint without the admin key).
    Forbidden,
    /// No such route.
    NotFound,
    /// The route exists but not with this method.
    MethodNotAllowed,
    /// Every model of the chain failed with an upstream error.
    UpstreamError,
    /// The last model of the chain timed out.
    UpstreamTimeout,
    /// Every model of the chain is out (circuit breakers open).
    UpstreamUnavailable,
    /// The store is not reachable (readiness).
    NotReady,
    /// `stream.max_concurrent` streams are running.
    TooManyStreams,
    /// No such stream (unknown, expired, or another caller's).
    StreamNotFound,
    /// The answer outgrew its stream's bounds.
    StreamLimit,
    /// The answer's task went away before it ended (shutdown).
    Interrupted,
    /// A stream held by another replica cannot be read: Redis does not answer.
    StreamStoreUnavailable,
    /// The caller's rate limit is used up (`Retry-After` says when to come back).
    RateLimited,
    /// A cache tier did not answer an admin request (delete, purge, listing).
    CacheUnavailable,
    /// The caller's budget (or the global one) cannot pay even the cheapest model now.
    BudgetExceeded,
    /// A bug: a broken invariant or a task that died.
    Internal,
}

impl ErrorCode {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::InvalidField => "invalid_field",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::RequestTimeout => "request_timeout",
            ErrorCode::UriTooLong => "uri_too_long",
            ErrorCode::HeadersTooLarge => "headers_too_large",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::UpstreamError => "upstream_error",
            ErrorCode::UpstreamTimeout => "upstream_timeout",
            ErrorCode::UpstreamUnavailable => "upstream_unavailable",
            ErrorCode::NotReady => "not_ready",
            ErrorCode::TooManyStreams => "too_many_streams",
            ErrorCode::StreamNotFound => "stream_not_found",
            ErrorCode::StreamLimit => "stream_limit",
            ErrorCode::Interrupted => "interrupted",
            ErrorCode::StreamStoreUnavailable => "stream_store_unavailable",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::CacheUnavailable => "cache_unavailable",
            ErrorCode::BudgetExceeded => "budget_exceeded",
            ErrorCode::Internal => "internal",
        }
    }

    /// The HTTP status of this code: the one place that decides it.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::MalformedJson => StatusCode::BAD_REQUEST,
            ErrorCode::InvalidField => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::InvalidRequest => StatusCode::BAD_REQUEST,
            ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ErrorCode::UriTooLong => StatusCode::URI_TOO_LONG,
            ErrorCode::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound | ErrorCode::StreamNotFound => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::UpstreamError | ErrorCode::StreamLimit => StatusCode::BAD_GATEWAY,
            ErrorCode::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
            ErrorCode::UpstreamUnavailable
            | ErrorCode::NotReady
            | ErrorCode::TooManyStreams
            | ErrorCode::Interrupted
            | ErrorCode::StreamStoreUnavailable
            | ErrorCode::CacheUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::BudgetExceeded => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The code a bare status maps to (for responses produced outside our handlers).
    pub fn from_status(status: StatusCode) -> ErrorCode {
        match status.as_u16() {
            400 => ErrorCode::MalformedJson,
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            405 => ErrorCode::MethodNotAllowed,
            408 => ErrorCode::RequestTimeout,
            414 => ErrorCode::UriTooLong,
            431 => ErrorCode::HeadersTooLarge,
            413 => ErrorCode::PayloadTooLarge,
            415 => ErrorCode::UnsupportedMediaType,
            422 => ErrorCode::InvalidField,
            429 => ErrorCode::RateLimited,
            502 => ErrorCode::UpstreamError,
            503 => ErrorCode::UpstreamUnavailable,
            504 => ErrorCode::UpstreamTimeout,
            400..=499 if status.is_client_error() => ErrorCode::InvalidField,
            _ => ErrorCode::Internal,
        }
    }
}

/// An error answer: a code and a message safe to show the client.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    /// Seconds for a `Retry-After` header (503 while breakers are open).
    pub retry_after: Option<u64>,
}

impl AppError {
    /// An error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> AppError {
        AppError {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 422 with a message naming the field.
    pub fn invalid_field(message: impl Into<String>) -> AppError {
        AppError::new(ErrorCode::InvalidField, message)
    }

    /// Adds a `Retry-After`.
    pub fn with_retry_after(mut self, secs: u64) -> AppError {
        self.retry_after = Some(secs);
        self
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.code.status()
    }
}

/// The error attached to a response for the middleware to render.
#[derive(Clone, Debug)]
pub struct ErrorPayload {
    pub code: ErrorCode,
    pub message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut res = self.status().into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs),
            );
        }
        res.extensions_mut().insert(ErrorPayload {
            code: self.code,
            message: self.message,
        });
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_fitting_status_and_round_trips_from_it() {
        for code in [
            ErrorCode::MalformedJson,
            ErrorCode::InvalidField,
            ErrorCode::PayloadTooLarge,
            ErrorCode::UnsupportedMediaType,
            ErrorCode::RequestTimeout,
            ErrorCode::Unauthorized,
            ErrorCode::Forbidden,
            ErrorCode::UriTooLong,
            ErrorCode::HeadersTooLarge,
            ErrorCode::NotFound,
            ErrorCode::MethodNotAllowed,
            ErrorCode::UpstreamError,
            ErrorCode::UpstreamTimeout,
            ErrorCode::RateLimited,
            ErrorCode::Internal,
        ] {
            assert_eq!(
                ErrorCode::from_status(code.status()),
                code,
                "{}",
                code.as_str()
            );
        }
        assert!(ErrorCode::InvalidField.status().is_client_error());
        assert!(ErrorCode::UpstreamUnavailable.status().is_server_error());
    }

    #[test]
    fn into_response_attaches_the_payload() {
        let res = AppError::invalid_field("query: too long")
            .with_retry_after(3)
            .into_response();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(res.headers()[axum::http::header::RETRY_AFTER], "3");
        let p = res
            .extensions()
            .get::<ErrorPayload>()
            .map(|p| p.message.clone());
        assert_eq!(p.as_deref(), Some("query: too long"));
    }
}
