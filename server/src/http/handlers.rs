//! Thin handlers: extract, call the pipeline or a capability, respond.

use super::extract::{ApiQuery, JsonBody, RequestId};
use super::wire::{parse_id, AskBody, FlagsQuery, ResumeQuery};
use crate::error::{AppError, ErrorCode};
use crate::flags;
use crate::pipeline::{self, AskInput, Delivery, PipelineError, Principal};
use crate::state::AppState;
use crate::stream::EventLog;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// Upstream time of an answer, for the gateway-overhead metric (set on ask responses).
#[derive(Clone, Copy, Debug)]
pub struct UpstreamTime(pub Duration);

impl From<PipelineError> for AppError {
    fn from(e: PipelineError) -> AppError {
        let code = match e.code() {
            "upstream_timeout" => ErrorCode::UpstreamTimeout,
            "upstream_unavailable" => ErrorCode::UpstreamUnavailable,
            "stream_limit" => ErrorCode::StreamLimit,
            "interrupted" => ErrorCode::Interrupted,
            "budget_exceeded" => ErrorCode::BudgetExceeded,
            _ => ErrorCode::UpstreamError,
        };
        let err = AppError::new(code, e.to_string());
        match e.retry_after() {
            Some(secs) => err.with_retry_after(secs),
            None => err,
        }
    }
}

/// The pipeline's input for a validated body, asked by `principal` (the gate's: a key's user at
/// the key's tier, or an anonymous address; with a key the body's `user_id` is replaced).
fn ask_input(state: &AppState, principal: Principal, body: AskBody) -> Result<AskInput, AppError> {
    let mut input = body.into_input(&state.config.server.limits)?;
    if let Some(user) = &principal.user_id {
        input.user_id = Some(user.clone());
    }
    input.principal = principal;
    Ok(input)
}

/// `POST /api/agent/orchestrate` and `POST /ask`. With an API key the caller is the key's user:
/// the body's `user_id` is replaced, never trusted.
pub async fn ask(
    State(state): State<AppState>,
    RequestId(request_id): RequestId,
    principal: Principal,
    headers: HeaderMap,
    JsonBody(body): JsonBody<AskBody>,
) -> Result<Response, AppError> {
    let input = ask_input(&state, principal, body)?;
    let (out, cache) =
        pipeline::ask(&state, input, request_id, super::cache::control(&headers)).await?;
    let upstream = out.upstream;
    let mut res = Json(out).into_response();
    res.extensions_mut().insert(UpstreamTime(upstream));
    super::cache::set_header(&mut res, cache);
    Ok(res)
}

/// `POST /api/agent/stream`: the answer as Server-Sent Events (`docs/streaming.md`).
pub async fn stream(
    State(state): State<AppState>,
    RequestId(request_id): RequestId,
    principal: Principal,
    headers: HeaderMap,
    JsonBody(body): JsonBody<AskBody>,
) -> Result<Response, AppError> {
    let input = ask_input(&state, principal, body)?;
    let owner = pipeline::owner_of(&input);
    let control = super::cache::control(&headers);
    let started = pipeline::start(
        &state,
        input,
        request_id,
        owner,
        Delivery::Streamed,
        control,
    )
    .await
    .map_err(|e| match e {
        pipeline::StartError::Budget(e) => AppError::from(e),
        pipeline::StartError::TooManyStreams(e) => {
            state
                .metrics
                .sse_stream_errors
                .with_label_values(&["too_many_streams"])
                .inc();
            AppError::new(ErrorCode::TooManyStreams, e.to_string()).with_retry_after(1)
        }
    })?;
    let mut res = sse_response(&state, started.log, 0);
    super::cache::set_header(&mut res, started.cache);
    Ok(res)
}

/// `GET /api/agent/stream/{stream_id}` with `Last-Event-ID`: replays the events after it, then
/// continues live. Unknown, expired and other callers' streams are all 404 `stream_not_found`.
pub async fn resume(
    State(state): State<AppState>,
    Path(stream_id): Path<String>,
    principal: Principal,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ResumeQuery>,
) -> Result<Response, AppError> {
    let count = |outcome: &str| {
        state
            .metrics
            .sse_resumes
            .with_label_values(&[outcome])
            .inc()
    };
    let max = state.config.server.limits.max_id_chars;
    let probe = AskInput {
        query: String::new(),
        history: Vec::new(),
        session_id: parse_id("session_id", q.session_id, max)?,
        user_id: parse_id("user_id", q.user_id, max)?,
        chart_context: None,
        principal,
    };
    let owner = pipeline::owner_of(&probe);
    let not_found = || {
        AppError::new(
            ErrorCode::StreamNotFound,
            "no such stream (it may have expired)",
        )
    };
    if !plausible_stream_id(&stream_id) {
        count("not_found");
        return Err(not_found());
    }
    let log = match (state.streams.get(&stream_id), &state.redis) {
        (Some(local), _) => Some(local).filter(|log| log.owner == owner),
        // Not on this replica: another one may have it in Redis.
        (None, Some(redis)) => {
            match crate::stream::mirror::open_remote(
                redis,
                &stream_id,
                &owner,
                state.config.stream.retain,
            )
            .await
            {
                Ok(found) => found,
                Err(e) => {
                    count("unavailable");
                    tracing::warn!(error = %e, "cannot read a stream from redis");
                    return Err(AppError::new(
                        ErrorCode::StreamStoreUnavailable,
                        "the stream is not on this server and the shared stream store does not answer; retry",
                    )
                    .with_retry_after(1));
                }
            }
        }
        (None, None) => None,
    };
    let Some(log) = log else {
        count("not_found");
        return Err(not_found());
    };
    let after = match parse_last_event_id(&headers, log.last_id()) {
        Ok(n) => n,
        Err(e) => {
            count("bad_last_event_id");
            return Err(e);
        }
    };
    count("ok");
    Ok(sse_response(&state, log, after))
}

/// Stream ids are `str_` and 32 lower-case hex digits; anything else is not looked up.
fn plausible_stream_id(id: &str) -> bool {
    id.len() == 36
        && id.starts_with("str_")
        && id[4..]
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `Last-Event-ID`: absent means from the start; otherwise a decimal id no greater than `last`.
fn parse_last_event_id(headers: &HeaderMap, last: u64) -> Result<u64, AppError> {
    let values: Vec<_> = headers.get_all("last-event-id").iter().collect();
    let raw = match values.as_slice() {
        [] => return Ok(0),
        [one] => one.to_str().unwrap_or("").trim(),
        _ => {
            return Err(AppError::invalid_field(
                "Last-Event-ID: sent more than once",
            ))
        }
    };
    let n: u64 = if !raw.is_empty() && raw.len() <= 20 && raw.bytes().all(|b| b.is_ascii_digit()) {
        raw.parse().map_err(|_| {
            AppError::invalid_field("Last-Event-ID: expected an event id (a decimal number)")
        })?
    } else {
        return Err(AppError::invalid_field(
            "Last-Event-ID: expected an event id (a decimal number)",
        ));
    };
    if n > last {
        return Err(AppError::invalid_field(format!(
            "Last-Event-ID: {n} is beyond the stream's last event ({last})"
        )));
    }
    Ok(n)
}

fn sse_response(state: &AppState, log: Arc<EventLog>, after: u64) -> Response {
    let body = crate::stream::sse::body(log, after, state.config.stream.keep_alive, &state.metrics);
    (
        [
            (CONTENT_TYPE, "text/event-stream"),
            (CACHE_CONTROL, "no-cache"),
        ],
        [("x-accel-buffering", "no")],
        Body::from_stream(body),
    )
        .into_response()
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
