//! Request understanding (spec §7): the intent of a plain-text request and the chart commands it
//! asks for, without calling a model ("show me Tesla on the weekly with the 50 day moving average"
//! → `LOAD:TSLA`, `TIMEFRAME:1W`, `INDICATOR:SMA:ON:50`, intent `chart_command`).
//!
//! Owns: tokenizing, the phrase rules that turn words into commands, and intent scoring.
//! Must not: do I/O, allocate per call beyond the token list and the commands, build lookup tables
//! at run time (every table is static: `match` arms, packed word sets, sorted arrays in
//! [`names`]), or build a command any way but through [`Command::new`] (which checks it), the
//! legacy parser and the vocabulary validators.
//!
//! The parts, in the order a request meets them:
//! - this file: the entry point [`understand`], the [`Reader`] state every rule shares (words,
//!   which rule claimed each word, the commands found) and the order the rules run in;
//! - `tokens`: chunks and words, the word accessors and verb polarities;
//! - `symbols`: names from the lexicon and upper-case tickers;
//! - `indicators`: indicators with periods and on/off, bare moving-average periods;
//! - `timeframes`: timeframe words and number + unit;
//! - `control`: price levels, zoom, reset, crosshair, chart style, clear;
//! - `intent`: question detection, cue words, classification;
//! - `lexicon`: the word lists the rules consult; [`names`]: the name table and stop list;
//!   `wordset`: the compile-time packed word sets behind `words!`.
//!
//! Its table of examples is conformance vectors (`tests/vectors/understand/`), so the native,
//! node and Chromium builds all run them.
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

/// A packed [`wordset::WordSet`] of the words `"a" | "b" | …`, built at compile time from these
/// literals, the list's only spelling (or, as `words!(@list LIST)`, from a `&[&str]` constant). A
/// list with a word twice, or a set that disagrees with its list ([`wordset::check_words`]), fails to
/// compile.
macro_rules! words {
    ($($w:literal)|+) => {
        words!(@list &[$($w),+])
    };
    (@list $words:expr) => {{
        const WORDS: &[&str] = $words;
        const BYTES: [u8; WORDS.len() * $crate::understand::wordset::max_len(WORDS)] = $crate::understand::wordset::pack_words(WORDS);
        const SET: $crate::understand::wordset::WordSet = $crate::understand::wordset::word_set(&BYTES, WORDS);
        const _: () = match $crate::understand::wordset::check_words(&SET, WORDS) {
            Ok(()) => {}
            Err(why) => panic!("{}", why),
        };
        static STATIC_SET: $crate::understand::wordset::WordSet = SET;
        &STATIC_SET
    }};
}

mod control;
mod indicators;
mod intent;
mod lexicon;
pub mod names;
mod symbols;
mod timeframes;
mod tokens;
mod wordset;

use crate::command::{Command, CommandKind, Load};
use crate::normalize::{execution_list, stable_order, MAX_COMMANDS};
use lexicon::is_broad_index;
use serde::Serialize;

/// Longest text read, in characters; the rest is ignored.
pub const MAX_INPUT_CHARS: usize = 2000;

crate::wire_enum! {
    /// What the user wants.
    #[cfg_attr(feature = "ts", derive(tsify::Tsify))]
    pub enum Intent {
        ChartCommand = "chart_command",
        PriceOnly = "price_only",
        TechnicalAnalysis = "technical_analysis",
        NewsSummary = "news_summary",
        MarketOverview = "market_overview",
        Educational = "educational",
        GeneralQuery = "general_query",
    }
}

impl Intent {
    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<Intent> {
        <Intent as crate::wire_enum::WireEnum>::from_wire(s)
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

    // ---------------------------------------------------------------- commands

    /// Keeps a command a rule found. The rules build kinds from validated parts only;
    /// [`Command::new`] checks them all the same, so a rule's mistake drops its command rather
    /// than passing an invalid one on (the vectors and the round-trip property would show it).
    fn push(&mut self, pos: usize, kind: CommandKind) {
        if let Ok(command) = Command::new(kind) {
            self.found.push((pos, command));
        }
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
}

#[cfg(test)]
mod tests {
    //! The table of examples (text → intent and commands) is conformance vectors in
    //! `tests/vectors/understand/`, run natively by `core/tests/vectors.rs` and in node and
    //! Chromium by the wasm runners. What stays here cannot be a vector: the typed command, inputs
    //! too large for a vector file, and the properties.

    use super::*;

    #[test]
    fn spec_example_builds_the_typed_load_command() {
        let u = understand("show me Tesla on the weekly with the 50 day moving average");
        assert_eq!(u.intent, Intent::ChartCommand);
        assert_eq!(
            u.commands[0].kind(),
            &CommandKind::Load(Load {
                symbol: "TSLA".into(),
                asset_type: None
            })
        );
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
        use crate::legacy::parse_legacy;
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
