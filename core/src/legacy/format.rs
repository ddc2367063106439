//! Canonical formatting: the one legacy spelling of every command ([`format_kind`]).

use crate::command::{CommandKind, DrawingShape, Scroll};
use crate::num::{push_u64, write_shortest};
use crate::vocab::DrawingStyle;

/// Builds a legacy string segment by segment, without the `format!` machinery (this runs for
/// every command built, so it is on the parse hot path).
struct Legacy(String);

impl Legacy {
    fn new(verb: &str) -> Legacy {
        let mut s = String::with_capacity(32);
        s.push_str(verb);
        Legacy(s)
    }

    fn seg(mut self, part: &str) -> Legacy {
        self.0.push(':');
        self.0.push_str(part);
        self
    }

    fn upper(mut self, part: &str) -> Legacy {
        self.0.push(':');
        self.0.extend(part.chars().map(|c| c.to_ascii_uppercase()));
        self
    }

    fn int(mut self, v: u64) -> Legacy {
        self.0.push(':');
        push_u64(&mut self.0, v);
        self
    }

    fn num(mut self, v: f64) -> Legacy {
        self.0.push(':');
        write_shortest(&mut self.0, v);
        self
    }

    fn opt_int(self, v: Option<u64>) -> Legacy {
        match v {
            Some(v) => self.int(v),
            None => self,
        }
    }
}

/// The canonical legacy string of a command payload.
pub fn format_kind(kind: &CommandKind) -> String {
    let out = match kind {
        CommandKind::Load(l) => {
            let out = Legacy::new("LOAD").seg(&l.symbol);
            match l.asset_type {
                Some(a) => out.seg(a.as_legacy()),
                None => out,
            }
        }
        CommandKind::Timeframe(t) => Legacy::new("TIMEFRAME").seg(t.value.as_legacy()),
        CommandKind::Indicator(i) => Legacy::new("INDICATOR")
            .seg(i.name.as_legacy())
            .seg(if i.enabled { "ON" } else { "OFF" })
            .opt_int(i.params.as_ref().map(|p| u64::from(p.period))),
        CommandKind::Drawing(d) => {
            let verb = |short: &'static str, long: &'static str| match &d.pattern_id {
                None => Legacy::new(short),
                Some(id) => Legacy::new("DRAW").seg(long).seg(id),
            };
            match &d.shape {
                DrawingShape::Trendline {
                    start_price,
                    end_price,
                    start_time,
                    end_time,
                } => {
                    let out = verb("TRENDLINE", "TRENDLINE");
                    match (start_time, end_time, d.pattern_id.is_some()) {
                        // The DRAW form puts the time before the price.
                        (Some(t1), Some(t2), true) => {
                            out.int(*t1).num(*start_price).int(*t2).num(*end_price)
                        }
                        (Some(t1), Some(t2), false) => {
                            out.num(*start_price).int(*t1).num(*end_price).int(*t2)
                        }
                        _ => out.num(*start_price).num(*end_price),
                    }
                }
                DrawingShape::Fibonacci { high, low } => {
                    verb("FIBONACCI", "FIBONACCI").num(*high).num(*low)
                }
                shape => {
                    let price = shape.level_price().unwrap_or_default();
                    let style = shape.style();
                    match &d.pattern_id {
                        None => Legacy::new(style.as_legacy()).num(price),
                        Some(_) if style == DrawingStyle::Target => verb("", "TARGET").num(price),
                        Some(_) => verb("", "LEVEL").seg(style.as_str()).num(price),
                    }
                }
            }
        }
        CommandKind::Zoom(z) => {
            let out = Legacy::new("ZOOM").seg(z.direction.as_legacy());
            match z.amount {
                Some(a) => out.num(a),
                None => out,
            }
        }
        CommandKind::Reset(r) => Legacy::new("RESET").seg(r.target.as_legacy()),
        CommandKind::Crosshair(c) => Legacy::new("CROSSHAIR").seg(c.mode.as_legacy()),
        CommandKind::Style(s) => Legacy::new("STYLE").seg(s.chart_type.as_legacy()),
        CommandKind::Scroll(Scroll::Date { date }) => Legacy::new("SCROLL").seg(date),
        CommandKind::Scroll(Scroll::Time { time }) => Legacy::new("SCROLL").int(*time),
        CommandKind::Pattern(p) => match &p.pattern_type {
            None => {
                let out = Legacy::new("ANNOTATE")
                    .seg("PATTERN")
                    .seg(p.pattern_id.as_deref().unwrap_or_default());
                match &p.status {
                    Some(st) => out.upper(st),
                    None => out,
                }
            }
            Some(ty) => {
                let mut out = Legacy::new("PATTERN").upper(ty);
                if let (Some(a), Some(b)) = (p.start_candle, p.end_candle) {
                    out = out.int(a).int(b);
                }
                if let Some(id) = &p.pattern_id {
                    out = out.seg("ID=");
                    out.0.push_str(id);
                }
                if let Some(st) = &p.status {
                    out = out.seg("STATUS=");
                    out.0.extend(st.chars().map(|c| c.to_ascii_uppercase()));
                }
                out
            }
        },
        CommandKind::Clear(c) => {
            let out = Legacy::new("CLEAR").seg(c.target.as_legacy());
            match &c.pattern_id {
                Some(id) => out.seg(id),
                None => out,
            }
        }
        CommandKind::Raw(r) => return r.value.clone(),
    };
    out.0
}
