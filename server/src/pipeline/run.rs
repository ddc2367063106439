//! The call step of an answer, run in its tracked task: walk the tier's fallback chain through
//! the breakers, stream (or complete) each attempt, turn deltas into `content` and validated
//! `chart_command` events, then end the answer and settle it once (cost, ledger row, breaker
//! outcome, metrics).

use super::{Answer, Delivery, PipelineError};
use crate::config::Usage;
use crate::llm::offline::OFFLINE_MODEL;
use crate::llm::{Delta, FailureKind, ModelRequest};
use crate::routing::{intent_str, Admission, Decision, RoutePath};
use crate::store::ledger::LedgerEntry;
use chartgate_core::schema::TOOL_NAME;
use chartgate_core::{validate_tool_call, Command, Issue, Parsed, ToolCallReader};
use futures_util::StreamExt;
use std::collections::BTreeMap;
use std::time::{Instant, SystemTime};

/// How one attempt against one model ended.
enum Attempt {
    /// The model answered to the end.
    Answered(Reply),
    /// It failed before its first delta: the next model of the chain may be tried.
    Failed(FailureKind),
    /// It failed after it had started answering: the answer ends with this error.
    Broke(PipelineError, Reply),
}

/// What a model said (possibly cut short).
#[derive(Default)]
struct Reply {
    text: String,
    usage: Option<Usage>,
    finish: Option<String>,
    /// Bytes of text and tool-call arguments received.
    bytes: usize,
}

/// One tool call's arguments as they arrive, fed to core's incremental reader: each command is
/// validated (by the same code as `validate_tool_call`) and sent the moment its JSON element is
/// complete. A call to another tool is not read; it ends as core's unknown-tool issue.
struct ToolArgs {
    name: Option<String>,
    reader: Option<ToolCallReader>,
    issues: Vec<Issue>,
}

impl ToolArgs {
    fn new() -> ToolArgs {
        ToolArgs {
            name: None,
            reader: Some(ToolCallReader::new()),
            issues: Vec::new(),
        }
    }

    /// The commands `fragment` completed.
    fn push(&mut self, fragment: &str) -> Vec<Command> {
        if self.name.as_deref().is_some_and(|n| n != TOOL_NAME) {
            self.reader = None;
        }
        let Some(reader) = self.reader.as_mut() else {
            return Vec::new();
        };
        let parsed = reader.push(fragment);
        self.issues.extend(parsed.issues);
        parsed.commands
    }

    /// The call's name, its last commands and every issue it had.
    fn finish(self) -> (String, Parsed) {
        let name = self.name.unwrap_or_default();
        match self.reader {
            Some(reader) if name == TOOL_NAME => {
                let last = reader.finish();
                let mut issues = self.issues;
                issues.extend(last.issues);
                let parsed = Parsed {
                    commands: last.commands,
                    issues,
                };
                (name, parsed)
            }
            _ => {
                let parsed = validate_tool_call(&name, "");
                (name, parsed)
            }
        }
    }
}

/// Runs the call step of `a` to its end. See the module docs.
pub(super) async fn call(mut a: Answer, decision: Decision, request: ModelRequest) {
    let st = a.state.clone();
    let offline = decision.path == RoutePath::Offline;
    let (chain, tier): (Vec<String>, &'static str) = if offline {
        (vec![OFFLINE_MODEL.to_owned()], OFFLINE_MODEL)
    } else {
        (
            st.config.models.chain(decision.tier).to_vec(),
            decision.tier.as_str(),
        )
    };
    let m = &st.metrics;
    let mut last: Option<FailureKind> = None;
    for (i, model) in chain.iter().enumerate() {
        let has_next = i + 1 < chain.len();
        let admission = if offline {
            Admission::Allowed
        } else {
            let (admission, moved) = st.breakers.admit(model, Instant::now());
            if let Some(t) = moved {
                m.breaker_moved(model, t.to);
                tracing::info!(model = %model, from = t.from.as_str(), to = t.to.as_str(), "circuit breaker moved");
            }
            admission
        };
        if admission == Admission::Rejected {
            tracing::info!(model = %model, reason = "breaker_open", has_next, "skipping model");
            if has_next {
                m.model_fallbacks.with_label_values(&["breaker_open"]).inc();
            }
            continue;
        }
        let t0 = Instant::now();
        let attempt = match a.delivery {
            Delivery::Whole => whole(&mut a, model, &request).await,
            Delivery::Streamed => streamed(&mut a, model, &request, t0).await,
        };
        let took = t0.elapsed();
        a.upstream += took;
        let kind = match &attempt {
            Attempt::Answered(_) => None,
            Attempt::Failed(k) | Attempt::Broke(PipelineError::MidStream { kind: k }, _) => {
                Some(*k)
            }
            Attempt::Broke(..) => None,
        };
        if !offline {
            m.upstream_duration
                .with_label_values(&[model.as_str()])
                .observe(took.as_secs_f64());
            let outcome = kind.map_or("ok", FailureKind::as_str);
            m.upstream_requests
                .with_label_values(&[model.as_str(), outcome])
                .inc();
            if let Some(k) = kind {
                m.upstream_errors
                    .with_label_values(&[model.as_str(), k.as_str()])
                    .inc();
            }
            // A request the model rightly refused says nothing against its health.
            let healthy = kind.is_none_or(|k| !k.counts_against_model());
            let moved = st
                .breakers
                .record(model, Instant::now(), admission, healthy);
            if let Some(t) = moved {
                m.breaker_moved(model, t.to);
                tracing::warn!(model = %model, from = t.from.as_str(), to = t.to.as_str(), "circuit breaker moved");
            }
        }
        match attempt {
            Attempt::Answered(reply) => {
                let (usage, cost) =
                    settle(&mut a, model, tier, &decision, &request, &reply, offline).await;
                let kept = super::cache_step::entry(
                    &mut a,
                    reply.finish.as_deref(),
                    &reply.text,
                    model,
                    tier,
                    usage,
                    cost,
                );
                a.finish(reply.text, model.clone(), tier, usage, cost);
                super::cache_step::keep(&a, kept);
                return;
            }
            Attempt::Broke(e, reply) => {
                tracing::warn!(model = %model, error = %e, "model failed mid-answer");
                settle(&mut a, model, tier, &decision, &request, &reply, offline).await;
                a.fail(&e);
                return;
            }
            Attempt::Failed(k) => {
                tracing::warn!(model = %model, reason = k.as_str(), has_next, "upstream attempt failed");
                if has_next {
                    m.model_fallbacks.with_label_values(&[k.as_str()]).inc();
                }
                last = Some(k);
            }
        }
    }
    let e = match last {
        Some(last) => PipelineError::Upstream { tier, last },
        None => PipelineError::Unavailable {
            tier,
            retry_after_secs: st.config.routing.breaker.cooldown.as_secs().max(1),
        },
    };
    a.fail(&e);
}

/// One whole attempt (`Provider::complete`): its text as one `content`, then its commands.
async fn whole(a: &mut Answer, model: &str, request: &ModelRequest) -> Attempt {
    let st = a.state.clone();
    match st.provider.complete(model, request).await {
        Err(e) => {
            tracing::debug!(model, error = %e.message, "attempt failed");
            Attempt::Failed(e.kind)
        }
        Ok(c) => {
            let bytes = c.text.len()
                + c.tool_calls
                    .iter()
                    .map(|t| t.arguments.len())
                    .sum::<usize>();
            if !c.text.is_empty() {
                a.content(c.text.clone());
            }
            for call in &c.tool_calls {
                let parsed = validate_tool_call(&call.name, &call.arguments);
                count_tool_call(a, &call.name, &parsed);
                for cmd in parsed.commands {
                    a.command(cmd, None);
                }
            }
            Attempt::Answered(Reply {
                text: c.text,
                usage: Some(c.usage),
                finish: c.finish_reason,
                bytes,
            })
        }
    }
}

/// One streamed attempt (`Provider::stream`): each delta as it comes. The first delta must come
/// within `llm.timeout` of the attempt's start, each next one within
/// `stream.upstream_idle_timeout`.
async fn streamed(a: &mut Answer, model: &str, request: &ModelRequest, t0: Instant) -> Attempt {
    let st = a.state.clone();
    let cfg = &st.config;
    let mut deltas = match st.provider.stream(model, request).await {
        Ok(s) => s,
        Err(e) => {
            tracing::debug!(model, error = %e.message, "attempt failed");
            return Attempt::Failed(e.kind);
        }
    };
    let mut reply = Reply::default();
    let mut calls: BTreeMap<u32, ToolArgs> = BTreeMap::new();
    let mut committed = false;
    loop {
        let wait = if committed {
            cfg.stream.upstream_idle_timeout
        } else {
            cfg.llm.timeout.saturating_sub(t0.elapsed())
        };
        let next = match tokio::time::timeout(wait, deltas.next()).await {
            Ok(next) => next,
            Err(_) if committed => {
                return Attempt::Broke(
                    PipelineError::MidStream {
                        kind: FailureKind::Timeout,
                    },
                    reply,
                )
            }
            Err(_) => return Attempt::Failed(FailureKind::Timeout),
        };
        let delta = match next {
            None => break,
            Some(Ok(d)) => d,
            Some(Err(e)) if committed => {
                tracing::debug!(model, error = %e.message, "stream broke");
                return Attempt::Broke(PipelineError::MidStream { kind: e.kind }, reply);
            }
            Some(Err(e)) => {
                tracing::debug!(model, error = %e.message, "attempt failed");
                return Attempt::Failed(e.kind);
            }
        };
        committed = true;
        let mut room = true;
        match delta {
            Delta::Text(t) => {
                reply.bytes += t.len();
                reply.text.push_str(&t);
                room = a.content(t);
            }
            Delta::ToolCall {
                index,
                name,
                arguments,
            } => {
                reply.bytes += arguments.len();
                let call = calls.entry(index).or_insert_with(ToolArgs::new);
                if name.is_some() && call.name.is_none() {
                    call.name = name;
                }
                let commands = call.push(&arguments);
                room = emit(a, commands);
            }
            Delta::Usage(u) => reply.usage = Some(u),
            // A refusal stays the finish reason whatever follows (it is never cached).
            Delta::Finish(f) if reply.finish.as_deref() != Some("refusal") => {
                reply.finish = Some(f)
            }
            Delta::Finish(_) => {}
        }
        if reply.bytes > cfg.llm.max_response_bytes {
            return Attempt::Broke(
                PipelineError::MidStream {
                    kind: FailureKind::TooLarge,
                },
                reply,
            );
        }
        if !room {
            return Attempt::Broke(PipelineError::StreamLimit, reply);
        }
    }
    if !committed {
        return Attempt::Failed(FailureKind::BadResponse);
    }
    for (_, call) in calls {
        let (name, parsed) = call.finish();
        count_tool_call(a, &name, &parsed);
        if !emit(a, parsed.commands) {
            return Attempt::Broke(PipelineError::StreamLimit, reply);
        }
    }
    Attempt::Answered(reply)
}

/// Sends each command; false when the stream is full.
fn emit(a: &mut Answer, commands: Vec<Command>) -> bool {
    commands.into_iter().all(|c| a.command(c, None))
}

/// Counts a finished tool call's outcome and issues (invalid commands were already dropped by
/// core, never passed through).
fn count_tool_call(a: &mut Answer, name: &str, parsed: &Parsed) {
    let m = &a.state.metrics;
    for issue in &parsed.issues {
        m.validation_issues
            .with_label_values(&[issue.code.as_str()])
            .inc();
    }
    let outcome = if name != TOOL_NAME {
        "unknown_tool"
    } else if parsed.issues.iter().any(|i| i.is_error()) {
        "invalid"
    } else {
        "valid"
    };
    m.tool_calls.with_label_values(&[outcome]).inc();
    if outcome != "valid" {
        // Something the model sent was dropped: this answer is not the model's whole answer.
        a.tainted = true;
    }
    if !parsed.issues.is_empty() {
        let summary: Vec<String> = parsed
            .issues
            .iter()
            .take(5)
            .map(ToString::to_string)
            .collect();
        tracing::warn!(tool = %name, outcome, issues = parsed.issues.len(), first = ?summary, "tool call had issues");
    }
}

/// Settles a model's reply once: cost from the price table, token and cost metrics, the ledger
/// row. A reply cut short without a usage block is settled on an estimate (about four
/// characters per token), logged as such. The offline provider costs nothing and has no row.
/// The answer's budget reservation is settled here with the cost (a chain that failed entirely
/// never gets here: its reservation is released when the answer is dropped).
async fn settle(
    a: &mut Answer,
    model: &str,
    tier: &'static str,
    decision: &Decision,
    request: &ModelRequest,
    reply: &Reply,
    offline: bool,
) -> (Usage, f64) {
    if offline {
        return (Usage::default(), 0.0);
    }
    let st = a.state.clone();
    let usage = reply.usage.unwrap_or_else(|| {
        let prompt_chars = request.system_prompt.len()
            + request.query.len()
            + request
                .history
                .iter()
                .map(|t| t.content.len())
                .sum::<usize>();
        let estimate = |chars: usize| u32::try_from(chars / 4 + 1).unwrap_or(u32::MAX);
        tracing::warn!(model, "no usage from the model; settling on an estimate");
        Usage {
            prompt_tokens: estimate(prompt_chars),
            completion_tokens: estimate(reply.bytes),
            cached_tokens: 0,
        }
    });
    let cost_usd = st
        .config
        .prices
        .get(model)
        .map(|p| p.cost(usage))
        .unwrap_or(0.0);
    if let Some(r) = a.reservation.take() {
        if cost_usd > r.amount() {
            tracing::warn!(
                model,
                cost_usd,
                reserved = r.amount(),
                "a call cost more than its reservation"
            );
        }
        r.settle(cost_usd);
    }
    let intent = intent_str(a.intent);
    let m = &st.metrics;
    m.tokens
        .with_label_values(&[model, intent, "prompt"])
        .inc_by(u64::from(usage.prompt_tokens));
    m.tokens
        .with_label_values(&[model, intent, "completion"])
        .inc_by(u64::from(usage.completion_tokens));
    m.tokens
        .with_label_values(&[model, intent, "cached"])
        .inc_by(u64::from(usage.cached_tokens));
    m.cost_usd
        .with_label_values(&[model, intent])
        .inc_by(cost_usd);
    let now = SystemTime::now();
    st.ledger
        .record(LedgerEntry {
            request_id: a.request_id.clone(),
            user_id: a.user_id.clone(),
            session_id: Some(a.session_id.clone()),
            principal: Some(a.principal.clone()),
            user_tier: Some(a.user_tier.as_str()),
            model: model.to_owned(),
            intent,
            tier,
            usage,
            cost_usd,
            created_at: crate::clock::rfc3339(now),
            created_at_ms: crate::clock::unix_ms(now),
            cached: false,
            saved_usd: 0.0,
        })
        .await;
    // One line per model answer carries the whole decision: why this tier, which model.
    tracing::info!(
        model = %model,
        intent,
        tier,
        reasons = %decision.reasons_text(),
        prompt_tokens = usage.prompt_tokens,
        completion_tokens = usage.completion_tokens,
        cost_usd,
        finish = reply.finish.as_deref().unwrap_or(""),
        upstream_ms = a.upstream.as_secs_f64() * 1000.0,
        "model answered"
    );
    (usage, cost_usd)
}
