//! `normalizeChartCommandPayload`: any of the three shapes in, one answer out (spec §6).
//!
//! Total: every JSON value gives a result; problems become issues, never panics.

use crate::command::Command;
use crate::issue::{Issue, IssueCode, PathSegment};
use crate::legacy::{parse_into, Parsed};
use crate::objects::{decode_chart_objects, ChartObjects};
use crate::validate::{decode_command, type_of};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::cmp::Ordering;

/// Most commands processed per list; the rest are reported once as `too_many_commands`.
pub const MAX_COMMANDS: usize = 256;

/// The two rollout flags (`PREFER_STRUCTURED_CHART_COMMANDS`, `ENABLE_STRUCTURED_CHART_OBJECTS`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct NormalizeFlags {
    #[serde(alias = "prefer_structured")]
    #[cfg_attr(feature = "ts", tsify(optional))]
    pub prefer_structured: bool,
    #[serde(alias = "structured_objects")]
    #[cfg_attr(feature = "ts", tsify(optional))]
    pub structured_objects: bool,
}

impl NormalizeFlags {
    /// Reads flags from a JSON value (not `null`) exactly as `serde_json::from_value::<NormalizeFlags>`
    /// does, with the same error messages, but without serde's deserialization machinery: in the
    /// wasm module serde's `Unexpected` display would pull in std's `f64` formatting (about 14 KB,
    /// never used for JSON, whose floats serde_json prints itself), and this is the only typed
    /// deserialization there. A test checks it against serde value by value.
    pub fn from_json(v: &Value) -> Result<NormalizeFlags, String> {
        let mut flags = NormalizeFlags::default();
        match v {
            Value::Object(map) => {
                let (mut seen_prefer, mut seen_objects) = (false, false);
                // serde's derived visitor: keys in map order, a field's second spelling is a duplicate.
                for (k, value) in map {
                    let (seen, slot, name) = match k.as_str() {
                        "preferStructured" | "prefer_structured" => (
                            &mut seen_prefer,
                            &mut flags.prefer_structured,
                            "preferStructured",
                        ),
                        "structuredObjects" | "structured_objects" => (
                            &mut seen_objects,
                            &mut flags.structured_objects,
                            "structuredObjects",
                        ),
                        _ => continue,
                    };
                    if *seen {
                        return Err(format!("duplicate field `{name}`"));
                    }
                    *seen = true;
                    *slot = boolean(value)?;
                }
                Ok(flags)
            }
            // serde also reads a struct from a sequence, by position (missing ones take defaults).
            Value::Array(items) => {
                let mut it = items.iter();
                if let Some(x) = it.next() {
                    flags.prefer_structured = boolean(x)?;
                }
                if let Some(x) = it.next() {
                    flags.structured_objects = boolean(x)?;
                }
                if it.next().is_some() {
                    return Err(format!(
                        "invalid length {}, expected fewer elements in array",
                        items.len()
                    ));
                }
                Ok(flags)
            }
            other => Err(format!(
                "invalid type: {}, expected struct NormalizeFlags",
                unexpected(other)
            )),
        }
    }
}

/// Every spelling of the two flags, as [`NormalizeFlags::from_json`] and the derived
/// `Deserialize` read them.
pub const FLAG_KEYS: [&str; 4] = [
    "preferStructured",
    "prefer_structured",
    "structuredObjects",
    "structured_objects",
];

/// How many unknown flag keys the warning names (the rest are counted).
const NAMED_UNKNOWN_FLAGS: usize = 4;

impl NormalizeFlags {
    /// The warning for the keys of a flags object that name no flag (a typo such as
    /// `preferStructure` would otherwise leave structured-first silently off): one
    /// `unknown_field` warning at `["flags"]` naming the first few, or `None`. Reading the flags
    /// ignores such keys, as the derived `Deserialize` does, so the two stay in agreement.
    pub fn unknown_keys_issue(v: &Value) -> Option<Issue> {
        let Value::Object(map) = v else {
            return None;
        };
        let unknown: Vec<&String> = map
            .keys()
            .filter(|k| !FLAG_KEYS.contains(&k.as_str()))
            .collect();
        if unknown.is_empty() {
            return None;
        }
        let mut named: Vec<String> = unknown
            .iter()
            .take(NAMED_UNKNOWN_FLAGS)
            .map(|k| format!("`{}`", crate::issue::excerpt(k)))
            .collect();
        if unknown.len() > NAMED_UNKNOWN_FLAGS {
            named.push(format!("{} more", unknown.len() - NAMED_UNKNOWN_FLAGS));
        }
        Some(Issue::warning(
            IssueCode::UnknownField,
            vec![key("flags")],
            format!(
                "unknown flag{} {}; ignored (the flags are preferStructured and structuredObjects)",
                if unknown.len() == 1 { "" } else { "s" },
                named.join(", ")
            ),
        ))
    }
}

/// [`normalize_chart_command_payload`] with the flags as JSON (`null`: the defaults), as callers
/// outside Rust pass them: flags read by [`NormalizeFlags::from_json`] (its error when they are
/// malformed), and unknown flag keys reported first among the issues
/// ([`NormalizeFlags::unknown_keys_issue`]).
pub fn normalize_with_json_flags(
    input: &Value,
    response_text: Option<&str>,
    flags: &Value,
) -> Result<Normalized, String> {
    let typed = match flags {
        Value::Null => NormalizeFlags::default(),
        f => NormalizeFlags::from_json(f)?,
    };
    let mut out = normalize_chart_command_payload(input, response_text, typed);
    if let Some(warning) = NormalizeFlags::unknown_keys_issue(flags) {
        out.issues.insert(0, warning);
    }
    Ok(out)
}

fn boolean(v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(format!(
            "invalid type: {}, expected a boolean",
            unexpected(other)
        )),
    }
}

/// serde_json's wording for an unexpected JSON value (serde's `Unexpected`, as serde_json prints it).
fn unexpected(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("boolean `{b}`"),
        // serde_json's own wording: its `Number` display (zmij for floats), not std's.
        Value::Number(n) if n.is_f64() => format!("floating point `{n}`"),
        Value::Number(n) => format!("integer `{n}`"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "sequence".to_owned(),
        Value::Object(_) => "map".to_owned(),
    }
}

crate::wire_enum! {
    /// Where `commands` came from.
    #[cfg_attr(feature = "ts", derive(tsify::Tsify))]
    pub enum Mode {
        Hybrid = "hybrid",
        StructuredFirst = "structured_first",
    }
}

crate::wire_enum! {
    /// Which input list(s) contributed to `commands`.
    #[cfg_attr(feature = "ts", derive(tsify::Tsify))]
    pub enum Source {
        ChartObjects = "chart_objects",
        Structured = "structured",
        Legacy = "legacy",
        Mixed = "mixed",
        None = "none",
    }
}

/// The normalized payload (spec §6).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct Normalized {
    /// Canonical legacy strings of the valid commands of the legacy list, input order.
    pub legacy: Vec<String>,
    /// Valid structured commands, input order.
    pub structured: Vec<Command>,
    pub objects: Option<ChartObjects>,
    pub response_text: Option<String>,
    /// What the chart should execute: deduplicated, in execution order.
    pub commands: Vec<Command>,
    pub mode: Mode,
    pub source: Source,
    pub issues: Vec<Issue>,
}

const LEGACY_KEYS: [&str; 3] = ["legacy", "chartCommands", "chart_commands"];
const STRUCTURED_KEYS: [&str; 3] = [
    "structured",
    "chartCommandsStructured",
    "chart_commands_structured",
];
const OBJECTS_KEYS: [&str; 3] = ["objects", "chartObjects", "chart_objects"];

fn key(k: &str) -> PathSegment {
    PathSegment::Key(k.to_owned())
}

/// The first present, non-null field among `names`.
fn first_of<'a>(obj: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names
        .iter()
        .find_map(|n| obj.get(*n).filter(|v| !v.is_null()))
}

/// Normalizes a chart-command payload. See the module docs and spec §6.
pub fn normalize_chart_command_payload(
    input: &Value,
    response_text: Option<&str>,
    flags: NormalizeFlags,
) -> Normalized {
    let mut issues = Vec::new();
    let mut legacy_in: Option<&Value> = None;
    let mut structured_in: Option<&Value> = None;
    let mut objects_in: Option<&Value> = None;
    let mut text = response_text.map(str::to_owned);
    match input {
        Value::Null => {}
        Value::String(_) | Value::Array(_) => legacy_in = Some(input),
        Value::Object(obj) => {
            legacy_in = first_of(obj, &LEGACY_KEYS);
            structured_in = first_of(obj, &STRUCTURED_KEYS);
            objects_in = first_of(obj, &OBJECTS_KEYS);
            match first_of(obj, &["responseText", "response_text"]) {
                Some(Value::String(s)) => text = Some(s.clone()),
                Some(other) => issues.push(Issue::warning(
                    IssueCode::InvalidType,
                    vec![key("responseText")],
                    format!("responseText must be a string, got {}", type_of(other)),
                )),
                None => {}
            }
        }
        other => issues.push(Issue::error(
            IssueCode::InvalidType,
            vec![],
            format!(
                "payload must be null, a string, an array of strings or an object, got {}",
                type_of(other)
            ),
        )),
    }

    let legacy_cmds = legacy_in
        .map(|v| read_legacy(v, &mut issues))
        .unwrap_or_default();
    let structured = structured_in
        .map(|v| read_structured(v, &mut issues))
        .unwrap_or_default();
    let objects = objects_in.and_then(|v| {
        let d = decode_chart_objects(v, MAX_COMMANDS);
        issues.extend(
            d.issues
                .into_iter()
                .map(|i| i.prefixed(&[key("chart_objects")])),
        );
        d.objects
    });

    let mode = if flags.prefer_structured {
        Mode::StructuredFirst
    } else {
        Mode::Hybrid
    };
    let (commands, source) = match &objects {
        Some(o) if flags.structured_objects => {
            (execution_list(o.commands.iter()), Source::ChartObjects)
        }
        _ if flags.prefer_structured => {
            if !structured.is_empty() {
                (execution_list(structured.iter()), Source::Structured)
            } else if !legacy_cmds.is_empty() {
                issues.push(Issue::warning(
                    IssueCode::FallbackToLegacy,
                    vec![key("chart_commands_structured")],
                    "no valid structured command; using the legacy list",
                ));
                (execution_list(legacy_cmds.iter()), Source::Legacy)
            } else {
                (Vec::new(), Source::None)
            }
        }
        _ => {
            // Only the count is needed here: no command is cloned for it.
            let n_structured = dedup(structured.iter().collect()).len();
            let all = execution_list(structured.iter().chain(legacy_cmds.iter()));
            let source = match (n_structured > 0, all.len() > n_structured) {
                (true, true) => Source::Mixed,
                (true, false) => Source::Structured,
                (false, true) => Source::Legacy,
                (false, false) => Source::None,
            };
            (all, source)
        }
    };
    let source = if commands.is_empty() {
        Source::None
    } else {
        source
    };
    crate::issue::cap_issues(&mut issues);
    Normalized {
        legacy: legacy_cmds.iter().map(|c| c.legacy().to_owned()).collect(),
        structured,
        objects,
        response_text: text,
        commands,
        mode,
        source,
        issues,
    }
}

/// Deduplicates by `type` + canonical payload (first occurrence wins), then sorts stably into
/// execution order.
pub fn execution_list<'a>(commands: impl Iterator<Item = &'a Command>) -> Vec<Command> {
    // The generic part only collects: each caller's iterator type would otherwise get its own
    // copy of the dedup and the sort.
    ordered_unique(commands.collect())
}

fn ordered_unique(commands: Vec<&Command>) -> Vec<Command> {
    let kept = dedup(commands);
    // Sorting indices, then cloning once, in the final order.
    stable_order(kept.len(), &|i| kept[i].kind().execution_rank())
        .into_iter()
        .map(|i| kept[i].clone())
        .collect()
}

/// The first occurrence of each command, by reference (callers clone what they keep).
fn dedup(commands: Vec<&Command>) -> Vec<&Command> {
    // Typical lists are short: a scan beats sorting until they are not.
    if commands.len() <= 16 {
        let mut kept: Vec<&Command> = Vec::new();
        for c in commands {
            if !kept.iter().any(|o| o.dedup_key() == c.dedup_key()) {
                kept.push(c);
            }
        }
        return kept;
    }
    // Sorted by key (then position), the first of each run of equal keys is its first occurrence.
    let mut order: Vec<usize> = (0..commands.len()).collect();
    sort_indices(&mut order, &|a, b| {
        commands[a]
            .dedup_key()
            .cmp(commands[b].dedup_key())
            .then(a.cmp(&b))
    });
    let mut first = vec![false; commands.len()];
    for (n, &i) in order.iter().enumerate() {
        first[i] = n == 0 || commands[order[n - 1]].dedup_key() != commands[i].dedup_key();
    }
    commands
        .into_iter()
        .zip(first)
        .filter_map(|(c, f)| f.then_some(c))
        .collect()
}

/// The indices `0..n` in the order a stable sort by `key` would put their items.
pub(crate) fn stable_order(n: usize, key: &dyn Fn(usize) -> usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    sort_indices(&mut order, &|a, b| key(a).cmp(&key(b)).then(a.cmp(&b)));
    order
}

/// The crate's one sort: every sort goes through it with the index as the last key (so results
/// are those of a stable sort), and the module carries one sort implementation instead of one per
/// element and key type.
fn sort_indices(order: &mut [usize], cmp: &dyn Fn(usize, usize) -> Ordering) {
    order.sort_unstable_by(|&a, &b| cmp(a, b));
}

fn read_legacy(v: &Value, issues: &mut Vec<Issue>) -> Vec<Command> {
    let mut out = Parsed::default();
    let mut truncated = false;
    match v {
        Value::String(s) => {
            if !s.trim().is_empty() {
                let prefix = || vec![key("chart_commands"), PathSegment::Index(0)];
                truncated = parse_into(s, &prefix, &mut out, MAX_COMMANDS);
            }
        }
        Value::Array(items) => {
            // The cap bounds the elements examined, not only the commands kept: a million
            // invalid elements must not cost a million issues.
            for (i, item) in items.iter().enumerate() {
                if out.commands.len() >= MAX_COMMANDS || i >= MAX_COMMANDS {
                    truncated = true;
                    break;
                }
                // Built only when an issue needs it: most items have none.
                let prefix = || vec![key("chart_commands"), PathSegment::Index(i)];
                match item {
                    Value::String(s) => truncated |= parse_into(s, &prefix, &mut out, MAX_COMMANDS),
                    other => out.issues.push(Issue::error(
                        IssueCode::InvalidType,
                        prefix(),
                        format!("legacy command must be a string, got {}", type_of(other)),
                    )),
                }
            }
        }
        other => out.issues.push(Issue::error(
            IssueCode::InvalidType,
            vec![key("chart_commands")],
            format!(
                "chart_commands must be an array of strings, got {}",
                type_of(other)
            ),
        )),
    }
    issues.append(&mut out.issues);
    if truncated {
        issues.push(Issue::error(
            IssueCode::TooManyCommands,
            vec![key("chart_commands")],
            format!(
                "more than {MAX_COMMANDS} commands; only the first {MAX_COMMANDS} were processed"
            ),
        ));
    }
    out.commands
}

fn read_structured(v: &Value, issues: &mut Vec<Issue>) -> Vec<Command> {
    let base = || key("chart_commands_structured");
    let items: &[Value] = match v {
        Value::Array(items) => items,
        Value::Object(_) => std::slice::from_ref(v),
        other => {
            issues.push(Issue::error(
                IssueCode::InvalidType,
                vec![base()],
                format!(
                    "chart_commands_structured must be an array of commands, got {}",
                    type_of(other)
                ),
            ));
            return Vec::new();
        }
    };
    let mut out: Vec<Command> = Vec::new();
    // The cap bounds the entries examined, valid or not.
    for (i, item) in items.iter().enumerate() {
        if out.len() >= MAX_COMMANDS || i >= MAX_COMMANDS {
            issues.push(Issue::error(IssueCode::TooManyCommands, vec![base()], format!("more than {MAX_COMMANDS} commands; only the first {MAX_COMMANDS} were processed")));
            break;
        }
        let prefix = || [key("chart_commands_structured"), PathSegment::Index(i)];
        let d = decode_command(item);
        match d.command {
            Some(c) => {
                if !d.issues.is_empty() {
                    let prefix = prefix();
                    issues.extend(d.issues.into_iter().map(|x| x.prefixed(&prefix)));
                }
                out.push(c);
            }
            None => match d.legacy.and_then(usable_fallback) {
                Some(replacement) => {
                    let prefix = prefix();
                    issues.extend(d.issues.into_iter().map(|x| Issue {
                        severity: crate::issue::Severity::Warning,
                        ..x.prefixed(&prefix)
                    }));
                    let room = MAX_COMMANDS - out.len();
                    out.extend(replacement.into_iter().take(room));
                }
                None => {
                    let prefix = prefix();
                    issues.extend(d.issues.into_iter().map(|x| x.prefixed(&prefix)));
                }
            },
        }
    }
    out
}

/// The commands of a structured command's own `legacy` string, when that string is valid:
/// at least one command, no error, and nothing `raw`.
fn usable_fallback(legacy: &str) -> Option<Vec<Command>> {
    let p = crate::legacy::parse_legacy(legacy);
    let ok = !p.commands.is_empty()
        && p.issues.iter().all(|i| !i.is_error())
        && p.commands.iter().all(|c| c.type_name() != "raw");
    ok.then_some(p.commands)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_from_json_reads_and_fails_exactly_like_serde() {
        let cases = [
            r#"{}"#,
            r#"{"preferStructured":true}"#,
            r#"{"prefer_structured":true,"structured_objects":false}"#,
            r#"{"preferStructured":true,"prefer_structured":false}"#,
            r#"{"structuredObjects":true,"structured_objects":true}"#,
            r#"{"preferStructured":"yes"}"#,
            r#"{"preferStructured":"a \"quoted\"\nline é"}"#,
            r#"{"structuredObjects":5}"#,
            r#"{"structuredObjects":-5}"#,
            r#"{"structuredObjects":1.5}"#,
            r#"{"structuredObjects":2.0}"#,
            r#"{"structuredObjects":1e21}"#,
            r#"{"structuredObjects":1e300}"#,
            r#"{"structuredObjects":-0.0}"#,
            r#"{"structuredObjects":1.5e-7}"#,
            r#"{"structuredObjects":18446744073709551615}"#,
            r#"{"structuredObjects":-9223372036854775808}"#,
            r#"{"structuredObjects":null}"#,
            r#"{"structuredObjects":[]}"#,
            r#"{"structuredObjects":{}}"#,
            r#"{"other":1,"preferStructured":false,"zzz":[1]}"#,
            r#"{"prefer_structured":1,"preferStructured":2}"#,
            r#"[]"#,
            r#"[true]"#,
            r#"[true,false]"#,
            r#"[true,false,true]"#,
            r#"[1]"#,
            r#"[true,"x",3]"#,
            r#"5"#,
            r#"-5"#,
            r#"0.25"#,
            r#"3.0"#,
            r#"true"#,
            r#""flags""#,
            r#"null"#,
        ];
        for text in cases {
            let v: Value = serde_json::from_str(text).expect("test input is JSON");
            let want =
                serde_json::from_value::<NormalizeFlags>(v.clone()).map_err(|e| e.to_string());
            assert_eq!(NormalizeFlags::from_json(&v), want, "{text}");
        }
    }

    #[test]
    fn dedup_keeps_first_occurrences_past_the_scan_threshold() {
        let strings: Vec<String> = (0..40).map(|i| format!("SUPPORT:{}", i % 25 + 1)).collect();
        let parsed = crate::parse_legacy_list(&strings);
        let out = dedup(parsed.commands.iter().collect());
        let legacy: Vec<&str> = out.iter().map(|c| c.legacy()).collect();
        let want: Vec<String> = (0..25).map(|i| format!("SUPPORT:{}", i + 1)).collect();
        assert_eq!(legacy, want);
    }
}
