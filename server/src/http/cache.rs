//! The cache's HTTP surface: `Cache-Control` in, `X-Cache` out, and the admin endpoints
//! (`docs/server-api.md`): stats, the entry listing, deleting one entry, purging.
//!
//! Admin endpoints need `Authorization: Bearer <admin key>` (`CHARTGATE_AUTH__ADMIN_KEY`,
//! [`Admin`]): 401 without a key or with an unknown one, 403 with an API key (no admin right) or
//! when no admin key is configured.

use super::auth::Admin;
use super::extract::ApiQuery;
use crate::cache::{key::is_key, CacheControl, CacheStatus};
use crate::error::{AppError, ErrorCode};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chartgate_core::Intent;
use serde::Deserialize;
use serde_json::json;

/// The response header saying where an answer came from.
pub const X_CACHE: &str = "x-cache";

/// Entries per listing page at most.
const MAX_LIMIT: usize = 1000;

/// The request's `Cache-Control` directives.
pub fn control(headers: &HeaderMap) -> CacheControl {
    CacheControl::parse(
        headers
            .get_all(CACHE_CONTROL)
            .iter()
            .filter_map(|v| v.to_str().ok()),
    )
}

/// Sets `X-Cache`.
pub fn set_header(res: &mut Response, status: CacheStatus) {
    res.headers_mut()
        .insert(X_CACHE, HeaderValue::from_static(status.header()));
}

fn unavailable(tier: &str) -> AppError {
    AppError::new(
        ErrorCode::CacheUnavailable,
        format!("the cache's {tier} tier did not answer; retry"),
    )
    .with_retry_after(1)
}

/// `GET /api/cache/stats`.
pub async fn stats(State(state): State<AppState>, _: Admin) -> Response {
    let c = &state.cache;
    let tiers = c.stats().await;
    // Every lookup starts in memory, so its hits and misses count the lookups.
    let lookups = tiers
        .iter()
        .find(|t| t.tier == "memory")
        .map_or(0, |t| t.hits + t.misses);
    let hits: u64 = tiers.iter().map(|t| t.hits).sum();
    Json(json!({
        "enabled": c.config.enabled,
        "tiers": tiers,
        "lookups": lookups,
        "hits": hits,
        "hit_ratio": (lookups > 0).then(|| hits as f64 / lookups as f64),
        "singleflight_waiters": c.metrics.waiters.get(),
        "singleflight_in_progress": c.flights.len(),
        "saved_usd": c.metrics.saved_usd.get(),
    }))
    .into_response()
}

/// `?limit=&cursor=`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    limit: Option<String>,
    cursor: Option<String>,
}

/// `GET /api/cache/entries?limit=&cursor=`: key order; `next_cursor` continues.
pub async fn entries(
    State(state): State<AppState>,
    _: Admin,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, AppError> {
    let limit = match q.limit.as_deref() {
        None => 100,
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| AppError::invalid_field(format!("limit: expected 1 to {MAX_LIMIT}")))?,
    };
    let cursor = match q.cursor {
        None => None,
        Some(c) if is_key(&c) => Some(c),
        Some(_) => {
            return Err(AppError::invalid_field(
                "cursor: expected a key (64 lower-case hex digits)",
            ))
        }
    };
    let rows = state.cache.list(limit, cursor).await.map_err(unavailable)?;
    let next = (rows.len() == limit)
        .then(|| rows.last().map(|r| r.key.clone()))
        .flatten();
    Ok(Json(json!({"entries": rows, "next_cursor": next})).into_response())
}

/// `DELETE /api/cache/entries/{key}` (every tier).
pub async fn delete_entry(
    State(state): State<AppState>,
    _: Admin,
    Path(key): Path<String>,
) -> Result<Response, AppError> {
    if !is_key(&key) {
        return Err(AppError::invalid_field(
            "key: expected 64 lower-case hex digits",
        ));
    }
    match state.cache.delete(&key).await.map_err(unavailable)? {
        true => Ok(Json(json!({"deleted": key})).into_response()),
        false => Err(AppError::new(ErrorCode::NotFound, "no such cache entry")),
    }
}

/// `?intent=`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurgeQuery {
    intent: Option<String>,
}

/// `DELETE /api/cache[?intent=]`: purges every tier.
pub async fn purge(
    State(state): State<AppState>,
    _: Admin,
    ApiQuery(q): ApiQuery<PurgeQuery>,
) -> Result<Response, AppError> {
    let intent = match q.intent {
        None => None,
        Some(i) => Some(
            Intent::ALL
                .iter()
                .find(|x| x.as_str() == i)
                .map(|x| x.as_str())
                .ok_or_else(|| AppError::invalid_field("intent: not a known intent"))?,
        ),
    };
    let (sqlite, redis) = state.cache.purge(intent).await.map_err(unavailable)?;
    Ok(Json(json!({
        "purged": {"intent": intent, "sqlite": sqlite, "redis": redis}
    }))
    .into_response())
}
