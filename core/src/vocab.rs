//! Canonical vocabularies: symbols, timeframes, indicators, and the small enumerations used in payloads.
//!
//! This module is the one authority for "is this token valid, and what is its canonical spelling".
//! It must not know about commands, paths or issues: callers turn a `None` into the right issue.

/// Longest accepted symbol, after trimming.
pub const MAX_SYMBOL_LEN: usize = 12;

/// Crypto quote currencies accepted after the dash in `BASE-QUOTE`.
const CRYPTO_QUOTES: [&str; 6] = ["USD", "USDT", "USDC", "EUR", "BTC", "ETH"];

/// Returns the canonical (trimmed, upper-cased) symbol, or `None` when the text is no valid symbol.
///
/// Accepted shapes (Yahoo-style): `TSLA`, `BRK.B`, `BTC-USD`, `^GSPC`, `EURUSD=X`, `ES=F`.
pub fn canonical_symbol(raw: &str) -> Option<String> {
    let s = raw.trim();
    if s.is_empty() || s.len() > MAX_SYMBOL_LEN || !s.is_ascii() {
        return None;
    }
    let s = s.to_ascii_uppercase();
    if symbol_shape(&s).is_some() {
        Some(s)
    } else {
        None
    }
}

/// The asset class a canonical symbol's shape implies.
pub fn symbol_shape(s: &str) -> Option<AssetType> {
    let letters = |t: &str, lo: usize, hi: usize| {
        (lo..=hi).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_uppercase())
    };
    let alnum = |t: &str, lo: usize, hi: usize| {
        (lo..=hi).contains(&t.len())
            && t.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    };
    if letters(s, 1, 5) {
        return Some(AssetType::Stock);
    }
    if let Some(rest) = s.strip_prefix('^') {
        return alnum(rest, 1, 10).then_some(AssetType::Index);
    }
    if let Some(pair) = s.strip_suffix("=X") {
        return letters(pair, 6, 6).then_some(AssetType::Forex);
    }
    if let Some(root) = s.strip_suffix("=F") {
        return alnum(root, 1, 6).then_some(AssetType::Future);
    }
    if let Some((base, class)) = s.split_once('.') {
        return (letters(base, 1, 5) && letters(class, 1, 2)).then_some(AssetType::Stock);
    }
    if let Some((base, quote)) = s.split_once('-') {
        return (alnum(base, 2, 6) && CRYPTO_QUOTES.contains(&quote)).then_some(AssetType::Crypto);
    }
    None
}

/// A vocabulary: a [`crate::wire_enum!`] whose values also have a legacy spelling
/// (`Name { Variant => "wire" / "LEGACY", … }`).
macro_rules! token_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($variant:ident => $wire:literal / $legacy:literal),+ $(,)? }
    ) => {
        crate::wire_enum! {
            $(#[$meta])*
            #[derive(PartialOrd, Ord, schemars::JsonSchema)]
            #[cfg_attr(feature = "ts", derive(tsify::Tsify))]
            pub enum $name {
                $($variant = $wire),+
            }
        }

        impl $name {
            /// The spelling used in canonical legacy strings.
            pub fn as_legacy(self) -> &'static str {
                match self { $($name::$variant => $legacy),+ }
            }
        }
    };
}

token_enum! {
    /// The asset class of a `load` command.
    AssetType {
        Stock => "stock" / "STOCK",
        Crypto => "crypto" / "CRYPTO",
        Index => "index" / "INDEX",
        Forex => "forex" / "FOREX",
        Future => "future" / "FUTURE",
    }
}

token_enum! {
    /// Canonical timeframes. Minutes are lower-case `m`, months upper-case `M`.
    Timeframe {
        M1 => "1m" / "1m",
        M2 => "2m" / "2m",
        M5 => "5m" / "5m",
        M15 => "15m" / "15m",
        M30 => "30m" / "30m",
        H1 => "1H" / "1H",
        H2 => "2H" / "2H",
        H3 => "3H" / "3H",
        H4 => "4H" / "4H",
        H6 => "6H" / "6H",
        H8 => "8H" / "8H",
        D1 => "1D" / "1D",
        D5 => "5D" / "5D",
        W1 => "1W" / "1W",
        W2 => "2W" / "2W",
        Mo1 => "1M" / "1M",
        Mo3 => "3M" / "3M",
        Mo6 => "6M" / "6M",
        Ytd => "YTD" / "YTD",
        Y1 => "1Y" / "1Y",
        Y2 => "2Y" / "2Y",
        Y3 => "3Y" / "3Y",
        Y5 => "5Y" / "5Y",
        Max => "MAX" / "MAX",
    }
}

impl Timeframe {
    /// Parses a canonical token or one of the spec's input aliases. Case-sensitive where case carries meaning.
    pub fn parse(raw: &str) -> Option<Timeframe> {
        let s = raw.trim();
        if let Some(tf) = Timeframe::ALL.iter().find(|t| t.as_str() == s) {
            return Some(*tf);
        }
        let tf = match s {
            "M1" => Timeframe::M1,
            "M2" => Timeframe::M2,
            "M5" => Timeframe::M5,
            "M15" => Timeframe::M15,
            "M30" => Timeframe::M30,
            "H1" | "1h" => Timeframe::H1,
            "H2" | "2h" => Timeframe::H2,
            "H3" | "3h" => Timeframe::H3,
            "H4" | "4h" => Timeframe::H4,
            "H6" | "6h" => Timeframe::H6,
            "H8" | "8h" => Timeframe::H8,
            "1d" => Timeframe::D1,
            "5d" => Timeframe::D5,
            "1w" => Timeframe::W1,
            "2w" => Timeframe::W2,
            "ytd" | "Ytd" => Timeframe::Ytd,
            "1y" => Timeframe::Y1,
            "2y" => Timeframe::Y2,
            "3y" => Timeframe::Y3,
            "5y" => Timeframe::Y5,
            "ALL" | "all" | "max" | "Max" => Timeframe::Max,
            _ => {
                let lower = s.to_ascii_lowercase();
                match lower.as_str() {
                    "1mo" | "1mon" => Timeframe::Mo1,
                    "3mo" | "3mon" => Timeframe::Mo3,
                    "6mo" | "6mon" => Timeframe::Mo6,
                    _ => return None,
                }
            }
        };
        Some(tf)
    }
}

token_enum! {
    /// Canonical indicator names.
    IndicatorName {
        Sma => "SMA" / "SMA",
        Ema => "EMA" / "EMA",
        Wma => "WMA" / "WMA",
        Vwap => "VWAP" / "VWAP",
        Bollinger => "BOLLINGER" / "BOLLINGER",
        Rsi => "RSI" / "RSI",
        Macd => "MACD" / "MACD",
        Stochastic => "STOCHASTIC" / "STOCHASTIC",
        Atr => "ATR" / "ATR",
        Obv => "OBV" / "OBV",
        Volume => "VOLUME" / "VOLUME",
        Ichimoku => "ICHIMOKU" / "ICHIMOKU",
    }
}

/// Smallest and largest accepted indicator period.
pub const PERIOD_RANGE: std::ops::RangeInclusive<u32> = 1..=500;

impl IndicatorName {
    /// Parses a name or alias (case-insensitive). Returns the name and the period an alias implies
    /// (`MA50` → SMA with period 50). `SMA20`, `EMA20` and `WMA20` follow the same rule.
    ///
    /// `Some((name, Some(period)))` may carry a period outside [`PERIOD_RANGE`]; callers check it.
    pub fn parse_with_period(raw: &str) -> Option<(IndicatorName, Option<u32>)> {
        if let Some(name) = Self::parse_plain(raw.trim()) {
            return Some((name, None));
        }
        let s = raw.trim().to_ascii_uppercase();
        let digits_at = s.find(|c: char| c.is_ascii_digit())?;
        let (head, digits) = s.split_at(digits_at);
        let head = head.trim_end_matches(['_', '-']);
        if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let name = match head {
            "MA" | "SMA" => IndicatorName::Sma,
            "EMA" => IndicatorName::Ema,
            "WMA" => IndicatorName::Wma,
            _ => return None,
        };
        let period: u32 = digits.parse().ok()?;
        Some((name, Some(period)))
    }

    /// Parses a name or plain alias (no embedded period), case-insensitive.
    pub fn parse(raw: &str) -> Option<IndicatorName> {
        Self::parse_plain(raw.trim())
    }

    /// Case-insensitive match against names and plain aliases, without allocating.
    fn parse_plain(s: &str) -> Option<IndicatorName> {
        if let Some(n) = IndicatorName::ALL
            .iter()
            .find(|n| n.as_str().eq_ignore_ascii_case(s))
        {
            return Some(*n);
        }
        const ALIASES: [(&str, IndicatorName); 7] = [
            ("MA", IndicatorName::Sma),
            ("BB", IndicatorName::Bollinger),
            ("BOLLINGER_BANDS", IndicatorName::Bollinger),
            ("BOLLINGERBANDS", IndicatorName::Bollinger),
            ("BBANDS", IndicatorName::Bollinger),
            ("VOL", IndicatorName::Volume),
            ("STOCH", IndicatorName::Stochastic),
        ];
        ALIASES
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(s))
            .map(|(_, n)| *n)
    }
}

token_enum! {
    /// Style of a `drawing` command.
    DrawingStyle {
        Support => "support" / "SUPPORT",
        Resistance => "resistance" / "RESISTANCE",
        Horizontal => "horizontal" / "HORIZONTAL",
        Entry => "entry" / "ENTRY",
        Target => "target" / "TARGET",
        StopLoss => "stop_loss" / "STOPLOSS",
        Trendline => "trendline" / "TRENDLINE",
        Fibonacci => "fibonacci" / "FIBONACCI",
    }
}

impl DrawingStyle {
    /// Parses a style name (payload spelling or legacy verb, case-insensitive).
    pub fn parse(raw: &str) -> Option<DrawingStyle> {
        let s = raw.trim().to_ascii_lowercase();
        Some(match s.as_str() {
            "support" => DrawingStyle::Support,
            "resistance" => DrawingStyle::Resistance,
            "horizontal" | "level" => DrawingStyle::Horizontal,
            "entry" => DrawingStyle::Entry,
            "target" => DrawingStyle::Target,
            "stop_loss" | "stoploss" | "stop-loss" | "stop" => DrawingStyle::StopLoss,
            "trendline" | "trend_line" => DrawingStyle::Trendline,
            "fibonacci" | "fib" => DrawingStyle::Fibonacci,
            _ => return None,
        })
    }

    /// Whether this style is a single horizontal price level.
    pub fn is_level(self) -> bool {
        !matches!(self, DrawingStyle::Trendline | DrawingStyle::Fibonacci)
    }
}

token_enum! {
    /// Zoom direction.
    ZoomDirection { In => "in" / "IN", Out => "out" / "OUT" }
}

token_enum! {
    /// What `reset` resets.
    ResetTarget { View => "view" / "VIEW", Scale => "scale" / "SCALE" }
}

token_enum! {
    /// Crosshair mode.
    CrosshairMode { On => "on" / "ON", Off => "off" / "OFF", Toggle => "toggle" / "TOGGLE" }
}

token_enum! {
    /// Chart type for `style`.
    ChartType {
        Candles => "candles" / "CANDLES",
        Bars => "bars" / "BARS",
        Line => "line" / "LINE",
        Area => "area" / "AREA",
        HeikinAshi => "heikin_ashi" / "HEIKIN_ASHI",
    }
}

impl ChartType {
    /// Parses a chart type or a common alias (case-insensitive).
    pub fn parse(raw: &str) -> Option<ChartType> {
        let s = raw.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Some(match s.as_str() {
            "candles" | "candle" | "candlestick" | "candlesticks" => ChartType::Candles,
            "bars" | "bar" | "ohlc" => ChartType::Bars,
            "line" => ChartType::Line,
            "area" | "mountain" => ChartType::Area,
            "heikin_ashi" | "heikinashi" | "ha" => ChartType::HeikinAshi,
            _ => return None,
        })
    }
}

token_enum! {
    /// What `clear` clears.
    ClearTarget { All => "all" / "ALL", Drawings => "drawings" / "DRAWINGS", Pattern => "pattern" / "PATTERN" }
}

/// Parses any of the small enumerations by wire or legacy spelling, case-insensitively.
pub fn parse_token<T: Copy + 'static>(
    all: &'static [T],
    wire: fn(T) -> &'static str,
    raw: &str,
) -> Option<T> {
    let s = raw.trim();
    all.iter()
        .copied()
        .find(|t| wire(*t).eq_ignore_ascii_case(s))
}

impl AssetType {
    /// Parses an asset type, case-insensitively.
    pub fn parse(raw: &str) -> Option<AssetType> {
        let s = raw.trim().to_ascii_lowercase();
        Some(match s.as_str() {
            "stock" | "equity" | "etf" => AssetType::Stock,
            "crypto" | "cryptocurrency" => AssetType::Crypto,
            "index" => AssetType::Index,
            "forex" | "fx" | "currency" => AssetType::Forex,
            "future" | "futures" => AssetType::Future,
            _ => return None,
        })
    }
}

/// Validates an identifier (pattern id): 1–64 characters of `[A-Za-z0-9_.-]`, kept as-is.
pub fn is_valid_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Canonical pattern type or status: lower-case snake case, 1–64 characters of `[a-z0-9_]`.
/// Spaces and dashes become underscores.
pub fn canonical_snake(raw: &str) -> Option<String> {
    let s: String = raw
        .trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    let ok = (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    ok.then_some(s)
}

/// Validates an ISO calendar date `YYYY-MM-DD` (proleptic Gregorian, years 1000–9999).
pub fn is_valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &s[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    y >= 1000 && (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Validates an RFC 3339 date-time such as `2024-03-01T14:30:00Z` or `2024-03-01T14:30:00.5+02:00`.
pub fn is_valid_rfc3339(s: &str) -> bool {
    if s.len() < 20 || s.len() > 40 || !s.is_ascii() {
        return false;
    }
    let (date, rest) = s.split_at(10);
    if !is_valid_date(date) {
        return false;
    }
    let rest = match rest.strip_prefix(['T', 't', ' ']) {
        Some(r) => r,
        None => return false,
    };
    let two = |t: &str, max: u32| {
        t.len() == 2
            && t.bytes().all(|c| c.is_ascii_digit())
            && t.parse::<u32>().is_ok_and(|v| v <= max)
    };
    if rest.len() < 9 {
        return false;
    }
    let (hms, mut tail) = rest.split_at(8);
    let hb = hms.as_bytes();
    if hb[2] != b':'
        || hb[5] != b':'
        || !two(&hms[0..2], 23)
        || !two(&hms[3..5], 59)
        || !two(&hms[6..8], 60)
    {
        return false;
    }
    if let Some(frac) = tail.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        tail = &frac[n..];
    }
    match tail {
        "Z" | "z" => true,
        _ => {
            let b = tail.as_bytes();
            b.len() == 6
                && matches!(b[0], b'+' | b'-')
                && b[3] == b':'
                && two(&tail[1..3], 23)
                && two(&tail[4..6], 59)
        }
    }
}

/// Whether `c` is invisible formatting that can split or disguise a word: zero-width characters
/// (U+200B–U+200D, U+2060–U+2064, U+FEFF, U+00AD soft hyphen, U+180E) and bidi controls
/// (U+200E, U+200F, U+061C, U+202A–U+202E, U+2066–U+2069).
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}'
        | '\u{00AD}'
        | '\u{061C}'
        | '\u{180E}')
}

/// `s` without its invisible characters ([`is_invisible`]); borrowed when there are none.
pub fn strip_invisible(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(is_invisible) {
        std::borrow::Cow::Owned(s.chars().filter(|c| !is_invisible(*c)).collect())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// A description or notes string made safe to show: control characters (C0, DEL, C1) and the
/// line and paragraph separators U+2028/U+2029 are gone (whitespace controls such as a newline or
/// a tab become a space, others such as NUL or ESC are removed), and so are the invisible
/// characters of [`is_invisible`]. Borrowed when nothing changes.
pub fn clean_text(s: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char =
        |c: char| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') || is_invisible(c);
    if !s.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_whitespace() && unsafe_char(c) {
            out.push(' ');
        } else if !unsafe_char(c) {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbol_shapes() {
        for (raw, want) in [
            (" tsla ", Some("TSLA")),
            ("brk.b", Some("BRK.B")),
            ("btc-usd", Some("BTC-USD")),
            ("^gspc", Some("^GSPC")),
            ("eurusd=x", Some("EURUSD=X")),
            ("es=f", Some("ES=F")),
            ("GOOGLE", None),
            ("BTC-XYZ", None),
            ("EUR=X", None),
            ("", None),
            ("TSLÄ", None),
            ("^ABCDEFGHIJKL", None),
        ] {
            assert_eq!(canonical_symbol(raw).as_deref(), want, "{raw:?}");
        }
        assert_eq!(symbol_shape("BTC-USD"), Some(AssetType::Crypto));
        assert_eq!(symbol_shape("^VIX"), Some(AssetType::Index));
    }

    #[test]
    fn minutes_and_months_never_collapse() {
        assert_eq!(Timeframe::parse("1m"), Some(Timeframe::M1));
        assert_eq!(Timeframe::parse("1M"), Some(Timeframe::Mo1));
        assert_eq!(Timeframe::parse("M1"), Some(Timeframe::M1));
        assert_eq!(Timeframe::parse("1MON"), Some(Timeframe::Mo1));
        assert_eq!(Timeframe::parse("1mo"), Some(Timeframe::Mo1));
        assert_eq!(Timeframe::parse("ALL"), Some(Timeframe::Max));
        assert_eq!(Timeframe::parse("7d"), None);
    }

    #[test]
    fn dates_and_timestamps() {
        assert!(is_valid_date("2024-02-29"));
        assert!(!is_valid_date("2023-02-29"));
        assert!(!is_valid_date("2024-04-31"));
        assert!(!is_valid_date("24-04-01"));
        assert!(is_valid_rfc3339("2024-03-01T14:30:00Z"));
        assert!(is_valid_rfc3339("2024-03-01T14:30:00.123+02:00"));
        assert!(!is_valid_rfc3339("2024-03-01 14:30"));
        assert!(!is_valid_rfc3339("2024-03-01T25:00:00Z"));
        assert!(!is_valid_rfc3339("2024-03-01T14:30:00+2:00"));
    }

    #[test]
    fn indicator_aliases_with_periods() {
        assert_eq!(
            IndicatorName::parse_with_period("ma50"),
            Some((IndicatorName::Sma, Some(50)))
        );
        assert_eq!(
            IndicatorName::parse_with_period("EMA_20"),
            Some((IndicatorName::Ema, Some(20)))
        );
        assert_eq!(
            IndicatorName::parse_with_period("bb"),
            Some((IndicatorName::Bollinger, None))
        );
        assert_eq!(IndicatorName::parse_with_period("RSI14"), None);
        assert_eq!(IndicatorName::parse_with_period("MA99999"), None);
    }
}
