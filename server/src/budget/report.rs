//! Reading spend back from the SQLite ledger: the restore at startup and the cost reports
//! (`GET /api/costs/summary`, `GET /api/costs/recent`). Every query runs on the store's blocking
//! bridge and reads by the `created_at_ms` and `principal` indexes.

use crate::routing::UserTier;
use crate::store::{Store, StoreError};
use rusqlite::types::Value as SqlValue;
use serde::Serialize;

/// Spend of the current UTC day, per principal and hour, for [`super::book::Book::restore`].
pub async fn restore(
    store: &Store,
    day_start_ms: i64,
) -> Result<Vec<(String, Option<String>, UserTier, i64, f64)>, StoreError> {
    store
        .read(move |c| {
            let mut stmt = c.prepare(
                "SELECT COALESCE(principal, 'user:' || user_id, 'anonymous'), user_id,
                        COALESCE(user_tier, 'anonymous'),
                        (created_at_ms / 3600000) * 3600000 AS hour, SUM(cost_usd)
                 FROM ledger WHERE created_at_ms >= ?1
                 GROUP BY 1, 2, 3, 4",
            )?;
            let rows = stmt.query_map([day_start_ms], |r| {
                let tier: String = r.get(2)?;
                let tier = match tier.as_str() {
                    "premium" => UserTier::Premium,
                    "standard" => UserTier::Standard,
                    _ => UserTier::Anonymous,
                };
                Ok((r.get(0)?, r.get(1)?, tier, r.get(3)?, r.get(4)?))
            })?;
            rows.collect()
        })
        .await
}

/// How `GET /api/costs/summary` groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    Model,
    Intent,
    /// The model tier that answered.
    Tier,
    /// The principal.
    User,
}

impl GroupBy {
    /// Parses the query value.
    pub fn parse(s: &str) -> Option<GroupBy> {
        Some(match s {
            "model" => GroupBy::Model,
            "intent" => GroupBy::Intent,
            "tier" => GroupBy::Tier,
            "user" => GroupBy::User,
            _ => return None,
        })
    }

    fn column(self) -> &'static str {
        match self {
            GroupBy::Model => "model",
            GroupBy::Intent => "intent",
            GroupBy::Tier => "tier",
            GroupBy::User => "COALESCE(principal, 'user:' || user_id, 'anonymous')",
        }
    }
}

/// One group of a summary.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SummaryRow {
    pub key: String,
    pub requests: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cached_tokens: i64,
    pub cost_usd: f64,
}

/// Spend since `since_ms`, grouped, dearest first; only `principal`'s rows when given.
pub async fn summary(
    store: &Store,
    since_ms: i64,
    group_by: GroupBy,
    principal: Option<String>,
) -> Result<Vec<SummaryRow>, StoreError> {
    let sql = format!(
        "SELECT {col}, COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), SUM(cached_tokens),
                SUM(cost_usd)
         FROM ledger
         WHERE created_at_ms >= ?1 AND (?2 IS NULL OR principal = ?2)
         GROUP BY 1 ORDER BY 6 DESC, 1 LIMIT 1000",
        col = group_by.column()
    );
    store
        .read(move |c| {
            let mut stmt = c.prepare(&sql)?;
            let p = principal.map_or(SqlValue::Null, SqlValue::Text);
            let rows = stmt.query_map(rusqlite::params![since_ms, p], |r| {
                Ok(SummaryRow {
                    key: r.get(0)?,
                    requests: r.get(1)?,
                    prompt_tokens: r.get(2)?,
                    completion_tokens: r.get(3)?,
                    cached_tokens: r.get(4)?,
                    cost_usd: r.get(5)?,
                })
            })?;
            rows.collect()
        })
        .await
}

/// One ledger row of `GET /api/costs/recent`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecentRow {
    pub request_id: String,
    pub principal: Option<String>,
    pub model: String,
    pub intent: String,
    pub tier: String,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cached_tokens: i64,
    pub cost_usd: f64,
    pub created_at: String,
}

/// The newest `limit` rows, newest first; only `principal`'s when given.
pub async fn recent(
    store: &Store,
    limit: usize,
    principal: Option<String>,
) -> Result<Vec<RecentRow>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    store
        .read(move |c| {
            let mut stmt = c.prepare(
                "SELECT request_id, COALESCE(principal, 'user:' || user_id), model, intent, tier,
                        prompt_tokens, completion_tokens, cached_tokens, cost_usd, created_at
                 FROM ledger WHERE (?2 IS NULL OR principal = ?2)
                 ORDER BY id DESC LIMIT ?1",
            )?;
            let p = principal.map_or(SqlValue::Null, SqlValue::Text);
            let rows = stmt.query_map(rusqlite::params![limit, p], |r| {
                Ok(RecentRow {
                    request_id: r.get(0)?,
                    principal: r.get(1)?,
                    model: r.get(2)?,
                    intent: r.get(3)?,
                    tier: r.get(4)?,
                    prompt_tokens: r.get(5)?,
                    completion_tokens: r.get(6)?,
                    cached_tokens: r.get(7)?,
                    cost_usd: r.get(8)?,
                    created_at: r.get(9)?,
                })
            })?;
            rows.collect()
        })
        .await
}
