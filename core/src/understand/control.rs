//! The chart-control rules: price levels (drawn only with a number), zoom, reset, crosshair, chart
//! style (only with chart context) and clear.

use super::{Claim, Polarity, Reader};
use crate::command::{Clear, CommandKind, Crosshair, Drawing, DrawingShape, Reset, Style, Zoom};
use crate::num::{is_valid_price, ZOOM_RANGE};
use crate::vocab::{
    ChartType, ClearTarget, CrosshairMode, DrawingStyle, ResetTarget, ZoomDirection,
};

impl<'a> Reader<'a> {
    /// A price level: "support at 430", "stop loss 140", "take profit at 175".
    pub(super) fn read_level(&mut self, i: usize) {
        if !self.free(i) {
            return;
        }
        let w1 = self.w(i + 1);
        let (style, len) = match self.w(i) {
            "support" => (DrawingStyle::Support, 1),
            "resistance" => (DrawingStyle::Resistance, 1),
            "entry" => (DrawingStyle::Entry, 1),
            "target" => (DrawingStyle::Target, 1),
            "stop" if matches!(w1, "loss" | "losses") => (DrawingStyle::StopLoss, 2),
            "stop" | "stoploss" | "sl" => (DrawingStyle::StopLoss, 1),
            "take" if w1 == "profit" => (DrawingStyle::Target, 2),
            "tp" => (DrawingStyle::Target, 1),
            "horizontal" => (DrawingStyle::Horizontal, 1),
            "line" if w1 == "at" => (DrawingStyle::Horizontal, 1),
            _ => return,
        };
        if !self.all_free(i, len) {
            return;
        }
        let mut j = i + len;
        let mut fillers = 0;
        while fillers < 3
            && self.free(j)
            && words!("line" | "level" | "at" | "of" | "around" | "near" | "price" | "is" | "to")
                .contains(self.w(j))
        {
            j += 1;
            fillers += 1;
        }
        if !self.free(j) {
            return;
        }
        let Some(price) = self.decimal(j) else { return };
        let next = self.w(j + 1);
        if self.unit(j + 1).is_some() || words!("percent" | "pct" | "x" | "times").contains(next) {
            return;
        }
        if !is_valid_price(price) {
            return;
        }
        let Some(shape) = DrawingShape::level(style, price) else {
            return;
        };
        self.claim(i, j + 1, Claim::Level);
        self.push(
            i,
            CommandKind::Drawing(Drawing {
                shape,
                pattern_id: None,
            }),
        );
    }

    /// "zoom in", "zoom out 2x", "zoom all the way out", "zoom in by 1.5".
    pub(super) fn read_zoom(&mut self, i: usize) -> bool {
        if !self.free(i) || !matches!(self.w(i), "zoom" | "zooming") {
            return false;
        }
        let mut j = i + 1;
        let mut skipped = 0;
        while skipped < 3
            && self.free(j)
            && words!(
                "way" | "back" | "all" | "the" | "a" | "bit" | "little" | "further" | "more" | "it"
            )
            .contains(self.w(j))
        {
            j += 1;
            skipped += 1;
        }
        let direction = match self.w(j) {
            "in" | "into" if self.free(j) => ZoomDirection::In,
            "out" if self.free(j) => ZoomDirection::Out,
            _ => return false,
        };
        let mut end = j + 1;
        let mut amount = None;
        let a = if self.w(end) == "by" && self.free(end) {
            end + 1
        } else {
            end
        };
        if self.free(a) {
            if let Some(v) = self.decimal(a) {
                let next = self.w(a + 1);
                let factor_word = matches!(next, "x" | "times" | "fold") && self.free(a + 1);
                let plain = self.unit(a + 1).is_none() && !matches!(next, "percent" | "pct");
                if (factor_word || plain) && ZOOM_RANGE.contains(&v) {
                    amount = Some(v);
                    end = if factor_word { a + 2 } else { a + 1 };
                }
            }
        }
        self.claim(i, end, Claim::Other);
        self.push(i, CommandKind::Zoom(Zoom { direction, amount }));
        true
    }

    /// "reset the view", "reset scale", "fit to screen", "auto scale".
    pub(super) fn read_reset(&mut self, i: usize) -> bool {
        if !self.free(i) {
            return false;
        }
        let (w1, w2) = (self.w(i + 1), self.w(i + 2));
        let scale_target = |w: &str| {
            words!("screen" | "window" | "view" | "page" | "data" | "content" | "chart" | "all")
                .contains(w)
        };
        let hit = match self.w(i) {
            "fit" if w1 == "to" && scale_target(w2) => Some((ResetTarget::Scale, 3)),
            "fit" if w1 == "the" && scale_target(w2) => Some((ResetTarget::Scale, 3)),
            "fit" if scale_target(w1) => Some((ResetTarget::Scale, 2)),
            "auto" if matches!(w1, "scale" | "scaling" | "fit") => Some((ResetTarget::Scale, 2)),
            word if words!("autoscale" | "autoscaling" | "autofit" | "rescale").contains(word) => {
                Some((ResetTarget::Scale, 1))
            }
            "reset" | "restore" => self.reset_target(i),
            _ => None,
        };
        match hit {
            Some((target, len)) if self.all_free(i, len) => {
                self.claim(i, i + len, Claim::Other);
                self.push(i, CommandKind::Reset(Reset { target }));
                true
            }
            _ => false,
        }
    }

    /// What `reset` at `i` resets, and how many words say so.
    pub(super) fn reset_target(&self, i: usize) -> Option<(ResetTarget, usize)> {
        let mut j = i + 1;
        let mut view = false;
        while j < i + 5 && self.free(j) {
            match self.w(j) {
                word if words!("scale" | "scales" | "axis" | "axes" | "scaling" | "autoscale")
                    .contains(word) =>
                {
                    return Some((ResetTarget::Scale, j + 1 - i));
                }
                word if words!(
                    "view"
                        | "chart"
                        | "zoom"
                        | "everything"
                        | "it"
                        | "layout"
                        | "position"
                        | "screen"
                        | "display"
                        | "window"
                )
                .contains(word) =>
                {
                    view = true
                }
                word if words!(
                    "the"
                        | "my"
                        | "this"
                        | "price"
                        | "y"
                        | "x"
                        | "to"
                        | "default"
                        | "original"
                        | "back"
                )
                .contains(word) => {}
                _ => break,
            }
            j += 1;
        }
        let at_end = j >= self.n()
            || (self.free(j) && words!("and" | "then" | "please" | "now").contains(self.w(j)));
        (view || at_end).then_some((ResetTarget::View, j - i))
    }

    /// "crosshair on", "turn off the crosshair", "toggle crosshair", "crosshair".
    pub(super) fn read_crosshair(&mut self, i: usize) -> bool {
        if !self.free(i) {
            return false;
        }
        let len = match self.w(i) {
            "crosshair" | "crosshairs" => 1,
            "cross" if matches!(self.w(i + 1), "hair" | "hairs") => 2,
            _ => return false,
        };
        if !self.all_free(i, len) {
            return false;
        }
        let mut end = i + len;
        let mode = match self.state_after(end) {
            Some((on, state_end)) => {
                end = state_end;
                if on {
                    CrosshairMode::On
                } else {
                    CrosshairMode::Off
                }
            }
            None => match self.polarity_before(i) {
                Some(Polarity::On) => CrosshairMode::On,
                Some(Polarity::Off) => CrosshairMode::Off,
                Some(Polarity::Toggle) | None => CrosshairMode::Toggle,
            },
        };
        self.claim(i, end, Claim::Other);
        self.push(i, CommandKind::Crosshair(Crosshair { mode }));
        true
    }

    /// Chart style, only where the words talk about the chart type.
    pub(super) fn read_style(&mut self, i: usize) -> bool {
        if !self.free(i) {
            return false;
        }
        let w1 = self.w(i + 1);
        let style_noun = |w: &str| {
            words!("chart" | "charts" | "graph" | "style" | "view" | "mode" | "type").contains(w)
        };
        let pattern =
            |w: &str| words!("pattern" | "patterns" | "formation" | "formations").contains(w);
        let candle_tail =
            |w: &str| words!("candles" | "candle" | "candlesticks" | "chart" | "bars").contains(w);
        let (chart_type, mut len) = match self.w(i) {
            "heikin" if w1 == "ashi" => (ChartType::HeikinAshi, 2),
            "heikinashi" => (ChartType::HeikinAshi, 1),
            "ha" if matches!(w1, "candles" | "candle" | "chart") => (ChartType::HeikinAshi, 1),
            "candlestick" | "candlesticks" if !pattern(w1) => (ChartType::Candles, 1),
            "candles" | "candle" if style_noun(w1) => (ChartType::Candles, 1),
            "candles" if self.plain_style_word(i) && !pattern(w1) => (ChartType::Candles, 1),
            "bar" if style_noun(w1) => (ChartType::Bars, 1),
            "bars" if self.plain_style_word(i) => (ChartType::Bars, 1),
            "ohlc" => (ChartType::Bars, 1),
            "line" if style_noun(w1) || w1 == "only" || self.style_position(i) => {
                (ChartType::Line, 1)
            }
            "area" if style_noun(w1) || self.style_position(i) => (ChartType::Area, 1),
            "mountain" => (ChartType::Area, 1),
            _ => return false,
        };
        let tail = self.w(i + len);
        if self.free(i + len)
            && (style_noun(tail) || (chart_type != ChartType::Line && candle_tail(tail)))
        {
            len += 1;
        }
        if !self.all_free(i, len) {
            return false;
        }
        self.claim(i, i + len, Claim::Other);
        self.push(i, CommandKind::Style(Style { chart_type }));
        true
    }

    /// `candles`/`bars` alone name the chart type unless counted or qualified ("last 5 candles").
    pub(super) fn plain_style_word(&self, i: usize) -> bool {
        let prev = self.before(i, 1);
        let counted = i >= 1 && self.count(i - 1).is_some();
        !counted
            && !words!(
                "last"
                    | "few"
                    | "past"
                    | "next"
                    | "previous"
                    | "recent"
                    | "green"
                    | "red"
                    | "volume"
                    | "of"
                    | "many"
                    | "several"
                    | "some"
                    | "those"
                    | "these"
                    | "doji"
                    | "engulfing"
                    | "hammer"
                    | "bullish"
                    | "bearish"
                    | "daily"
                    | "weekly"
                    | "hourly"
                    | "error"
            )
            .contains(prev)
    }

    /// `line`/`area` alone name the chart type only after "switch to", "as a", "style", "use", ….
    pub(super) fn style_position(&self, i: usize) -> bool {
        let (p1, p2, p3) = (self.before(i, 1), self.before(i, 2), self.before(i, 3));
        let switch = |w: &str| {
            words!("switch" | "change" | "changed" | "go" | "set" | "convert" | "chart" | "it")
                .contains(w)
        };
        words!("style" | "as" | "into" | "use" | "using").contains(p1)
            || (p1 == "to" && switch(p2))
            || (matches!(p1, "a" | "an")
                && (matches!(p2, "as" | "into") || (p2 == "to" && switch(p3))))
    }

    /// "clear drawings", "remove all the lines", "clear everything", "clear", "get rid of the levels".
    pub(super) fn read_clear(&mut self, i: usize) -> bool {
        if !self.free(i) {
            return false;
        }
        let (w1, w2) = (self.w(i + 1), self.w(i + 2));
        let verb = self.w(i);
        let len = match verb {
            word if words!("clear" | "remove" | "delete" | "erase" | "wipe").contains(word) => 1,
            "get" if w1 == "rid" && w2 == "of" => 3,
            "take" if matches!(w1, "off" | "away" | "down") => 2,
            _ => return false,
        };
        if !self.all_free(i, len) {
            return false;
        }
        let mut j = i + len;
        let (mut saw_all, mut adjective) = (false, false);
        let mut target = None;
        while j < i + len + 6 && self.free(j) {
            match self.w(j) {
                word if words!(
                    "drawings"
                        | "drawing"
                        | "lines"
                        | "line"
                        | "annotations"
                        | "annotation"
                        | "levels"
                        | "level"
                        | "trendlines"
                        | "trendline"
                        | "shapes"
                        | "shape"
                        | "markings"
                        | "marking"
                        | "marks"
                        | "fibs"
                        | "objects"
                )
                .contains(word) =>
                {
                    target = Some(ClearTarget::Drawings);
                    j += 1;
                    break;
                }
                "pattern" | "patterns" => {
                    target = Some(ClearTarget::Pattern);
                    j += 1;
                    break;
                }
                word if words!("everything" | "chart" | "screen" | "board" | "slate")
                    .contains(word) =>
                {
                    target = Some(ClearTarget::All);
                    j += 1;
                    break;
                }
                "all" | "every" => saw_all = true,
                word if words!(
                    "the"
                        | "my"
                        | "any"
                        | "of"
                        | "those"
                        | "these"
                        | "this"
                        | "that"
                        | "existing"
                        | "current"
                        | "old"
                        | "it"
                        | "them"
                )
                .contains(word) => {}
                word if words!(
                    "support"
                        | "resistance"
                        | "horizontal"
                        | "trend"
                        | "fibonacci"
                        | "fib"
                        | "price"
                        | "s/r"
                )
                .contains(word) =>
                {
                    adjective = true;
                }
                "and" | "&" if adjective => {}
                _ => break,
            }
            j += 1;
        }
        let target = match target {
            Some(t) => t,
            None => {
                let at_end = j >= self.n()
                    || (self.free(j)
                        && words!("and" | "then" | "please" | "now" | "off").contains(self.w(j)));
                if !at_end {
                    return false;
                }
                let bare_clear = matches!(verb, "clear" | "wipe") && self.command_position(i);
                if adjective {
                    ClearTarget::Drawings
                } else if (saw_all && j > i + len) || bare_clear {
                    ClearTarget::All
                } else {
                    return false;
                }
            }
        };
        self.claim(i, j, Claim::Other);
        self.push(
            i,
            CommandKind::Clear(Clear {
                target,
                pattern_id: None,
            }),
        );
        true
    }

    /// Whether the word at `i` starts an imperative ("clear", "please clear", "… and clear").
    pub(super) fn command_position(&self, i: usize) -> bool {
        i == 0
            || words!(
                "please"
                    | "pls"
                    | "plz"
                    | "and"
                    | "then"
                    | "just"
                    | "now"
                    | "you"
                    | "u"
                    | "also"
                    | "to"
                    | "ok"
                    | "okay"
            )
            .contains(self.before(i, 1))
    }
}
