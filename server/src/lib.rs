//! chartgate-server: the ask service (`chartgate serve`) around chartgate-core.
//!
//! Owns I/O and orchestration: HTTP (axum), the model providers, routing and breakers, metrics,
//! SQLite. It never decides what a chart command is; core does. Module map (see
//! `../shared/STYLE.md` and `docs/routing.md`): `config` (the only reader of the environment),
//! `error` (the one status match), `pipeline` (the one orchestration, as events), `stream` (event
//! logs, resume, SSE), `http`, `routing`, `llm`, `metrics`, `store`, `flags`, `state`,
//! `telemetry`, `clock`.

pub mod clock;
pub mod config;
pub mod error;
pub mod flags;
pub mod http;
pub mod llm;
pub mod metrics;
pub mod pipeline;
pub mod redis;
pub mod routing;
pub mod state;
pub mod store;
pub mod stream;
pub mod telemetry;

pub use config::Config;
pub use state::AppState;

use axum::serve::ListenerExt;
use std::future::Future;
use tokio::net::TcpListener;

/// The application: every route and middleware over `state`. Tests drive it in-process with
/// `tower::ServiceExt::oneshot` or serve it on a port-0 listener.
pub fn app(state: AppState) -> axum::Router {
    http::router(state)
}

/// Serves `state` on `listener` (TCP_NODELAY on every connection) until `shutdown` completes,
/// lets in-flight requests finish, then flushes the ledger.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    axum::serve(
        listener,
        app(state.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    state.drain(std::time::Duration::from_secs(10)).await;
    Ok(())
}
