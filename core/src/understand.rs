//! Request understanding (spec §7): the intent of a plain-text request and the chart commands it
//! asks for, without calling a model ("show me Tesla on the weekly with the 50 day moving average"
//! → `LOAD:TSLA`, `TIMEFRAME:1W`, `INDICATOR:SMA:ON:50`, intent `chart_command`).
//!
//! Owns: tokenizing, the phrase rules that turn words into commands, and intent scoring.
//! Must not: do I/O, allocate per call beyond the token list and the commands, build lookup tables
//! at run time (every table is static: `match` arms here, sorted arrays in [`names`]), or build a
//! command any way but through [`Command::new`], the legacy parser and the vocabulary validators.
//! It never panics: the text is cut to [`MAX_INPUT_CHARS`] characters on a character boundary and
//! every index is bounds-checked.
//!
//! # How a request is read
//!
//! 1. The text is cut to [`MAX_INPUT_CHARS`], zero-width and bidi control characters are removed
//!    ([`crate::vocab::strip_invisible`], so `TS\u{200b}LA` is `TSLA`, not two words), and it is
//!    lower-cased (ASCII only, so byte offsets match).
//! 2. Whitespace-separated chunks are looked at whole first:
//!    - `VERB:ARGS` with a known legacy verb (`LOAD:TSLA`, `timeframe:1D`) goes through
//!      [`crate::legacy::parse_legacy`]; its valid commands are kept (a known verb with bad
//!      arguments, `LOAD:`, is read as words instead). An unknown upper-case verb with arguments
//!      (`FOO:BAR`) is skipped whole, never passed through as `raw`; `Tesla:` is read as words.
//!    - a cash-tag (`$TSLA`, `$brk.b`) is a ticker whatever the stop list says; a cash-tagged coin
//!      from the name table (`$BTC`, `$eth`) maps to its pair (`BTC-USD`).
//!    - an all-upper-case chunk with `.`, `-`, `=` or `^` that is a valid symbol (`BRK.B`,
//!      `BTC-USD`, `^VIX`, `ES=F`) is a ticker (a pair written as two names, `EUR-USD`, maps through
//!      the name table; `U.S.` is no ticker: a class share needs two letters before the dot).
//! 3. Everything else is split into words: letters and digits, with `&` and inner dots kept
//!    (`s&p`, `at&t`, `brk.b`, `1.5`), thousands commas kept in numbers (`1,250`), hyphens
//!    splitting (`50-day` → `50 day`), a number glued to letters split (`4h` → `4 h`, `50dma` →
//!    `50 dma`, `2x` → `2 x`), and a possessive `'s`/`’s` dropped (`NVDA's` → `NVDA`).
//! 4. Rules run in this order, each claiming the words it uses so later rules cannot reuse them:
//!    names (longest phrase in the name table), indicators (with their periods and on/off),
//!    bare moving-average periods (`the 50-day`), timeframes, price levels (`support at 430`),
//!    chart control (zoom, reset, crosshair, chart style, clear), and last upper-case tickers.
//! 5. Commands are put in text order, then [`execution_list`] deduplicates them and sorts them into
//!    execution order; at most [`crate::normalize::MAX_COMMANDS`] are returned.
//!
//! # Intent (deterministic keyword rules)
//!
//! Cue words are only counted when no command rule claimed them (so "show RSI" and "clear the
//! support lines" are pure chart control), except that in a question an indicator or price level
//! counts as a technical cue ("what's TSLA's RSI?").
//! A request is a *question* when it ends with `?` or starts with a question word (`what`, `how`,
//! `why`, `is`, `should`, `can`, …), unless it is a polite request for chart control ("can you
//! show me Tesla?", "show me the weekly?").
//! The first rule that holds wins:
//! 1. `educational`: no ticker, and either a strong cue (`explain`, `teach`, `define`, `meaning`,
//!    `difference between`, `what does … mean`, `how does … work`, `how do I/you …`) or a weak cue
//!    (`what is/are/'s`, `tell me about`) about a concept (an indicator, a pattern, `overbought`,
//!    `stop loss`, `ETF`, …; `support`/`trend`/`levels` count only without `the`: "what is
//!    support" is educational, "what's the trend" is technical). Educational requests get no
//!    commands: "what is RSI" asks about RSI, it does not ask to show it.
//! 2. `news_summary`: news, headlines, earnings, announced, report, happened, "going on",
//!    upgrades/downgrades, or `why` with a move (`why is TSLA down`).
//! 3. `technical_analysis`: support, resistance, trend, breakout, pattern, overbought/oversold,
//!    levels, analyze, buy/sell/hold, entry/exit/target/stop, momentum, divergence, bullish/bearish,
//!    outlook, "price action", "price target", …
//! 4. `price_only`: price, quote, "how much", worth, cost, trading (at/now), `what's AAPL at?`,
//!    "all time high", "52 week high", and `how is TSLA doing` (a single stock).
//! 5. `market_overview`: market(s) (not "market cap"/"market order"), stocks (with no ticker),
//!    sectors, indices, movers, gainers/losers, "wall street", economy, futures, "what's moving",
//!    and questions whose only tickers are broad indices ("how's the S&P doing?").
//! 6. `chart_command`: the request produced commands and is not a question.
//! 7. `general_query`: everything else, including empty text.
//!
//! # Decisions where the spec is silent
//!
//! - Single upper-case letters (`I`, `A`, `F`, `T`) are never tickers unless cash-tagged; 2–5
//!   letter upper-case words on the stop list ([`names::STOP_WORDS`]) neither. An upper-case word
//!   that is in the name table takes the table's symbol (`DOW` → DIA, `GOLD` → `GC=F`, `VIX` →
//!   `^VIX`); use a cash-tag for the literal ticker (`$DOW`).
//! - Timeframes: a number and a unit map only onto canonical timeframes (`15 minute` → `15m`,
//!   `4 hour` → `4H`, `5 day` → `5D`, `2 week` → `2W`, `3 months` → `3M`, `12 months` → `1Y`,
//!   `60 minute` → `1H`, `24 hour` → `1D`, `30/90/180/365 days` → `1M/3M/6M/1Y`, `24/36/60
//!   months` → `2Y/3Y/5Y`); others (`10 days`, `10 years`) give no timeframe.
//!   `1M` written in upper case is one month, `1m` one minute (falling back to minutes when the
//!   month count does not exist, `15M` → `15m`). `past/last/previous year|month|week|day|hour` is
//!   one of that unit; `this year` is `YTD`; `all time` is `MAX` except in "all time high/low";
//!   `max` only near chart words (`zoom out to max`, `max chart`), not in "max drawdown".
//!   A bare `week`/`day`/`hour` needs a chart word after it (`day chart`); `daily`, `weekly`,
//!   `monthly`, `hourly` always count. MT4 forms `h4`, `m15` are accepted.
//! - Indicator periods: a number before (`20 ema`, `200 sma`), before with a unit (`50 day moving
//!   average`, `14-period rsi`), after (`rsi 14`, `ema(20)`, `rsi period 14`) or glued (`ma50`,
//!   `ema20`, `50dma`); lists share the indicator (`the 50 and 200 day moving averages` → two SMA
//!   commands). `N day`/`N week` before a non-moving-average indicator stays a timeframe when it is
//!   one (`1 day rsi` → `1D` + RSI, but `14 day rsi` → RSI 14). A period outside 1–500 is ignored
//!   (the indicator is still shown) and its words are left for other rules.
//! - `average`/`avg` alone is a moving average only with a period (`50 day average`).
//! - Bare moving averages: `N day` (N ≠ 1, 5; singular `day`) after `the/a/with/and/add/show/…` or
//!   at the start, unless a range noun follows (`30 day range`, `… high`); `the N` for
//!   N ∈ {10, 20, 50, 100, 150, 200} unless followed by a unit, number, or `%`/`level`/`mark`/…;
//!   `and N` continues such a list. They are SMAs.
//! - On/off: a state word right after the indicator wins (`rsi off`; `rsi on` only at the end of a
//!   clause); otherwise the closest verb before it (`show/add/display/overlay/put/plot/include/
//!   enable/draw/see/want/need/load/turn on/switch on/give me/bring up/pull up` vs `hide/remove/
//!   disable/drop/delete/clear/kill/lose/ditch/erase/no/without/turn off/switch off/take off/
//!   take away/get rid of`); otherwise on. `toggle` on an indicator means on.
//! - Crosshair with no verb and no state is `CROSSHAIR:TOGGLE` (the legacy default); otherwise
//!   the same state/verb rule as indicators (`toggle crosshair` → `TOGGLE`).
//! - Several tickers load in text order (`AAPL vs MSFT` → `LOAD:AAPL`, `LOAD:MSFT`); asset types
//!   are never guessed (`asset_type` stays absent).
//! - Chart style words need chart context: `line`/`area` only as `line chart`, `switch to line`,
//!   `as a line`, `style line`, …; `candles`/`bars` not after a number or `last/few/volume/…`
//!   (`last 5 candles`), `candlestick patterns` is no style. `heikin ashi` claims a following
//!   `candles`.
//! - Price levels are drawn only with a number: `support at 430`, `resistance line at 455.5`,
//!   `stop loss 140`, `take profit at 175`, `entry 150`, `horizontal line at 100`, `a line at
//!   100` (horizontal). The number may use thousands commas (`1,250.5`).
//! - Clear: `clear|remove|delete|erase|wipe|get rid of|take off` followed by
//!   `drawings/lines/levels/annotations/trendlines/shapes/…` (also "support and resistance") is
//!   `CLEAR:DRAWINGS`; followed by `everything/chart/screen` or by `all` alone it is `CLEAR:ALL`;
//!   followed by `patterns` it is `CLEAR:PATTERN`. A bare `clear` counts only in command
//!   position ("clear", "please clear", "… and clear").
//! - Zoom amount: a number after `zoom in/out` (`2x`, `by 2`, `3 times`) between 0 and 100.
//! - Reset: `reset` + `scale/axis` → `RESET:SCALE`; `reset` + `view/chart/zoom/…` or alone →
//!   `RESET:VIEW`; `fit to screen/window`, `fit the chart`, `auto scale`, `autoscale` →
//!   `RESET:SCALE`.
//! - Not understood from plain text (left to the model): trend lines and Fibonacci drawings
//!   (they need two prices or times), scrolling to dates, and chart patterns.

/// A packed [`names::WordSet`] of the words `"a" | "b" | …`, built at compile time from these
/// literals, the list's only spelling (or, as `words!(@list LIST)`, from a `&[&str]` constant). A
/// list with a word twice, or a set that disagrees with its list ([`names::check_words`]), fails to
/// compile.
macro_rules! words {
    ($($w:literal)|+) => {
        words!(@list &[$($w),+])
    };
    (@list $words:expr) => {{
        const WORDS: &[&str] = $words;
        const BYTES: [u8; WORDS.len() * $crate::understand::names::max_len(WORDS)] = $crate::understand::names::pack_words(WORDS);
        const SET: $crate::understand::names::WordSet = $crate::understand::names::word_set(&BYTES, WORDS);
        const _: () = match $crate::understand::names::check_words(&SET, WORDS) {
            Ok(()) => {}
            Err(why) => panic!("{}", why),
        };
        static STATIC_SET: $crate::understand::names::WordSet = SET;
        &STATIC_SET
    }};
}

pub mod names;

use crate::command::{
    Clear, Command, CommandKind, Crosshair, Drawing, DrawingShape, Indicator, IndicatorParams,
    Load, Reset, Style, TimeframeChange, Zoom,
};
use crate::legacy::{is_known_verb, parse_legacy};
use crate::normalize::{execution_list, stable_order, MAX_COMMANDS};
use crate::num::{is_valid_price, parse_decimal, ZOOM_RANGE};
use crate::vocab::{
    canonical_symbol, symbol_shape, AssetType, ChartType, ClearTarget, CrosshairMode, DrawingStyle,
    IndicatorName, ResetTarget, Timeframe, ZoomDirection, PERIOD_RANGE,
};
use serde::Serialize;

/// Longest text read, in characters; the rest is ignored.
pub const MAX_INPUT_CHARS: usize = 2000;

/// What the user wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    ChartCommand,
    PriceOnly,
    TechnicalAnalysis,
    NewsSummary,
    MarketOverview,
    Educational,
    GeneralQuery,
}

impl Intent {
    /// Every intent, in declaration order (for metric label sets and config validation).
    pub const ALL: [Intent; 7] = [
        Intent::ChartCommand,
        Intent::PriceOnly,
        Intent::TechnicalAnalysis,
        Intent::NewsSummary,
        Intent::MarketOverview,
        Intent::Educational,
        Intent::GeneralQuery,
    ];

    /// The wire spelling (`chart_command`, …), as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::ChartCommand => "chart_command",
            Intent::PriceOnly => "price_only",
            Intent::TechnicalAnalysis => "technical_analysis",
            Intent::NewsSummary => "news_summary",
            Intent::MarketOverview => "market_overview",
            Intent::Educational => "educational",
            Intent::GeneralQuery => "general_query",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<Intent> {
        Intent::ALL.into_iter().find(|i| i.as_str() == s)
    }
}

/// Intent and commands understood from a request.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Understanding {
    pub intent: Intent,
    pub commands: Vec<Command>,
    pub legacy: Vec<String>,
}

impl Understanding {
    /// An understanding of `commands`; `legacy` is derived from them, so the two always agree.
    pub fn new(intent: Intent, commands: Vec<Command>) -> Understanding {
        let legacy = commands.iter().map(|c| c.legacy().to_owned()).collect();
        Understanding {
            intent,
            commands,
            legacy,
        }
    }
}

/// Understands a plain-text request: its intent and the chart commands it asks for, deduplicated
/// and in execution order, with their canonical legacy strings. Total and deterministic.
pub fn understand(text: &str) -> Understanding {
    let capped = cap_chars(text, MAX_INPUT_CHARS);
    // Invisible characters would split or disguise words (`TS\u{200b}LA`): gone before anything reads.
    let visible = crate::vocab::strip_invisible(capped);
    let text: &str = &visible;
    let lower = text.to_ascii_lowercase();
    let mut reader = Reader::new(text, &lower);
    reader.read();
    let intent = reader.classify();
    let commands = if intent == Intent::Educational {
        Vec::new()
    } else {
        reader.into_commands()
    };
    Understanding::new(intent, commands)
}

/// The first `max` characters of `text`.
fn cap_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// Which rule claimed a word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Claim {
    Free,
    Name,
    Indicator,
    Level,
    Other,
}

/// On/off meaning of a verb.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Polarity {
    On,
    Off,
    Toggle,
}

/// A timeframe unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
    /// Upper-case `M`: a month, or minutes when no month timeframe fits.
    MonthOrMinute,
}

/// One word: its lower-case and original spelling (same bytes, ASCII case aside).
#[derive(Clone, Copy, Debug)]
struct Word<'a> {
    lower: &'a str,
    orig: &'a str,
    /// Written with a possessive `'s` (dropped): "NVDA's", "what's".
    possessive: bool,
}

/// Intent cues found in a request.
#[derive(Default)]
struct Cues {
    news: bool,
    technical: bool,
    price: bool,
    market: bool,
    doing: bool,
    edu_strong: bool,
    edu_weak: bool,
    /// The word after a weak cue ("what is *the* …").
    edu_weak_the: bool,
    concept: bool,
    state_concept: bool,
}

struct Reader<'a> {
    text: &'a str,
    words: Vec<Word<'a>>,
    claims: Vec<Claim>,
    polarity: Vec<Option<Polarity>>,
    /// Commands with the word position they were found at.
    found: Vec<(usize, Command)>,
    loads: usize,
    index_loads: usize,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str, lower: &'a str) -> Reader<'a> {
        let mut r = Reader {
            text,
            words: Vec::new(),
            claims: Vec::new(),
            polarity: Vec::new(),
            found: Vec::new(),
            loads: 0,
            index_loads: 0,
        };
        r.tokenize(lower);
        r.claims = vec![Claim::Free; r.words.len()];
        r.polarity = (0..r.words.len()).map(|i| r.verb_polarity(i)).collect();
        r
    }

    // ---------------------------------------------------------------- tokens

    fn tokenize(&mut self, lower: &'a str) {
        let bytes = lower.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i].is_ascii_whitespace() {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            self.chunk(lower, start, i);
        }
    }

    /// One whitespace-free chunk `[s, e)`: a legacy command, a cash-tag, a punctuated symbol, or words.
    fn chunk(&mut self, lower: &'a str, s: usize, e: usize) {
        let b = lower.as_bytes();
        let (mut ts, mut te) = (s, e);
        while ts < te && b"\"'([{<".contains(&b[ts]) {
            ts += 1;
        }
        while te > ts && b"\"')]}>.,;!?".contains(&b[te - 1]) {
            te -= 1;
        }
        if ts < te {
            let t = &self.text[ts..te];
            if self.legacy_chunk(t) || self.cashtag_chunk(t) || self.symbol_chunk(t) {
                return;
            }
        }
        self.split_words(lower, s, e);
    }

    /// `VERB:ARGS` with a known verb: keeps the valid commands. An upper-case unknown verb with
    /// arguments (`FOO:BAR`) is legacy-shaped noise and is skipped whole. Returns whether the
    /// chunk was consumed.
    fn legacy_chunk(&mut self, t: &str) -> bool {
        let Some((verb, args)) = t.split_once(':') else {
            return false;
        };
        if verb.is_empty() || !verb.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_') {
            return false;
        }
        if !is_known_verb(verb) {
            return verb.len() >= 2
                && !args.is_empty()
                && verb.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
        }
        let pos = self.words.len();
        let mut any = false;
        for command in parse_legacy(t).commands {
            if matches!(command.kind(), CommandKind::Raw(_)) {
                continue;
            }
            if let CommandKind::Load(load) = command.kind() {
                self.count_load(&load.symbol);
            }
            self.found.push((pos, command));
            any = true;
        }
        any
    }

    /// `$TSLA`, `$brk.b`, `$BTC` (a cash-tagged coin from the name table maps to its pair).
    fn cashtag_chunk(&mut self, t: &str) -> bool {
        let Some(rest) = t.strip_prefix('$') else {
            return false;
        };
        if !rest
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'^')
        {
            return false;
        }
        let rest = strip_possessive(rest);
        let lower = rest.to_ascii_lowercase();
        if let Some((1, symbol)) = names::lookup(&[lower.as_str()]) {
            if symbol_shape(symbol) == Some(AssetType::Crypto) {
                self.load(self.words.len(), symbol.to_owned());
                return true;
            }
        }
        match canonical_symbol(rest) {
            Some(symbol) => {
                self.load(self.words.len(), symbol);
                true
            }
            None => false,
        }
    }

    /// An upper-case symbol with punctuation: `BRK.B`, `BTC-USD`, `^VIX`, `ES=F`.
    fn symbol_chunk(&mut self, t: &str) -> bool {
        let t = strip_possessive(t);
        let bytes = t.as_bytes();
        if !bytes.iter().any(|b| matches!(b, b'.' | b'-' | b'=' | b'^'))
            || bytes.iter().any(u8::is_ascii_lowercase)
            || !bytes.iter().any(u8::is_ascii_uppercase)
        {
            return false;
        }
        let Some(symbol) = canonical_symbol(t) else {
            return false;
        };
        if symbol
            .split_once('.')
            .is_some_and(|(base, _)| base.len() < 2)
        {
            return false;
        }
        if symbol.contains('-') {
            let parts: Vec<String> = symbol.split('-').map(str::to_ascii_lowercase).collect();
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            if let Some((len, named)) = names::lookup(&parts) {
                if len == parts.len() {
                    self.load(self.words.len(), named.to_owned());
                    return true;
                }
            }
        }
        self.load(self.words.len(), symbol);
        true
    }

    /// Splits `[s, e)` into words (see the module docs for the rules).
    fn split_words(&mut self, lower: &'a str, s: usize, e: usize) {
        let b = lower.as_bytes();
        let alnum = |k: usize| k < e && b[k].is_ascii_alphanumeric();
        let digit = |k: usize| k < e && b[k].is_ascii_digit();
        // Length of an apostrophe at k: ASCII `'` or U+2019 (E2 80 99).
        let apostrophe = |k: usize| -> usize {
            if k < e && b[k] == b'\'' {
                1
            } else if k + 2 < e && b[k] == 0xE2 && b[k + 1] == 0x80 && b[k + 2] == 0x99 {
                3
            } else {
                0
            }
        };
        let mut j = s;
        while j < e {
            if !(b[j].is_ascii_alphanumeric() || b[j] == b'&') {
                j += 1;
                continue;
            }
            let start = j;
            let numeric = b[j].is_ascii_digit();
            let mut skip_after = 0;
            while j < e {
                let c = b[j];
                let letter = !numeric && (c.is_ascii_alphabetic() || c == b'&');
                let inner_dot = c == b'.' && alnum(j + 1) && (!numeric || digit(j + 1));
                let thousands = c == b','
                    && numeric
                    && digit(j + 1)
                    && digit(j + 2)
                    && digit(j + 3)
                    && !digit(j + 4);
                if c.is_ascii_digit() || letter || inner_dot || thousands {
                    j += 1;
                } else {
                    let a = apostrophe(j);
                    if a > 0 && j + a < e && (b[j + a] == b's') && !alnum(j + a + 1) {
                        skip_after = a + 1;
                    } else if a == 1 && !numeric && j + 1 < e && b[j + 1].is_ascii_alphabetic() {
                        j += 1;
                        continue;
                    }
                    break;
                }
            }
            self.words.push(Word {
                lower: &lower[start..j],
                orig: &self.text[start..j],
                possessive: skip_after > 0,
            });
            j += skip_after;
        }
    }

    // ---------------------------------------------------------------- word access

    fn n(&self) -> usize {
        self.words.len()
    }

    /// The lower-case word at `i`, or `""` past the end.
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    fn w(&self, i: usize) -> &'a str {
        self.words.get(i).map_or("", |w| w.lower)
    }

    /// The lower-case word `back` positions before `i`, or `""`.
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    fn before(&self, i: usize, back: usize) -> &'a str {
        i.checked_sub(back).map_or("", |k| self.w(k))
    }

    #[cfg_attr(target_arch = "wasm32", inline(never))]
    fn free(&self, i: usize) -> bool {
        self.claims.get(i) == Some(&Claim::Free)
    }

    fn all_free(&self, from: usize, len: usize) -> bool {
        (from..from + len).all(|k| self.free(k))
    }

    fn claim(&mut self, from: usize, to: usize, claim: Claim) {
        let to = to.min(self.claims.len());
        for c in &mut self.claims[from.min(to)..to] {
            *c = claim;
        }
    }

    /// The word at `i` as a plain integer (digits only).
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    fn int(&self, i: usize) -> Option<u32> {
        let w = self.w(i);
        if w.is_empty() || w.len() > 9 || !w.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        w.parse().ok()
    }

    /// The word at `i` as a count: an integer or a number word (`one` … `sixty`).
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    fn count(&self, i: usize) -> Option<u32> {
        self.int(i).or(match self.w(i) {
            "one" => Some(1),
            "two" => Some(2),
            "three" => Some(3),
            "four" => Some(4),
            "five" => Some(5),
            "six" => Some(6),
            "eight" => Some(8),
            "ten" => Some(10),
            "twelve" => Some(12),
            "fifteen" => Some(15),
            "twenty" => Some(20),
            "thirty" => Some(30),
            "fifty" => Some(50),
            "sixty" => Some(60),
            _ => None,
        })
    }

    /// The word at `i` as a decimal number (`430`, `455.5`, `1,250.75`).
    fn decimal(&self, i: usize) -> Option<f64> {
        let w = self.w(i);
        if !w.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
            return None;
        }
        if w.contains(',') {
            parse_decimal(&w.replace(',', ""))
        } else {
            parse_decimal(w)
        }
    }

    /// The timeframe unit at `i`.
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    fn unit(&self, i: usize) -> Option<Unit> {
        Some(match self.w(i) {
            word if words!("minute" | "minutes" | "min" | "mins" | "mn").contains(word) => {
                Unit::Minute
            }
            "m" if self.words.get(i).is_some_and(|w| w.orig == "M") => Unit::MonthOrMinute,
            "m" => Unit::Minute,
            word if words!("hour" | "hours" | "hr" | "hrs" | "h").contains(word) => Unit::Hour,
            "day" | "days" | "d" => Unit::Day,
            word if words!("week" | "weeks" | "wk" | "wks" | "w").contains(word) => Unit::Week,
            word if words!("month" | "months" | "mo" | "mos" | "mon" | "mth" | "mths")
                .contains(word) =>
            {
                Unit::Month
            }
            word if words!("year" | "years" | "yr" | "yrs" | "y").contains(word) => Unit::Year,
            _ => return None,
        })
    }

    /// Whether the clause ends at `i` (for a trailing `on`: "rsi on", "crosshair on please").
    fn clause_ends(&self, i: usize) -> bool {
        i >= self.n()
            || words!("please" | "and" | "now" | "too" | "also" | "again" | "then" | "thanks")
                .contains(self.w(i))
    }

    // ---------------------------------------------------------------- verbs

    /// The on/off meaning of the verb (phrase) ending at `i`.
    fn verb_polarity(&self, i: usize) -> Option<Polarity> {
        let prev = self.before(i, 1);
        Some(match self.w(i) {
            word if words!(
                "show"
                    | "add"
                    | "display"
                    | "overlay"
                    | "put"
                    | "plot"
                    | "include"
                    | "apply"
                    | "enable"
                    | "draw"
                    | "see"
                    | "want"
                    | "need"
                    | "load"
            )
            .contains(word) =>
            {
                Polarity::On
            }
            word if words!(
                "hide"
                    | "remove"
                    | "disable"
                    | "drop"
                    | "delete"
                    | "clear"
                    | "kill"
                    | "without"
                    | "lose"
                    | "ditch"
                    | "erase"
                    | "no"
            )
            .contains(word) =>
            {
                Polarity::Off
            }
            "toggle" => Polarity::Toggle,
            "on" if words!("turn" | "switch" | "put" | "throw").contains(prev) => Polarity::On,
            "off" if words!("turn" | "switch" | "take" | "shut").contains(prev) => Polarity::Off,
            "away" if prev == "take" => Polarity::Off,
            "of" if prev == "rid" && self.before(i, 2) == "get" => Polarity::Off,
            "me" if prev == "give" => Polarity::On,
            "up" if matches!(prev, "bring" | "pull") => Polarity::On,
            _ => return None,
        })
    }

    /// The closest verb polarity before word `i`.
    fn polarity_before(&self, i: usize) -> Option<Polarity> {
        self.polarity[..i.min(self.polarity.len())]
            .iter()
            .rev()
            .find_map(|p| *p)
    }

    // ---------------------------------------------------------------- commands

    fn push(&mut self, pos: usize, kind: CommandKind) {
        self.found.push((pos, Command::new(kind)));
    }

    fn load(&mut self, pos: usize, symbol: String) {
        self.count_load(&symbol);
        self.push(
            pos,
            CommandKind::Load(Load {
                symbol,
                asset_type: None,
            }),
        );
    }

    fn count_load(&mut self, symbol: &str) {
        self.loads += 1;
        if is_broad_index(symbol) {
            self.index_loads += 1;
        }
    }

    fn into_commands(self) -> Vec<Command> {
        let found = self.found;
        let order = stable_order(found.len(), &|i| found[i].0);
        let mut list = execution_list(order.iter().map(|&i| &found[i].1));
        list.truncate(MAX_COMMANDS);
        list
    }

    fn read(&mut self) {
        let n = self.n();
        for i in 0..n {
            self.read_name(i);
        }
        for i in 0..n {
            self.read_indicator(i);
        }
        for i in 0..n {
            self.read_bare_average(i);
        }
        for i in 0..n {
            self.read_timeframe(i);
        }
        for i in 0..n {
            self.read_level(i);
        }
        for i in 0..n {
            let _ = self.read_zoom(i)
                || self.read_reset(i)
                || self.read_crosshair(i)
                || self.read_style(i)
                || self.read_clear(i);
        }
        for i in 0..n {
            self.read_ticker(i);
        }
    }

    /// A company, coin, index, commodity or currency name at `i`.
    fn read_name(&mut self, i: usize) {
        if !self.free(i) {
            return;
        }
        let mut window = [""; names::MAX_NAME_WORDS];
        for (k, slot) in window.iter_mut().enumerate() {
            if !self.free(i + k) {
                break;
            }
            *slot = self.w(i + k);
        }
        if let Some((len, symbol)) = names::lookup(&window) {
            self.claim(i, i + len, Claim::Name);
            self.load(i, symbol.to_owned());
        }
    }

    /// An upper-case ticker at `i`: 2–5 capitals, not on the stop list, not a keyword.
    fn read_ticker(&mut self, i: usize) {
        let Some(word) = self.words.get(i).copied() else {
            return;
        };
        if !self.free(i)
            || !(2..=5).contains(&word.orig.len())
            || !word.orig.bytes().all(|b| b.is_ascii_uppercase())
            || names::is_stop_word(word.lower)
            || is_keyword(word.lower)
        {
            return;
        }
        if let Some(symbol) = canonical_symbol(word.orig) {
            self.claim(i, i + 1, Claim::Other);
            self.load(i, symbol);
        }
    }

    /// An indicator mention at `i`: `(name, words, glued period, needs a period)`.
    fn indicator_at(&self, i: usize) -> Option<(IndicatorName, usize, Option<u32>, bool)> {
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
    fn period_before(&self, s: usize, moving_average: bool) -> Option<(usize, u32)> {
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

    fn read_indicator(&mut self, i: usize) {
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
    fn state_after(&self, i: usize) -> Option<(bool, usize)> {
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
    fn read_bare_average(&mut self, i: usize) {
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

    fn read_timeframe(&mut self, i: usize) {
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
    fn max_is_timeframe(&self, i: usize) -> bool {
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

    /// A price level: "support at 430", "stop loss 140", "take profit at 175".
    fn read_level(&mut self, i: usize) {
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
    fn read_zoom(&mut self, i: usize) -> bool {
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
    fn read_reset(&mut self, i: usize) -> bool {
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
    fn reset_target(&self, i: usize) -> Option<(ResetTarget, usize)> {
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
    fn read_crosshair(&mut self, i: usize) -> bool {
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
    fn read_style(&mut self, i: usize) -> bool {
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
    fn plain_style_word(&self, i: usize) -> bool {
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
    fn style_position(&self, i: usize) -> bool {
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
    fn read_clear(&mut self, i: usize) -> bool {
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
    fn command_position(&self, i: usize) -> bool {
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

    // ---------------------------------------------------------------- intent

    /// Whether the request asks something (rather than asking for chart control).
    fn is_question(&self) -> bool {
        let ends_with_mark = self.text.trim_end().ends_with('?');
        let starts_with_question = words!(
            "what"
                | "whats"
                | "how"
                | "hows"
                | "why"
                | "when"
                | "where"
                | "who"
                | "whos"
                | "which"
                | "is"
                | "are"
                | "was"
                | "were"
                | "does"
                | "do"
                | "did"
                | "should"
                | "will"
                | "would"
                | "could"
                | "can"
                | "has"
                | "have"
                | "any"
        )
        .contains(self.w(0));
        (ends_with_mark || starts_with_question) && !self.is_request()
    }

    /// "can you show me Tesla", "please add RSI", "show me the weekly?".
    fn is_request(&self) -> bool {
        let mut k = 0;
        while words!("please" | "pls" | "plz" | "hey" | "hi" | "ok" | "okay" | "so" | "yo")
            .contains(self.w(k))
        {
            k += 1;
        }
        if words!("can" | "could" | "would" | "will").contains(self.w(k))
            && words!("you" | "u" | "i" | "we" | "ya").contains(self.w(k + 1))
        {
            k += 2;
            if self.w(k) == "please" {
                k += 1;
            }
        }
        is_chart_verb(self.w(k))
    }

    fn classify(&self) -> Intent {
        let question = self.is_question();
        let has_ticker = self.loads > 0;
        let only_indices = has_ticker && self.index_loads == self.loads;
        let mut cues = Cues::default();
        for i in 0..self.n() {
            match self.claims[i] {
                Claim::Free => self.cue_at(i, &mut cues, has_ticker, question),
                Claim::Indicator => {
                    cues.concept = true;
                    cues.technical |= question;
                }
                Claim::Level => cues.technical |= question,
                Claim::Name | Claim::Other => {}
            }
        }
        let concept = cues.concept || (cues.state_concept && !cues.edu_weak_the);
        if !has_ticker && (cues.edu_strong || (cues.edu_weak && concept)) {
            return Intent::Educational;
        }
        if cues.news {
            return Intent::NewsSummary;
        }
        if cues.technical {
            return Intent::TechnicalAnalysis;
        }
        if cues.price || (cues.doing && has_ticker && !only_indices && !cues.market) {
            return Intent::PriceOnly;
        }
        if cues.market || (question && only_indices) {
            return Intent::MarketOverview;
        }
        if !self.found.is_empty() && !question {
            return Intent::ChartCommand;
        }
        Intent::GeneralQuery
    }

    /// Records the cues of the free word at `i`.
    fn cue_at(&self, i: usize, cues: &mut Cues, has_ticker: bool, question: bool) {
        let (w, w1, prev) = (self.w(i), self.w(i + 1), self.before(i, 1));
        let first = self.w(0);
        let earlier = |word: &str| self.words[..i].iter().any(|x| x.lower == word);
        match w {
            // News.
            word if words!(
                "news"
                    | "headline"
                    | "headlines"
                    | "earnings"
                    | "announce"
                    | "announced"
                    | "announcement"
                    | "announcements"
                    | "report"
                    | "reports"
                    | "reported"
                    | "happened"
                    | "happening"
                    | "catalyst"
                    | "catalysts"
                    | "lawsuit"
                    | "merger"
                    | "acquisition"
                    | "acquire"
                    | "acquired"
                    | "acquires"
                    | "ipo"
                    | "guidance"
                    | "downgrade"
                    | "downgraded"
                    | "upgrade"
                    | "upgraded"
                    | "rumor"
                    | "rumors"
                    | "rumour"
                    | "rumours"
                    | "filing"
                    | "filings"
                    | "fda"
                    | "recall"
                    | "layoffs"
            )
            .contains(word) =>
            {
                cues.news = true
            }
            "press" if w1 == "release" => cues.news = true,
            "going" if w1 == "on" => cues.news = true,
            "why" if self.words[i..].iter().any(|x| is_move_word(x.lower)) => cues.news = true,
            // Technical analysis.
            word if words!(
                "support"
                    | "resistance"
                    | "trend"
                    | "trends"
                    | "trending"
                    | "uptrend"
                    | "downtrend"
                    | "trendline"
                    | "trendlines"
                    | "breakout"
                    | "breakouts"
                    | "breakdown"
                    | "pattern"
                    | "patterns"
                    | "overbought"
                    | "oversold"
                    | "level"
                    | "levels"
                    | "analyze"
                    | "analyse"
                    | "analysis"
                    | "analyzing"
                    | "technical"
                    | "technicals"
                    | "ta"
                    | "buy"
                    | "sell"
                    | "hold"
                    | "entry"
                    | "exit"
                    | "target"
                    | "targets"
                    | "stop"
                    | "setup"
                    | "momentum"
                    | "divergence"
                    | "signal"
                    | "signals"
                    | "bullish"
                    | "bearish"
                    | "outlook"
                    | "forecast"
                    | "predict"
                    | "prediction"
                    | "reversal"
                    | "consolidation"
                    | "consolidating"
                    | "channel"
                    | "wedge"
                    | "triangle"
                    | "shoulders"
                    | "fibonacci"
                    | "fib"
                    | "retracement"
                    | "crossover"
                    | "pullback"
                    | "bounce"
            )
            .contains(word) =>
            {
                cues.technical = true;
                if words!(
                    "overbought"
                        | "oversold"
                        | "pattern"
                        | "patterns"
                        | "divergence"
                        | "fibonacci"
                        | "retracement"
                        | "crossover"
                        | "wedge"
                        | "triangle"
                        | "shoulders"
                        | "momentum"
                        | "stop"
                        | "breakout"
                )
                .contains(w)
                {
                    cues.concept = true;
                } else if words!(
                    "support"
                        | "resistance"
                        | "trend"
                        | "trends"
                        | "level"
                        | "levels"
                        | "target"
                        | "channel"
                )
                .contains(w)
                {
                    cues.state_concept = true;
                }
            }
            "break" if words!("out" | "above" | "below" | "down").contains(w1) => {
                cues.technical = true
            }
            "double" if matches!(w1, "top" | "bottom") => {
                cues.technical = true;
                cues.concept = true;
            }
            "cross" if matches!(prev, "golden" | "death") => {
                cues.technical = true;
                cues.concept = true;
            }
            // Price.
            word if words!("price" | "prices" | "priced" | "pricing").contains(word) => match w1 {
                "action" | "target" | "targets" => cues.technical = true,
                word if words!("chart" | "charts" | "graph" | "scale" | "axis").contains(word) => {}
                _ => cues.price = true,
            },
            word if words!("quote" | "quotes" | "worth" | "cost" | "costs").contains(word) => {
                cues.price = true
            }
            "much" if prev == "how" => cues.price = true,
            "trading"
                if matches!(
                    w1,
                    "" | "at" | "now" | "today" | "currently" | "right" | "around"
                ) =>
            {
                cues.price = true
            }
            "at" if question && has_ticker && i + 1 == self.n() => cues.price = true,
            "doing" => cues.doing = true,
            "high" | "highs" | "low" | "lows"
                if words!("time" | "week" | "day" | "ath").contains(prev) =>
            {
                cues.price = true
            }
            "ath" => cues.price = true,
            // Market.
            "market" | "markets"
                if !words!(
                    "cap" | "capitalization" | "order" | "orders" | "maker" | "makers" | "value"
                )
                .contains(w1) =>
            {
                cues.market = true
            }
            "stocks" if !has_ticker => cues.market = true,
            word if words!(
                "sector"
                    | "sectors"
                    | "indices"
                    | "indexes"
                    | "movers"
                    | "gainers"
                    | "losers"
                    | "economy"
                    | "breadth"
                    | "premarket"
                    | "futures"
            )
            .contains(word) =>
            {
                cues.market = true
            }
            "street" if prev == "wall" => cues.market = true,
            "moving" if !has_ticker && earlier("what") => cues.market = true,
            // Education.
            word if words!(
                "explain"
                    | "explained"
                    | "explaining"
                    | "explanation"
                    | "teach"
                    | "define"
                    | "definition"
                    | "meaning"
                    | "tutorial"
                    | "eli5"
                    | "learn"
                    | "learning"
                    | "beginner"
                    | "beginners"
            )
            .contains(word) =>
            {
                cues.edu_strong = true
            }
            "difference" if matches!(w1, "between" | "of") => cues.edu_strong = true,
            "mean" | "means" | "stand" if earlier("what") => cues.edu_strong = true,
            "work" | "works" | "calculated" | "computed" | "calculate" if first == "how" => {
                cues.edu_strong = true
            }
            "how"
                if words!("do" | "can" | "should" | "would").contains(w1)
                    && words!("i" | "you" | "one" | "we").contains(self.w(i + 2)) =>
            {
                cues.edu_strong = true
            }
            _ => {}
        }
        // Weak educational cue: "what is/are/'s …", "tell me about …".
        let weak_at = match w {
            "what" if matches!(w1, "is" | "are" | "does") => Some(i + 2),
            "what" if self.words[i].possessive => Some(i + 1),
            "whats" | "what're" => Some(i + 1),
            "tell" if w1 == "me" && self.w(i + 2) == "about" => Some(i + 3),
            _ => None,
        };
        if let Some(k) = weak_at {
            cues.edu_weak = true;
            cues.edu_weak_the |= self.w(k) == "the";
        }
        if is_concept_word(w) {
            cues.concept = true;
        }
    }
}

/// Drops a trailing possessive `'s` / `’s`.
fn strip_possessive(s: &str) -> &str {
    for suffix in ["'s", "'S", "\u{2019}s", "\u{2019}S"] {
        if let Some(rest) = s.strip_suffix(suffix) {
            return rest;
        }
    }
    s
}

/// `ma50`, `sma200`, `ema20`, `rsi14`: an indicator with a glued period (range not checked).
fn glued_indicator(w: &str) -> Option<(IndicatorName, u32)> {
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

/// Words that may sit between a number and an indicator ("50 day", "14 period", "20 bar").
fn is_period_unit(w: &str) -> bool {
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

/// The canonical timeframe for `n` units, if there is one.
fn timeframe_for(n: u32, unit: Unit) -> Option<Timeframe> {
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
fn is_mt4_timeframe(w: &str) -> bool {
    let b = w.as_bytes();
    (2..=3).contains(&b.len())
        && matches!(b[0], b'h' | b'm')
        && b[1..].iter().all(u8::is_ascii_digit)
}

/// A time unit in the singular, spelled out: "day chart", "past week".
fn is_singular_unit(w: &str) -> bool {
    words!("minute" | "hour" | "day" | "week" | "month" | "year").contains(w)
}

/// Words that say "the chart at this interval" after a unit ("day chart").
fn is_chart_word(w: &str) -> bool {
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
fn is_average_lead(w: &str) -> bool {
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
fn is_range_noun(w: &str) -> bool {
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
fn is_not_average_after(w: &str) -> bool {
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
fn is_chart_verb(w: &str) -> bool {
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
fn is_move_word(w: &str) -> bool {
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
fn is_concept_word(w: &str) -> bool {
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
fn is_keyword(w: &str) -> bool {
    is_chart_verb(w)
        || is_chart_word(w)
        || is_period_unit(w)
        || is_concept_word(w)
        || is_move_word(w)
        || IndicatorName::parse(w).is_some()
}

/// Symbols that stand for the whole market (for "how's the S&P doing?").
fn is_broad_index(symbol: &str) -> bool {
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

#[cfg(test)]
mod tests {

    #[test]
    fn intent_names_match_serde() {
        for i in Intent::ALL {
            assert_eq!(
                serde_json::to_value(i).ok(),
                Some(serde_json::Value::from(i.as_str()))
            );
            assert_eq!(Intent::parse(i.as_str()), Some(i));
        }
        assert_eq!(Intent::parse("chart"), None);
    }

    use super::*;

    fn legacy(text: &str) -> Vec<String> {
        understand(text).legacy
    }

    fn intent(text: &str) -> Intent {
        understand(text).intent
    }

    /// Asserts the exact legacy list (execution order) for each text.
    fn assert_legacy(cases: &[(&str, &[&str])]) {
        for (text, want) in cases {
            assert_eq!(legacy(text), *want, "{text:?}");
        }
    }

    /// Asserts the intent for each text.
    fn assert_intents(want: Intent, texts: &[&str]) {
        for text in texts {
            assert_eq!(intent(text), want, "{text:?}");
        }
    }

    #[test]
    fn spec_example_loads_tesla_on_the_weekly_with_the_50_day_sma() {
        let u = understand("show me Tesla on the weekly with the 50 day moving average");
        assert_eq!(u.intent, Intent::ChartCommand);
        assert_eq!(
            u.legacy,
            ["LOAD:TSLA", "TIMEFRAME:1W", "INDICATOR:SMA:ON:50"]
        );
        assert_eq!(
            u.commands[0].kind(),
            &CommandKind::Load(Load {
                symbol: "TSLA".into(),
                asset_type: None
            })
        );
    }

    #[test]
    fn spec_examples_give_exact_commands() {
        assert_legacy(&[
            ("show RSI", &["INDICATOR:RSI:ON"]),
            ("hide the macd", &["INDICATOR:MACD:OFF"]),
            ("$NVDA daily", &["LOAD:NVDA", "TIMEFRAME:1D"]),
            ("bitcoin 4 hour chart", &["LOAD:BTC-USD", "TIMEFRAME:4H"]),
            ("Berkshire", &["LOAD:BRK.B"]),
            ("S&P 500 year to date", &["LOAD:SPY", "TIMEFRAME:YTD"]),
            ("reset the view", &["RESET:VIEW"]),
            ("fit to screen", &["RESET:SCALE"]),
            ("clear drawings", &["CLEAR:DRAWINGS"]),
            ("clear everything", &["CLEAR:ALL"]),
            ("I want AAPL", &["LOAD:AAPL"]),
            (
                "weekly with the 50-day",
                &["TIMEFRAME:1W", "INDICATOR:SMA:ON:50"],
            ),
        ]);
    }

    #[test]
    fn indicator_names_and_common_words_never_become_tickers() {
        assert_legacy(&[
            ("show RSI", &["INDICATOR:RSI:ON"]),
            ("what is the MACD", &[]),
            ("add EMA and SMA", &["INDICATOR:EMA:ON", "INDICATOR:SMA:ON"]),
            (
                "MA VWAP ATR OBV",
                &[
                    "INDICATOR:SMA:ON",
                    "INDICATOR:VWAP:ON",
                    "INDICATOR:ATR:ON",
                    "INDICATOR:OBV:ON",
                ],
            ),
            ("LOAD THE CHART AND SHOW IT", &[]),
            ("OK I AM IN THE US ALL YTD", &["TIMEFRAME:YTD"]),
            ("USD ETF CEO AI PM", &[]),
            ("A", &[]),
            ("show me abcd", &[]),
            (
                "SHOW ME TSLA DAILY WITH RSI",
                &["LOAD:TSLA", "TIMEFRAME:1D", "INDICATOR:RSI:ON"],
            ),
            ("WHAT IS THE PRICE OF NVDA", &["LOAD:NVDA"]),
        ]);
    }

    #[test]
    fn tickers_come_from_cashtags_capitals_and_punctuated_symbols() {
        assert_legacy(&[
            ("$TSLA", &["LOAD:TSLA"]),
            ("$brk.b weekly", &["LOAD:BRK.B", "TIMEFRAME:1W"]),
            ("$ALL", &["LOAD:ALL"]),
            ("ALL", &[]),
            ("$BTC", &["LOAD:BTC-USD"]),
            ("$GOLD", &["LOAD:GOLD"]),
            ("GOLD", &["LOAD:GC=F"]),
            ("TSLA and NVDA", &["LOAD:TSLA", "LOAD:NVDA"]),
            ("what's NVDA's support?", &["LOAD:NVDA"]),
            ("BRK.B", &["LOAD:BRK.B"]),
            ("BTC-USD weekly", &["LOAD:BTC-USD", "TIMEFRAME:1W"]),
            ("EUR-USD", &["LOAD:EURUSD=X"]),
            ("^VIX", &["LOAD:^VIX"]),
            ("ES=F", &["LOAD:ES=F"]),
            ("U.S. stocks", &[]),
            ("$TSLA, $AAPL.", &["LOAD:TSLA", "LOAD:AAPL"]),
        ]);
    }

    #[test]
    fn company_coin_and_index_names_match_as_phrases() {
        assert_legacy(&[
            ("apple", &["LOAD:AAPL"]),
            ("Microsoft", &["LOAD:MSFT"]),
            ("nvidia", &["LOAD:NVDA"]),
            ("Google", &["LOAD:GOOGL"]),
            ("facebook", &["LOAD:META"]),
            ("bank of america weekly", &["LOAD:BAC", "TIMEFRAME:1W"]),
            ("dow jones", &["LOAD:DIA"]),
            ("the Dow", &["LOAD:DIA"]),
            ("Nasdaq", &["LOAD:QQQ"]),
            ("sp500", &["LOAD:SPY"]),
            ("s&p", &["LOAD:SPY"]),
            ("Russell 2000", &["LOAD:IWM"]),
            ("VIX", &["LOAD:^VIX"]),
            ("crude oil", &["LOAD:CL=F"]),
            ("euro dollar", &["LOAD:EURUSD=X"]),
            ("EUR/USD daily", &["LOAD:EURUSD=X", "TIMEFRAME:1D"]),
            ("ethereum and solana", &["LOAD:ETH-USD", "LOAD:SOL-USD"]),
            ("dogecoin", &["LOAD:DOGE-USD"]),
            ("coca-cola", &["LOAD:KO"]),
            ("AT&T", &["LOAD:T"]),
            ("McDonald\u{2019}s weekly", &["LOAD:MCD", "TIMEFRAME:1W"]),
            ("Lowe's", &["LOAD:LOW"]),
            ("10-year yield", &["LOAD:^TNX"]),
            ("s&p 500 futures", &["LOAD:ES=F"]),
        ]);
    }

    #[test]
    fn ambiguous_words_are_not_names() {
        assert_legacy(&[
            ("set a target", &[]),
            ("draw a polygon", &[]),
            ("oh snap", &[]),
        ]);
    }

    #[test]
    fn timeframes_come_from_words_and_numbers() {
        assert_legacy(&[
            ("daily", &["TIMEFRAME:1D"]),
            ("day chart", &["TIMEFRAME:1D"]),
            ("1 day", &["TIMEFRAME:1D"]),
            ("weekly", &["TIMEFRAME:1W"]),
            ("week chart", &["TIMEFRAME:1W"]),
            ("monthly", &["TIMEFRAME:1M"]),
            ("hourly", &["TIMEFRAME:1H"]),
            ("1 hour", &["TIMEFRAME:1H"]),
            ("4 hour", &["TIMEFRAME:4H"]),
            ("4h", &["TIMEFRAME:4H"]),
            ("four hour", &["TIMEFRAME:4H"]),
            ("4-hour chart", &["TIMEFRAME:4H"]),
            ("15 minute", &["TIMEFRAME:15m"]),
            ("15 min", &["TIMEFRAME:15m"]),
            ("15m", &["TIMEFRAME:15m"]),
            ("5 minute", &["TIMEFRAME:5m"]),
            ("1 minute", &["TIMEFRAME:1m"]),
            ("one minute", &["TIMEFRAME:1m"]),
            ("30 minute", &["TIMEFRAME:30m"]),
            ("one month", &["TIMEFRAME:1M"]),
            ("1 month", &["TIMEFRAME:1M"]),
            ("1M", &["TIMEFRAME:1M"]),
            ("1m", &["TIMEFRAME:1m"]),
            ("3 months", &["TIMEFRAME:3M"]),
            ("6 months", &["TIMEFRAME:6M"]),
            ("year to date", &["TIMEFRAME:YTD"]),
            ("year-to-date", &["TIMEFRAME:YTD"]),
            ("ytd", &["TIMEFRAME:YTD"]),
            ("1 year", &["TIMEFRAME:1Y"]),
            ("one year", &["TIMEFRAME:1Y"]),
            ("past year", &["TIMEFRAME:1Y"]),
            ("2 years", &["TIMEFRAME:2Y"]),
            ("5 years", &["TIMEFRAME:5Y"]),
            ("all time", &["TIMEFRAME:MAX"]),
            ("max", &["TIMEFRAME:MAX"]),
            ("zoom out to max", &["TIMEFRAME:MAX", "ZOOM:OUT"]),
            ("5 day", &["TIMEFRAME:5D"]),
            ("2 week", &["TIMEFRAME:2W"]),
            ("last 30 days", &["TIMEFRAME:1M"]),
            ("h4", &["TIMEFRAME:4H"]),
        ]);
    }

    #[test]
    fn timeframe_words_in_other_phrases_are_not_timeframes() {
        assert_legacy(&[
            ("all time high", &[]),
            ("max drawdown", &[]),
            ("what happened this week", &[]),
            ("10 days", &[]),
            ("in a day or two", &[]),
        ]);
    }

    #[test]
    fn periods_attach_to_moving_averages_not_timeframes() {
        assert_legacy(&[
            ("50 day moving average", &["INDICATOR:SMA:ON:50"]),
            ("the 50-day", &["INDICATOR:SMA:ON:50"]),
            ("50 dma", &["INDICATOR:SMA:ON:50"]),
            ("50dma", &["INDICATOR:SMA:ON:50"]),
            ("show the 50", &["INDICATOR:SMA:ON:50"]),
            ("50 ma", &["INDICATOR:SMA:ON:50"]),
            ("ma50", &["INDICATOR:SMA:ON:50"]),
            ("200 sma", &["INDICATOR:SMA:ON:200"]),
            ("20 EMA", &["INDICATOR:EMA:ON:20"]),
            ("20-period ema", &["INDICATOR:EMA:ON:20"]),
            ("ema 20", &["INDICATOR:EMA:ON:20"]),
            ("EMA(20)", &["INDICATOR:EMA:ON:20"]),
            ("rsi 14", &["INDICATOR:RSI:ON:14"]),
            ("14-period rsi", &["INDICATOR:RSI:ON:14"]),
            ("14 day rsi", &["INDICATOR:RSI:ON:14"]),
            ("1 day rsi", &["TIMEFRAME:1D", "INDICATOR:RSI:ON"]),
            ("fifty day moving average", &["INDICATOR:SMA:ON:50"]),
            ("5 day moving average", &["INDICATOR:SMA:ON:5"]),
            (
                "the 50 and 200 day moving averages",
                &["INDICATOR:SMA:ON:50", "INDICATOR:SMA:ON:200"],
            ),
            (
                "the 50 and 200",
                &["INDICATOR:SMA:ON:50", "INDICATOR:SMA:ON:200"],
            ),
            (
                "show 9 and 21 ema",
                &["INDICATOR:EMA:ON:9", "INDICATOR:EMA:ON:21"],
            ),
            ("show the 50 day average", &["INDICATOR:SMA:ON:50"]),
            (
                "weekly with the 50-day",
                &["TIMEFRAME:1W", "INDICATOR:SMA:ON:50"],
            ),
            (
                "rsi 14 on the daily",
                &["TIMEFRAME:1D", "INDICATOR:RSI:ON:14"],
            ),
        ]);
    }

    #[test]
    fn periods_outside_1_to_500_are_ignored() {
        assert_legacy(&[
            ("rsi 600", &["INDICATOR:RSI:ON"]),
            ("1000 day moving average", &["INDICATOR:SMA:ON"]),
            ("ma0", &["INDICATOR:SMA:ON"]),
            ("ema 0", &["INDICATOR:EMA:ON"]),
        ]);
    }

    #[test]
    fn bare_numbers_that_are_not_averages_stay_numbers() {
        assert_legacy(&[
            ("the 50 level", &[]),
            ("over the last 30 day", &["TIMEFRAME:1M"]),
            ("20 day range", &[]),
            ("average volume", &["INDICATOR:VOLUME:ON"]),
        ]);
    }

    #[test]
    fn indicator_names_and_aliases() {
        assert_legacy(&[
            ("moving average", &["INDICATOR:SMA:ON"]),
            ("exponential moving average", &["INDICATOR:EMA:ON"]),
            ("wma", &["INDICATOR:WMA:ON"]),
            ("vwap", &["INDICATOR:VWAP:ON"]),
            ("bollinger bands", &["INDICATOR:BOLLINGER:ON"]),
            ("bb", &["INDICATOR:BOLLINGER:ON"]),
            ("relative strength index", &["INDICATOR:RSI:ON"]),
            ("macd", &["INDICATOR:MACD:ON"]),
            ("stoch", &["INDICATOR:STOCHASTIC:ON"]),
            ("stochastic rsi", &["INDICATOR:STOCHASTIC:ON"]),
            ("average true range", &["INDICATOR:ATR:ON"]),
            ("on-balance volume", &["INDICATOR:OBV:ON"]),
            ("volume bars", &["INDICATOR:VOLUME:ON"]),
            ("ichimoku cloud", &["INDICATOR:ICHIMOKU:ON"]),
        ]);
    }

    #[test]
    fn the_closest_verb_before_an_indicator_sets_on_or_off() {
        assert_legacy(&[
            ("add rsi", &["INDICATOR:RSI:ON"]),
            ("display the vwap", &["INDICATOR:VWAP:ON"]),
            ("overlay bollinger bands", &["INDICATOR:BOLLINGER:ON"]),
            ("put on the macd", &["INDICATOR:MACD:ON"]),
            ("turn on volume", &["INDICATOR:VOLUME:ON"]),
            ("enable atr", &["INDICATOR:ATR:ON"]),
            ("give me the macd", &["INDICATOR:MACD:ON"]),
            ("remove rsi", &["INDICATOR:RSI:OFF"]),
            ("turn off volume", &["INDICATOR:VOLUME:OFF"]),
            ("take off the macd", &["INDICATOR:MACD:OFF"]),
            ("take the macd off", &["INDICATOR:MACD:OFF"]),
            ("disable vwap", &["INDICATOR:VWAP:OFF"]),
            ("get rid of the rsi", &["INDICATOR:RSI:OFF"]),
            ("drop the 20 ema", &["INDICATOR:EMA:OFF:20"]),
            ("remove the 50-day", &["INDICATOR:SMA:OFF:50"]),
            ("turn the rsi on", &["INDICATOR:RSI:ON"]),
            (
                "hide rsi and show macd",
                &["INDICATOR:RSI:OFF", "INDICATOR:MACD:ON"],
            ),
            (
                "show tesla without volume",
                &["LOAD:TSLA", "INDICATOR:VOLUME:OFF"],
            ),
            (
                "hide rsi on the daily",
                &["TIMEFRAME:1D", "INDICATOR:RSI:OFF"],
            ),
        ]);
    }

    #[test]
    fn zoom_reset_and_crosshair() {
        assert_legacy(&[
            ("zoom in", &["ZOOM:IN"]),
            ("zoom out", &["ZOOM:OUT"]),
            ("zoom in 2x", &["ZOOM:IN:2"]),
            ("zoom out by 1.5", &["ZOOM:OUT:1.5"]),
            ("zoom all the way out", &["ZOOM:OUT"]),
            ("zoom in 1000x", &["ZOOM:IN"]),
            ("reset the view", &["RESET:VIEW"]),
            ("reset chart", &["RESET:VIEW"]),
            ("reset", &["RESET:VIEW"]),
            ("reset scale", &["RESET:SCALE"]),
            ("reset the price scale", &["RESET:SCALE"]),
            ("fit to screen", &["RESET:SCALE"]),
            ("auto scale", &["RESET:SCALE"]),
            ("autoscale", &["RESET:SCALE"]),
            ("crosshair on", &["CROSSHAIR:ON"]),
            ("crosshair off", &["CROSSHAIR:OFF"]),
            ("turn on the crosshair", &["CROSSHAIR:ON"]),
            ("hide the crosshair", &["CROSSHAIR:OFF"]),
            ("toggle crosshair", &["CROSSHAIR:TOGGLE"]),
            ("crosshair", &["CROSSHAIR:TOGGLE"]),
        ]);
    }

    #[test]
    fn chart_style_needs_chart_context() {
        assert_legacy(&[
            ("candles", &["STYLE:CANDLES"]),
            ("show candlesticks", &["STYLE:CANDLES"]),
            ("switch to bars", &["STYLE:BARS"]),
            ("OHLC", &["STYLE:BARS"]),
            ("bar chart", &["STYLE:BARS"]),
            ("line chart", &["STYLE:LINE"]),
            ("switch to line", &["STYLE:LINE"]),
            ("show it as a line", &["STYLE:LINE"]),
            ("area chart", &["STYLE:AREA"]),
            ("mountain", &["STYLE:AREA"]),
            ("heikin ashi", &["STYLE:HEIKIN_ASHI"]),
            ("heikin-ashi candles", &["STYLE:HEIKIN_ASHI"]),
            ("draw a trendline", &[]),
            ("draw a trend line", &[]),
            ("timeline of events", &[]),
            ("the line", &[]),
            ("support area", &[]),
            ("last 5 candles", &[]),
            ("show 100 bars", &[]),
            ("candlestick patterns", &[]),
        ]);
    }

    #[test]
    fn clear_drawings_or_everything() {
        assert_legacy(&[
            ("clear drawings", &["CLEAR:DRAWINGS"]),
            ("remove all drawings", &["CLEAR:DRAWINGS"]),
            ("delete the lines", &["CLEAR:DRAWINGS"]),
            ("clear all drawings", &["CLEAR:DRAWINGS"]),
            ("remove support and resistance lines", &["CLEAR:DRAWINGS"]),
            ("get rid of the levels", &["CLEAR:DRAWINGS"]),
            ("clear everything", &["CLEAR:ALL"]),
            ("clear all", &["CLEAR:ALL"]),
            ("clear the chart", &["CLEAR:ALL"]),
            ("clear", &["CLEAR:ALL"]),
            ("delete everything", &["CLEAR:ALL"]),
            ("clear patterns", &["CLEAR:PATTERN"]),
            ("clear all and show rsi", &["CLEAR:ALL", "INDICATOR:RSI:ON"]),
            ("the trend is clear", &[]),
            ("remove all indicators", &[]),
        ]);
    }

    #[test]
    fn price_levels_are_drawn_only_with_a_price() {
        assert_legacy(&[
            (
                "draw support at 430 and resistance at 455.5",
                &["SUPPORT:430", "RESISTANCE:455.5"],
            ),
            (
                "entry 150 stop 140 target 175",
                &["ENTRY:150", "STOPLOSS:140", "TARGET:175"],
            ),
            ("stop loss at 140.50", &["STOPLOSS:140.5"]),
            ("take profit at 175", &["TARGET:175"]),
            ("horizontal line at 100", &["HORIZONTAL:100"]),
            ("draw a line at 1,250.5", &["HORIZONTAL:1250.5"]),
            ("where is support", &[]),
            ("support at 0", &[]),
        ]);
    }

    #[test]
    fn legacy_syntax_typed_as_text_is_understood() {
        assert_legacy(&[
            ("LOAD:TSLA", &["LOAD:TSLA"]),
            ("LOAD:TSLA TIMEFRAME:1D", &["LOAD:TSLA", "TIMEFRAME:1D"]),
            ("load:tsla", &["LOAD:TSLA"]),
            ("TIMEFRAME:1m", &["TIMEFRAME:1m"]),
            ("TIMEFRAME:1M", &["TIMEFRAME:1M"]),
            ("ADD:rsi and INDICATOR:RSI:ON", &["INDICATOR:RSI:ON"]),
            ("FOO:BAR show rsi", &["INDICATOR:RSI:ON"]),
            ("LOAD:", &[]),
            ("LOAD:NOT_A_SYMBOL", &[]),
            ("Tesla: show the weekly", &["LOAD:TSLA", "TIMEFRAME:1W"]),
        ]);
        assert_eq!(intent("LOAD:TSLA"), Intent::ChartCommand);
    }

    #[test]
    fn commands_are_deduplicated_and_in_execution_order() {
        assert_legacy(&[
            (
                "zoom in, clear everything, show rsi, load TSLA weekly as a line chart with crosshair on and reset the view",
                &[
                    "CLEAR:ALL",
                    "LOAD:TSLA",
                    "TIMEFRAME:1W",
                    "STYLE:LINE",
                    "INDICATOR:RSI:ON",
                    "ZOOM:IN",
                    "CROSSHAIR:ON",
                    "RESET:VIEW",
                ],
            ),
            ("show rsi, add RSI, ADD:rsi", &["INDICATOR:RSI:ON"]),
            ("support at 430 then load nvidia", &["LOAD:NVDA", "SUPPORT:430"]),
        ]);
    }

    #[test]
    fn chart_command_intent_for_pure_chart_control() {
        assert_intents(
            Intent::ChartCommand,
            &[
                "show me Tesla on the weekly with the 50-day",
                "zoom in",
                "add RSI",
                "show RSI",
                "LOAD:TSLA",
                "TSLA",
                "can you show me tesla on the weekly?",
                "clear the support lines",
                "draw support at 430",
            ],
        );
    }

    #[test]
    fn price_only_intent() {
        assert_intents(
            Intent::PriceOnly,
            &[
                "what's the price of AAPL",
                "how much is bitcoin",
                "NVDA quote",
                "where is TSLA trading",
                "what's AAPL at?",
                "how is TSLA doing",
                "what's the 52 week high for AAPL",
            ],
        );
    }

    #[test]
    fn technical_analysis_intent() {
        assert_intents(
            Intent::TechnicalAnalysis,
            &[
                "what's NVDA's support?",
                "is it a buy",
                "analyze AMD",
                "NVDA support and resistance levels",
                "is TSLA overbought?",
                "any breakout on AAPL",
                "price target for NVDA",
                "should I sell my NVDA",
                "what's the trend",
                "what's TSLA's RSI?",
            ],
        );
        assert_eq!(legacy("what's NVDA's support?"), ["LOAD:NVDA"]);
        assert_eq!(
            legacy("what's TSLA's RSI?"),
            ["LOAD:TSLA", "INDICATOR:RSI:ON"]
        );
    }

    #[test]
    fn news_summary_intent() {
        assert_intents(
            Intent::NewsSummary,
            &[
                "show me tesla news",
                "TSLA earnings",
                "why is TSLA down today",
                "what happened to bitcoin today",
                "any headlines on apple",
                "Apple announced a buyback",
            ],
        );
    }

    #[test]
    fn market_overview_intent() {
        assert_intents(
            Intent::MarketOverview,
            &[
                "how's the market",
                "market today",
                "what's moving",
                "top gainers today",
                "what are the top losers",
                "how are the sectors doing",
                "indices",
                "how's the S&P doing?",
            ],
        );
    }

    #[test]
    fn educational_intent_has_no_commands() {
        assert_intents(
            Intent::Educational,
            &[
                "what is RSI",
                "what is the MACD",
                "explain MACD",
                "how does a moving average work",
                "teach me about bollinger bands",
                "what does overbought mean",
                "difference between EMA and SMA",
                "what is a stop loss",
                "what is support",
            ],
        );
        assert_eq!(legacy("what is RSI"), Vec::<String>::new());
        assert_eq!(
            legacy("explain the 50 day moving average"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn general_query_intent() {
        assert_intents(
            Intent::GeneralQuery,
            &[
                "",
                "   ",
                "hello",
                "thanks!",
                "what is bitcoin",
                "tell me a joke",
            ],
        );
        assert_eq!(legacy("what is bitcoin"), ["LOAD:BTC-USD"]);
    }

    #[test]
    fn intent_serializes_in_snake_case() {
        let cases = [
            (Intent::ChartCommand, "chart_command"),
            (Intent::PriceOnly, "price_only"),
            (Intent::TechnicalAnalysis, "technical_analysis"),
            (Intent::NewsSummary, "news_summary"),
            (Intent::MarketOverview, "market_overview"),
            (Intent::Educational, "educational"),
            (Intent::GeneralQuery, "general_query"),
        ];
        for (intent, wire) in cases {
            assert_eq!(
                serde_json::to_value(intent).ok(),
                Some(serde_json::Value::from(wire))
            );
        }
    }

    #[test]
    fn hostile_input_never_panics() {
        let megabyte = "A ".repeat(512 * 1024);
        let long_multibyte = "é".repeat(5000);
        let digits = "9".repeat(5000);
        let cases: [&str; 14] = [
            "",
            &megabyte,
            "🚀🚀🚀 📈",
            "$$$",
            ":::",
            "LOAD:",
            "'s 's \u{2019}s \u{2019}",
            &long_multibyte,
            &digits,
            "$",
            "$^",
            "a\u{0301}\u{0301} \u{200b}\u{feff}",
            "1,,,000 .5. ..",
            "&&& & && s&",
        ];
        for text in cases {
            let u = understand(text);
            assert_eq!(
                u.intent,
                Intent::GeneralQuery,
                "{:?} {:?}",
                text.get(..40),
                u.legacy
            );
            assert!(u.commands.is_empty(), "{:?}", text.get(..40));
        }
    }

    #[test]
    fn non_ascii_characters_separate_words() {
        assert_legacy(&[
            ("zoom\u{b7}in", &["ZOOM:IN"]),
            // Invisible characters are removed first: they join, never split (`TS\u{200b}LA`).
            ("load TS\u{200b}LA", &["LOAD:TSLA"]),
            ("zoom\u{200b}in", &[]),
            ("📈tesla📈", &["LOAD:TSLA"]),
        ]);
    }

    #[test]
    fn only_the_first_2000_characters_are_read() {
        let text = format!("{} TSLA", "é ".repeat(1000));
        assert_eq!(legacy(&text), Vec::<String>::new());
        let text = format!("TSLA {}", "é ".repeat(1000));
        assert_eq!(legacy(&text), ["LOAD:TSLA"]);
    }

    #[test]
    fn at_most_max_commands_are_returned() {
        let letters = b'A'..=b'Z';
        let text: String = letters
            .clone()
            .flat_map(|a| {
                letters
                    .clone()
                    .map(move |b| format!("$X{}{} ", a as char, b as char))
            })
            .collect();
        assert_eq!(understand(&text).commands.len(), MAX_COMMANDS);
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// Words the rules react to, so generated requests exercise them (plus arbitrary text).
        const VOCABULARY: &[&str] = &[
            "show",
            "hide",
            "the",
            "50",
            "200",
            "day",
            "moving",
            "average",
            "rsi",
            "ema",
            "14",
            "weekly",
            "4",
            "hour",
            "tesla",
            "TSLA",
            "$NVDA",
            "zoom",
            "in",
            "out",
            "2x",
            "reset",
            "view",
            "scale",
            "clear",
            "all",
            "drawings",
            "crosshair",
            "on",
            "off",
            "line",
            "chart",
            "candles",
            "heikin",
            "ashi",
            "support",
            "at",
            "430.5",
            "stop",
            "loss",
            "s&p",
            "500",
            "year",
            "to",
            "date",
            "LOAD:AAPL",
            "TIMEFRAME:1m",
            "FOO:BAR",
            "what",
            "is",
            "why",
            "down",
            "?",
            "1M",
            "max",
            "time",
            "and",
            "ma50",
            "$brk.b",
            "BTC-USD",
            "what's",
            "NVDA's",
            "1,250",
        ];

        fn word() -> impl Strategy<Value = String> {
            prop_oneof![3 => proptest::sample::select(VOCABULARY).prop_map(String::from), 1 => any::<String>()]
        }

        proptest! {
            #[test]
            fn every_command_round_trips_through_its_legacy_string(
                words in proptest::collection::vec(word(), 0..24)
            ) {
                let u = understand(&words.join(" "));
                prop_assert!(u.commands.len() <= MAX_COMMANDS);
                for command in &u.commands {
                    prop_assert!(!matches!(command.kind(), CommandKind::Raw(_)));
                    let parsed = parse_legacy(command.legacy());
                    prop_assert_eq!(parsed.commands.as_slice(), std::slice::from_ref(command));
                }
            }
        }
    }
}
