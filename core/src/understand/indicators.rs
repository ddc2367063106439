//! The indicator rules: indicator names and aliases with their periods (before, after or glued)
//! and on/off state, and bare moving-average periods ("with the 50-day").

use super::lexicon::{is_average_lead, is_not_average_after, is_period_unit, is_range_noun};
use super::timeframes::timeframe_for;
use super::{Claim, Polarity, Reader, Unit};
use crate::command::{CommandKind, Indicator, IndicatorParams};
use crate::normalize::stable_order;
use crate::vocab::{IndicatorName, PERIOD_RANGE};

impl<'a> Reader<'a> {
    /// An indicator mention at `i`: `(name, words, glued period, needs a period)`.
    pub(super) fn indicator_at(
        &self,
        i: usize,
    ) -> Option<(IndicatorName, usize, Option<u32>, bool)> {
        use IndicatorName as N;
        let avg = |w: &str| matches!(w, "average" | "averages" | "avg");
        let (w1, w2) = (self.w(i + 1), self.w(i + 2));
        let (name, len) = match self.w(i) {
            "moving" if avg(w1) => (N::Sma, 2),
            "simple" if w1 == "moving" && avg(w2) => (N::Sma, 3),
            "exponential" if w1 == "moving" && avg(w2) => (N::Ema, 3),
            "exponential" if w1 == "ma" => (N::Ema, 2),
            "weighted" if w1 == "moving" && avg(w2) => (N::Wma, 3),
            word if words!("sma" | "smas" | "ma" | "mas" | "dma" | "dmas").contains(word) => {
                (N::Sma, 1)
            }
            "ema" | "emas" => (N::Ema, 1),
            "wma" | "wmas" => (N::Wma, 1),
            "vwap" => (N::Vwap, 1),
            "bollinger" if matches!(w1, "band" | "bands") => (N::Bollinger, 2),
            "bollinger" | "bb" | "bbands" => (N::Bollinger, 1),
            "rsi" => (N::Rsi, 1),
            "relative" if w1 == "strength" && w2 == "index" => (N::Rsi, 3),
            "relative" if w1 == "strength" => (N::Rsi, 2),
            "macd" => (N::Macd, 1),
            "stochastic" | "stochastics" | "stoch" if matches!(w1, "rsi" | "oscillator") => {
                (N::Stochastic, 2)
            }
            "stochastic" | "stochastics" | "stoch" => (N::Stochastic, 1),
            "atr" => (N::Atr, 1),
            "average" if w1 == "true" && w2 == "range" => (N::Atr, 3),
            "obv" => (N::Obv, 1),
            "on" if w1 == "balance" && w2 == "volume" => (N::Obv, 3),
            "volume" if matches!(w1, "bars" | "bar" | "histogram") => (N::Volume, 2),
            "volume" => (N::Volume, 1),
            "ichimoku" if w1 == "cloud" => (N::Ichimoku, 2),
            "ichimoku" => (N::Ichimoku, 1),
            w if avg(w) => return Some((N::Sma, 1, None, true)),
            w => return glued_indicator(w).map(|(name, period)| (name, 1, Some(period), false)),
        };
        Some((name, len, None, false))
    }

    /// A period written before the indicator at `s`: `(first word, period)`.
    pub(super) fn period_before(&self, s: usize, moving_average: bool) -> Option<(usize, u32)> {
        if s >= 2 && self.free(s - 1) && self.free(s - 2) && is_period_unit(self.w(s - 1)) {
            if let Some(p) = self.count(s - 2) {
                let unit = self.unit(s - 1);
                let is_timeframe = unit.and_then(|u| timeframe_for(p, u)).is_some();
                if !moving_average && is_timeframe {
                    return None;
                }
                return Some((s - 2, p));
            }
        }
        if s >= 1 && self.free(s - 1) {
            if let Some(p) = self.int(s - 1) {
                return Some((s - 1, p));
            }
        }
        None
    }

    pub(super) fn read_indicator(&mut self, i: usize) {
        if !self.free(i) {
            return;
        }
        let Some((name, len, glued, needs_period)) = self.indicator_at(i) else {
            return;
        };
        if !self.all_free(i, len) {
            return;
        }
        let moving_average = matches!(
            name,
            IndicatorName::Sma | IndicatorName::Ema | IndicatorName::Wma
        );
        let mut periods: Vec<(usize, Option<u32>)> = Vec::new();
        let mut first = i;
        let mut end = i + len;
        if let Some(p) = glued {
            periods.push((i, Some(p).filter(|p| PERIOD_RANGE.contains(p))));
        } else if let Some((start, p)) = self
            .period_before(i, moving_average)
            .filter(|(_, p)| PERIOD_RANGE.contains(p))
        {
            first = start;
            periods.push((start, Some(p)));
            // A list before the indicator: "50 and 200 day moving averages".
            while first >= 2
                && words!("and" | "or" | "&" | "plus").contains(self.w(first - 1))
                && self.free(first - 1)
            {
                let k = first - 2;
                let (start, p) =
                    if is_period_unit(self.w(k)) && k >= 1 && self.free(k) && self.free(k - 1) {
                        match self.count(k - 1) {
                            Some(p) => (k - 1, p),
                            None => break,
                        }
                    } else if self.free(k) {
                        match self.int(k) {
                            Some(p) => (k, p),
                            None => break,
                        }
                    } else {
                        break;
                    };
                if !PERIOD_RANGE.contains(&p) {
                    break;
                }
                first = start;
                periods.push((start, Some(p)));
            }
        } else {
            // A period after: "rsi 14", "ema 20 day", "rsi period 14".
            let a = end;
            if matches!(self.w(a), "period" | "length") && self.free(a) && self.free(a + 1) {
                if let Some(p) = self.int(a + 1).filter(|p| PERIOD_RANGE.contains(p)) {
                    periods.push((a, Some(p)));
                    end = a + 2;
                }
            } else if let Some(p) = self
                .int(a)
                .filter(|p| PERIOD_RANGE.contains(p) && self.free(a))
            {
                match self.unit(a + 1) {
                    Some(Unit::Day | Unit::Week) if self.free(a + 1) => {
                        let is_timeframe =
                            self.unit(a + 1).and_then(|u| timeframe_for(p, u)).is_some();
                        if moving_average || !is_timeframe {
                            periods.push((a, Some(p)));
                            end = a + 2;
                        }
                    }
                    Some(_) => {}
                    None if is_period_unit(self.w(a + 1)) && self.free(a + 1) => {
                        periods.push((a, Some(p)));
                        end = a + 2;
                    }
                    None => {
                        periods.push((a, Some(p)));
                        end = a + 1;
                    }
                }
            }
        }
        if needs_period && !periods.iter().any(|(_, p)| p.is_some()) {
            return;
        }
        let enabled = match self.state_after(end) {
            Some((on, state_end)) => {
                end = state_end;
                on
            }
            None => self.polarity_before(first) != Some(Polarity::Off),
        };
        self.claim(first, end, Claim::Indicator);
        if periods.is_empty() {
            periods.push((i, None));
        }
        let order = stable_order(periods.len(), &|k| periods[k].0);
        for (pos, period) in order.into_iter().map(|k| periods[k]) {
            let params = period.map(|period| IndicatorParams { period });
            self.push(
                pos,
                CommandKind::Indicator(Indicator {
                    name,
                    enabled,
                    params,
                }),
            );
        }
    }

    /// A trailing `off` (or a clause-final `on`) at `i`: `(enabled, end)`.
    pub(super) fn state_after(&self, i: usize) -> Option<(bool, usize)> {
        if !self.free(i) {
            return None;
        }
        match self.w(i) {
            "off" => Some((false, i + 1)),
            "on" if self.clause_ends(i + 1) => Some((true, i + 1)),
            _ => None,
        }
    }

    /// A moving average named by its period alone: "the 50-day", "the 200", "the 50 and 200".
    pub(super) fn read_bare_average(&mut self, i: usize) {
        if !self.free(i) {
            return;
        }
        let Some(p) = self
            .int(i)
            .filter(|p| (2..=*PERIOD_RANGE.end()).contains(p))
        else {
            return;
        };
        let prev = self.before(i, 1);
        let end = if matches!(self.w(i + 1), "day" | "d")
            && self.free(i + 1)
            && p != 5
            && (i == 0 || is_average_lead(prev))
            && !is_range_noun(self.w(i + 2))
        {
            i + 2
        } else if prev == "the"
            && matches!(p, 10 | 20 | 50 | 100 | 150 | 200)
            && self.unit(i + 1).is_none()
            && self.int(i + 1).is_none()
            && !is_not_average_after(self.w(i + 1))
        {
            i + 1
        } else {
            return;
        };
        let mut periods = vec![(i, p)];
        let mut end = end;
        // "the 50 and 200": the list continues with the same meaning.
        while matches!(self.w(end), "and" | "or" | "&") && self.free(end) && self.free(end + 1) {
            let Some(q) = self.int(end + 1).filter(|q| PERIOD_RANGE.contains(q)) else {
                break;
            };
            if matches!(self.w(end + 2), "day" | "d") && self.free(end + 2) {
                periods.push((end + 1, q));
                end += 3;
            } else if self.unit(end + 2).is_none() && !is_not_average_after(self.w(end + 2)) {
                periods.push((end + 1, q));
                end += 2;
            } else {
                break;
            }
        }
        let enabled = match self.state_after(end) {
            Some((on, state_end)) => {
                end = state_end;
                on
            }
            None => self.polarity_before(i) != Some(Polarity::Off),
        };
        self.claim(i, end, Claim::Indicator);
        for (pos, period) in periods {
            self.push(
                pos,
                CommandKind::Indicator(Indicator {
                    name: IndicatorName::Sma,
                    enabled,
                    params: Some(IndicatorParams { period }),
                }),
            );
        }
    }
}

/// `ma50`, `sma200`, `ema20`, `rsi14`: an indicator with a glued period (range not checked).
pub(super) fn glued_indicator(w: &str) -> Option<(IndicatorName, u32)> {
    let at = w.find(|c: char| c.is_ascii_digit())?;
    let (head, digits) = w.split_at(at);
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let name = match head {
        "ma" | "sma" | "dma" => IndicatorName::Sma,
        "ema" => IndicatorName::Ema,
        "wma" => IndicatorName::Wma,
        "rsi" => IndicatorName::Rsi,
        "atr" => IndicatorName::Atr,
        _ => return None,
    };
    Some((name, digits.parse().ok()?))
}
