//! The ask pipeline, the one orchestration of an answer, as a sequence of events:
//!
//! understand (core) → route (tier policy, caps, load, path) → cache lookup (`cache_step`) →
//! `metadata` → core's own commands as `chart_command` events → a hit replays the recorded
//! events, a waiter follows an identical answer already running, else → call (walk the tier's fallback chain through the
//! breakers; stream or complete) → each text delta as `content`, each validated tool-call command
//! as `chart_command` the moment its JSON element is complete → `done` (the whole answer, shaped
//! by the caller's flags) or `error` → settle (cost, ledger row, breaker outcome, metrics).
//!
//! [`start`] does everything up to the call synchronously and returns the answer's
//! [`EventLog`]; the model call runs in a task tracked by the state's `TaskTracker` (graceful
//! shutdown waits for it), so settlement happens exactly once whether the client stays,
//! disconnects or resumes. The SSE endpoint writes the log's events as they come; the JSON
//! endpoints wait for its end ([`ask`]). Fallback to the next model happens only before the model
//! produced its first delta; a failure after that ends the stream with `error`, never a silent
//! switch mid-answer. This module never touches HTTP types.

mod cache_step;
pub mod event;
mod run;

use crate::cache::entry::Recorded;
use crate::cache::{CacheControl, CacheStatus};
use crate::config::Usage;
use crate::flags::{self, EffectiveFlags};
use crate::llm::offline::{self, OFFLINE_MODEL};
use crate::llm::{ChartContext, FailureKind, ModelRequest, Turn};
use crate::routing::{self, intent_str, BreakerState, RouteInput, RoutePath};
use crate::state::AppState;
use crate::stream::log::TerminalGuard;
use crate::stream::{EventLog, TooManyStreams};
use chartgate_core::{execution_list, shape_answer, ChartObjects, Command, Intent};
use event::{ChartCommandEvent, Event, Metadata};
use serde::Serialize;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// A validated ask (the HTTP layer checked shapes and bounds).
#[derive(Clone, Debug)]
pub struct AskInput {
    pub query: String,
    pub history: Vec<Turn>,
    pub session_id: Option<String>,
    pub user_id: Option<String>,
    pub chart_context: Option<ChartContext>,
    /// Who is asking, as the gate established it (never from the body).
    pub principal: Principal,
}

/// Who is asking, as the gate established it: an API key's user at the key's tier, or an
/// anonymous caller told apart by client address. Nothing in a request body or a made-up header
/// can change it; budgets and rate limits belong to [`Principal::id`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Principal {
    /// `user:<id>` for a key's user, `addr:<ip>` for an anonymous caller (`anonymous` when the
    /// address is unknown, as in-process).
    pub id: String,
    /// The key's user id; `None` for an anonymous caller.
    pub user_id: Option<String>,
    pub tier: crate::routing::UserTier,
}

impl Principal {
    /// An anonymous caller at `addr` (the `anonymous` tier).
    pub fn anonymous(addr: Option<std::net::IpAddr>) -> Principal {
        Principal {
            id: addr.map_or_else(|| "anonymous".to_owned(), |a| format!("addr:{a}")),
            user_id: None,
            tier: crate::routing::UserTier::Anonymous,
        }
    }

    /// A key's user at the key's tier.
    pub fn key(user_id: String, tier: crate::routing::UserTier) -> Principal {
        Principal {
            id: format!("user:{user_id}"),
            user_id: Some(user_id),
            tier,
        }
    }
}

/// The answer, in the wire shape of spec §1 (and the fields of the `done` event).
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

/// Why an answer failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PipelineError {
    /// Every model of the chain failed before its first delta; `last` is the final failure.
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
    /// The model failed after it had started answering (no fallback mid-answer).
    #[error("the model failed mid-answer ({})", kind.as_str())]
    MidStream { kind: FailureKind },
    /// The answer outgrew the stream's event or byte bound.
    #[error("the answer exceeded the stream's bounds")]
    StreamLimit,
    /// The answer's task went away before it ended (shutdown deadline).
    #[error("the answer was interrupted")]
    Interrupted,
    /// Not even the cheapest tier fits the caller's (or the global) budget now.
    #[error("the {scope} budget for this {window} is spent; it resets in {retry_after_secs} s")]
    BudgetExceeded {
        scope: &'static str,
        window: &'static str,
        retry_after_secs: u64,
    },
}

impl PipelineError {
    /// The stable error code (`error` event `code`, JSON error body `code`).
    pub fn code(&self) -> &'static str {
        match self {
            PipelineError::Upstream {
                last: FailureKind::Timeout,
                ..
            }
            | PipelineError::MidStream {
                kind: FailureKind::Timeout,
            } => "upstream_timeout",
            PipelineError::Upstream { .. } | PipelineError::MidStream { .. } => "upstream_error",
            PipelineError::Unavailable { .. } => "upstream_unavailable",
            PipelineError::StreamLimit => "stream_limit",
            PipelineError::Interrupted => "interrupted",
            PipelineError::BudgetExceeded { .. } => "budget_exceeded",
        }
    }

    /// Seconds after which retrying makes sense, when it does.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            PipelineError::Unavailable {
                retry_after_secs, ..
            }
            | PipelineError::BudgetExceeded {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        }
    }

    /// Every code, for metric label sets.
    pub const CODES: [&'static str; 6] = [
        "upstream_error",
        "upstream_timeout",
        "upstream_unavailable",
        "stream_limit",
        "interrupted",
        "too_many_streams",
    ];
}

/// How the answer is delivered: as it is produced (SSE) or whole (JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// `Provider::stream`; the log is retained for resume.
    Streamed,
    /// `Provider::complete`; nobody reads the log before its end.
    Whole,
}

/// Why an answer could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    TooManyStreams(#[from] TooManyStreams),
    #[error(transparent)]
    Budget(PipelineError),
}

/// A started answer.
pub struct Started {
    pub log: Arc<EventLog>,
    /// Where the answer comes from (`X-Cache`).
    pub cache: CacheStatus,
}

/// Answers one ask as JSON: starts it and waits for its end.
pub async fn ask(
    state: &AppState,
    input: AskInput,
    request_id: String,
    cache: CacheControl,
) -> Result<(AskOutput, CacheStatus), PipelineError> {
    let owner = owner_of(&input);
    let started = match start(state, input, request_id, owner, Delivery::Whole, cache).await {
        Ok(s) => s,
        Err(StartError::Budget(e)) => return Err(e),
        Err(StartError::TooManyStreams(_)) => return Err(PipelineError::Interrupted),
    };
    Ok((fold(&started.log).await?, started.cache))
}

/// The answer of a finished log (`done`), or its error.
pub async fn fold(log: &EventLog) -> Result<AskOutput, PipelineError> {
    let last = log.terminal().await;
    match &last.event {
        Event::Done(out) => Ok(out.as_ref().clone()),
        Event::Error(e) => Err(e.error.clone().unwrap_or(PipelineError::Interrupted)),
        _ => Err(PipelineError::Interrupted),
    }
}

/// Who may resume a stream: a key's user (only with a key of the same user), else the claimed
/// user id, else the session id, else the anonymous caller's address.
pub fn owner_of(input: &AskInput) -> String {
    if input.principal.user_id.is_some() {
        return format!("key:{}", input.principal.id);
    }
    match (&input.user_id, &input.session_id) {
        (Some(u), _) => format!("user:{u}"),
        (None, Some(s)) => format!("session:{s}"),
        (None, None) => input.principal.id.clone(),
    }
}

/// Starts an answer: understands and routes it, appends `metadata` and core's own commands, and
/// either finishes it at once (fast path) or hands the call to a tracked task. Refused only when
/// a streamed answer would exceed `stream.max_concurrent`, or when the caller's budget cannot pay
/// even the cheapest model (a model call reserves its worst case here, before anything is sent;
/// the reservation is settled or released in the answer's task).
pub async fn start(
    state: &AppState,
    input: AskInput,
    request_id: String,
    owner: String,
    delivery: Delivery,
    cache: CacheControl,
) -> Result<Started, StartError> {
    let started = Instant::now();
    let cfg = &state.config;

    // understand
    let understanding = (state.understand)(&input.query);
    let intent = understanding.intent;

    // route
    let subject = input.user_id.as_deref().or(input.session_id.as_deref());
    let flags = flags::effective(&cfg.flags, subject);
    let user_tier = input.principal.tier;
    let in_flight = state.asks_in_flight();
    let t = Instant::now();
    let mut decision = routing::decide(
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
    tracing::debug!(
        intent = intent_str(intent),
        path = ?decision.path,
        user_tier = user_tier.as_str(),
        tier = decision.tier.as_str(),
        in_flight,
        reasons = %decision.reasons_text(),
        "route decided"
    );

    // budget: reserve the worst case before the call, moving down a tier when it does not fit.
    let payer = crate::budget::Payer::new(
        &cfg.budgets,
        input.principal.id.clone(),
        input.principal.user_id.clone(),
        user_tier,
    );
    let reservation = if decision.path == RoutePath::Model {
        let mut texts: Vec<&str> = vec![&cfg.llm.system_prompt, &input.query];
        texts.extend(input.history.iter().map(|t| t.content.as_str()));
        let prompt =
            crate::budget::estimate_prompt_tokens(&texts, cfg.budgets.prompt_allowance_tokens);
        match state
            .budget
            .reserve_route(cfg, &payer, &mut decision, prompt)
            .await
        {
            Ok(r) => Some(r),
            Err(refusal) => {
                tracing::info!(
                    principal = %payer.principal,
                    scope = refusal.scope,
                    window = refusal.window.as_str(),
                    retry_after = refusal.retry_after_secs,
                    "ask refused: budget"
                );
                return Err(StartError::Budget(PipelineError::BudgetExceeded {
                    scope: refusal.scope,
                    window: refusal.window.as_str(),
                    retry_after_secs: refusal.retry_after_secs,
                }));
            }
        }
    } else {
        None
    };

    let stream_id = state.next_stream_id();
    let (log, running) = match delivery {
        Delivery::Streamed => {
            let (log, running) = state.streams.open(stream_id.clone(), owner)?;
            if let Some(redis) = &state.redis {
                crate::stream::mirror::spawn_mirror(
                    redis.clone(),
                    Arc::clone(&log),
                    cfg.stream.retain,
                    cfg.stream.max_events,
                );
            }
            (log, Some(running))
        }
        Delivery::Whole => (
            Arc::new(EventLog::new(
                stream_id.clone(),
                owner,
                false,
                usize::MAX,
                usize::MAX,
            )),
            None,
        ),
    };
    let session_id = input
        .session_id
        .clone()
        .unwrap_or_else(|| state.next_session_id());
    let model_path = decision.path != RoutePath::FastPath;
    let (tier, planned_model) = match decision.path {
        RoutePath::FastPath | RoutePath::Offline => (OFFLINE_MODEL, OFFLINE_MODEL.to_owned()),
        RoutePath::Model => {
            let chain = cfg.models.chain(decision.tier);
            let planned = chain
                .iter()
                .find(|m| state.breakers.state(m) != Some(BreakerState::Open))
                .or(chain.first())
                .cloned()
                .unwrap_or_default();
            (decision.tier.as_str(), planned)
        }
    };
    let (plan, cache_status) = if decision.path == RoutePath::Model {
        cache_step::plan(state, &input, &understanding, &planned_model, cache, &log).await
    } else {
        (cache_step::Plan::Bypass, CacheStatus::Bypass)
    };
    let cached = matches!(plan, cache_step::Plan::Hit(_) | cache_step::Plan::Waiter(_));
    let metadata_model = match &plan {
        cache_step::Plan::Hit(e) => e.model.clone(),
        _ => planned_model,
    };
    let mut answer = Answer {
        state: state.clone(),
        guard: TerminalGuard {
            log: Arc::clone(&log),
            request_id: request_id.clone(),
        },
        started,
        request_id,
        session_id,
        user_id: input.user_id.clone(),
        principal: payer.principal,
        user_tier,
        reservation,
        intent,
        flags,
        delivery,
        sent: HashSet::new(),
        sequence: 0,
        commands: Vec::new(),
        first_content: None,
        upstream: Duration::ZERO,
        cached,
        recording: None,
        tainted: false,
        cache_job: None,
    };
    answer.push(Event::Metadata(Metadata {
        stream_id,
        request_id: answer.request_id.clone(),
        session_id: answer.session_id.clone(),
        model: metadata_model,
        intent,
        tier,
        version: env!("CARGO_PKG_VERSION"),
        cached,
    }));
    // Core's own commands go out before the model's first token; their number is known unless
    // the model may add more.
    let total = (!model_path || decision.path == RoutePath::Offline)
        .then(|| u32::try_from(understanding.commands.len()).unwrap_or(u32::MAX));
    for c in &understanding.commands {
        answer.command(c.clone(), total);
    }

    let plan = match plan {
        cache_step::Plan::Hit(entry) => {
            cache_step::replay(&mut answer, &entry);
            drop(running);
            return Ok(Started {
                log,
                cache: cache_status,
            });
        }
        cache_step::Plan::Waiter(leader) => {
            let guard = state.enter_ask();
            state.tasks.spawn(async move {
                let _in_flight = guard;
                let _running = running;
                cache_step::follow(answer, leader).await;
            });
            return Ok(Started {
                log,
                cache: cache_status,
            });
        }
        other => other,
    };
    if let cache_step::Plan::Fresh(job) = plan {
        answer.recording = Some(Vec::new());
        answer.cache_job = Some(job);
    }

    match decision.path {
        RoutePath::FastPath => {
            let text = offline::describe_fast_path(&understanding);
            for w in offline::words(&text) {
                answer.content(w.to_owned());
            }
            answer.finish(
                text,
                OFFLINE_MODEL.to_owned(),
                OFFLINE_MODEL,
                Usage::default(),
                0.0,
            );
            drop(running);
        }
        RoutePath::Offline | RoutePath::Model => {
            let request = ModelRequest {
                system_prompt: cfg.llm.system_prompt.clone(),
                history: input.history,
                query: input.query,
                chart_context: input.chart_context,
                understanding,
                max_completion_tokens: cfg.llm.max_completion_tokens,
                temperature: cfg.llm.temperature,
            };
            let guard = state.enter_ask();
            let span = tracing::Span::current();
            state.tasks.spawn(tracing::Instrument::instrument(
                async move {
                    let _in_flight = guard;
                    let _running = running;
                    run::call(answer, decision, request).await;
                },
                span,
            ));
        }
    }
    Ok(Started {
        log,
        cache: cache_status,
    })
}

/// One answer being produced: what it sent, what it owes the settlement.
pub(crate) struct Answer {
    state: AppState,
    guard: TerminalGuard,
    started: Instant,
    request_id: String,
    session_id: String,
    user_id: Option<String>,
    /// Who pays (budgets) and the caller's tier.
    principal: String,
    user_tier: crate::routing::UserTier,
    /// The money held for the model call: settled with its cost, or released when dropped.
    reservation: Option<crate::budget::book::Reservation>,
    intent: Intent,
    flags: EffectiveFlags,
    delivery: Delivery,
    /// Canonical legacy strings already sent.
    sent: HashSet<String>,
    sequence: u32,
    /// Every command, core's and the model's, in arrival order.
    commands: Vec<Command>,
    first_content: Option<Instant>,
    upstream: Duration,
    /// Served without a model call for this request (a cache hit, or a single-flight waiter).
    cached: bool,
    /// The model's events, recorded for the cache (a leader, or a `no-cache` request).
    recording: Option<Vec<Recorded>>,
    /// Invalid tool calls were dropped from this answer: it is never cached.
    tainted: bool,
    cache_job: Option<cache_step::CacheJob>,
}

impl Answer {
    fn log(&self) -> &EventLog {
        &self.guard.log
    }

    /// Appends `event`; false when the log refused it (full or ended).
    fn push(&mut self, event: Event) -> bool {
        self.log().push(event).is_ok()
    }

    /// Sends `c` unless a command of the same canonical form was sent already.
    fn command(&mut self, c: Command, total: Option<u32>) -> bool {
        if let Some(r) = &mut self.recording {
            r.push(Recorded::Command {
                legacy: c.legacy().to_owned(),
            });
        }
        let fresh = self.sent.insert(c.legacy().to_owned());
        let mut ok = true;
        if fresh {
            self.sequence += 1;
            if self.sequence == 1 && self.delivery == Delivery::Streamed {
                self.state
                    .metrics
                    .sse_first_command
                    .observe(self.started.elapsed().as_secs_f64());
            }
            ok = self.push(Event::ChartCommand(ChartCommandEvent {
                command: c.legacy().to_owned(),
                structured: c.clone(),
                sequence: self.sequence,
                total,
            }));
        }
        self.commands.push(c);
        ok
    }

    /// Sends a text delta.
    fn content(&mut self, text: String) -> bool {
        if let Some(r) = &mut self.recording {
            r.push(Recorded::Content { text: text.clone() });
        }
        if self.delivery == Delivery::Streamed {
            let now = Instant::now();
            let m = &self.state.metrics;
            match self.first_content {
                None => m
                    .sse_ttfb
                    .observe(now.duration_since(self.started).as_secs_f64()),
                Some(prev) => m
                    .sse_chunk_interval
                    .observe(now.duration_since(prev).as_secs_f64()),
            }
            self.first_content = Some(now);
        }
        self.push(Event::Content { text })
    }

    /// Ends the answer with `done` and records the answer's metrics.
    fn finish(
        &mut self,
        text: String,
        model: String,
        tier: &'static str,
        usage: Usage,
        cost_usd: f64,
    ) {
        // Shaped by the caller's flags through core, as the browser shapes it (`shapeAnswer`).
        let shaped = shape_answer(
            &execution_list(self.commands.iter()),
            self.flags.prefer_structured,
            self.flags.structured_objects,
        );
        let (chart_commands, commands, chart_objects) = (
            shaped.chart_commands,
            shaped.chart_commands_structured,
            shaped.chart_objects,
        );
        let m = &self.state.metrics;
        if !self.cached {
            m.model_selections
                .with_label_values(&[intent_str(self.intent), &model, tier])
                .inc();
        }
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
        let elapsed = self.started.elapsed();
        if self.delivery == Delivery::Streamed {
            m.gateway_overhead
                .with_label_values(&["/api/agent/stream"])
                .observe(elapsed.saturating_sub(self.upstream).as_secs_f64());
        }
        let latency_ms = (elapsed.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0;
        let out = AskOutput {
            text,
            model,
            intent: self.intent,
            tier,
            cached: self.cached,
            request_id: self.request_id.clone(),
            session_id: self.session_id.clone(),
            timestamp: crate::clock::rfc3339(SystemTime::now()),
            latency_ms,
            chart_commands,
            chart_commands_structured: commands,
            chart_objects,
            usage,
            cost_usd,
            flags: self.flags,
            upstream: self.upstream,
        };
        self.push(Event::Done(Box::new(out)));
    }

    /// Ends the answer with `error`.
    fn fail(&mut self, e: &PipelineError) {
        if self.delivery == Delivery::Streamed {
            self.state
                .metrics
                .sse_stream_errors
                .with_label_values(&[e.code()])
                .inc();
        }
        let event = Event::failed(e, &self.request_id);
        self.push(event);
    }
}
