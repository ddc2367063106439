//! chartgate-server: the ask service (`chartgate serve`) around chartgate-core.
//!
//! Owns I/O and orchestration: HTTP (axum), the model providers, routing and breakers, metrics,
//! SQLite. It never decides what a chart command is; core does. Module map (see
//! `../shared/STYLE.md` and `docs/routing.md`): `config` (the only reader of the environment),
//! `error` (the one status match), `pipeline` (the one orchestration, as events), `stream` (event
//! logs, resume, SSE), `http`, `routing`, `llm`, `metrics`, `store`, `flags`, `state`,
//! `telemetry`, `clock`.

pub mod alerts;
pub mod budget;
pub mod cache;
pub mod clock;
pub mod config;
pub mod error;
pub mod flags;
pub mod http;
pub mod llm;
pub mod metrics;
pub mod pipeline;
pub mod ratelimit;
pub mod redis;
pub mod routing;
pub mod state;
pub mod store;
pub mod stream;
pub mod telemetry;

pub use config::Config;
pub use state::AppState;

use std::future::Future;
use tokio::net::TcpListener;

/// The application: every route and middleware over `state`. Tests drive it in-process with
/// `tower::ServiceExt::oneshot` or serve it on a port-0 listener.
pub fn app(state: AppState) -> axum::Router {
    http::router(state)
}

/// Serves `state` on `listener` with the front door's timeouts and caps (`http::listener`) until
/// `shutdown` completes, then shuts down gracefully within `server.shutdown_timeout_ms` and
/// drains the state (answers in flight, the ledger).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    http::listener::serve(listener, state, shutdown).await
}
