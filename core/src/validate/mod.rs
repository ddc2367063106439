//! Decoding untrusted JSON into structured commands, collecting every issue with its path.
//!
//! Accepts snake_case payload fields and their camelCase aliases (snake_case wins when both are
//! present). `null` counts as absent. Unknown fields are ignored with an `unknown_field` warning.
//! Must never panic, whatever the JSON.

use crate::command::{Command, CommandKind};
use crate::issue::{excerpt, Issue, IssueCode, PathSegment};
use crate::vocab::is_valid_rfc3339;
use serde_json::{Map, Value};

mod fields;
mod payload;

pub(crate) use payload::decode_payload;

/// Longest accepted description or notes string, in bytes.
pub const MAX_TEXT_LEN: usize = 64 * 1024;

/// The outcome of decoding one structured command.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// The command, when it is valid (warnings allowed).
    pub command: Option<Command>,
    /// Every issue found, paths relative to the command.
    pub issues: Vec<Issue>,
    /// The command's own `legacy` string, when it had one (used as a fallback by normalization).
    pub legacy: Option<&'a str>,
}

fn key(k: &str) -> PathSegment {
    PathSegment::Key(k.to_owned())
}

/// An error issue at a path of object keys.
pub(crate) fn at(path: &[&str], code: IssueCode, msg: impl Into<String>) -> Issue {
    Issue::error(code, path.iter().map(|k| key(k)).collect(), msg)
}

fn warn_at(path: &[&str], code: IssueCode, msg: impl Into<String>) -> Issue {
    Issue::warning(code, path.iter().map(|k| key(k)).collect(), msg)
}

/// Most `unknown_field` warnings reported per object; one more warning counts the rest, so an
/// object with a million stray keys costs a million comparisons, not a million issues.
pub const MAX_UNKNOWN_FIELDS: usize = 16;

/// Reports the `unknown` keys of one object as `unknown_field` warnings at `path(key)`, at most
/// [`MAX_UNKNOWN_FIELDS`] of them and then one that counts the rest (at the object's own path).
pub(crate) fn report_unknown<'k>(
    unknown: impl Iterator<Item = &'k String>,
    path: &dyn Fn(&str) -> Vec<PathSegment>,
    base: &dyn Fn() -> Vec<PathSegment>,
    issues: &mut Vec<Issue>,
) {
    let mut n = 0usize;
    for k in unknown {
        if n < MAX_UNKNOWN_FIELDS {
            issues.push(Issue::warning(
                IssueCode::UnknownField,
                path(k),
                format!("unknown field {:?} ignored", excerpt(k)),
            ));
        }
        n += 1;
    }
    if n > MAX_UNKNOWN_FIELDS {
        issues.push(Issue::warning(
            IssueCode::UnknownField,
            base(),
            format!("{} more unknown fields ignored", n - MAX_UNKNOWN_FIELDS),
        ));
    }
}

/// A JSON type name for messages.
pub fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A command object's own keys, in the order `decode_command` reads them; any other key is an
/// `unknown_field` warning.
const COMMAND_FIELDS: [&str; 5] = ["type", "payload", "description", "legacy", "timestamp"];

/// Decodes one structured command.
pub fn decode_command(v: &Value) -> Decoded<'_> {
    let mut issues = Vec::new();
    let Value::Object(obj) = v else {
        issues.push(Issue::error(
            IssueCode::InvalidType,
            vec![],
            format!("command must be an object, got {}", type_of(v)),
        ));
        return Decoded {
            command: None,
            issues,
            legacy: None,
        };
    };

    // One pass over the (few) keys instead of a tree lookup per known field; unknown keys are
    // visited again, in the same order, only when there are some.
    let mut slots: [Option<&Value>; COMMAND_FIELDS.len()] = [None; COMMAND_FIELDS.len()];
    let mut known = 0;
    for (k, v) in obj {
        if let Some(i) = COMMAND_FIELDS.iter().position(|f| *f == k.as_str()) {
            slots[i] = Some(v);
            known += 1;
        }
    }
    let [ty_v, payload_v, description_v, legacy_v, timestamp_v] = slots;

    let legacy = match legacy_v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(other) => {
            issues.push(warn_at(
                &["legacy"],
                IssueCode::InvalidType,
                format!("legacy must be a string or null, got {}", type_of(other)),
            ));
            None
        }
    };
    let description = optional_text(description_v, "description", &mut issues);
    let timestamp = match timestamp_v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if is_valid_rfc3339(s) => Some(s.clone()),
        Some(other) => {
            issues.push(warn_at(
                &["timestamp"],
                IssueCode::InvalidTimestamp,
                format!(
                    "timestamp must be an RFC 3339 date-time; dropped {}",
                    // The compact JSON text, as `Display` would print it, through the serializer
                    // the answers use (`Display` would link a second one).
                    excerpt(&crate::json::to_string(other).unwrap_or_default())
                ),
            ));
            None
        }
    };
    if known < obj.len() {
        report_unknown(
            obj.keys().filter(|k| !COMMAND_FIELDS.contains(&k.as_str())),
            &|k| vec![key(k)],
            &Vec::new,
            &mut issues,
        );
    }

    let ty = match ty_v {
        None | Some(Value::Null) => {
            issues.push(at(
                &["type"],
                IssueCode::MissingField,
                "command has no type",
            ));
            return Decoded {
                command: None,
                issues,
                legacy,
            };
        }
        Some(Value::String(s)) => s.trim(),
        Some(other) => {
            issues.push(at(
                &["type"],
                IssueCode::InvalidType,
                format!("type must be a string, got {}", type_of(other)),
            ));
            return Decoded {
                command: None,
                issues,
                legacy,
            };
        }
    };
    // Case-insensitive match against the (lower-case) wire types: no lower-cased copy per command.
    let Some(ty) = CommandKind::TYPES
        .iter()
        .copied()
        .find(|t| t.eq_ignore_ascii_case(ty))
    else {
        issues.push(at(
            &["type"],
            IssueCode::UnknownCommandType,
            format!(
                "unknown command type {:?}",
                excerpt(&ty.to_ascii_lowercase())
            ),
        ));
        return Decoded {
            command: None,
            issues,
            legacy,
        };
    };
    let empty = Map::new();
    let payload = match payload_v {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(m)) => m,
        Some(other) => {
            issues.push(at(
                &["payload"],
                IssueCode::InvalidType,
                format!("payload must be an object, got {}", type_of(other)),
            ));
            return Decoded {
                command: None,
                issues,
                legacy,
            };
        }
    };
    let kind = decode_payload(ty, payload, &["payload"], &mut issues);
    let command = kind.map(|k| Command::from_checked(k).with_checked_text(description, timestamp));
    Decoded {
        command,
        issues,
        legacy,
    }
}

/// A description/notes value: string (bounded, then cleaned by [`crate::vocab::clean_text`]), or
/// null; anything else is a warning and dropped.
pub(crate) fn optional_text(
    v: Option<&Value>,
    field: &str,
    issues: &mut Vec<Issue>,
) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.len() <= MAX_TEXT_LEN => {
            Some(crate::vocab::clean_text(s).into_owned())
        }
        Some(Value::String(s)) => {
            issues.push(warn_at(
                &[field],
                IssueCode::TooLong,
                format!(
                    "{field} of {} bytes exceeds {MAX_TEXT_LEN}; dropped",
                    s.len()
                ),
            ));
            None
        }
        Some(other) => {
            issues.push(warn_at(
                &[field],
                IssueCode::InvalidType,
                format!(
                    "{field} must be a string or null, got {}; dropped",
                    type_of(other)
                ),
            ));
            None
        }
    }
}
