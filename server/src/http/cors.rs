//! Cross-origin access (`server.cors_origins`), with tower-http's `CorsLayer`.
//!
//! Preflights (`OPTIONS` with `Access-Control-Request-Method`) are answered by the layer before
//! routing, whatever the path; from an origin that is not listed they get no
//! `Access-Control-Allow-Origin`, so the browser refuses the real request. Allowed: the methods
//! the API uses, the request headers a page sends (`Content-Type`, `Authorization`, `X-API-Key`,
//! `X-Request-ID`, `Last-Event-ID` for stream resumption). Exposed: `X-Request-ID`,
//! `X-Client-Request-ID`, `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`,
//! `Retry-After`. Credentials are allowed only when configured, and never with `*` (config
//! validation refuses that pair).

use crate::config::CorsConfig;
use axum::http::{HeaderName, HeaderValue, Method};
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Request headers a page may send.
pub const ALLOWED_HEADERS: [&str; 6] = [
    "content-type",
    "authorization",
    "x-api-key",
    "x-request-id",
    "last-event-id",
    "cache-control",
];

/// Response headers a page may read.
pub const EXPOSED_HEADERS: [&str; 6] = [
    "x-request-id",
    "x-client-request-id",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "retry-after",
];

/// The layer for `config`.
pub fn layer(config: &CorsConfig) -> CorsLayer {
    let origin = if config.origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            config
                .origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok()),
        )
    };
    let headers = ALLOWED_HEADERS.map(HeaderName::from_static);
    let exposed = EXPOSED_HEADERS.map(HeaderName::from_static);
    CorsLayer::new()
        .allow_origin(origin)
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers(headers)
        .expose_headers(exposed)
        .allow_credentials(config.allow_credentials)
        .max_age(Duration::from_secs(600))
}
