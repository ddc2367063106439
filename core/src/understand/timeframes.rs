//! The timeframe rule: words (`daily`, `weekly`, `year to date`), a number and a unit mapped onto
//! canonical timeframes only, MetaTrader forms (`h4`), and `max` near chart words.

use super::lexicon::{is_chart_word, is_singular_unit};
use super::{Claim, Reader, Unit};
use crate::command::{CommandKind, TimeframeChange};
use crate::vocab::Timeframe;

impl<'a> Reader<'a> {
    pub(super) fn read_timeframe(&mut self, i: usize) {
        if !self.free(i) {
            return;
        }
        let (w1, w2) = (self.w(i + 1), self.w(i + 2));
        let hit = match self.w(i) {
            "daily" => Some((Timeframe::D1, 1)),
            "weekly" => Some((Timeframe::W1, 1)),
            "monthly" => Some((Timeframe::Mo1, 1)),
            "hourly" => Some((Timeframe::H1, 1)),
            "ytd" => Some((Timeframe::Ytd, 1)),
            "year" if w1 == "to" && w2 == "date" => Some((Timeframe::Ytd, 3)),
            "this" if w1 == "year" => Some((Timeframe::Ytd, 2)),
            "all"
                if w1 == "time"
                    && !words!("high" | "highs" | "low" | "lows" | "record" | "records")
                        .contains(w2) =>
            {
                Some((Timeframe::Max, 2))
            }
            "alltime" if !words!("high" | "highs" | "low" | "lows").contains(w1) => {
                Some((Timeframe::Max, 1))
            }
            "since" if matches!(w1, "inception" | "ipo") => Some((Timeframe::Max, 2)),
            "max" if self.max_is_timeframe(i) => Some((Timeframe::Max, 1)),
            "past" | "last" | "previous" | "prior" if is_singular_unit(w1) => self
                .unit(i + 1)
                .and_then(|u| timeframe_for(1, u))
                .map(|tf| (tf, 2)),
            w if is_mt4_timeframe(w) => Timeframe::parse(&w.to_ascii_uppercase()).map(|tf| (tf, 1)),
            _ => None,
        };
        let hit = hit.or_else(|| {
            // "4 hour", "15 min", "3 months", "one year", "4h".
            if let (Some(n), Some(unit)) = (self.count(i), self.unit(i + 1)) {
                return timeframe_for(n, unit).map(|tf| (tf, 2));
            }
            // "day chart", "hour view".
            if is_singular_unit(self.w(i)) && is_chart_word(w1) {
                return self
                    .unit(i)
                    .and_then(|u| timeframe_for(1, u))
                    .map(|tf| (tf, 1));
            }
            None
        });
        if let Some((value, len)) = hit {
            if self.all_free(i, len) {
                self.claim(i, i + len, Claim::Other);
                self.push(i, CommandKind::Timeframe(TimeframeChange { value }));
            }
        }
    }

    /// `max` is a timeframe near chart words ("zoom out to max", "max chart"), not in "max drawdown".
    pub(super) fn max_is_timeframe(&self, i: usize) -> bool {
        let next = self.w(i + 1);
        if words!(
            "pain"
                | "drawdown"
                | "loss"
                | "profit"
                | "gain"
                | "position"
                | "size"
                | "leverage"
                | "price"
        )
        .contains(next)
        {
            return false;
        }
        next.is_empty()
            || is_chart_word(next)
            || matches!(next, "range" | "history" | "period")
            || words!("to" | "on" | "at" | "the").contains(self.before(i, 1))
    }
}

/// The canonical timeframe for `n` units, if there is one.
pub(super) fn timeframe_for(n: u32, unit: Unit) -> Option<Timeframe> {
    use Timeframe as T;
    Some(match (unit, n) {
        (Unit::Minute, 1) => T::M1,
        (Unit::Minute, 2) => T::M2,
        (Unit::Minute, 5) => T::M5,
        (Unit::Minute, 15) => T::M15,
        (Unit::Minute, 30) => T::M30,
        (Unit::Minute, 60) | (Unit::Hour, 1) => T::H1,
        (Unit::Minute, 120) | (Unit::Hour, 2) => T::H2,
        (Unit::Hour, 3) => T::H3,
        (Unit::Minute, 240) | (Unit::Hour, 4) => T::H4,
        (Unit::Hour, 6) => T::H6,
        (Unit::Hour, 8) => T::H8,
        (Unit::Hour, 24) | (Unit::Day, 1) => T::D1,
        (Unit::Day, 5) => T::D5,
        (Unit::Day, 30) => T::Mo1,
        (Unit::Day, 90) => T::Mo3,
        (Unit::Day, 180) => T::Mo6,
        (Unit::Day, 365) => T::Y1,
        (Unit::Month, 24) => T::Y2,
        (Unit::Month, 36) => T::Y3,
        (Unit::Month, 60) => T::Y5,
        (Unit::Week, 1) => T::W1,
        (Unit::Week, 2) => T::W2,
        (Unit::Month, 1) => T::Mo1,
        (Unit::Month, 3) => T::Mo3,
        (Unit::Month, 6) => T::Mo6,
        (Unit::Month, 12) | (Unit::Year, 1) => T::Y1,
        (Unit::Year, 2) => T::Y2,
        (Unit::Year, 3) => T::Y3,
        (Unit::Year, 5) => T::Y5,
        (Unit::MonthOrMinute, n) => {
            return timeframe_for(n, Unit::Month).or_else(|| timeframe_for(n, Unit::Minute))
        }
        _ => return None,
    })
}

/// `h1`, `h4`, `m5`, `m15`, `m30` (MetaTrader style).
pub(super) fn is_mt4_timeframe(w: &str) -> bool {
    let b = w.as_bytes();
    (2..=3).contains(&b.len())
        && matches!(b[0], b'h' | b'm')
        && b[1..].iter().all(u8::is_ascii_digit)
}
