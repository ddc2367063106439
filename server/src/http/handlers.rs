//! Thin handlers: extract, call the pipeline or a capability, respond.

use super::auth::Caller;
use super::extract::{ApiQuery, JsonBody, RequestId};
use super::wire::{parse_id, AskBody, FlagsQuery};
use crate::error::{AppError, ErrorCode};
use crate::flags;
use crate::pipeline::{self, PipelineError};
use crate::state::AppState;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::time::Duration;

/// Upstream time of an answer, for the gateway-overhead metric (set on ask responses).
#[derive(Clone, Copy, Debug)]
pub struct UpstreamTime(pub Duration);

impl From<PipelineError> for AppError {
    fn from(e: PipelineError) -> AppError {
        match e {
            PipelineError::Upstream { last, .. } => {
                let code = if last == crate::llm::FailureKind::Timeout {
                    ErrorCode::UpstreamTimeout
                } else {
                    ErrorCode::UpstreamError
                };
                AppError::new(code, e.to_string())
            }
            PipelineError::Unavailable {
                retry_after_secs, ..
            } => AppError::new(ErrorCode::UpstreamUnavailable, e.to_string())
                .with_retry_after(retry_after_secs),
        }
    }
}

/// `POST /api/agent/orchestrate` and `POST /ask`. With an API key the caller is the key's user:
/// the body's `user_id` is replaced, never trusted.
pub async fn ask(
    State(state): State<AppState>,
    RequestId(request_id): RequestId,
    caller: Caller,
    JsonBody(body): JsonBody<AskBody>,
) -> Result<Response, AppError> {
    let mut input = body.into_input(&state.config.server.limits)?;
    if let Caller::Key(owner) = caller {
        input.user_id = Some(owner.user_id);
    }
    let out = pipeline::ask(&state, input, request_id).await?;
    let upstream = out.upstream;
    let mut res = Json(out).into_response();
    res.extensions_mut().insert(UpstreamTime(upstream));
    Ok(res)
}

/// `GET /api/flags?user_id=…&session_id=…`: the caller's effective flags and the rollout figures.
pub async fn flags(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<FlagsQuery>,
) -> Result<Response, AppError> {
    let max = state.config.server.limits.max_id_chars;
    let user_id = parse_id("user_id", q.user_id, max)?;
    let session_id = parse_id("session_id", q.session_id, max)?;
    let (subject, subject_kind) = match (&user_id, &session_id) {
        (Some(u), _) => (Some(u.as_str()), "user_id"),
        (None, Some(s)) => (Some(s.as_str()), "session_id"),
        (None, None) => (None, "none"),
    };
    let cfg = &state.config.flags;
    Ok(Json(json!({
        "flags": flags::effective(cfg, subject),
        "rollout_percent": {
            flags::PREFER_STRUCTURED: cfg.prefer_structured_percent,
            flags::STRUCTURED_OBJECTS: cfg.structured_objects_percent,
        },
        "subject": subject_kind,
    }))
    .into_response())
}

/// `GET /health`: liveness, and which provider answers.
pub async fn health(State(state): State<AppState>) -> Response {
    let models = &state.config.models;
    Json(json!({
        "status": "ok",
        "provider": state.provider.name(),
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_seconds": state.started.elapsed().as_secs(),
        "models": {
            "cheap": models.cheap,
            "mid": models.mid,
            "premium": models.premium,
        },
    }))
    .into_response()
}

/// `GET /ready`: the store answers and its schema is current (the config was validated at start).
pub async fn ready(State(state): State<AppState>) -> Result<Response, AppError> {
    match state.store.ping().await {
        Ok(()) => Ok(Json(json!({"status": "ready", "store": "ok"})).into_response()),
        Err(e) => {
            tracing::error!(error = %e, "readiness check failed");
            Err(AppError::new(ErrorCode::NotReady, "store not reachable"))
        }
    }
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render(),
    )
        .into_response()
}

/// Unknown route.
pub async fn not_found() -> AppError {
    AppError::new(ErrorCode::NotFound, "no such route")
}

/// Known route, wrong method.
pub async fn method_not_allowed() -> AppError {
    AppError::new(
        ErrorCode::MethodNotAllowed,
        "method not allowed on this route",
    )
}
