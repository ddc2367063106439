//! The payload decoders, one per command type: which fields each reads, which are required, and
//! how they combine (a drawing's style decides its other fields).

use super::fields::Fields;
use super::type_of;
use crate::command::{
    Clear, CommandKind, Crosshair, Drawing, DrawingShape, Indicator, IndicatorParams, Load,
    Pattern, Raw, Reset, Scroll, Style, TimeframeChange, Zoom,
};
use crate::issue::{excerpt, Issue, IssueCode};
use crate::legacy::{self, MAX_LEGACY_LEN};
use crate::vocab::{
    is_valid_date, parse_token, AssetType, ChartType, ClearTarget, CrosshairMode, DrawingStyle,
    IndicatorName, ResetTarget, ZoomDirection,
};
use serde_json::{Map, Value};

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
                |s| parse_token(ZoomDirection::ALL, ZoomDirection::as_str, s),
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
                |s| parse_token(ResetTarget::ALL, ResetTarget::as_str, s),
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
                |s| parse_token(CrosshairMode::ALL, CrosshairMode::as_str, s),
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
                    |s| parse_token(ClearTarget::ALL, ClearTarget::as_str, s),
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
