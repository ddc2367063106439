//! The events an answer is made of (`docs/streaming.md`): `metadata`, then `content` and
//! `chart_command` in any number, then exactly one `done` or `error`. Their JSON is the `data:`
//! of the SSE endpoint; `done` carries every field of the JSON endpoints' answer.

use super::{AskOutput, PipelineError};
use chartgate_core::{Command, Intent};
use serde::Serialize;

/// One event of an answer.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Metadata(Metadata),
    Content {
        text: String,
    },
    ChartCommand(ChartCommandEvent),
    Done(Box<AskOutput>),
    Error(ErrorEvent),
    /// An event another replica produced, read back from Redis as its original JSON (only ever
    /// written out as it came: see `StoredEvent::frame`).
    #[serde(skip)]
    Relayed(Relayed),
}

/// Another replica's event: its `type` and its `data` JSON, unchanged.
#[derive(Clone, Debug)]
pub struct Relayed {
    pub kind: &'static str,
    pub data: String,
}

/// The first event: who answers and how.
#[derive(Clone, Debug, Serialize)]
pub struct Metadata {
    pub stream_id: String,
    pub request_id: String,
    pub session_id: String,
    /// The model the route picked (the one that answered is in `done`).
    pub model: String,
    pub intent: Intent,
    pub tier: &'static str,
    pub version: &'static str,
    pub cached: bool,
}

/// A validated chart command, sent the moment it is known.
#[derive(Clone, Debug, Serialize)]
pub struct ChartCommandEvent {
    /// The canonical legacy string.
    pub command: String,
    pub structured: Command,
    /// 1, 2, … among this stream's commands.
    pub sequence: u32,
    /// The number of commands, when it is known as this one is sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u32>,
}

/// The terminal event of a failed answer.
#[derive(Clone, Debug, Serialize)]
pub struct ErrorEvent {
    pub code: &'static str,
    pub message: String,
    pub request_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// The typed failure, for the JSON endpoints' status code.
    #[serde(skip)]
    pub error: Option<PipelineError>,
}

impl Event {
    /// The wire `type` (also the `sse_events_total` label).
    pub fn type_name(&self) -> &'static str {
        match self {
            Event::Metadata(_) => "metadata",
            Event::Content { .. } => "content",
            Event::ChartCommand(_) => "chart_command",
            Event::Done(_) => "done",
            Event::Error(_) => "error",
            Event::Relayed(r) => r.kind,
        }
    }

    /// Every `type`, for metric label sets.
    pub const TYPES: [&'static str; 5] = ["metadata", "content", "chart_command", "done", "error"];

    /// `done` or `error`.
    pub fn is_terminal(&self) -> bool {
        matches!(self.type_name(), "done" | "error")
    }

    /// `error`.
    pub fn is_error(&self) -> bool {
        self.type_name() == "error"
    }

    /// The `data` JSON of this event.
    pub fn to_json(&self) -> String {
        match self {
            Event::Relayed(r) => r.data.clone(),
            e => serde_json::to_string(e).unwrap_or_else(|_| {
                r#"{"type":"error","code":"internal","message":"unserializable event"}"#.to_owned()
            }),
        }
    }

    /// The error event of `e`.
    pub fn failed(e: &PipelineError, request_id: &str) -> Event {
        Event::Error(ErrorEvent {
            code: e.code(),
            message: e.to_string(),
            request_id: request_id.to_owned(),
            retry_after: e.retry_after(),
            error: Some(e.clone()),
        })
    }

    /// The error that ends a log whose producer went away (see `stream::log::TerminalGuard`).
    pub fn interrupted(request_id: &str) -> Event {
        Event::failed(&PipelineError::Interrupted, request_id)
    }
}
