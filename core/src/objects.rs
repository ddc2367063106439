//! Chart objects v2: building them from a structured list, and decoding them from untrusted JSON.

use crate::command::{Command, CommandKind, DrawingShape, Indicator};
use crate::issue::{excerpt, Issue, IssueCode, PathSegment};
use crate::validate::{decode_command, decode_payload, optional_text, type_of};
use crate::vocab::Timeframe;
use serde::Serialize;
use serde_json::{Map, Value};

/// The only accepted version.
pub const VERSION: &str = "2.0";

/// Chart objects v2.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(missing_as_null))]
pub struct ChartObjects {
    /// Always `"2.0"`.
    pub version: String,
    pub symbol: Option<String>,
    pub timeframe: Option<Timeframe>,
    pub overlays: Vec<Overlay>,
    pub indicators: Vec<Indicator>,
    pub commands: Vec<Command>,
    pub notes: Option<String>,
}

/// Something drawn over the price chart.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Overlay {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[cfg_attr(feature = "ts", tsify(type = "Record<string, unknown>"))]
    pub params: Map<String, Value>,
}

/// Builds chart objects from a structured list: `symbol` from the first `load`, `timeframe` from the
/// first `timeframe`, `indicators` keyed by name (last wins, first position kept), `overlays` from
/// drawings and patterns, `commands` as given.
pub fn build_chart_objects(commands: &[Command]) -> ChartObjects {
    let (symbol, timeframe) = (first_symbol(commands), first_timeframe(commands));
    let mut indicators: Vec<Indicator> = Vec::new();
    let mut overlays = Vec::new();
    for c in commands {
        match c.kind() {
            CommandKind::Indicator(i) => match indicators.iter_mut().find(|x| x.name == i.name) {
                Some(slot) => *slot = i.clone(),
                None => indicators.push(i.clone()),
            },
            CommandKind::Drawing(d) => overlays.push(Overlay {
                name: d.shape.style().as_str().to_owned(),
                kind: "drawing".to_owned(),
                params: payload_map(c),
            }),
            CommandKind::Pattern(p) => overlays.push(Overlay {
                name: p
                    .pattern_type
                    .clone()
                    .unwrap_or_else(|| "pattern".to_owned()),
                kind: "pattern".to_owned(),
                params: payload_map(c),
            }),
            _ => {}
        }
    }
    ChartObjects {
        version: VERSION.to_owned(),
        symbol,
        timeframe,
        overlays,
        indicators,
        commands: commands.to_vec(),
        notes: None,
    }
}

/// The `payload` object a drawing or pattern serializes to, built directly: going through
/// `serde_json::to_value` instantiated a second serializer for every command type (12 KB of wasm)
/// for the two kinds that become overlays. A test checks it against `to_value` for every shape.
fn payload_map(c: &Command) -> Map<String, Value> {
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_owned(), v);
    };
    match c.kind() {
        CommandKind::Drawing(d) => {
            put("style", Value::from(d.shape.style().as_str()));
            match &d.shape {
                DrawingShape::Trendline {
                    start_price,
                    end_price,
                    start_time,
                    end_time,
                } => {
                    put("start_price", number(*start_price));
                    put("end_price", number(*end_price));
                    if let Some(t) = start_time {
                        put("start_time", Value::from(*t));
                    }
                    if let Some(t) = end_time {
                        put("end_time", Value::from(*t));
                    }
                }
                DrawingShape::Fibonacci { high, low } => {
                    put("high", number(*high));
                    put("low", number(*low));
                }
                level => put("price", number(level.level_price().unwrap_or_default())),
            }
            if let Some(id) = &d.pattern_id {
                put("pattern_id", Value::from(id.as_str()));
            }
        }
        CommandKind::Pattern(p) => {
            let texts = [
                ("pattern_type", &p.pattern_type),
                ("pattern_id", &p.pattern_id),
                ("status", &p.status),
            ];
            for (k, v) in texts {
                if let Some(v) = v {
                    put(k, Value::from(v.as_str()));
                }
            }
            for (k, v) in [
                ("start_candle", p.start_candle),
                ("end_candle", p.end_candle),
            ] {
                if let Some(v) = v {
                    put(k, Value::from(v));
                }
            }
        }
        _ => {}
    }
    m
}

/// The symbol of the first `load` command: chart objects' symbol when none is given.
fn first_symbol(commands: &[Command]) -> Option<String> {
    commands.iter().find_map(|c| match c.kind() {
        CommandKind::Load(l) => Some(l.symbol.clone()),
        _ => None,
    })
}

/// The first `timeframe` command's value: chart objects' timeframe when none is given.
fn first_timeframe(commands: &[Command]) -> Option<Timeframe> {
    commands.iter().find_map(|c| match c.kind() {
        CommandKind::Timeframe(t) => Some(t.value),
        _ => None,
    })
}

/// A number as [`crate::num::serialize_number`] writes it: an integer when integral and exact.
fn number(v: f64) -> Value {
    crate::num::exact_int(v).map_or_else(|| Value::from(v), Value::from)
}

/// Decodes `symbol` or `timeframe`: a present but invalid value makes the objects unusable (`fatal`).
fn decode_scalar<T>(
    found: Option<(&str, &Value)>,
    parse: impl Fn(&str) -> Result<T, Issue>,
    issues: &mut Vec<Issue>,
    fatal: &mut bool,
) -> Option<T> {
    let (name, v) = found?;
    let r = match v {
        Value::String(s) => parse(s),
        other => Err(Issue::error(
            IssueCode::InvalidType,
            vec![],
            format!("{name} must be a string, got {}", type_of(other)),
        )),
    };
    match r {
        Ok(t) => Some(t),
        Err(e) => {
            issues.push(Issue {
                path: vec![PathSegment::Key(name.to_owned())],
                ..e
            });
            *fatal = true;
            None
        }
    }
}

/// The result of decoding `chart_objects`.
#[derive(Debug, Default)]
pub struct DecodedObjects {
    /// `None` when the value is not usable chart objects (wrong type, bad version, bad symbol/timeframe).
    pub objects: Option<ChartObjects>,
    /// Issues with paths relative to the objects value.
    pub issues: Vec<Issue>,
}

/// Decodes chart objects v2. Accepts `ticker`→`symbol`, `interval`→`timeframe`,
/// `description`→`notes`; `version` must be `"2.0"` (string, trimmed) or the number 2.0.
/// At most `limit` commands are read from `commands`.
pub fn decode_chart_objects(v: &Value, limit: usize) -> DecodedObjects {
    let mut issues = Vec::new();
    let Value::Object(obj) = v else {
        issues.push(Issue::error(
            IssueCode::InvalidType,
            vec![],
            format!("chart_objects must be an object, got {}", type_of(v)),
        ));
        return DecodedObjects {
            objects: None,
            issues,
        };
    };
    let k = |s: &str| vec![PathSegment::Key(s.to_owned())];
    let version_ok = match obj.get("version") {
        Some(Value::String(s)) => s.trim() == VERSION,
        Some(Value::Number(n)) => n.as_f64() == Some(2.0),
        _ => false,
    };
    if !version_ok {
        let got = obj
            .get("version")
            // Compact JSON text, as `Display` prints it, through the answers' serializer.
            .map(|v| excerpt(&crate::json::to_string(v).unwrap_or_default()))
            .unwrap_or_else(|| "nothing".into());
        issues.push(Issue::error(
            IssueCode::InvalidVersion,
            k("version"),
            format!("version must be \"2.0\", got {got}"),
        ));
        return DecodedObjects {
            objects: None,
            issues,
        };
    }
    let mut fatal = false;
    let pick = |a: &'static str, b: &'static str| -> Option<(&'static str, &Value)> {
        obj.get(a)
            .filter(|v| !v.is_null())
            .map(|v| (a, v))
            .or_else(|| obj.get(b).filter(|v| !v.is_null()).map(|v| (b, v)))
    };

    let symbol = decode_scalar(
        pick("symbol", "ticker"),
        crate::legacy::symbol,
        &mut issues,
        &mut fatal,
    );
    let timeframe = decode_scalar(
        pick("timeframe", "interval"),
        crate::legacy::timeframe,
        &mut issues,
        &mut fatal,
    );
    let notes = match pick("notes", "description") {
        None => None,
        Some((name, v)) => optional_text(Some(v), name, &mut issues),
    };

    let mut commands = Vec::new();
    if let Some(list) = array_field(obj, "commands", &mut issues) {
        for (i, item) in list.iter().take(limit).enumerate() {
            let d = decode_command(item);
            let prefix = [PathSegment::Key("commands".into()), PathSegment::Index(i)];
            issues.extend(d.issues.into_iter().map(|x| x.prefixed(&prefix)));
            commands.extend(d.command);
        }
        if list.len() > limit {
            issues.push(Issue::error(
                IssueCode::TooManyCommands,
                k("commands"),
                format!(
                    "{} commands; only the first {limit} were processed",
                    list.len()
                ),
            ));
        }
    }
    let mut indicators = Vec::new();
    if let Some(list) = array_field(obj, "indicators", &mut issues) {
        for (i, item) in list.iter().take(limit).enumerate() {
            let base_i = i.to_string();
            match item {
                Value::Object(m) => {
                    let mut local = Vec::new();
                    if let Some(CommandKind::Indicator(ind)) =
                        decode_payload("indicator", m, &[], &mut local)
                    {
                        indicators.push(ind);
                    }
                    let prefix = [PathSegment::Key("indicators".into()), PathSegment::Index(i)];
                    issues.extend(local.into_iter().map(|x| x.prefixed(&prefix)));
                }
                other => issues.push(Issue::error(
                    IssueCode::InvalidType,
                    vec![PathSegment::Key("indicators".into()), PathSegment::Index(i)],
                    format!(
                        "indicator {base_i} must be an object, got {}",
                        type_of(other)
                    ),
                )),
            }
        }
    }
    let mut overlays = Vec::new();
    if let Some(list) = array_field(obj, "overlays", &mut issues) {
        for (i, item) in list.iter().take(limit).enumerate() {
            let prefix = [PathSegment::Key("overlays".into()), PathSegment::Index(i)];
            match decode_overlay(item) {
                Ok(o) => overlays.push(o),
                Err(e) => issues.push(e.prefixed(&prefix)),
            }
        }
    }
    let unknown = obj.keys().filter(|key| {
        !matches!(
            key.as_str(),
            "version"
                | "symbol"
                | "ticker"
                | "timeframe"
                | "interval"
                | "overlays"
                | "indicators"
                | "commands"
                | "notes"
                | "description"
        )
    });
    crate::validate::report_unknown(unknown, &|key| k(key), &Vec::new, &mut issues);
    if fatal {
        return DecodedObjects {
            objects: None,
            issues,
        };
    }
    // The fallbacks `build_chart_objects` picks, without building (and dropping) its overlays,
    // indicators and copy of the commands.
    let symbol = symbol.or_else(|| first_symbol(&commands));
    let timeframe = timeframe.or_else(|| first_timeframe(&commands));
    let objects = ChartObjects {
        version: VERSION.to_owned(),
        symbol,
        timeframe,
        overlays,
        indicators,
        commands,
        notes,
    };
    DecodedObjects {
        objects: Some(objects),
        issues,
    }
}

fn array_field<'a>(
    obj: &'a Map<String, Value>,
    name: &str,
    issues: &mut Vec<Issue>,
) -> Option<&'a Vec<Value>> {
    match obj.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) => Some(a),
        Some(other) => {
            issues.push(Issue::error(
                IssueCode::InvalidType,
                vec![PathSegment::Key(name.to_owned())],
                format!("{name} must be an array, got {}", type_of(other)),
            ));
            None
        }
    }
}

fn decode_overlay(v: &Value) -> Result<Overlay, Issue> {
    let Value::Object(m) = v else {
        return Err(Issue::error(
            IssueCode::InvalidType,
            vec![],
            format!("overlay must be an object, got {}", type_of(v)),
        ));
    };
    let text = |field: &str| -> Result<String, Issue> {
        match m.get(field) {
            Some(Value::String(s)) if (1..=64).contains(&s.trim().len()) => Ok(s.trim().to_owned()),
            Some(Value::String(_)) => Err(Issue::error(
                IssueCode::InvalidType,
                vec![PathSegment::Key(field.into())],
                format!("overlay {field} must be 1-64 characters"),
            )),
            None | Some(Value::Null) => Err(Issue::error(
                IssueCode::MissingField,
                vec![PathSegment::Key(field.into())],
                format!("overlay {field} is required"),
            )),
            Some(other) => Err(Issue::error(
                IssueCode::InvalidType,
                vec![PathSegment::Key(field.into())],
                format!("overlay {field} must be a string, got {}", type_of(other)),
            )),
        }
    };
    let name = text("name")?;
    let kind = text("type")?;
    let params = match m.get("params") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(other) => {
            return Err(Issue::error(
                IssueCode::InvalidType,
                vec![PathSegment::Key("params".into())],
                format!("overlay params must be an object, got {}", type_of(other)),
            ))
        }
    };
    Ok(Overlay { name, kind, params })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_map_is_what_the_payload_serializes_to() {
        let mut n = 0;
        for c in crate::command::sample_commands() {
            // The reference is serde's own output: flatten for drawings (whose Serialize is
            // hand-written too), the derived struct for patterns.
            let want: Value = match c.kind() {
                CommandKind::Drawing(d) => {
                    serde_json::from_str(&crate::command::derived_drawing_json(d))
                }
                CommandKind::Pattern(p) => serde_json::to_value(p),
                _ => continue,
            }
            .expect("serializes");
            assert_eq!(Value::Object(payload_map(&c)), want, "{}", c.legacy());
            n += 1;
        }
        assert_eq!(n, 21);
    }
}
