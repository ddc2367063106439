//! The word lists the rules consult (static `match` arms and packed word sets, nothing built at run
//! time): period units, chart words, the words around moving averages, chart verbs, move and
//! concept words for intent, and the keywords that are never tickers. Names of companies, coins
//! and indices are in [`super::names`].

use crate::vocab::IndicatorName;

/// Drops a trailing possessive `'s` / `’s`.
pub(super) fn strip_possessive(s: &str) -> &str {
    for suffix in ["'s", "'S", "\u{2019}s", "\u{2019}S"] {
        if let Some(rest) = s.strip_suffix(suffix) {
            return rest;
        }
    }
    s
}

/// Words that may sit between a number and an indicator ("50 day", "14 period", "20 bar").
pub(super) fn is_period_unit(w: &str) -> bool {
    words!(
        "day"
            | "days"
            | "d"
            | "week"
            | "weeks"
            | "wk"
            | "w"
            | "period"
            | "periods"
            | "p"
            | "bar"
            | "bars"
            | "candle"
            | "candles"
            | "length"
    )
    .contains(w)
}

/// A time unit in the singular, spelled out: "day chart", "past week".
pub(super) fn is_singular_unit(w: &str) -> bool {
    words!("minute" | "hour" | "day" | "week" | "month" | "year").contains(w)
}

/// Words that say "the chart at this interval" after a unit ("day chart").
pub(super) fn is_chart_word(w: &str) -> bool {
    words!(
        "chart"
            | "charts"
            | "view"
            | "timeframe"
            | "candles"
            | "candle"
            | "bars"
            | "interval"
            | "graph"
            | "frame"
            | "basis"
            | "resolution"
    )
    .contains(w)
}

/// Words before "N day" that make it a moving average ("with the 50-day").
pub(super) fn is_average_lead(w: &str) -> bool {
    words!(
        "the"
            | "a"
            | "with"
            | "and"
            | "or"
            | "&"
            | "plus"
            | "add"
            | "show"
            | "display"
            | "overlay"
            | "hide"
            | "remove"
            | "drop"
            | "its"
            | "above"
            | "below"
            | "under"
            | "also"
    )
    .contains(w)
}

/// Nouns after "N day" that make it a span of time, not a moving average ("30 day range").
pub(super) fn is_range_noun(w: &str) -> bool {
    words!(
        "chart"
            | "charts"
            | "view"
            | "range"
            | "high"
            | "highs"
            | "low"
            | "lows"
            | "return"
            | "returns"
            | "performance"
            | "change"
            | "window"
            | "period"
            | "timeframe"
            | "time"
            | "candles"
            | "bars"
            | "move"
            | "history"
            | "trading"
            | "rule"
            | "trial"
            | "streak"
            | "forecast"
            | "outlook"
            | "return's"
            | "rally"
            | "selloff"
            | "drop"
            | "gain"
            | "gains"
            | "loss"
            | "losses"
            | "volatility"
            | "vol"
            | "volume"
    )
    .contains(w)
}

/// Words after "the N" that make N something other than a moving average ("the 50 level").
pub(super) fn is_not_average_after(w: &str) -> bool {
    words!(
        "percent"
            | "pct"
            | "level"
            | "levels"
            | "mark"
            | "handle"
            | "area"
            | "zone"
            | "strike"
            | "times"
            | "x"
            | "dollars"
            | "dollar"
            | "bucks"
            | "cents"
            | "k"
            | "points"
            | "pts"
            | "price"
            | "stock"
            | "stocks"
            | "shares"
            | "companies"
            | "largest"
            | "biggest"
            | "best"
            | "worst"
            | "top"
            | "most"
            | "of"
            | "in"
            | "million"
            | "billion"
            | "thousand"
    )
    .contains(w)
}

/// Verbs that start a request for chart control.
pub(super) fn is_chart_verb(w: &str) -> bool {
    words!(
        "show"
            | "add"
            | "load"
            | "pull"
            | "put"
            | "display"
            | "zoom"
            | "switch"
            | "change"
            | "go"
            | "open"
            | "bring"
            | "give"
            | "hide"
            | "remove"
            | "take"
            | "turn"
            | "reset"
            | "clear"
            | "draw"
            | "plot"
            | "set"
            | "make"
            | "toggle"
            | "overlay"
            | "fit"
            | "get"
            | "see"
            | "chart"
            | "delete"
            | "drop"
            | "enable"
            | "disable"
            | "apply"
            | "mark"
            | "erase"
            | "let"
    )
    .contains(w)
}

/// Words about a price move ("why is TSLA *down*").
pub(super) fn is_move_word(w: &str) -> bool {
    words!(
        "up" | "down"
            | "falling"
            | "fall"
            | "fell"
            | "dropping"
            | "drop"
            | "dropped"
            | "rising"
            | "rise"
            | "rose"
            | "crashing"
            | "crash"
            | "crashed"
            | "tanking"
            | "tanked"
            | "dumping"
            | "dumped"
            | "pumping"
            | "pumped"
            | "surging"
            | "surged"
            | "soaring"
            | "soared"
            | "plunging"
            | "plunged"
            | "rallying"
            | "rallied"
            | "jumping"
            | "jumped"
            | "moving"
            | "spiking"
            | "spiked"
            | "sinking"
            | "sliding"
            | "slid"
            | "climbing"
            | "gaining"
            | "losing"
            | "higher"
            | "lower"
            | "red"
            | "green"
            | "dip"
            | "dipped"
            | "dipping"
            | "mooning"
    )
    .contains(w)
}

/// Concepts a definition question can be about ("what is an ETF", "what are options").
pub(super) fn is_concept_word(w: &str) -> bool {
    words!(
        "indicator"
            | "indicators"
            | "oscillator"
            | "oscillators"
            | "candlestick"
            | "candlesticks"
            | "candle"
            | "candles"
            | "doji"
            | "hammer"
            | "engulfing"
            | "pennant"
            | "flag"
            | "etf"
            | "etfs"
            | "option"
            | "options"
            | "call"
            | "calls"
            | "put"
            | "puts"
            | "short"
            | "shorting"
            | "margin"
            | "leverage"
            | "dividend"
            | "dividends"
            | "yield"
            | "ratio"
            | "eps"
            | "spread"
            | "liquidity"
            | "beta"
            | "alpha"
            | "volatility"
            | "timeframe"
            | "timeframes"
            | "bond"
            | "bonds"
            | "inflation"
            | "recession"
            | "hedge"
            | "hedging"
            | "portfolio"
            | "diversification"
            | "futures"
            | "split"
            | "order"
            | "limit"
            | "loss"
            | "crypto"
            | "blockchain"
            | "stock"
            | "stocks"
            | "ipo"
            | "index"
            | "fund"
            | "funds"
            | "bull"
            | "bear"
    )
    .contains(w)
}

/// Words the rules here treat as vocabulary, so an upper-case spelling is never a ticker even
/// when the stop list misses it.
pub(super) fn is_keyword(w: &str) -> bool {
    is_chart_verb(w)
        || is_chart_word(w)
        || is_period_unit(w)
        || is_concept_word(w)
        || is_move_word(w)
        || IndicatorName::parse(w).is_some()
}

/// Symbols that stand for the whole market (for "how's the S&P doing?").
pub(super) fn is_broad_index(symbol: &str) -> bool {
    words!(
        "SPY"
            | "QQQ"
            | "DIA"
            | "IWM"
            | "VOO"
            | "VTI"
            | "^VIX"
            | "^GSPC"
            | "^IXIC"
            | "^DJI"
            | "^RUT"
            | "^FTSE"
            | "^GDAXI"
            | "^N225"
            | "^HSI"
            | "^STOXX50E"
            | "ES=F"
            | "NQ=F"
            | "YM=F"
    )
    .contains(symbol)
}
