//! The ask pipeline, the one orchestration of an answer:
//!
//! understand (core) → route (tier policy, caps, load, path) → [cache slot] → call (walk the
//! tier's fallback chain through the breakers, or answer offline) → validate (tool-call arguments
//! through core; merge with core's own commands; shape by the caller's flags) → [stream slot] →
//! settle (cost from the price table, ledger row, metrics).
//!
//! The slots mark where the cache and SSE issues plug in without reshaping this function: the
//! cache wraps "call" (same inputs, same `Answer` out), streaming consumes "call" incrementally
//! and emits the validated commands. Budgets reserve before "call" and settle in "settle".
//!
//! The model path is wrapped in [`DetachOnDrop`]: it runs inline, and if the client disconnects
//! mid-call the remaining work moves to a task, so the upstream call's settlement (ledger row,
//! breaker outcome, metrics) is never cancelled. This module never touches HTTP types.

use crate::config::Usage;
use crate::flags::{self, EffectiveFlags};
use crate::llm::offline::{self, OFFLINE_MODEL};
use crate::llm::{ChartContext, Completion, FailureKind, ModelRequest, ToolCall, Turn};
use crate::routing::{self, intent_str, Admission, Decision, RouteInput, RoutePath};
use crate::state::AppState;
use crate::store::ledger::LedgerEntry;
use chartgate_core::schema::TOOL_NAME;
use chartgate_core::{
    build_chart_objects, execution_list, validate_tool_call, ChartObjects, Command, Intent,
};
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};
use tracing::Instrument;

/// A validated ask (the HTTP layer checked shapes and bounds).
#[derive(Clone, Debug)]
pub struct AskInput {
    pub query: String,
    pub history: Vec<Turn>,
    pub session_id: Option<String>,
    pub user_id: Option<String>,
    pub chart_context: Option<ChartContext>,
}

/// The answer, in the wire shape of spec §1.
#[derive(Clone, Debug, Serialize)]
pub struct AskOutput {
    pub text: String,
    pub model: String,
    pub intent: Intent,
    pub tier: &'static str,
    pub cached: bool,
    pub request_id: String,
    pub session_id: String,
    pub timestamp: String,
    pub latency_ms: f64,
    pub chart_commands: Vec<String>,
    pub chart_commands_structured: Vec<Command>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chart_objects: Option<ChartObjects>,
    pub usage: Usage,
    pub cost_usd: f64,
    pub flags: EffectiveFlags,
    /// Time spent waiting on upstream calls (for the gateway-overhead metric; not on the wire).
    #[serde(skip)]
    pub upstream: Duration,
}

/// Why an ask failed after validation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PipelineError {
    /// Every model of the chain failed; `last` is the final failure.
    #[error("every model of the {tier} chain failed (last: {})", last.as_str())]
    Upstream {
        tier: &'static str,
        last: FailureKind,
    },
    /// Every model of the chain was skipped by its open circuit breaker.
    #[error("every model of the {tier} chain is unavailable (circuit breakers open)")]
    Unavailable {
        tier: &'static str,
        retry_after_secs: u64,
    },
}

/// The result of the call step.
struct Answer {
    text: String,
    model: String,
    tier: &'static str,
    tool_calls: Vec<ToolCall>,
    usage: Usage,
    cost_usd: f64,
    upstream: Duration,
}

/// Answers one ask. See the module docs for the steps.
pub async fn ask(
    state: &AppState,
    input: AskInput,
    request_id: String,
) -> Result<AskOutput, PipelineError> {
    let started = Instant::now();
    let cfg = &state.config;

    // understand
    let understanding = (state.understand)(&input.query);
    let intent = understanding.intent;

    // route
    let subject = input.user_id.as_deref().or(input.session_id.as_deref());
    let flags = flags::effective(&cfg.flags, subject);
    let user_tier = cfg.users.tier_of(input.user_id.as_deref());
    let in_flight = state.asks_in_flight();
    let guard = state.enter_ask();
    let t = Instant::now();
    let decision = routing::decide(
        &RouteInput {
            intent,
            has_commands: !understanding.commands.is_empty(),
            user_tier,
            in_flight,
            provider: cfg.llm.provider,
        },
        &cfg.routing,
    );
    state
        .metrics
        .routing_duration
        .observe(t.elapsed().as_secs_f64());
    for r in decision.reasons() {
        if matches!(r.label(), "user_cap" | "load_shed") {
            state
                .metrics
                .tier_downgrades
                .with_label_values(&[r.label()])
                .inc();
        }
    }

    // [cache slot]: look up (normalized query, history, chart context, decision tier, prompt and
    // tool-schema versions) here; a hit skips "call" and yields an `Answer` with cached = true.

    // call
    let session_id = input
        .session_id
        .clone()
        .unwrap_or_else(|| state.next_session_id());
    let answer = match decision.path {
        RoutePath::FastPath | RoutePath::Offline => {
            tracing::debug!(
                intent = intent_str(intent),
                path = ?decision.path,
                reasons = %decision.reasons_text(),
                "route decided"
            );
            Answer {
                text: offline::describe(&understanding),
                model: OFFLINE_MODEL.to_owned(),
                tier: OFFLINE_MODEL,
                tool_calls: Vec::new(),
                usage: Usage::default(),
                cost_usd: 0.0,
                upstream: Duration::ZERO,
            }
        }
        RoutePath::Model => {
            tracing::debug!(
                intent = intent_str(intent),
                user_tier = user_tier.as_str(),
                tier = decision.tier.as_str(),
                in_flight,
                reasons = %decision.reasons_text(),
                "route decided"
            );
            let request = ModelRequest {
                system_prompt: cfg.llm.system_prompt.clone(),
                history: input.history,
                query: input.query,
                chart_context: input.chart_context,
                understanding: understanding.clone(),
                max_completion_tokens: cfg.llm.max_completion_tokens,
                temperature: cfg.llm.temperature,
            };
            let meta = SettleMeta {
                request_id: request_id.clone(),
                user_id: input.user_id.clone(),
                session_id: Some(session_id.clone()),
                intent,
            };
            let st = state.clone();
            // Runs inline (no task hop on the hot path); if the client goes away mid-call the
            // rest of the call and its settlement move to a task instead of being cancelled.
            DetachOnDrop::new(
                async move {
                    // The guard lives as long as the upstream work, not the client connection.
                    let _guard = guard;
                    call_model(&st, decision, request, meta).await
                }
                .instrument(tracing::Span::current()),
            )
            .await?
        }
    };

    // validate
    let tool_commands = commands_from_tool_calls(state, &answer.tool_calls);
    let commands = execution_list(understanding.commands.iter().chain(tool_commands.iter()));
    let chart_commands: Vec<String> = if flags.prefer_structured {
        Vec::new()
    } else {
        commands.iter().map(|c| c.legacy().to_owned()).collect()
    };
    let chart_objects = flags
        .structured_objects
        .then(|| build_chart_objects(&commands));

    // [stream slot]: the SSE issue emits `content` deltas and each validated `chart_command` here,
    // then `done` with the fields below.

    // settle (the model path already settled its cost and ledger row in `call_model`)
    let m = &state.metrics;
    m.model_selections
        .with_label_values(&[intent_str(intent), &answer.model, answer.tier])
        .inc();
    m.commands_emitted
        .with_label_values(&["legacy"])
        .inc_by(chart_commands.len() as u64);
    m.commands_emitted
        .with_label_values(&["structured"])
        .inc_by(commands.len() as u64);
    if let Some(o) = &chart_objects {
        m.commands_emitted
            .with_label_values(&["objects"])
            .inc_by(o.commands.len() as u64);
    }
    let latency_ms = (started.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0;
    Ok(AskOutput {
        text: answer.text,
        model: answer.model,
        intent,
        tier: answer.tier,
        cached: false,
        request_id,
        session_id,
        timestamp: crate::clock::rfc3339(SystemTime::now()),
        latency_ms,
        chart_commands,
        chart_commands_structured: commands,
        chart_objects,
        usage: answer.usage,
        cost_usd: answer.cost_usd,
        flags,
        upstream: answer.upstream,
    })
}

/// What settlement needs to know about the request.
struct SettleMeta {
    request_id: String,
    user_id: Option<String>,
    session_id: Option<String>,
    intent: Intent,
}

/// Walks the decided tier's chain, then settles the successful call (cost, ledger, metrics).
async fn call_model(
    state: &AppState,
    decision: Decision,
    request: ModelRequest,
    meta: SettleMeta,
) -> Result<Answer, PipelineError> {
    let tier = decision.tier;
    let chain = state.config.models.chain(tier);
    let (model, completion, upstream) = walk_chain(state, chain, tier.as_str(), &request).await?;
    let usage = completion.usage;
    let cost_usd = state
        .config
        .prices
        .get(&model)
        .map(|p| p.cost(usage))
        .unwrap_or(0.0);
    let intent = intent_str(meta.intent);
    let m = &state.metrics;
    m.tokens
        .with_label_values(&[&model, intent, "prompt"])
        .inc_by(u64::from(usage.prompt_tokens));
    m.tokens
        .with_label_values(&[&model, intent, "completion"])
        .inc_by(u64::from(usage.completion_tokens));
    m.tokens
        .with_label_values(&[&model, intent, "cached"])
        .inc_by(u64::from(usage.cached_tokens));
    m.cost_usd
        .with_label_values(&[&model, intent])
        .inc_by(cost_usd);
    let now = SystemTime::now();
    state
        .ledger
        .record(LedgerEntry {
            request_id: meta.request_id,
            user_id: meta.user_id,
            session_id: meta.session_id,
            model: model.clone(),
            intent,
            tier: tier.as_str(),
            usage,
            cost_usd,
            created_at: crate::clock::rfc3339(now),
            created_at_ms: crate::clock::unix_ms(now),
        })
        .await;
    // One line per model answer carries the whole decision: why this tier, which model.
    tracing::info!(
        model = %model,
        intent,
        tier = tier.as_str(),
        reasons = %decision.reasons_text(),
        prompt_tokens = usage.prompt_tokens,
        completion_tokens = usage.completion_tokens,
        cost_usd,
        upstream_ms = upstream.as_secs_f64() * 1000.0,
        "model answered"
    );
    Ok(Answer {
        text: completion.text,
        model,
        tier: tier.as_str(),
        tool_calls: completion.tool_calls,
        usage,
        cost_usd,
        upstream,
    })
}

/// Tries each model of `chain` in order until one answers. A model whose breaker is open is
/// skipped; a failed attempt is recorded in its breaker and the next model is tried. Everything
/// happens before the first byte of the answer is sent.
async fn walk_chain(
    state: &AppState,
    chain: &[String],
    tier: &'static str,
    request: &ModelRequest,
) -> Result<(String, Completion, Duration), PipelineError> {
    let m = &state.metrics;
    let mut upstream = Duration::ZERO;
    let mut last: Option<FailureKind> = None;
    for (i, model) in chain.iter().enumerate() {
        let has_next = i + 1 < chain.len();
        let (admission, moved) = state.breakers.admit(model, Instant::now());
        if let Some(t) = moved {
            m.breaker_moved(model, t.to);
            tracing::info!(model = %model, from = t.from.as_str(), to = t.to.as_str(), "circuit breaker moved");
        }
        if admission == Admission::Rejected {
            tracing::info!(model = %model, reason = "breaker_open", has_next, "skipping model");
            if has_next {
                m.model_fallbacks.with_label_values(&["breaker_open"]).inc();
            }
            continue;
        }
        let t0 = Instant::now();
        let result = state.provider.complete(model, request).await;
        let took = t0.elapsed();
        upstream += took;
        m.upstream_duration
            .with_label_values(&[model.as_str()])
            .observe(took.as_secs_f64());
        let moved = state
            .breakers
            .record(model, Instant::now(), admission, result.is_ok());
        if let Some(t) = moved {
            m.breaker_moved(model, t.to);
            tracing::warn!(model = %model, from = t.from.as_str(), to = t.to.as_str(), "circuit breaker moved");
        }
        match result {
            Ok(c) => {
                m.upstream_requests
                    .with_label_values(&[model.as_str(), "ok"])
                    .inc();
                return Ok((model.clone(), c, upstream));
            }
            Err(e) => {
                let kind = e.kind.as_str();
                m.upstream_requests
                    .with_label_values(&[model.as_str(), kind])
                    .inc();
                m.upstream_errors
                    .with_label_values(&[model.as_str(), kind])
                    .inc();
                tracing::warn!(model = %model, reason = kind, error = %e.message, has_next, "upstream attempt failed");
                if has_next {
                    m.model_fallbacks.with_label_values(&[kind]).inc();
                }
                last = Some(e.kind);
            }
        }
    }
    Err(match last {
        Some(last) => PipelineError::Upstream { tier, last },
        None => PipelineError::Unavailable {
            tier,
            retry_after_secs: state.config.routing.breaker.cooldown.as_secs().max(1),
        },
    })
}

/// Validates the model's tool calls through core (`validate_tool_call`): only `chart_commands`
/// calls with JSON `{"commands": [...]}` arguments count. Invalid commands are dropped, never
/// passed through, and every issue is counted by code.
fn commands_from_tool_calls(state: &AppState, calls: &[ToolCall]) -> Vec<Command> {
    let m = &state.metrics;
    let mut out = Vec::new();
    for call in calls {
        let parsed = validate_tool_call(&call.name, &call.arguments);
        for issue in &parsed.issues {
            m.validation_issues
                .with_label_values(&[issue.code.as_str()])
                .inc();
        }
        let outcome = if call.name != TOOL_NAME {
            "unknown_tool"
        } else if parsed.issues.iter().any(|i| i.is_error()) {
            "invalid"
        } else {
            "valid"
        };
        m.tool_calls.with_label_values(&[outcome]).inc();
        if !parsed.issues.is_empty() {
            let summary: Vec<String> = parsed
                .issues
                .iter()
                .take(5)
                .map(ToString::to_string)
                .collect();
            tracing::warn!(tool = %call.name, outcome, issues = parsed.issues.len(), first = ?summary, "tool call had issues");
        }
        out.extend(parsed.commands);
    }
    out
}

/// A future that, when dropped before it finished, hands its remaining work to a Tokio task
/// instead of cancelling it. Work that must complete (an upstream call already made and its
/// settlement) runs inline in the common case, without the cross-thread hop of `tokio::spawn`,
/// and still completes when the request's future is dropped (client disconnect, server timeout).
pub struct DetachOnDrop<F: Future + Send + 'static>(Option<Pin<Box<F>>>)
where
    F::Output: Send + 'static;

impl<F: Future + Send + 'static> DetachOnDrop<F>
where
    F::Output: Send + 'static,
{
    /// Wraps `fut`.
    pub fn new(fut: F) -> Self {
        DetachOnDrop(Some(Box::pin(fut)))
    }
}

impl<F: Future + Send + 'static> Future for DetachOnDrop<F>
where
    F::Output: Send + 'static,
{
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let Some(fut) = self.0.as_mut() else {
            // Polled after completion: a caller bug; stay pending rather than panic.
            return Poll::Pending;
        };
        match fut.as_mut().poll(cx) {
            Poll::Ready(out) => {
                self.0 = None;
                Poll::Ready(out)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F: Future + Send + 'static> Drop for DetachOnDrop<F>
where
    F::Output: Send + 'static,
{
    fn drop(&mut self) {
        if let Some(fut) = self.0.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(rt) => {
                    tracing::debug!("caller went away; finishing the work in a task");
                    rt.spawn(async move {
                        let _ = fut.await;
                    });
                }
                // No runtime (the process is shutting down): nothing can run it any more.
                Err(_) => drop(fut),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    #[tokio::test]
    async fn detach_on_drop_finishes_work_whose_caller_went_away() {
        let done = Arc::new(AtomicBool::new(false));
        let (go, wait) = tokio::sync::oneshot::channel::<()>();
        let flag = done.clone();
        let mut fut = DetachOnDrop::new(async move {
            let _ = wait.await;
            flag.store(true, Ordering::SeqCst);
            7
        });
        // Poll once (pending), then drop it like a disconnected client's request.
        assert!(futures_poll_once(&mut fut).is_pending());
        drop(fut);
        go.send(()).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(10), async {
            while !done.load(Ordering::SeqCst) {
                tokio::task::yield_now().await;
            }
        })
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn detach_on_drop_returns_the_output_inline() {
        assert_eq!(DetachOnDrop::new(async { 5 }).await, 5);
    }

    fn futures_poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        Pin::new(f).poll(&mut cx)
    }
}
