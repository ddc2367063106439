//! Structured chart commands as typed Rust, and their wire shape.
//!
//! Invariant: a [`Command`] is always valid and always carries its canonical legacy string.
//! Its fields are private; outside core the only way to build one is [`Command::new`], which
//! checks the kind with the legacy parser's validators; inside core, the parsers and the decoder
//! build it from what their validators accepted.
//! Decoding untrusted JSON lives in `validate`, never in a `Deserialize` impl.

use crate::issue::{Issue, IssueCode};
use crate::num::{serialize_number, serialize_opt_number};
use crate::vocab::{
    AssetType, ChartType, ClearTarget, CrosshairMode, IndicatorName, ResetTarget, Timeframe,
    ZoomDirection,
};
use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;

#[cfg(feature = "ts")]
use tsify::Tsify;

/// One chart command: `{"type", "payload", "description", "legacy", "timestamp"?}` on the wire.
// Serialized by hand (below), not derived with `#[serde(flatten)]`.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "ts", derive(Tsify))]
#[cfg_attr(
    feature = "ts",
    tsify(
        type = "CommandKind & { description: string | null; legacy: string; timestamp?: string }"
    )
)]
pub struct Command {
    kind: CommandKind,
    description: Option<String>,
    legacy: String,
    #[cfg_attr(feature = "ts", tsify(optional))]
    timestamp: Option<String>,
}

/// The fields `#[serde(flatten)]` would write, in the same order: `type`, `payload`,
/// `description`, `legacy`, then `timestamp` when set. Flatten routes every payload through serde's
/// generic map-in-a-map machinery; written out, it is one struct (0.6 KB gzipped less in the
/// wasm module). The conformance vectors pin the text byte for byte.
impl Serialize for Command {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let len = 4 + usize::from(self.timestamp.is_some());
        let mut st = s.serialize_struct("Command", len)?;
        st.serialize_field("type", self.kind.type_name())?;
        match &self.kind {
            CommandKind::Load(p) => st.serialize_field("payload", p),
            CommandKind::Timeframe(p) => st.serialize_field("payload", p),
            CommandKind::Indicator(p) => st.serialize_field("payload", p),
            CommandKind::Drawing(p) => st.serialize_field("payload", p),
            CommandKind::Zoom(p) => st.serialize_field("payload", p),
            CommandKind::Reset(p) => st.serialize_field("payload", p),
            CommandKind::Crosshair(p) => st.serialize_field("payload", p),
            CommandKind::Style(p) => st.serialize_field("payload", p),
            CommandKind::Scroll(p) => st.serialize_field("payload", p),
            CommandKind::Pattern(p) => st.serialize_field("payload", p),
            CommandKind::Clear(p) => st.serialize_field("payload", p),
            CommandKind::Raw(p) => st.serialize_field("payload", p),
        }?;
        st.serialize_field("description", &self.description)?;
        st.serialize_field("legacy", &self.legacy)?;
        if let Some(t) = &self.timestamp {
            st.serialize_field("timestamp", t)?;
        }
        st.end()
    }
}

impl Command {
    /// Builds a command from `kind` when it is valid and canonical, else returns why.
    ///
    /// The check is the legacy parser's: `kind`'s canonical legacy string, read back, must give
    /// exactly `kind` (the structured decoder runs the same validators, `legacy::symbol`,
    /// `check_price`, …). So a symbol that is not canonical (`tsla`), a number out of its range
    /// (`ZOOM:IN:5e-324`), a `raw` value that is not command-shaped or that reads as a known
    /// command (`LOAD:TSLA`) are all refused here: no crate can hold an invalid `Command`.
    pub fn new(kind: CommandKind) -> Result<Command, Vec<Issue>> {
        let legacy = crate::legacy::format_kind(&kind);
        let mut parsed = crate::legacy::parse_legacy(&legacy);
        match parsed.commands.as_slice() {
            [c] if c.kind == kind && c.legacy == legacy => {
                Ok(parsed.commands.pop().expect("one command"))
            }
            [] if parsed.issues.iter().any(Issue::is_error) => Err(parsed.issues),
            _ => Err(vec![Issue::error(
                IssueCode::InvalidValue,
                vec![],
                format!(
                    "not a canonical command: its legacy string {:?} reads back as {:?}",
                    crate::issue::excerpt(&legacy),
                    parsed
                        .commands
                        .iter()
                        .map(|c| c.legacy())
                        .collect::<Vec<_>>()
                ),
            )]),
        }
    }

    /// Builds a command from a `kind` that core's own validators (the legacy parser, the
    /// structured decoder) have already checked, and computes its canonical legacy string.
    pub(crate) fn from_checked(kind: CommandKind) -> Command {
        let legacy = crate::legacy::format_kind(&kind);
        Command {
            kind,
            description: None,
            legacy,
            timestamp: None,
        }
    }

    /// Sets the description, made safe to show as the decoder does
    /// ([`crate::vocab::clean_text`]); one longer than [`crate::validate::MAX_TEXT_LEN`] bytes is
    /// refused (`too_long`).
    pub fn with_description(mut self, description: Option<String>) -> Result<Command, Issue> {
        if let Some(d) = &description {
            if d.len() > crate::validate::MAX_TEXT_LEN {
                return Err(Issue::error(
                    IssueCode::TooLong,
                    vec![],
                    format!(
                        "description of {} bytes exceeds {}",
                        d.len(),
                        crate::validate::MAX_TEXT_LEN
                    ),
                ));
            }
        }
        self.description = description.map(|d| match crate::vocab::clean_text(&d) {
            std::borrow::Cow::Borrowed(_) => d,
            std::borrow::Cow::Owned(clean) => clean,
        });
        Ok(self)
    }

    /// Sets the timestamp, which must be an RFC 3339 date-time (`invalid_timestamp` otherwise).
    pub fn with_timestamp(mut self, timestamp: Option<String>) -> Result<Command, Issue> {
        if let Some(t) = &timestamp {
            if !crate::vocab::is_valid_rfc3339(t) {
                return Err(Issue::error(
                    IssueCode::InvalidTimestamp,
                    vec![],
                    format!(
                        "timestamp must be an RFC 3339 date-time, got {:?}",
                        crate::issue::excerpt(t)
                    ),
                ));
            }
        }
        self.timestamp = timestamp;
        Ok(self)
    }

    /// Sets a description and timestamp the structured decoder has already cleaned and checked.
    pub(crate) fn with_checked_text(
        mut self,
        description: Option<String>,
        timestamp: Option<String>,
    ) -> Command {
        self.description = description;
        self.timestamp = timestamp;
        self
    }

    /// The typed payload.
    pub fn kind(&self) -> &CommandKind {
        &self.kind
    }

    /// The canonical legacy string.
    pub fn legacy(&self) -> &str {
        &self.legacy
    }

    /// The description, if any.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The timestamp, if any.
    pub fn timestamp(&self) -> Option<&str> {
        self.timestamp.as_deref()
    }

    /// The wire `type`.
    pub fn type_name(&self) -> &'static str {
        self.kind.type_name()
    }

    /// The deduplication key: `type` + canonical payload, which the canonical legacy string encodes exactly.
    pub fn dedup_key(&self) -> &str {
        &self.legacy
    }
}

/// The `type` + `payload` of a command.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
#[cfg_attr(feature = "ts", derive(Tsify))]
#[serde(tag = "type", content = "payload", rename_all = "snake_case")]
pub enum CommandKind {
    Load(Load),
    Timeframe(TimeframeChange),
    Indicator(Indicator),
    Drawing(Drawing),
    Zoom(Zoom),
    Reset(Reset),
    Crosshair(Crosshair),
    Style(Style),
    Scroll(Scroll),
    Pattern(Pattern),
    Clear(Clear),
    Raw(Raw),
}

impl CommandKind {
    /// Every wire `type`, in execution order.
    pub const TYPES: [&'static str; 12] = [
        "clear",
        "load",
        "timeframe",
        "style",
        "indicator",
        "drawing",
        "pattern",
        "zoom",
        "scroll",
        "crosshair",
        "reset",
        "raw",
    ];

    /// The wire `type`.
    pub fn type_name(&self) -> &'static str {
        match self {
            CommandKind::Load(_) => "load",
            CommandKind::Timeframe(_) => "timeframe",
            CommandKind::Indicator(_) => "indicator",
            CommandKind::Drawing(_) => "drawing",
            CommandKind::Zoom(_) => "zoom",
            CommandKind::Reset(_) => "reset",
            CommandKind::Crosshair(_) => "crosshair",
            CommandKind::Style(_) => "style",
            CommandKind::Scroll(_) => "scroll",
            CommandKind::Pattern(_) => "pattern",
            CommandKind::Clear(_) => "clear",
            CommandKind::Raw(_) => "raw",
        }
    }

    /// Rank in execution order: clear, load, timeframe, style, indicator, drawing, pattern, zoom,
    /// scroll, crosshair, reset, raw.
    pub fn execution_rank(&self) -> usize {
        match self {
            CommandKind::Clear(_) => 0,
            CommandKind::Load(_) => 1,
            CommandKind::Timeframe(_) => 2,
            CommandKind::Style(_) => 3,
            CommandKind::Indicator(_) => 4,
            CommandKind::Drawing(_) => 5,
            CommandKind::Pattern(_) => 6,
            CommandKind::Zoom(_) => 7,
            CommandKind::Scroll(_) => 8,
            CommandKind::Crosshair(_) => 9,
            CommandKind::Reset(_) => 10,
            CommandKind::Raw(_) => 11,
        }
    }
}

/// `load`: switch the chart to a symbol.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
#[cfg_attr(feature = "ts", derive(Tsify))]
pub struct Load {
    /// Canonical (upper-case) symbol such as `TSLA`, `BRK.B`, `BTC-USD`, `^GSPC`, `EURUSD=X`, `ES=F`.
    pub symbol: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", tsify(optional))]
    pub asset_type: Option<AssetType>,
}

/// `timeframe`: change the candle interval / range.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
#[cfg_attr(feature = "ts", derive(Tsify))]
pub struct TimeframeChange {
    pub value: Timeframe,
}

/// `indicator`: show or hide an indicator.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
#[cfg_attr(feature = "ts", derive(Tsify))]
pub struct Indicator {
    pub name: IndicatorName,
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", tsify(optional))]
    pub params: Option<IndicatorParams>,
}

/// Indicator parameters. Only `period` is part of the contract.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
#[cfg_attr(feature = "ts", derive(Tsify))]
pub struct IndicatorParams {
    /// Lookback period, 1–500.
    #[schemars(range(min = 1, max = 500))]
    pub period: u32,
}

/// `drawing`: a price level, a trend line or a Fibonacci retracement.
// Serialized by hand (below); the `serde` attributes describe the same shape to schemars.
#[derive(Clone, Debug, PartialEq, schemars::JsonSchema)]
#[cfg_attr(feature = "ts", derive(Tsify))]
#[cfg_attr(feature = "ts", tsify(type = "DrawingShape & { pattern_id?: string }"))]
pub struct Drawing {
    #[serde(flatten)]
    pub shape: DrawingShape,
    /// The pattern this drawing belongs to (from `DRAW:…:<id>:…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", tsify(optional))]
    pub pattern_id: Option<String>,
}

/// What `#[serde(flatten)]` of the internally tagged shape would write, in the same order: `style`,
/// the shape's fields (integral numbers as integers, unset times left out), then `pattern_id` when
/// set; without flatten's generic map machinery.
impl Serialize for Drawing {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let fields = match &self.shape {
            DrawingShape::Trendline {
                start_time,
                end_time,
                ..
            } => 2 + usize::from(start_time.is_some()) + usize::from(end_time.is_some()),
            DrawingShape::Fibonacci { .. } => 2,
            _ => 1,
        };
        let len = 1 + fields + usize::from(self.pattern_id.is_some());
        let mut st = s.serialize_struct("Drawing", len)?;
        st.serialize_field("style", self.shape.style().as_str())?;
        match &self.shape {
            DrawingShape::Trendline {
                start_price,
                end_price,
                start_time,
                end_time,
            } => {
                st.serialize_field("start_price", &Number(*start_price))?;
                st.serialize_field("end_price", &Number(*end_price))?;
                if let Some(t) = start_time {
                    st.serialize_field("start_time", t)?;
                }
                if let Some(t) = end_time {
                    st.serialize_field("end_time", t)?;
                }
            }
            DrawingShape::Fibonacci { high, low } => {
                st.serialize_field("high", &Number(*high))?;
                st.serialize_field("low", &Number(*low))?;
            }
            level => {
                if let Some(price) = level.level_price() {
                    st.serialize_field("price", &Number(price))?;
                }
            }
        }
        if let Some(id) = &self.pattern_id {
            st.serialize_field("pattern_id", id)?;
        }
        st.end()
    }
}

/// A price as [`serialize_number`] writes it.
struct Number(f64);

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_number(&self.0, s)
    }
}

/// The geometry of a drawing, tagged by `style`.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
#[cfg_attr(feature = "ts", derive(Tsify))]
#[serde(tag = "style", rename_all = "snake_case")]
pub enum DrawingShape {
    Support {
        #[serde(serialize_with = "serialize_number")]
        price: f64,
    },
    Resistance {
        #[serde(serialize_with = "serialize_number")]
        price: f64,
    },
    Horizontal {
        #[serde(serialize_with = "serialize_number")]
        price: f64,
    },
    Entry {
        #[serde(serialize_with = "serialize_number")]
        price: f64,
    },
    Target {
        #[serde(serialize_with = "serialize_number")]
        price: f64,
    },
    StopLoss {
        #[serde(serialize_with = "serialize_number")]
        price: f64,
    },
    Trendline {
        #[serde(serialize_with = "serialize_number")]
        start_price: f64,
        #[serde(serialize_with = "serialize_number")]
        end_price: f64,
        /// Unix seconds; present together with `end_time` or not at all.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", tsify(optional))]
        start_time: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", tsify(optional))]
        end_time: Option<u64>,
    },
    Fibonacci {
        /// Always the larger of the two prices.
        #[serde(serialize_with = "serialize_number")]
        high: f64,
        #[serde(serialize_with = "serialize_number")]
        low: f64,
    },
}

impl DrawingShape {
    /// The style of this shape.
    pub fn style(&self) -> crate::vocab::DrawingStyle {
        use crate::vocab::DrawingStyle as S;
        match self {
            DrawingShape::Support { .. } => S::Support,
            DrawingShape::Resistance { .. } => S::Resistance,
            DrawingShape::Horizontal { .. } => S::Horizontal,
            DrawingShape::Entry { .. } => S::Entry,
            DrawingShape::Target { .. } => S::Target,
            DrawingShape::StopLoss { .. } => S::StopLoss,
            DrawingShape::Trendline { .. } => S::Trendline,
            DrawingShape::Fibonacci { .. } => S::Fibonacci,
        }
    }

    /// A single-price level of `style` (`None` for trendline/fibonacci).
    pub fn level(style: crate::vocab::DrawingStyle, price: f64) -> Option<DrawingShape> {
        use crate::vocab::DrawingStyle as S;
        Some(match style {
            S::Support => DrawingShape::Support { price },
            S::Resistance => DrawingShape::Resistance { price },
            S::Horizontal => DrawingShape::Horizontal { price },
            S::Entry => DrawingShape::Entry { price },
            S::Target => DrawingShape::Target { price },
            S::StopLoss => DrawingShape::StopLoss { price },
            S::Trendline | S::Fibonacci => return None,
        })
    }

    /// The price of a single-price level.
    pub fn level_price(&self) -> Option<f64> {
        match self {
            DrawingShape::Support { price }
            | DrawingShape::Resistance { price }
            | DrawingShape::Horizontal { price }
            | DrawingShape::Entry { price }
            | DrawingShape::Target { price }
            | DrawingShape::StopLoss { price } => Some(*price),
            _ => None,
        }
    }
}

/// `zoom`: zoom in or out, optionally by a factor.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
#[cfg_attr(feature = "ts", derive(Tsify))]
pub struct Zoom {
    pub direction: ZoomDirection,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_opt_number"
    )]
    #[cfg_attr(feature = "ts", tsify(optional))]
    pub amount: Option<f64>,
}

/// `reset`: reset the view or the price scale.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
#[cfg_attr(feature = "ts", derive(Tsify))]
pub struct Reset {
    pub target: ResetTarget,
}

/// `crosshair`: turn the crosshair on, off, or toggle it.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
#[cfg_attr(feature = "ts", derive(Tsify))]
pub struct Crosshair {
    pub mode: CrosshairMode,
}

/// `style`: change the chart type.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
#[cfg_attr(feature = "ts", derive(Tsify))]
pub struct Style {
    pub chart_type: ChartType,
}

/// `scroll`: scroll to a date or a Unix time.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
#[cfg_attr(feature = "ts", derive(Tsify))]
#[serde(untagged)]
pub enum Scroll {
    /// ISO date `YYYY-MM-DD`.
    Date { date: String },
    /// Unix seconds.
    Time { time: u64 },
}

/// `pattern`: show a chart pattern, or update a pattern's status.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
#[cfg_attr(feature = "ts", derive(Tsify))]
pub struct Pattern {
    /// Lower snake case, e.g. `head_and_shoulders`. Absent only for status updates (`ANNOTATE:PATTERN`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", tsify(optional))]
    pub pattern_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", tsify(optional))]
    pub pattern_id: Option<String>,
    /// Lower snake case, e.g. `confirmed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", tsify(optional))]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", tsify(optional))]
    pub start_candle: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", tsify(optional))]
    pub end_candle: Option<u64>,
}

/// `clear`: remove everything, all drawings, or one pattern.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
#[cfg_attr(feature = "ts", derive(Tsify))]
pub struct Clear {
    pub target: ClearTarget,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", tsify(optional))]
    pub pattern_id: Option<String>,
}

/// `raw`: a legacy string nobody understands, passed through untouched.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
#[cfg_attr(feature = "ts", derive(Tsify))]
pub struct Raw {
    pub value: String,
}

/// Serde's own text for a drawing: `#[serde(flatten)]` of the derived, internally tagged shape plus
/// `pattern_id`, the output the hand-written `Serialize for Drawing` replaces. The reference the
/// hand-written serializers (here and `objects::payload_map`) are checked against.
#[cfg(test)]
pub(crate) fn derived_drawing_json(d: &Drawing) -> String {
    #[derive(Serialize)]
    struct Flat<'a> {
        #[serde(flatten)]
        shape: &'a DrawingShape,
        #[serde(skip_serializing_if = "Option::is_none")]
        pattern_id: Option<&'a str>,
    }
    let flat = Flat {
        shape: &d.shape,
        pattern_id: d.pattern_id.as_deref(),
    };
    serde_json::to_string(&flat).expect("serializes")
}

/// Commands of every kind and every drawing shape, some with a description and a timestamp.
#[cfg(test)]
pub(crate) fn sample_commands() -> Vec<Command> {
    let legacy = [
        "SUPPORT:420 RESISTANCE:455.5 HORIZONTAL:1 ENTRY:0.000001 TARGET:1e15 STOPLOSS:140.25",
        "TRENDLINE:410:440 TRENDLINE:410.5:1700000000:440.25:1700600000 FIBONACCI:480:420.75",
        "DRAW:LEVEL:p1:support:430 DRAW:TARGET:p2:500 DRAW:TRENDLINE:p3:1700000000:410:1700600000:440",
        "DRAW:FIBONACCI:p4:420:480 DRAW:LEVEL:p5:stop_loss:1.5 DRAW:LEVEL:p6:entry:9007199254740.5",
        "PATTERN:HEAD_AND_SHOULDERS PATTERN:BULL_FLAG:10:60 PATTERN:DOUBLE_TOP:ID=p7:STATUS=forming",
        "PATTERN:CUP_AND_HANDLE:1:2:ID=p8 ANNOTATE:PATTERN:p9 ANNOTATE:PATTERN:p9:confirmed",
        "LOAD:TSLA TIMEFRAME:1W INDICATOR:SMA:ON:50 INDICATOR:RSI:OFF ZOOM:IN ZOOM:OUT:2.5",
        "RESET:SCALE CROSSHAIR:TOGGLE STYLE:HEIKIN_ASHI SCROLL:2024-03-01 SCROLL:1700000000",
        "CLEAR:ALL CLEAR:PATTERN:p1 FOO:BAR",
    ];
    let mut out = Vec::new();
    for (i, s) in legacy.iter().enumerate() {
        let parsed = crate::parse_legacy(s);
        assert!(
            parsed.issues.iter().all(|x| !x.is_error()),
            "{s}: {:?}",
            parsed.issues
        );
        for (k, c) in parsed.commands.into_iter().enumerate() {
            let c = match (i + k) % 3 {
                0 => c,
                1 => c
                    .with_description(Some("why \"this\"".to_owned()))
                    .expect("short"),
                _ => c
                    .with_description(Some("d".to_owned()))
                    .and_then(|c| c.with_timestamp(Some("2024-06-01T14:30:00Z".to_owned())))
                    .expect("valid"),
            };
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_written_serializers_print_what_serde_flatten_prints() {
        #[derive(Serialize)]
        struct Flat<'a> {
            #[serde(flatten)]
            kind: &'a CommandKind,
            description: Option<&'a str>,
            legacy: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            timestamp: Option<&'a str>,
        }
        let commands = sample_commands();
        let mut drawings = 0;
        for c in &commands {
            let flat = Flat {
                kind: c.kind(),
                description: c.description(),
                legacy: c.legacy(),
                timestamp: c.timestamp(),
            };
            let want = serde_json::to_string(&flat).expect("serializes");
            assert_eq!(serde_json::to_string(c).expect("serializes"), want);
            if let CommandKind::Drawing(d) = c.kind() {
                let got = serde_json::to_string(d).expect("serializes");
                assert_eq!(got, derived_drawing_json(d), "{}", c.legacy());
                drawings += 1;
            }
        }
        assert_eq!(drawings, 15);
        let kinds: std::collections::BTreeSet<&str> =
            commands.iter().map(|c| c.type_name()).collect();
        assert_eq!(kinds.len(), CommandKind::TYPES.len(), "{kinds:?}");
    }

    #[test]
    fn new_refuses_what_the_validators_refuse() {
        let load = |s: &str| {
            CommandKind::Load(Load {
                symbol: s.to_owned(),
                asset_type: None,
            })
        };
        let raw = |s: &str| {
            CommandKind::Raw(Raw {
                value: s.to_owned(),
            })
        };
        let zoom = |a: f64| {
            CommandKind::Zoom(Zoom {
                direction: ZoomDirection::In,
                amount: Some(a),
            })
        };
        for bad in [
            load("<svg/onload=alert(1)>"),
            load("tsla"),
            load(""),
            raw("javascript:alert(document.cookie)//"),
            raw("LOAD:TSLA"),
            raw("FOO:BAR\nLOAD:X"),
            zoom(5e-324),
            zoom(f64::NAN),
        ] {
            let why = Command::new(bad.clone()).expect_err("invalid");
            assert!(why.iter().any(Issue::is_error), "{bad:?}: {why:?}");
        }
        let ok = Command::new(load("BRK.B")).expect("valid");
        assert_eq!(ok.legacy(), "LOAD:BRK.B");
        assert_eq!(
            Command::new(raw("FOO:BAR")).expect("valid").legacy(),
            "FOO:BAR"
        );
        assert_eq!(
            Command::new(zoom(2.5)).expect("valid").legacy(),
            "ZOOM:IN:2.5"
        );
    }

    #[test]
    fn description_and_timestamp_are_checked_as_the_decoder_checks_them() {
        let c = Command::new(CommandKind::Reset(Reset {
            target: ResetTarget::View,
        }))
        .expect("valid");
        let cleaned = c
            .clone()
            .with_description(Some("a\u{0}b\u{1b}[31m\u{2028}c".to_owned()))
            .expect("short");
        assert_eq!(cleaned.description(), Some("ab[31m c"));
        let long = "x".repeat(crate::validate::MAX_TEXT_LEN + 1);
        assert_eq!(
            c.clone()
                .with_description(Some(long))
                .expect_err("long")
                .code,
            IssueCode::TooLong
        );
        assert_eq!(
            c.clone()
                .with_timestamp(Some("yesterday".to_owned()))
                .expect_err("bad")
                .code,
            IssueCode::InvalidTimestamp
        );
        assert!(c
            .with_timestamp(Some("2024-06-01T14:30:00Z".to_owned()))
            .is_ok());
    }

    #[test]
    fn types_are_listed_in_execution_order() {
        // One command of every kind, in no particular order.
        let text = "RESET ZOOM:IN SUPPORT:430 PATTERN:HEAD_AND_SHOULDERS:10:42 CROSSHAIR:ON \
                    FOO:BAR SCROLL:1700000000 STYLE:LINE INDICATOR:RSI:ON TIMEFRAME:1D \
                    LOAD:TSLA CLEAR:ALL";
        let parsed = crate::parse_legacy(text);
        let mut seen: Vec<&str> = Vec::new();
        for c in &parsed.commands {
            let k = c.kind();
            assert_eq!(CommandKind::TYPES[k.execution_rank()], k.type_name());
            seen.push(k.type_name());
        }
        seen.sort_unstable();
        let mut all = CommandKind::TYPES.to_vec();
        all.sort_unstable();
        assert_eq!(seen, all, "every kind is covered: {:?}", parsed.issues);
    }
}
