//! The demo page (docs/demo.md): the built files of `frontend-bindings/demo/` (Vite output:
//! `index.html` and `assets/`) served from `server.demo_dir`, read at request time so a build
//! made after start-up is picked up.
//!
//! Owns only static serving. Must not: build anything, or serve outside the directory
//! (tower-http's `ServeDir` refuses `..` and absolute paths).

use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower_http::services::ServeDir;

/// What `/` answers when the demo has not been built.
const NOT_BUILT: &str = "The chartgate demo page is not built.\n\n\
Build it from the repository:\n\n    cd frontend-bindings && npm ci && npm run build && npm run build:demo\n\n\
then reload, or point server.demo_dir (CHARTGATE_SERVER__DEMO_DIR) at a built copy.\n";

/// `/` (the page) and `/assets/…` (its scripts, styles and wasm).
pub fn routes(state: &AppState) -> Router<AppState> {
    let dir = state.config.server.demo_dir.clone();
    Router::new()
        .route("/", get(index))
        .nest_service("/assets", ServeDir::new(dir.join("assets")))
}

async fn index(State(state): State<AppState>) -> Response {
    let path = state.config.server.demo_dir.join("index.html");
    // A few kB, read off the async threads.
    match tokio::task::spawn_blocking(move || std::fs::read_to_string(path)).await {
        Ok(Ok(page)) => Html(page).into_response(),
        _ => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            NOT_BUILT,
        )
            .into_response(),
    }
}
