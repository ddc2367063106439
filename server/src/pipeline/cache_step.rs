//! The cache step of an answer (spec §5): look the answer up before any model work, replay a hit
//! through the same `Answer` steps as a fresh answer (so JSON and SSE deliver it alike, shaped by
//! the caller's flags), let identical concurrent misses follow one leader (single flight), and
//! store a leader's answer when, and only when, it is a complete, normal one.
//!
//! Never stored: errors, refusals, a finish reason other than `stop`/`tool_calls`, answers from
//! which invalid tool calls were dropped, aborted or failed streams (those end in `error`, and
//! only an answered attempt reaches [`keep`]).

use super::event::Event;
use super::{Answer, AskInput, PipelineError};
use crate::cache::entry::{Entry, Recorded, FORMAT};
use crate::cache::key::{KeyInput, KeyParts};
use crate::cache::singleflight::{Flight, Join};
use crate::cache::{CacheControl, CacheStatus};
use crate::config::Usage;
use crate::routing::intent_str;
use crate::state::AppState;
use crate::store::ledger::LedgerEntry;
use crate::stream::EventLog;
use chartgate_core::{parse_legacy, Intent, Understanding};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// What a leader (or a `no-cache` request) owes the cache once it has answered.
pub(crate) struct CacheJob {
    parts: KeyParts,
    intent: Intent,
    ttl: Duration,
    /// Held until the answer is stored (single-flight leaders only).
    flight: Option<Flight>,
}

/// What the cache decided for an answer.
pub(super) enum Plan {
    /// No cache involvement.
    Bypass,
    /// Replay this entry.
    Hit(Entry),
    /// Follow this identical answer already running.
    Waiter(Arc<EventLog>),
    /// Call the model, then store the answer.
    Fresh(CacheJob),
}

/// Looks the answer up (memory → SQLite → Redis) or joins/starts its flight.
pub(super) async fn plan(
    state: &AppState,
    input: &AskInput,
    understanding: &Understanding,
    planned_model: &str,
    cc: CacheControl,
    log: &Arc<EventLog>,
) -> (Plan, CacheStatus) {
    let cache = &state.cache;
    let intent = understanding.intent;
    let policy = cache.config.policy(intent);
    if !cache.config.enabled || cc.no_store || policy.ttl.is_zero() {
        return (Plan::Bypass, CacheStatus::Bypass);
    }
    let llm = &state.config.llm;
    let parts = KeyParts::new(&KeyInput {
        kind: policy.key,
        query: &input.query,
        understanding,
        history: &input.history,
        chart_context: input.chart_context.as_ref(),
        system_prompt_version: &cache.prompt_version,
        tool_schema_version: &cache.schema_version,
        temperature: llm.temperature,
        max_completion_tokens: llm.max_completion_tokens,
    });
    let mut job = CacheJob {
        parts,
        intent,
        ttl: policy.ttl,
        flight: None,
    };
    if cc.no_lookup {
        return (Plan::Fresh(job), CacheStatus::Bypass);
    }
    let key = job.parts.key(planned_model);
    if let Some((entry, status)) = cache.lookup(intent_str(intent), &key).await {
        return (Plan::Hit(entry), status);
    }
    match cache.flights.join(&key, log) {
        Join::Waiter(leader) => {
            cache.metrics.waiters.inc();
            (Plan::Waiter(leader), CacheStatus::Miss)
        }
        Join::Leader(flight) => {
            // A leader may have stored its answer and gone between our lookup and the join.
            if let Some(entry) = cache.peek_memory(&key) {
                return (Plan::Hit(entry), CacheStatus::HitMemory);
            }
            job.flight = Some(flight);
            (Plan::Fresh(job), CacheStatus::Miss)
        }
    }
}

/// Replays a cached answer into `a` and ends it; the hit costs nothing and saves what the answer
/// cost when it was made (metric and ledger row).
pub(super) fn replay(a: &mut Answer, e: &Entry) {
    for r in &e.events {
        match r {
            Recorded::Content { text } => {
                a.content(text.clone());
            }
            Recorded::Command { legacy } => {
                if let Some(c) = parse_legacy(legacy).commands.into_iter().next() {
                    a.command(c, None);
                }
            }
        }
    }
    a.finish(
        e.text.clone(),
        e.model.clone(),
        e.tier_label(),
        Usage::default(),
        0.0,
    );
    saved(a, &e.model, e.tier_label(), e.cost_usd);
}

/// Follows the leader's answer as it is produced; ends with its `done` (at no cost) or, the
/// moment it fails, with its error.
pub(super) async fn follow(mut a: Answer, leader: Arc<EventLog>) {
    let mut rx = leader.subscribe();
    let mut seen = 0;
    loop {
        rx.borrow_and_update();
        for e in leader.events_after(seen) {
            seen = e.id;
            match &e.event {
                Event::Content { text } => {
                    a.content(text.clone());
                }
                Event::ChartCommand(c) => {
                    a.command(c.structured.clone(), c.total);
                }
                Event::Done(out) => {
                    a.finish(
                        out.text.clone(),
                        out.model.clone(),
                        out.tier,
                        Usage::default(),
                        0.0,
                    );
                    saved(&a, &out.model, out.tier, out.cost_usd);
                    return;
                }
                Event::Error(err) => {
                    a.fail(&err.error.clone().unwrap_or(PipelineError::Interrupted));
                    return;
                }
                Event::Metadata(_) | Event::Relayed(_) => {}
            }
        }
        if rx.changed().await.is_err() {
            a.fail(&PipelineError::Interrupted);
            return;
        }
    }
}

/// Counts what a cached (or shared) answer saved and writes its ledger row, off the request path.
fn saved(a: &Answer, model: &str, tier: &'static str, saved_usd: f64) {
    let st = a.state.clone();
    st.cache.metrics.saved_usd.inc_by(saved_usd.max(0.0));
    let now = SystemTime::now();
    let entry = LedgerEntry {
        request_id: a.request_id.clone(),
        user_id: a.user_id.clone(),
        session_id: Some(a.session_id.clone()),
        model: model.to_owned(),
        intent: intent_str(a.intent),
        tier,
        usage: Usage::default(),
        cost_usd: 0.0,
        created_at: crate::clock::rfc3339(now),
        created_at_ms: crate::clock::unix_ms(now),
        cached: true,
        saved_usd,
        principal: Some(a.principal.clone()),
        user_tier: Some(a.user_tier.as_str()),
    };
    let ledger = st.ledger.clone();
    st.tasks.spawn(async move { ledger.record(entry).await });
}

/// The entry of an answered attempt, if it may be cached: a normal finish, no dropped tool calls.
/// Call before `finish` (which takes the text); pass the result to [`keep`] after it.
pub(super) fn entry(
    a: &mut Answer,
    finish: Option<&str>,
    text: &str,
    model: &str,
    tier: &'static str,
    usage: Usage,
    cost_usd: f64,
) -> Option<(Entry, CacheJob)> {
    let job = a.cache_job.take()?;
    let events = a.recording.take()?;
    if !matches!(finish, Some("stop" | "tool_calls")) || a.tainted {
        tracing::debug!(
            finish = finish.unwrap_or(""),
            tainted = a.tainted,
            "answer not cached"
        );
        return None;
    }
    let now = a.state.cache.clock.now_ms();
    let ttl = i64::try_from(job.ttl.as_millis()).unwrap_or(i64::MAX);
    let e = Entry {
        format: FORMAT,
        key: job.parts.key(model),
        intent: intent_str(job.intent).to_owned(),
        model: model.to_owned(),
        tier: tier.to_owned(),
        text: text.to_owned(),
        events,
        prompt_tokens: usage.prompt_tokens,
        completion_tokens: usage.completion_tokens,
        cost_usd,
        created_ms: now,
        expires_ms: now.saturating_add(ttl),
    };
    Some((e, job))
}

/// Stores the entry in every tier, then ends the flight (so no identical request slips between
/// the flight and the stored entry).
pub(super) fn keep(a: &Answer, kept: Option<(Entry, CacheJob)>) {
    if let Some((e, job)) = kept {
        a.state.cache.store(e);
        drop(job);
    }
}
