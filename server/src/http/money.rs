//! The money endpoints (`docs/server-api.md`): the caller's budget windows, cost reports from the
//! ledger (the caller's own; the admin key sees everyone's) and the alert delivery log (admin).

use super::auth::{is_admin, presented_key, Admin};
use super::extract::ApiQuery;
use crate::alerts;
use crate::budget::{report, Payer};
use crate::error::{AppError, ErrorCode};
use crate::pipeline::Principal;
use crate::routing::UserTier;
use crate::state::AppState;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

/// The money routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/budget", get(budget_windows))
        .route("/api/costs/summary", get(summary))
        .route("/api/costs/recent", get(recent))
        .route("/api/alerts/deliveries", get(deliveries))
}

/// Who is reading: the admin (the admin key), or a caller (an API key or an anonymous address).
enum Viewer {
    Admin,
    Caller(Payer),
}

impl Viewer {
    /// The principal whose rows a report shows (`None`: everyone's).
    fn filter(&self) -> Option<String> {
        match self {
            Viewer::Admin => None,
            Viewer::Caller(p) => Some(p.principal.clone()),
        }
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if is_admin(state, presented_key(&parts.headers)?.as_deref()) {
            return Ok(Viewer::Admin);
        }
        let p = Principal::from_request_parts(parts, state).await?;
        Ok(Viewer::Caller(Payer::new(
            &state.config.budgets,
            p.id,
            p.user_id,
            p.tier,
        )))
    }
}

fn internal(e: &crate::store::StoreError) -> AppError {
    tracing::error!(error = %e, "cannot read the ledger");
    AppError::new(ErrorCode::Internal, "internal error")
}

/// `GET /api/budget`: the caller's hour and day windows and the global day window.
async fn budget_windows(State(state): State<AppState>, viewer: Viewer) -> Json<Value> {
    match viewer {
        Viewer::Admin => {
            let payer = Payer::new(
                &state.config.budgets,
                "admin".to_owned(),
                None,
                UserTier::Premium,
            );
            let windows: Vec<_> = state
                .budget
                .view(&payer)
                .into_iter()
                .filter(|w| w.scope == "global")
                .collect();
            Json(json!({"principal": null, "tier": null, "windows": windows}))
        }
        Viewer::Caller(payer) => {
            let windows = state.budget.view(&payer);
            Json(json!({
                "principal": payer.principal,
                "tier": payer.tier.as_str(),
                "windows": windows,
            }))
        }
    }
}

/// `GET /api/costs/summary` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SummaryQuery {
    window: Option<String>,
    group_by: Option<String>,
}

/// `GET /api/costs/summary?window=hour|day|week&group_by=model|intent|tier|user`: spend over the
/// last hour, 24 hours or 7 days, grouped.
async fn summary(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<SummaryQuery>,
) -> Result<Json<Value>, AppError> {
    let window = q.window.as_deref().unwrap_or("day");
    let span_ms: i64 = match window {
        "hour" => 3_600_000,
        "day" => 86_400_000,
        "week" => 7 * 86_400_000,
        other => {
            return Err(AppError::invalid_field(format!(
                "window: expected hour, day or week, got {:?}",
                other.chars().take(32).collect::<String>()
            )))
        }
    };
    let group = q.group_by.as_deref().unwrap_or("model");
    let Some(group_by) = report::GroupBy::parse(group) else {
        return Err(AppError::invalid_field(format!(
            "group_by: expected model, intent, tier or user, got {:?}",
            group.chars().take(32).collect::<String>()
        )));
    };
    let now = state.budget.clock().now_ms();
    let since = now - span_ms;
    let rows = report::summary(&state.store, since, group_by, viewer.filter())
        .await
        .map_err(|e| internal(&e))?;
    let total: f64 = rows.iter().map(|r| r.cost_usd).sum();
    let requests: i64 = rows.iter().map(|r| r.requests).sum();
    Ok(Json(json!({
        "window": window,
        "group_by": group,
        "since": crate::clock::rfc3339_ms(since),
        "until": crate::clock::rfc3339_ms(now),
        "scope": if matches!(viewer, Viewer::Admin) { "all" } else { "caller" },
        "total_cost_usd": total,
        "total_requests": requests,
        "groups": rows,
    })))
}

/// `GET /api/costs/recent` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecentQuery {
    limit: Option<String>,
}

/// Parses `limit`: 1–1000, default 50.
fn parse_limit(raw: Option<&str>) -> Result<usize, AppError> {
    match raw {
        None => Ok(50),
        Some(s) => s
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| {
                AppError::invalid_field("limit: expected a whole number from 1 to 1000")
            }),
    }
}

/// `GET /api/costs/recent?limit=`: the newest ledger rows, newest first.
async fn recent(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<RecentQuery>,
) -> Result<Json<Value>, AppError> {
    let limit = parse_limit(q.limit.as_deref())?;
    let rows = report::recent(&state.store, limit, viewer.filter())
        .await
        .map_err(|e| internal(&e))?;
    Ok(Json(json!({ "rows": rows })))
}

/// `GET /api/alerts/deliveries?limit=`: the delivery log, newest attempt first (admin only:
/// 401 without a key or with an unknown one, 403 with a caller's key or when no admin key is
/// configured).
async fn deliveries(
    State(state): State<AppState>,
    _admin: Admin,
    ApiQuery(q): ApiQuery<RecentQuery>,
) -> Result<Json<Value>, AppError> {
    let limit = parse_limit(q.limit.as_deref())?;
    let rows = alerts::deliveries(&state.store, limit)
        .await
        .map_err(|e| internal(&e))?;
    Ok(Json(json!({ "deliveries": rows })))
}
