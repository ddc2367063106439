//! Legacy command strings (`LOAD:TSLA`, `INDICATOR:SMA:ON:50`, …): parsing and canonical formatting.
//!
//! Invariant: for every valid command `c`, `parse(format(c)) == c`; `format(parse(s))` is the
//! canonical spelling of `s`. Parsing never panics and reports problems as issues with paths
//! relative to the string (callers prefix them).

use crate::command::{
    Clear, Command, CommandKind, Crosshair, Drawing, DrawingShape, Indicator, IndicatorParams,
    Load, Pattern, Raw, Reset, Style, TimeframeChange, Zoom,
};
use crate::issue::{excerpt, Issue, IssueCode, PathSegment};
use crate::num::parse_non_negative_int;
use crate::vocab::{
    parse_token, AssetType, ChartType, ClearTarget, CrosshairMode, DrawingStyle, IndicatorName,
    ResetTarget, ZoomDirection,
};

mod fields;
mod format;

pub(crate) use fields::{
    check_candle, check_period, check_price, check_time, check_zoom, fibonacci, period, price,
    scroll, symbol, timeframe,
};
use fields::{id, number, snake, time};
pub use format::format_kind;

/// Longest accepted legacy string, in bytes.
pub const MAX_LEGACY_LEN: usize = 512;

/// The result of parsing legacy strings: the valid commands in input order and every issue found.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Parsed {
    pub commands: Vec<Command>,
    pub issues: Vec<crate::issue::Issue>,
}

/// Most `:`-separated arguments a known verb takes (DRAW:TRENDLINE has 6).
const MAX_ARGS: usize = 8;

/// Verbs this parser understands (upper case). Anything else becomes `raw`.
pub const KNOWN_VERBS: [&str; 24] = [
    "LOAD",
    "CHART",
    "TIMEFRAME",
    "INDICATOR",
    "ADD",
    "SHOW",
    "REMOVE",
    "HIDE",
    "SUPPORT",
    "RESISTANCE",
    "HORIZONTAL",
    "ENTRY",
    "TARGET",
    "STOPLOSS",
    "STOP",
    "TRENDLINE",
    "FIBONACCI",
    "DRAW",
    "ANNOTATE",
    "ZOOM",
    "RESET",
    "CROSSHAIR",
    "STYLE",
    "SCROLL",
];
const MORE_VERBS: [&str; 3] = ["PATTERN", "CLEAR", "STOP_LOSS"];

/// Longest command-shaped token, in bytes (spec §3, "Prose is not a command").
pub const MAX_TOKEN_LEN: usize = 200;

/// Known verbs that make a command without an argument; bare, they count as commands only when
/// written in capitals (`CLEAR` is a command, `clear` in a sentence is a word).
const BARE_VERBS: [&str; 3] = ["RESET", "CROSSHAIR", "CLEAR"];

/// Whether `token` is command-shaped (spec §3): `VERB(:ARG)*` where the verb is ASCII letters and
/// `_`, each argument is ASCII letters, digits and `. _ - + = , % ^` only, at most
/// [`MAX_TOKEN_LEN`] bytes, and either it has a `:` or it is a bare verb in capitals.
/// `^` is allowed beyond the spec's list because index symbols (`LOAD:^GSPC`) are valid symbols
/// (§2). Arguments may be empty (`LOAD:` is a command with a missing argument, an error).
/// Nothing else can become a command, so markup, script text and prose never reach a chart.
pub fn is_command_shaped(token: &str) -> bool {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return false;
    }
    let (verb, args) = match token.split_once(':') {
        Some((v, a)) => (v, Some(a)),
        None => (token, None),
    };
    if verb.is_empty() || !verb.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_') {
        return false;
    }
    match args {
        Some(a) => a.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b':' | b'.' | b'_' | b'-' | b'+' | b'=' | b',' | b'%' | b'^'
                )
        }),
        None => BARE_VERBS.contains(&verb),
    }
}

/// Whether `verb` (any case) is a legacy verb this parser understands.
pub fn is_known_verb(verb: &str) -> bool {
    KNOWN_VERBS
        .iter()
        .chain(MORE_VERBS.iter())
        .any(|v| v.eq_ignore_ascii_case(verb))
}

/// Parses one legacy string, which may hold several space-separated commands.
pub fn parse_legacy(s: &str) -> Parsed {
    let mut out = Parsed::default();
    parse_into(s, &Vec::new, &mut out, usize::MAX);
    out
}

/// Parses a list of legacy strings; issue paths start with the string's index.
pub fn parse_legacy_list<S: AsRef<str>>(list: &[S]) -> Parsed {
    let mut out = Parsed::default();
    for (i, s) in list.iter().enumerate() {
        parse_into(
            s.as_ref(),
            &|| vec![PathSegment::Index(i)],
            &mut out,
            usize::MAX,
        );
    }
    crate::issue::cap_issues(&mut out.issues);
    out
}

/// Parses one legacy string into `out`, prefixing issue paths with `prefix()` (called only when
/// there is an issue: most strings have none, and a path costs allocations).
/// At most `limit` commands end up in `out`; returns `true` when a command was left unread because of it.
pub(crate) fn parse_into(
    s: &str,
    prefix: &dyn Fn() -> Vec<PathSegment>,
    out: &mut Parsed,
    limit: usize,
) -> bool {
    if s.len() > MAX_LEGACY_LEN {
        out.issues.push(
            Issue::error(
                IssueCode::TooLong,
                vec![],
                format!(
                    "legacy string of {} bytes exceeds {MAX_LEGACY_LEN}",
                    s.len()
                ),
            )
            .prefixed(&prefix()),
        );
        return false;
    }
    let mut any = false;
    let mut prose = false;
    let before = out.commands.len();
    let mut one = |token: &str| -> bool {
        any = true;
        if !is_command_shaped(token) {
            prose = true;
            return false;
        }
        if out.commands.len() >= limit {
            return true;
        }
        match parse_token_str(token) {
            Ok((cmd, warning)) => {
                if let Some(w) = warning {
                    out.issues.push(w.prefixed(&prefix()));
                }
                out.commands.push(cmd);
            }
            Err(issue) => out.issues.push(issue.prefixed(&prefix())),
        }
        false
    };
    // `split_whitespace`, not `split_ascii_whitespace`: the latter keeps a vertical tab (U+000B)
    // inside a token, so "SUPPORT:430\u{b}RESISTANCE:455" would stop being two commands.
    if s.split_whitespace().any(&mut one) {
        return true;
    }
    if prose && out.commands.len() == before {
        out.issues.push(
            Issue::warning(
                IssueCode::NotACommand,
                vec![],
                format!("not a command: {:?}", excerpt(s.trim())),
            )
            .prefixed(&prefix()),
        );
    }
    if !any {
        out.issues.push(
            Issue::warning(
                IssueCode::InvalidType,
                vec![],
                "empty legacy string ignored",
            )
            .prefixed(&prefix()),
        );
    }
    false
}

fn err(code: IssueCode, msg: impl Into<String>) -> Issue {
    Issue::error(code, vec![], msg)
}

/// Parses one whitespace-free token such as `LOAD:TSLA`. A known verb with bad arguments is an
/// error; an unknown verb is `raw` plus an `unknown_verb` warning.
fn parse_token_str(token: &str) -> Result<(Command, Option<Issue>), Issue> {
    let mut parts = token.split(':');
    let verb_raw = parts.next().unwrap_or_default();
    // Upper-case the verb into a stack buffer: no allocation on the hot path.
    let mut buf = [0u8; 16];
    let verb: &str = if verb_raw.len() <= buf.len() && verb_raw.is_ascii() {
        let b = &mut buf[..verb_raw.len()];
        b.copy_from_slice(verb_raw.as_bytes());
        b.make_ascii_uppercase();
        std::str::from_utf8(b).unwrap_or_default()
    } else {
        ""
    };
    let mut arg_buf = [""; MAX_ARGS];
    let mut n_args = 0;
    for part in parts {
        if n_args == MAX_ARGS {
            if is_known_verb(verb) {
                return Err(err(
                    IssueCode::InvalidType,
                    format!("{verb} has more than {MAX_ARGS} arguments"),
                ));
            }
            n_args = 0; // unknown verb: kept raw below whatever its arguments
            break;
        }
        arg_buf[n_args] = part;
        n_args += 1;
    }
    let args = &arg_buf[..n_args];
    let kind = match verb {
        "LOAD" | "CHART" => parse_load(args)?,
        "TIMEFRAME" => {
            let [v] = exact::<1>(verb, args)?;
            CommandKind::Timeframe(TimeframeChange {
                value: timeframe(v)?,
            })
        }
        "INDICATOR" => parse_indicator(verb, args, None)?,
        "ADD" | "SHOW" => parse_indicator(verb, args, Some(true))?,
        "REMOVE" | "HIDE" => parse_indicator(verb, args, Some(false))?,
        "SUPPORT" | "RESISTANCE" | "HORIZONTAL" | "ENTRY" | "TARGET" | "STOPLOSS" | "STOP"
        | "STOP_LOSS" => {
            let style = DrawingStyle::parse(verb)
                .ok_or_else(|| err(IssueCode::UnknownVerb, "unknown drawing"))?;
            let [p] = exact::<1>(verb, args)?;
            let shape = DrawingShape::level(style, price(p)?)
                .ok_or_else(|| err(IssueCode::InvalidValue, "not a level"))?;
            CommandKind::Drawing(Drawing {
                shape,
                pattern_id: None,
            })
        }
        "TRENDLINE" => CommandKind::Drawing(Drawing {
            shape: trendline(verb, args, false)?,
            pattern_id: None,
        }),
        "FIBONACCI" => {
            let [a, b] = exact::<2>(verb, args)?;
            CommandKind::Drawing(Drawing {
                shape: fibonacci(price(a)?, price(b)?)?,
                pattern_id: None,
            })
        }
        "DRAW" => parse_draw(args)?,
        "ANNOTATE" => parse_annotate(args)?,
        "ZOOM" => {
            if args.is_empty() || args.len() > 2 {
                return Err(arity(verb, "1 or 2"));
            }
            let direction = parse_token(ZoomDirection::ALL, ZoomDirection::as_str, args[0])
                .ok_or_else(|| {
                    err(
                        IssueCode::InvalidValue,
                        format!(
                            "zoom direction must be IN or OUT, got {:?}",
                            excerpt(args[0])
                        ),
                    )
                })?;
            let amount = match args.get(1) {
                Some(a) => Some(check_zoom(number(a, "zoom amount")?)?),
                None => None,
            };
            CommandKind::Zoom(Zoom { direction, amount })
        }
        "RESET" => {
            let target = match args {
                [] => ResetTarget::View,
                [t] => parse_token(ResetTarget::ALL, ResetTarget::as_str, t).ok_or_else(|| {
                    err(
                        IssueCode::InvalidValue,
                        format!("reset target must be VIEW or SCALE, got {:?}", excerpt(t)),
                    )
                })?,
                _ => return Err(arity(verb, "0 or 1")),
            };
            CommandKind::Reset(Reset { target })
        }
        "CROSSHAIR" => {
            let mode = match args {
                [] => CrosshairMode::Toggle,
                [m] => {
                    parse_token(CrosshairMode::ALL, CrosshairMode::as_str, m).ok_or_else(|| {
                        err(
                            IssueCode::InvalidValue,
                            format!(
                                "crosshair mode must be ON, OFF or TOGGLE, got {:?}",
                                excerpt(m)
                            ),
                        )
                    })?
                }
                _ => return Err(arity(verb, "0 or 1")),
            };
            CommandKind::Crosshair(Crosshair { mode })
        }
        "STYLE" => {
            let [t] = exact::<1>(verb, args)?;
            let chart_type = ChartType::parse(t).ok_or_else(|| {
                err(
                    IssueCode::InvalidValue,
                    format!(
                        "chart type must be CANDLES, BARS, LINE, AREA or HEIKIN_ASHI, got {:?}",
                        excerpt(t)
                    ),
                )
            })?;
            CommandKind::Style(Style { chart_type })
        }
        "SCROLL" => {
            let [t] = exact::<1>(verb, args)?;
            CommandKind::Scroll(scroll(t)?)
        }
        "PATTERN" => parse_pattern(args)?,
        "CLEAR" => parse_clear(args)?,
        _ => {
            let shown = token.split(':').next().unwrap_or_default();
            let warning = Issue::warning(
                IssueCode::UnknownVerb,
                vec![],
                format!(
                    "unknown verb {:?}; kept as a raw command",
                    excerpt(&shown.to_ascii_uppercase())
                ),
            );
            return Ok((
                Command::from_checked(CommandKind::Raw(Raw {
                    value: token.to_owned(),
                })),
                Some(warning),
            ));
        }
    };
    Ok((Command::from_checked(kind), None))
}

fn arity(verb: &str, want: &str) -> Issue {
    err(
        IssueCode::MissingField,
        format!("{verb} takes {want} argument(s)"),
    )
}

fn exact<'a, const N: usize>(verb: &str, args: &[&'a str]) -> Result<[&'a str; N], Issue> {
    if args.len() < N {
        return Err(arity(verb, &N.to_string()));
    }
    if args.len() > N {
        return Err(err(
            IssueCode::InvalidType,
            format!("{verb} takes {N} argument(s), got {}", args.len()),
        ));
    }
    let mut out = [""; N];
    out.copy_from_slice(args);
    if out.iter().any(|a| a.trim().is_empty()) {
        return Err(arity(verb, &N.to_string()));
    }
    Ok(out)
}

fn parse_load(args: &[&str]) -> Result<CommandKind, Issue> {
    let (sym, asset) = match args {
        [s] => (*s, None),
        [s, a] => (*s, Some(*a)),
        [] => return Err(arity("LOAD", "1 or 2")),
        _ => {
            return Err(err(
                IssueCode::InvalidType,
                "LOAD takes a symbol and an optional asset type",
            ))
        }
    };
    if sym.trim().is_empty() {
        return Err(err(IssueCode::MissingField, "LOAD needs a symbol"));
    }
    let symbol = symbol(sym)?;
    let asset_type = match asset {
        Some(a) => Some(AssetType::parse(a).ok_or_else(|| {
            err(
                IssueCode::InvalidValue,
                format!(
                    "asset type must be stock, crypto, index, forex or future, got {:?}",
                    excerpt(a)
                ),
            )
        })?),
        None => None,
    };
    Ok(CommandKind::Load(Load { symbol, asset_type }))
}

fn parse_indicator(
    verb: &str,
    args: &[&str],
    verb_enabled: Option<bool>,
) -> Result<CommandKind, Issue> {
    let Some((name_raw, rest)) = args.split_first() else {
        return Err(arity(verb, "1 or more"));
    };
    if name_raw.trim().is_empty() {
        return Err(err(
            IssueCode::MissingField,
            format!("{verb} needs an indicator name"),
        ));
    }
    let (name, alias_period) = IndicatorName::parse_with_period(name_raw).ok_or_else(|| {
        err(
            IssueCode::UnknownIndicator,
            format!("unknown indicator {:?}", excerpt(name_raw)),
        )
    })?;
    let mut enabled = verb_enabled.unwrap_or(true);
    let mut rest = rest;
    if verb_enabled.is_none() {
        if let Some(first) = rest.first() {
            let state = first.trim();
            if state.eq_ignore_ascii_case("ON") {
                enabled = true;
                rest = &rest[1..];
            } else if state.eq_ignore_ascii_case("OFF") {
                enabled = false;
                rest = &rest[1..];
            } else if parse_non_negative_int(state).is_none() {
                return Err(err(
                    IssueCode::InvalidValue,
                    format!(
                        "indicator state must be ON or OFF, got {:?}",
                        excerpt(state)
                    ),
                ));
            }
        }
    }
    let explicit = match rest {
        [] => None,
        [p] => Some(period(p)?),
        _ => {
            return Err(err(
                IssueCode::InvalidType,
                format!("{verb} has too many arguments"),
            ))
        }
    };
    let period = match (explicit, alias_period) {
        (Some(p), _) => Some(p),
        (None, Some(p)) => Some(check_period(u64::from(p))?),
        (None, None) => None,
    };
    Ok(CommandKind::Indicator(Indicator {
        name,
        enabled,
        params: period.map(|period| IndicatorParams { period }),
    }))
}

/// `TRENDLINE:p1:t1:p2:t2`, `TRENDLINE:p1:p2`; with `time_first` (the DRAW form) `t1:p1:t2:p2`.
fn trendline(verb: &str, args: &[&str], time_first: bool) -> Result<DrawingShape, Issue> {
    match args {
        [p1, p2] => Ok(DrawingShape::Trendline {
            start_price: price(p1)?,
            end_price: price(p2)?,
            start_time: None,
            end_time: None,
        }),
        [a, b, c, d] => {
            let (p1, t1, p2, t2) = if time_first {
                (b, a, d, c)
            } else {
                (a, b, c, d)
            };
            Ok(DrawingShape::Trendline {
                start_price: price(p1)?,
                end_price: price(p2)?,
                start_time: Some(time(t1)?),
                end_time: Some(time(t2)?),
            })
        }
        _ => Err(arity(verb, "2 or 4")),
    }
}

fn parse_draw(args: &[&str]) -> Result<CommandKind, Issue> {
    let Some((what, rest)) = args.split_first() else {
        return Err(arity("DRAW", "2 or more"));
    };
    let what = what.to_ascii_uppercase();
    let Some((pid, rest)) = rest.split_first() else {
        return Err(err(
            IssueCode::MissingField,
            format!("DRAW:{what} needs a pattern id"),
        ));
    };
    let pattern_id = Some(id(pid)?);
    let shape = match what.as_str() {
        "LEVEL" => {
            let [kind, p] = exact::<2>("DRAW:LEVEL", rest)?;
            let style = DrawingStyle::parse(kind)
                .filter(|s| s.is_level())
                .ok_or_else(|| err(IssueCode::InvalidValue, format!("level kind must be support, resistance, horizontal, entry, target or stop_loss, got {:?}", excerpt(kind))))?;
            DrawingShape::level(style, price(p)?)
                .ok_or_else(|| err(IssueCode::InvalidValue, "not a level"))?
        }
        "TARGET" => {
            let [p] = exact::<1>("DRAW:TARGET", rest)?;
            DrawingShape::Target { price: price(p)? }
        }
        "TRENDLINE" => trendline("DRAW:TRENDLINE", rest, true)?,
        "FIBONACCI" => {
            let [a, b] = exact::<2>("DRAW:FIBONACCI", rest)?;
            fibonacci(price(a)?, price(b)?)?
        }
        other => {
            return Err(err(
                IssueCode::InvalidValue,
                format!(
                    "DRAW takes LEVEL, TARGET, TRENDLINE or FIBONACCI, got {:?}",
                    excerpt(other)
                ),
            ))
        }
    };
    Ok(CommandKind::Drawing(Drawing { shape, pattern_id }))
}

fn parse_annotate(args: &[&str]) -> Result<CommandKind, Issue> {
    match args {
        [what, pid, rest @ ..] if what.eq_ignore_ascii_case("PATTERN") && rest.len() <= 1 => {
            let status = match rest.first() {
                Some(s) => Some(snake(s, "pattern status")?),
                None => None,
            };
            Ok(CommandKind::Pattern(Pattern {
                pattern_type: None,
                pattern_id: Some(id(pid)?),
                status,
                start_candle: None,
                end_candle: None,
            }))
        }
        _ => Err(err(
            IssueCode::InvalidType,
            "ANNOTATE takes PATTERN:<id>[:<status>]",
        )),
    }
}

fn parse_pattern(args: &[&str]) -> Result<CommandKind, Issue> {
    let Some((ty, rest)) = args.split_first() else {
        return Err(arity("PATTERN", "1 or more"));
    };
    let pattern_type = Some(snake(ty, "pattern type")?);
    let (positional, keyed): (Vec<&str>, Vec<&str>) = rest.iter().partition(|a| !a.contains('='));
    let (start_candle, end_candle) = match positional.as_slice() {
        [] => (None, None),
        [s, e] => {
            let c = |t: &str| {
                let c = parse_non_negative_int(t).ok_or_else(|| {
                    err(
                        IssueCode::InvalidNumber,
                        format!("candle index must be an integer >= 0, got {:?}", excerpt(t)),
                    )
                })?;
                check_candle(c, "candle index")
            };
            (Some(c(s)?), Some(c(e)?))
        }
        _ => {
            return Err(err(
                IssueCode::MissingField,
                "PATTERN takes both start and end candles or neither",
            ))
        }
    };
    let (mut pattern_id, mut status) = (None, None);
    for kv in keyed {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        match k.to_ascii_uppercase().as_str() {
            "ID" if pattern_id.is_none() => pattern_id = Some(id(v)?),
            "STATUS" if status.is_none() => status = Some(snake(v, "pattern status")?),
            _ => {
                return Err(err(
                    IssueCode::InvalidType,
                    format!("unexpected PATTERN argument {:?}", excerpt(kv)),
                ))
            }
        }
    }
    Ok(CommandKind::Pattern(Pattern {
        pattern_type,
        pattern_id,
        status,
        start_candle,
        end_candle,
    }))
}

fn parse_clear(args: &[&str]) -> Result<CommandKind, Issue> {
    let (target, pattern_id) = match args {
        [] => (ClearTarget::All, None),
        [t] | [t, _] => {
            let target =
                parse_token(ClearTarget::ALL, ClearTarget::as_str, t).ok_or_else(|| {
                    err(
                        IssueCode::InvalidValue,
                        format!(
                            "clear target must be ALL, DRAWINGS or PATTERN, got {:?}",
                            excerpt(t)
                        ),
                    )
                })?;
            let pid = match args.get(1) {
                Some(p) if target == ClearTarget::Pattern => Some(id(p)?),
                Some(_) => {
                    return Err(err(
                        IssueCode::InvalidType,
                        "only CLEAR:PATTERN takes an id",
                    ))
                }
                None => None,
            };
            (target, pid)
        }
        _ => return Err(arity("CLEAR", "0 to 2")),
    };
    Ok(CommandKind::Clear(Clear { target, pattern_id }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> String {
        let p = parse_legacy(s);
        assert_eq!(p.commands.len(), 1, "{s}: {:?}", p.issues);
        p.commands[0].legacy().to_owned()
    }

    #[test]
    fn canonicalizes_common_forms() {
        assert_eq!(one("load:tsla"), "LOAD:TSLA");
        assert_eq!(one("CHART:brk.b"), "LOAD:BRK.B");
        assert_eq!(one("ADD:rsi"), "INDICATOR:RSI:ON");
        assert_eq!(one("INDICATOR:MA50"), "INDICATOR:SMA:ON:50");
        assert_eq!(one("FIBONACCI:420:480"), "FIBONACCI:480:420");
        assert_eq!(one("STOP:140.50"), "STOPLOSS:140.5");
        assert_eq!(
            one("DRAW:TRENDLINE:p1:1700000000:410:1700600000:440"),
            "DRAW:TRENDLINE:p1:1700000000:410:1700600000:440"
        );
        assert_eq!(one("TIMEFRAME:1m"), "TIMEFRAME:1m");
        assert_eq!(one("TIMEFRAME:1M"), "TIMEFRAME:1M");
    }

    #[test]
    fn every_unicode_whitespace_separates_commands() {
        // ASCII space, tab, newline, vertical tab, form feed, CR; NBSP and an em space.
        for sep in [
            " ", "\t", "\n", "\u{b}", "\u{c}", "\r", "\u{a0}", "\u{2003}",
        ] {
            let p = parse_legacy(&format!("SUPPORT:430{sep}RESISTANCE:455"));
            let legacy: Vec<&str> = p.commands.iter().map(|c| c.legacy()).collect();
            assert_eq!(
                legacy,
                ["SUPPORT:430", "RESISTANCE:455"],
                "{sep:?}: {:?}",
                p.issues
            );
        }
    }

    #[test]
    fn unknown_verb_is_raw_with_warning() {
        let p = parse_legacy("FOO:BAR");
        assert_eq!(p.commands[0].type_name(), "raw");
        assert_eq!(p.issues[0].code, IssueCode::UnknownVerb);
        assert!(!p.issues[0].is_error());
    }

    #[test]
    fn known_verb_with_bad_arguments_is_an_error() {
        let p = parse_legacy("SUPPORT:-5");
        assert!(p.commands.is_empty());
        assert_eq!(p.issues[0].code, IssueCode::InvalidNumber);
        assert!(p.issues[0].is_error());
    }
}
