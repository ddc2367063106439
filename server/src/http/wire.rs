//! Request bodies as they arrive on the wire, and their validation into pipeline inputs.
//!
//! Unknown fields are rejected (422 `invalid_field`), as are over-long queries, histories, ids
//! and invalid chart context; every message names the field path. The answer's wire shape is
//! `pipeline::AskOutput`.
//!
//! serde's derived struct deserializers also accept a JSON array (fields by position), so
//! `["show TSLA"]` would read as `{"query": "show TSLA"}`. Every object of a body is therefore
//! read through [`Obj`], which only accepts a JSON object (`extract::parse_json` does the same for
//! the body itself).

use crate::config::Limits;
use crate::error::AppError;
use crate::llm::{ChartContext, Role, Turn};
use crate::pipeline::AskInput;
use chartgate_core::vocab::{canonical_symbol, Timeframe};
use serde::de::{Deserializer, Visitor};
use serde::Deserialize;

/// A `T` that must be written as a JSON object; see the module docs.
#[derive(Debug)]
pub struct Obj<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(ObjectOnly(d)).map(Obj)
    }
}

/// A deserializer that reads structs (and anything else) only as maps.
pub struct ObjectOnly<D>(pub D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for ObjectOnly<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(v)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(v)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// `POST /api/agent/orchestrate` and `POST /ask`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AskBody {
    pub query: String,
    #[serde(default)]
    pub conversation_history: Option<Vec<Obj<HistoryMessage>>>,
    #[serde(default)]
    pub session_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub chart_context: Option<Obj<ChartContextBody>>,
}

/// One turn of `conversation_history`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryMessage {
    pub role: String,
    pub content: String,
}

/// `chart_context`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartContextBody {
    #[serde(default)]
    pub symbol: Option<String>,
    #[serde(default)]
    pub timeframe: Option<String>,
}

/// `GET /api/flags` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagsQuery {
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub session_id: Option<String>,
}

/// `GET /api/agent/stream/{stream_id}` query: who is resuming (see `docs/streaming.md`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResumeQuery {
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub session_id: Option<String>,
}

/// Validates an id (`user_id`, `session_id`): empty means absent; at most `max` characters;
/// no control characters.
pub fn parse_id(field: &str, raw: Option<String>, max: usize) -> Result<Option<String>, AppError> {
    let Some(s) = raw else { return Ok(None) };
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let n = s.chars().count();
    if n > max {
        return Err(AppError::invalid_field(format!(
            "{field}: {n} characters, at most {max} allowed"
        )));
    }
    if s.chars().any(char::is_control) {
        return Err(AppError::invalid_field(format!(
            "{field}: control characters are not allowed"
        )));
    }
    Ok(Some(s.to_owned()))
}

impl AskBody {
    /// Checks bounds and shapes and produces the pipeline's input.
    pub fn into_input(self, limits: &Limits) -> Result<AskInput, AppError> {
        let query = self.query.trim();
        if query.is_empty() {
            return Err(AppError::invalid_field("query: must not be empty"));
        }
        let n = query.chars().count();
        if n > limits.max_query_chars {
            return Err(AppError::invalid_field(format!(
                "query: {n} characters, at most {} allowed",
                limits.max_query_chars
            )));
        }
        let history_in = self.conversation_history.unwrap_or_default();
        if history_in.len() > limits.max_history_messages {
            return Err(AppError::invalid_field(format!(
                "conversation_history: {} messages, at most {} allowed",
                history_in.len(),
                limits.max_history_messages
            )));
        }
        let mut history = Vec::with_capacity(history_in.len());
        for (i, Obj(m)) in history_in.into_iter().enumerate() {
            let role = match m.role.trim().to_ascii_lowercase().as_str() {
                "user" => Role::User,
                "assistant" => Role::Assistant,
                other => {
                    return Err(AppError::invalid_field(format!(
                    "conversation_history[{i}].role: expected \"user\" or \"assistant\", got {:?}",
                    other.chars().take(20).collect::<String>()
                )))
                }
            };
            let len = m.content.chars().count();
            if len > limits.max_history_content_chars {
                return Err(AppError::invalid_field(format!(
                    "conversation_history[{i}].content: {len} characters, at most {} allowed",
                    limits.max_history_content_chars
                )));
            }
            history.push(Turn {
                role,
                content: m.content,
            });
        }
        let chart_context = match self.chart_context {
            None => None,
            Some(Obj(c)) => {
                let symbol = match c.symbol.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                    None => None,
                    Some(s) => Some(canonical_symbol(s).ok_or_else(|| {
                        AppError::invalid_field(format!(
                            "chart_context.symbol: {:?} is not a valid symbol",
                            s.chars().take(20).collect::<String>()
                        ))
                    })?),
                };
                let timeframe = match c
                    .timeframe
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                {
                    None => None,
                    Some(t) => Some(
                        Timeframe::parse(t)
                            .ok_or_else(|| {
                                AppError::invalid_field(format!(
                                    "chart_context.timeframe: {:?} is not a valid timeframe",
                                    t.chars().take(20).collect::<String>()
                                ))
                            })?
                            .as_str()
                            .to_owned(),
                    ),
                };
                Some(ChartContext { symbol, timeframe })
            }
        };
        Ok(AskInput {
            query: query.to_owned(),
            history,
            session_id: parse_id("session_id", self.session_id, limits.max_id_chars)?,
            user_id: parse_id("user_id", self.user_id, limits.max_id_chars)?,
            chart_context,
            principal: crate::pipeline::Principal::anonymous(None),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::Config;
    use crate::error::ErrorCode;

    fn limits() -> Limits {
        Config::defaults().server.limits
    }

    fn body(json: &str) -> AskBody {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn valid_body_is_normalized() {
        let input = body(
            r#"{"query":"  show tsla ","conversation_history":[{"role":"User","content":"hi"}],
                "session_id":" s1 ","user_id":"","chart_context":{"symbol":"tsla","timeframe":"1d"}}"#,
        )
        .into_input(&limits())
        .unwrap();
        assert_eq!(input.query, "show tsla");
        assert_eq!(input.history[0].role, Role::User);
        assert_eq!(input.session_id.as_deref(), Some("s1"));
        assert_eq!(input.user_id, None);
        let ctx = input.chart_context.unwrap();
        assert_eq!(ctx.symbol.as_deref(), Some("TSLA"));
        assert_eq!(ctx.timeframe.as_deref(), Some("1D"));
    }

    #[test]
    fn arrays_where_objects_belong_are_422_naming_the_field() {
        for (json, field) in [
            (r#"["show TSLA"]"#, "request body"),
            (
                r#"{"query":"q","chart_context":["TSLA","1D"]}"#,
                "chart_context",
            ),
            (
                r#"{"query":"q","conversation_history":[["user","hi"]]}"#,
                "conversation_history[0]",
            ),
        ] {
            let e = crate::http::extract::parse_json::<AskBody>(json.as_bytes()).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidField, "{json}");
            assert!(e.message.starts_with(field), "{json}: {}", e.message);
        }
    }

    #[test]
    fn bounds_and_shapes_are_422_naming_the_field() {
        let l = limits();
        let long = "x".repeat(l.max_query_chars + 1);
        let cases = [
            (format!(r#"{{"query":"{long}"}}"#), "query:"),
            (r#"{"query":"   "}"#.to_owned(), "query:"),
            (
                r#"{"query":"q","conversation_history":[{"role":"system","content":"x"}]}"#
                    .to_owned(),
                "conversation_history[0].role",
            ),
            (
                r#"{"query":"q","chart_context":{"symbol":"NOT A SYMBOL"}}"#.to_owned(),
                "chart_context.symbol",
            ),
            (
                r#"{"query":"q","chart_context":{"timeframe":"7X"}}"#.to_owned(),
                "chart_context.timeframe",
            ),
            (
                format!(
                    r#"{{"query":"q","user_id":"{}"}}"#,
                    "u".repeat(l.max_id_chars + 1)
                ),
                "user_id:",
            ),
        ];
        for (json, field) in cases {
            let e = body(&json).into_input(&l).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidField, "{json}");
            assert!(e.message.starts_with(field), "{} vs {field}", e.message);
        }
        let many: Vec<String> = (0..=l.max_history_messages)
            .map(|_| r#"{"role":"user","content":"x"}"#.to_owned())
            .collect();
        let json = format!(
            r#"{{"query":"q","conversation_history":[{}]}}"#,
            many.join(",")
        );
        let e = body(&json).into_input(&l).unwrap_err();
        assert!(
            e.message.starts_with("conversation_history:"),
            "{}",
            e.message
        );
    }
}
