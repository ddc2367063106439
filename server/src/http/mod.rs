//! HTTP: the route table, thin handlers, extractors whose rejections are `AppError`, and the
//! request middleware (request ids, error bodies, HTTP metrics, tracing span).
//!
//! Handlers extract, call the pipeline (or a capability), and respond; nothing here decides what
//! a chart command is or which model answers.

pub mod auth;
pub mod body;
pub mod cache;
pub mod cors;
pub mod demo;
pub mod extract;
pub mod gate;
pub mod handlers;
pub mod head;
pub mod io;
pub mod listener;
pub mod middleware;
pub mod money;
pub mod wire;

use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use axum::Router;

/// The header carrying the request id on every response (always the server's own id); a
/// client's own value is read from the request for log correlation only.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The response header echoing a client's valid `X-Request-ID`.
pub const CLIENT_REQUEST_ID_HEADER: &str = "x-client-request-id";

/// The route table.
///
/// Layer order (outermost first): `observe` (request id, declared body size, error rendering,
/// HTTP metrics, span) → CORS (answers preflights) → body limit → routing → `record_route`
/// (copies the matched route template to the response) → on API routes, `gate` (caller, client
/// address, rate limit).
pub fn router(state: AppState) -> Router {
    let max_body = state.config.server.limits.max_body_bytes;
    // Every API route passes the gate (caller, client address, rate limit); probes, metrics
    // and the demo page do not.
    let api = Router::new()
        .route("/api/agent/orchestrate", post(handlers::ask))
        .route("/ask", post(handlers::ask))
        .route("/api/agent/stream", post(handlers::stream))
        .route("/api/agent/stream/{stream_id}", get(handlers::resume))
        .route("/api/flags", get(handlers::flags))
        // Admin endpoints (`auth::Admin`): the admin key passes the gate unlimited; anyone else
        // trying them is rate-limited like any caller.
        .route("/api/cache/stats", get(cache::stats))
        .route("/api/cache/entries", get(cache::entries))
        .route("/api/cache/entries/{key}", delete(cache::delete_entry))
        .route("/api/cache", delete(cache::purge))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            gate::gate,
        ));
    Router::new()
        .merge(api)
        .route("/health", get(handlers::health))
        .route("/ready", get(handlers::ready))
        .route("/metrics", get(handlers::metrics))
        .merge(demo::routes(&state))
        .merge(money::routes())
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .route_layer(axum::middleware::from_fn(middleware::record_route))
        .fallback(handlers::not_found)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(cors::layer(&state.config.server.cors))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::observe,
        ))
        .with_state(state)
}
