//! Decoding untrusted JSON into structured commands, collecting every issue with its path.
//!
//! Accepts snake_case payload fields and their camelCase aliases (snake_case wins when both are
//! present). `null` counts as absent. Unknown fields are ignored with an `unknown_field` warning.
//! Must never panic, whatever the JSON.

use crate::command::{
    Clear, Command, CommandKind, Crosshair, Drawing, DrawingShape, Indicator, IndicatorParams,
    Load, Pattern, Raw, Reset, Scroll, Style, TimeframeChange, Zoom,
};
use crate::issue::{excerpt, Issue, IssueCode, PathSegment};
use crate::legacy::{self, MAX_LEGACY_LEN};
use crate::num::as_non_negative_int;
use crate::vocab::{
    canonical_snake, is_valid_date, is_valid_id, is_valid_rfc3339, parse_token, AssetType,
    ChartType, ClearTarget, CrosshairMode, DrawingStyle, IndicatorName, ResetTarget, ZoomDirection,
};
use serde_json::{Map, Value};

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
    let command = kind.map(|k| {
        Command::new(k)
            .with_description(description)
            .with_timestamp(timestamp)
    });
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

/// Reads payload fields by snake_case name or camelCase alias and reports what was left unread.
struct Fields<'a, 'b> {
    map: &'a Map<String, Value>,
    base: &'b [&'b str],
    /// Keys read so far. Bounded by the fixed number of lookups a payload decoder makes (never by
    /// the input), so a small array avoids a heap allocation per command.
    used: [&'a str; MAX_USED],
    n_used: usize,
    /// Set when the payload cannot be judged field by field (no valid drawing style).
    skip_unknown: bool,
    errors: usize,
}

const MAX_USED: usize = 24;

/// The camelCase spelling accepted for a snake_case payload field (static: no allocation per lookup).
fn camel_alias(snake: &str) -> Option<&'static str> {
    Some(match snake {
        "asset_type" => "assetType",
        "start_price" => "startPrice",
        "end_price" => "endPrice",
        "start_time" => "startTime",
        "end_time" => "endTime",
        "pattern_id" => "patternId",
        "pattern_type" => "patternType",
        "chart_type" => "chartType",
        "start_candle" => "startCandle",
        "end_candle" => "endCandle",
        _ => return None,
    })
}

impl<'a, 'b> Fields<'a, 'b> {
    fn new(map: &'a Map<String, Value>, base: &'b [&'b str]) -> Fields<'a, 'b> {
        Fields {
            map,
            base,
            used: [""; MAX_USED],
            n_used: 0,
            skip_unknown: false,
            errors: 0,
        }
    }

    fn mark_used(&mut self, k: &'a str) {
        if self.n_used < MAX_USED {
            self.used[self.n_used] = k;
            self.n_used += 1;
        }
    }

    fn path(&self, field: &str) -> Vec<PathSegment> {
        self.base
            .iter()
            .map(|s| key(s))
            .chain(std::iter::once(key(field)))
            .collect()
    }

    /// The value of `name` (or its camelCase alias, or `extra` aliases); `None` when absent or null.
    fn get(&mut self, name: &str, extra: &[&str]) -> Option<(&'a Value, &'a str)> {
        let mut found = None;
        let camel = camel_alias(name);
        for alias in std::iter::once(name)
            .chain(camel)
            .chain(extra.iter().copied())
        {
            if let Some((k, v)) = self.map.get_key_value(alias) {
                self.mark_used(k.as_str());
                if found.is_none() && !v.is_null() {
                    found = Some((v, k.as_str()));
                }
            }
        }
        found
    }

    fn fail(&mut self, issues: &mut Vec<Issue>, field: &str, code: IssueCode, msg: String) {
        self.errors += 1;
        issues.push(Issue::error(code, self.path(field), msg));
    }

    /// Reads `name` with `extract`; a value of another JSON type is `invalid_type`, an absent
    /// required one `missing_field`.
    fn typed<T>(
        &mut self,
        name: &str,
        extra: &[&str],
        required: bool,
        issues: &mut Vec<Issue>,
        expected: &str,
        extract: impl Fn(&'a Value) -> Option<T>,
    ) -> Option<(T, &'a str)> {
        match self.get(name, extra) {
            Some((v, k)) => match extract(v) {
                Some(t) => Some((t, k)),
                None => {
                    let msg = format!("{k} must be {expected}, got {}", type_of(v));
                    self.fail(issues, k, IssueCode::InvalidType, msg);
                    None
                }
            },
            None => {
                if required {
                    self.fail(
                        issues,
                        name,
                        IssueCode::MissingField,
                        format!("{name} is required"),
                    );
                }
                None
            }
        }
    }

    fn string(
        &mut self,
        name: &str,
        extra: &[&str],
        required: bool,
        issues: &mut Vec<Issue>,
    ) -> Option<(&'a str, &'a str)> {
        self.typed(name, extra, required, issues, "a string", Value::as_str)
    }

    /// A JSON number as `f64` (serde_json numbers are always finite).
    fn number(
        &mut self,
        name: &str,
        required: bool,
        issues: &mut Vec<Issue>,
    ) -> Option<(f64, &'a str)> {
        self.typed(name, &[], required, issues, "a number", Value::as_f64)
    }

    fn price(&mut self, name: &str, required: bool, issues: &mut Vec<Issue>) -> Option<f64> {
        let (v, k) = self.number(name, required, issues)?;
        self.check(issues, k, legacy::check_price(v, k))
    }

    fn zoom_amount(&mut self, issues: &mut Vec<Issue>) -> Option<f64> {
        let (v, k) = self.number("amount", false, issues)?;
        self.check(issues, k, legacy::check_zoom(v))
    }

    /// A non-negative integer that `bound` accepts (a time, a candle index).
    fn bounded_uint(
        &mut self,
        name: &str,
        code: IssueCode,
        bound: fn(u64, &str) -> Result<u64, Issue>,
        issues: &mut Vec<Issue>,
    ) -> Option<u64> {
        let v = self.uint(name, code, issues)?;
        let r = bound(v, name);
        self.check(issues, name, r)
    }

    fn uint(&mut self, name: &str, code: IssueCode, issues: &mut Vec<Issue>) -> Option<u64> {
        let (n, k) = self.typed(name, &[], false, issues, "an integer", |v| match v {
            Value::Number(n) => Some(n),
            _ => None,
        })?;
        let v = as_non_negative_int(n);
        if v.is_none() {
            self.fail(
                issues,
                k,
                code,
                format!("{k} must be an integer >= 0, got {n}"),
            );
        }
        v
    }

    /// Unwraps a field-level result, recording its issue under this field's path.
    fn check<T>(&mut self, issues: &mut Vec<Issue>, field: &str, r: Result<T, Issue>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(mut e) => {
                self.errors += 1;
                e.path = self.path(field);
                issues.push(e);
                None
            }
        }
    }

    fn token<T>(
        &mut self,
        issues: &mut Vec<Issue>,
        name: &str,
        extra: &[&str],
        required: bool,
        parse: impl Fn(&str) -> Option<T>,
        what: &str,
    ) -> Option<T> {
        let (s, k) = self.string(name, extra, required, issues)?;
        let v = parse(s);
        if v.is_none() {
            self.fail(
                issues,
                k,
                IssueCode::InvalidValue,
                format!("{k} must be {what}, got {:?}", excerpt(s)),
            );
        }
        v
    }

    fn id(&mut self, issues: &mut Vec<Issue>, name: &str) -> Option<String> {
        let (s, k) = self.string(name, &[], false, issues)?;
        if is_valid_id(s) {
            Some(s.to_owned())
        } else {
            self.fail(
                issues,
                k,
                IssueCode::InvalidType,
                format!("{k} must be 1-64 characters of A-Z a-z 0-9 _ . -"),
            );
            None
        }
    }

    fn snake(&mut self, issues: &mut Vec<Issue>, name: &str) -> Option<String> {
        let (s, k) = self.string(name, &[], false, issues)?;
        let v = canonical_snake(s);
        if v.is_none() {
            self.fail(
                issues,
                k,
                IssueCode::InvalidType,
                format!("{k} must be 1-64 characters of letters, digits and _"),
            );
        }
        v
    }

    fn finish(self, issues: &mut Vec<Issue>) -> bool {
        if !self.skip_unknown {
            let used = &self.used[..self.n_used];
            report_unknown(
                self.map.keys().filter(|k| !used.contains(&k.as_str())),
                &|k| self.path(k),
                &|| self.base.iter().map(|s| key(s)).collect(),
                issues,
            );
        }
        self.errors == 0
    }
}

/// Decodes a payload of a known `ty` (lower case). Issues are pushed with `base` as path prefix.
pub(crate) fn decode_payload(
    ty: &str,
    payload: &Map<String, Value>,
    base: &[&str],
    issues: &mut Vec<Issue>,
) -> Option<CommandKind> {
    let mut f = Fields::new(payload, base);
    let kind = match ty {
        "load" => {
            let symbol = f
                .string("symbol", &["ticker"], true, issues)
                .and_then(|(s, k)| {
                    let r = legacy::symbol(s);
                    f.check(issues, k, r)
                });
            let asset_type = f.token(
                issues,
                "asset_type",
                &[],
                false,
                AssetType::parse,
                "stock, crypto, index, forex or future",
            );
            symbol.map(|symbol| CommandKind::Load(Load { symbol, asset_type }))
        }
        "timeframe" => f
            .string("value", &["interval", "timeframe"], true, issues)
            .and_then(|(s, k)| {
                let r = legacy::timeframe(s);
                f.check(issues, k, r)
            })
            .map(|value| CommandKind::Timeframe(TimeframeChange { value })),
        "indicator" => decode_indicator(&mut f, issues).map(CommandKind::Indicator),
        "drawing" => decode_drawing(&mut f, issues).map(CommandKind::Drawing),
        "zoom" => {
            let direction = f.token(
                issues,
                "direction",
                &[],
                true,
                |s| parse_token(ZoomDirection::ALL, ZoomDirection::as_wire, s),
                "in or out",
            );
            let amount = f.zoom_amount(issues);
            direction.map(|direction| CommandKind::Zoom(Zoom { direction, amount }))
        }
        "reset" => f
            .token(
                issues,
                "target",
                &[],
                false,
                |s| parse_token(ResetTarget::ALL, ResetTarget::as_wire, s),
                "view or scale",
            )
            .or_else(|| (f.errors == 0).then_some(ResetTarget::View))
            .map(|target| CommandKind::Reset(Reset { target })),
        "crosshair" => f
            .token(
                issues,
                "mode",
                &[],
                false,
                |s| parse_token(CrosshairMode::ALL, CrosshairMode::as_wire, s),
                "on, off or toggle",
            )
            .or_else(|| (f.errors == 0).then_some(CrosshairMode::Toggle))
            .map(|mode| CommandKind::Crosshair(Crosshair { mode })),
        "style" => f
            .token(
                issues,
                "chart_type",
                &[],
                true,
                ChartType::parse,
                "candles, bars, line, area or heikin_ashi",
            )
            .map(|chart_type| CommandKind::Style(Style { chart_type })),
        "scroll" => decode_scroll(&mut f, issues).map(CommandKind::Scroll),
        "pattern" => decode_pattern(&mut f, issues).map(CommandKind::Pattern),
        "clear" => {
            let target = f
                .token(
                    issues,
                    "target",
                    &[],
                    false,
                    |s| parse_token(ClearTarget::ALL, ClearTarget::as_wire, s),
                    "all, drawings or pattern",
                )
                .or_else(|| (f.errors == 0).then_some(ClearTarget::All));
            let pattern_id = f.id(issues, "pattern_id");
            match target {
                Some(t) if pattern_id.is_some() && t != ClearTarget::Pattern => {
                    f.fail(
                        issues,
                        "pattern_id",
                        IssueCode::InvalidType,
                        "pattern_id is only allowed with target pattern".into(),
                    );
                    None
                }
                Some(target) => Some(CommandKind::Clear(Clear { target, pattern_id })),
                None => None,
            }
        }
        "raw" => f.string("value", &[], true, issues).and_then(|(s, k)| {
            let s = s.trim();
            if s.is_empty() {
                f.fail(
                    issues,
                    k,
                    IssueCode::MissingField,
                    "raw value is empty".into(),
                );
                None
            } else if s.len() > MAX_LEGACY_LEN {
                f.fail(
                    issues,
                    k,
                    IssueCode::TooLong,
                    format!("raw value exceeds {MAX_LEGACY_LEN} bytes"),
                );
                None
            } else if !legacy::is_command_shaped(s) {
                f.fail(
                    issues,
                    k,
                    IssueCode::NotACommand,
                    format!(
                        "raw value {:?} is not command-shaped (VERB:ARG, letters, digits and . _ - + = , % ^); dropped",
                        excerpt(s)
                    ),
                );
                None
            } else {
                Some(CommandKind::Raw(Raw {
                    value: s.to_owned(),
                }))
            }
        }),
        _ => None,
    };
    let clean = f.finish(issues);
    kind.filter(|_| clean)
}

fn decode_indicator(f: &mut Fields<'_, '_>, issues: &mut Vec<Issue>) -> Option<Indicator> {
    let named = f
        .string("name", &["indicator"], true, issues)
        .and_then(|(s, k)| {
            let r = IndicatorName::parse_with_period(s).ok_or_else(|| {
                Issue::error(
                    IssueCode::UnknownIndicator,
                    vec![],
                    format!("unknown indicator {:?}", excerpt(s)),
                )
            });
            f.check(issues, k, r)
        });
    let enabled = match f.get("enabled", &[]) {
        Some((Value::Bool(b), _)) => Some(*b),
        Some((other, k)) => {
            f.fail(
                issues,
                k,
                IssueCode::InvalidType,
                format!("enabled must be a boolean, got {}", type_of(other)),
            );
            None
        }
        None => Some(true),
    };
    let explicit = match f.get("params", &[]) {
        Some((Value::Object(params), k)) => {
            let mut base: Vec<&str> = f.base.to_vec();
            base.push(k);
            let mut pf = Fields::new(params, &base);
            let period = pf
                .uint("period", IssueCode::InvalidNumber, issues)
                .and_then(|p| {
                    let r = legacy::check_period(p);
                    pf.check(issues, "period", r)
                });
            let ok = pf.finish(issues);
            if !ok {
                f.errors += 1;
            }
            period
        }
        Some((other, k)) => {
            f.fail(
                issues,
                k,
                IssueCode::InvalidType,
                format!("params must be an object, got {}", type_of(other)),
            );
            None
        }
        None => None,
    };
    let (name, alias_period) = named?;
    let period = match (explicit, alias_period) {
        (Some(p), _) => Some(p),
        (None, Some(p)) => {
            let r = legacy::check_period(u64::from(p));
            f.check(issues, "name", r)
        }
        (None, None) => None,
    };
    Some(Indicator {
        name,
        enabled: enabled?,
        params: period.map(|period| IndicatorParams { period }),
    })
}

fn decode_drawing(f: &mut Fields<'_, '_>, issues: &mut Vec<Issue>) -> Option<Drawing> {
    let style = f.token(
        issues,
        "style",
        &["kind"],
        true,
        DrawingStyle::parse,
        "support, resistance, horizontal, entry, target, stop_loss, trendline or fibonacci",
    );
    let pattern_id = f.id(issues, "pattern_id");
    let Some(style) = style else {
        // Without a style the other fields cannot be judged; do not call them unknown.
        f.skip_unknown = true;
        return None;
    };
    let shape = match style {
        DrawingStyle::Trendline => {
            let start_price = f.price("start_price", true, issues);
            let end_price = f.price("end_price", true, issues);
            let errors_before = f.errors;
            let start_time = f.bounded_uint(
                "start_time",
                IssueCode::InvalidTimestamp,
                legacy::check_time,
                issues,
            );
            let end_time = f.bounded_uint(
                "end_time",
                IssueCode::InvalidTimestamp,
                legacy::check_time,
                issues,
            );
            // An invalid time already has its issue: "go together" is only for an absent one.
            if start_time.is_some() != end_time.is_some() && f.errors == errors_before {
                let missing = if start_time.is_none() {
                    "start_time"
                } else {
                    "end_time"
                };
                f.fail(
                    issues,
                    missing,
                    IssueCode::MissingField,
                    "start_time and end_time go together".into(),
                );
            }
            DrawingShape::Trendline {
                start_price: start_price?,
                end_price: end_price?,
                start_time,
                end_time,
            }
        }
        DrawingStyle::Fibonacci => {
            let high = f.price("high", true, issues);
            let low = f.price("low", true, issues);
            let r = legacy::fibonacci(high?, low?);
            f.check(issues, "high", r)?
        }
        level => {
            let price = f.price("price", true, issues)?;
            DrawingShape::level(level, price)?
        }
    };
    Some(Drawing { shape, pattern_id })
}

fn decode_scroll(f: &mut Fields<'_, '_>, issues: &mut Vec<Issue>) -> Option<Scroll> {
    let date = f.string("date", &[], false, issues);
    let time = f.bounded_uint(
        "time",
        IssueCode::InvalidTimestamp,
        legacy::check_time,
        issues,
    );
    match (date, time) {
        (Some(_), Some(_)) => {
            f.fail(
                issues,
                "date",
                IssueCode::InvalidType,
                "scroll takes date or time, not both".into(),
            );
            None
        }
        (Some((d, k)), None) => {
            if is_valid_date(d.trim()) {
                Some(Scroll::Date {
                    date: d.trim().to_owned(),
                })
            } else {
                f.fail(
                    issues,
                    k,
                    IssueCode::InvalidTimestamp,
                    format!("date must be YYYY-MM-DD, got {:?}", excerpt(d)),
                );
                None
            }
        }
        (None, Some(time)) => Some(Scroll::Time { time }),
        (None, None) => {
            if f.errors == 0 {
                f.fail(
                    issues,
                    "date",
                    IssueCode::MissingField,
                    "scroll needs date or time".into(),
                );
            }
            None
        }
    }
}

fn decode_pattern(f: &mut Fields<'_, '_>, issues: &mut Vec<Issue>) -> Option<Pattern> {
    let pattern_type = f.snake(issues, "pattern_type");
    let pattern_id = f.id(issues, "pattern_id");
    let status = f.snake(issues, "status");
    let start_candle = f.bounded_uint(
        "start_candle",
        IssueCode::InvalidNumber,
        legacy::check_candle,
        issues,
    );
    let end_candle = f.bounded_uint(
        "end_candle",
        IssueCode::InvalidNumber,
        legacy::check_candle,
        issues,
    );
    if f.errors > 0 {
        return None;
    }
    if pattern_type.is_none() && pattern_id.is_none() {
        f.fail(
            issues,
            "pattern_type",
            IssueCode::MissingField,
            "pattern needs pattern_type or pattern_id".into(),
        );
        return None;
    }
    if start_candle.is_some() != end_candle.is_some() {
        let missing = if start_candle.is_none() {
            "start_candle"
        } else {
            "end_candle"
        };
        f.fail(
            issues,
            missing,
            IssueCode::MissingField,
            "start_candle and end_candle go together".into(),
        );
        return None;
    }
    if pattern_type.is_none() && start_candle.is_some() {
        f.fail(
            issues,
            "pattern_type",
            IssueCode::MissingField,
            "candles need a pattern_type".into(),
        );
        return None;
    }
    Some(Pattern {
        pattern_type,
        pattern_id,
        status,
        start_candle,
        end_candle,
    })
}
