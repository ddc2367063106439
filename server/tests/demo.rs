//! The demo page at `/` (docs/demo.md): the built files from `server.demo_dir`, or a plain page
//! saying how to build them; `/assets/…` never reaches outside the directory.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::{to_bytes, Body};
use axum::http::{Request, StatusCode};
use chartgate_server::config::Config;
use chartgate_server::AppState;
use common::bounded;
use tower::ServiceExt;

async fn get(demo_dir: &std::path::Path, uri: &str) -> (StatusCode, String, String) {
    let db = tempfile::tempdir().unwrap();
    let mut c = Config::defaults();
    c.store.path = db.path().join("db.sqlite3");
    c.server.demo_dir = demo_dir.to_path_buf();
    let state = bounded(AppState::new(c)).await.unwrap();
    let req = Request::get(uri).body(Body::empty()).unwrap();
    let res = bounded(chartgate_server::app(state).oneshot(req))
        .await
        .unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = to_bytes(res.into_body(), 1 << 20).await.unwrap();
    (status, ct, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn root_says_how_to_build_the_demo_when_it_is_not_built() {
    let empty = tempfile::tempdir().unwrap();
    let (status, ct, body) = get(empty.path(), "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/plain"), "{ct}");
    assert!(body.contains("npm run build:demo"), "{body}");
}

#[tokio::test]
async fn root_and_assets_come_from_the_demo_dir() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("assets")).unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>demo</title>",
    )
    .unwrap();
    std::fs::write(dir.path().join("assets/app.js"), "export {};").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "outside assets").unwrap();

    let (status, ct, body) = get(dir.path(), "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/html"), "{ct}");
    assert_eq!(body, "<!doctype html><title>demo</title>");

    let (status, ct, body) = get(dir.path(), "/assets/app.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.contains("javascript"), "{ct}");
    assert_eq!(body, "export {};");

    for uri in [
        "/assets/../secret.txt",
        "/assets/%2e%2e/secret.txt",
        "/assets/nope.js",
        "/secret.txt",
    ] {
        let (status, _, body) = get(dir.path(), uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert!(!body.contains("outside assets"), "{uri}");
    }
}
