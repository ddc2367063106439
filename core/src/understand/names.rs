//! The lexicon of request understanding: company, coin, index, commodity and currency names
//! (the name table), and the upper-case words that are never read as tickers (the stop list).
//!
//! Owns data and lookups only; it must not decide intent or build commands (that is the parent
//! module, `understand`). Every table is sorted so a lookup is a binary search: nothing is built
//! per call and nothing is built lazily.
//!
//! Name keys are lower-case words exactly as the tokenizer in `understand` produces them: hyphens
//! split words (`t-mobile` is `t mobile`), `&` and inner dots stay inside a word (`s&p`, `at&t`,
//! `brk.b`), a possessive `'s` is dropped (`lowe's` is `lowe`). A key has at most
//! [`MAX_NAME_WORDS`] words; the longest key that matches wins (`s&p 500 futures` over `s&p 500`
//! over `s&p`).
//!
//! Ambiguous words are left out on purpose, because they are far more often plain English (or
//! chart vocabulary) than a company in a chart request: `target` (a drawing level, not TGT),
//! `zoom` (a chart action, not ZM: say "zoom video"), `snap`, `block`, `square`, `arm`, `ups`,
//! `delta`, `united`, `chase`, `polygon` (a shape), `stellar` (an adjective: say "stellar
//! lumens"), `pound`, `dollar`, `ge`, `gm`, `hp`, and crypto tickers that are words (`sol`, `ada`,
//! `dot`, `link`, `near`, `one`, `uni`, `ton`, `atom`). Kept on purpose: `apple`, `amazon`,
//! `meta`, `visa`, `oracle`, `shell`, `ford`, `gold`, `oil`, `crude`, `euro`, `yen`, `dow`.
//! Anything left out is still reachable as an upper-case ticker (`TGT`) or a cash-tag (`$TGT`).
//! A few lower-case tickers that are no English word (`tsla`, `nvda`, `spy`, `qqq`, …) are in the
//! table too, so lazy typing and speech-to-text work.

use super::wordset::WordSet;
use core::cmp::Ordering;

/// Longest name key, in words.
pub const MAX_NAME_WORDS: usize = 4;

/// One name: `(first word, remaining words joined by one space, canonical symbol)`.
pub type Name = (&'static str, &'static str, &'static str);

/// The name table, sorted by (first word, rest) so a lookup is one binary search per word.
/// It holds companies (US listings, ADRs for foreign companies), coins quoted in USD
/// (`BTC-USD`), indices and the ETFs people mean by them ("Nasdaq" is QQQ, "S&P 500" is SPY,
/// "Dow" is DIA, "Russell 2000" is IWM, "VIX" is `^VIX`), commodity futures (`GC=F`) and
/// currency pairs (`EURUSD=X`). One table rather than one per category: a lookup runs for every
/// word of every request, and one binary search is four times cheaper than four.
pub static NAMES: &[Name] = &[
    ("10", "year treasury", "^TNX"),
    ("10", "year yield", "^TNX"),
    ("aapl", "", "AAPL"),
    ("abbott", "", "ABT"),
    ("abbvie", "", "ABBV"),
    ("adobe", "", "ADBE"),
    ("advanced", "micro devices", "AMD"),
    ("airbnb", "", "ABNB"),
    ("alibaba", "", "BABA"),
    ("alphabet", "", "GOOGL"),
    ("altria", "", "MO"),
    ("amazon", "", "AMZN"),
    ("amc", "", "AMC"),
    ("amd", "", "AMD"),
    ("american", "airlines", "AAL"),
    ("american", "express", "AXP"),
    ("amex", "", "AXP"),
    ("amgen", "", "AMGN"),
    ("amzn", "", "AMZN"),
    ("apple", "", "AAPL"),
    ("aptos", "", "APT-USD"),
    ("arbitrum", "", "ARB-USD"),
    ("ark", "innovation", "ARKK"),
    ("arkk", "", "ARKK"),
    ("arm", "holdings", "ARM"),
    ("asml", "", "ASML"),
    ("at&t", "", "T"),
    ("aud", "usd", "AUDUSD=X"),
    ("audusd", "", "AUDUSD=X"),
    ("aussie", "dollar", "AUDUSD=X"),
    ("avalanche", "", "AVAX-USD"),
    ("avax", "", "AVAX-USD"),
    ("baidu", "", "BIDU"),
    ("bank", "of america", "BAC"),
    ("berkshire", "", "BRK.B"),
    ("berkshire", "hathaway", "BRK.B"),
    ("binance", "coin", "BNB-USD"),
    ("biontech", "", "BNTX"),
    ("bitcoin", "", "BTC-USD"),
    ("bitcoin", "cash", "BCH-USD"),
    ("blackrock", "", "BLK"),
    ("bnb", "", "BNB-USD"),
    ("boeing", "", "BA"),
    ("bp", "", "BP"),
    ("brent", "", "BZ=F"),
    ("brent", "crude", "BZ=F"),
    ("british", "pound", "GBPUSD=X"),
    ("brk", "", "BRK.B"),
    ("brk.b", "", "BRK.B"),
    ("broadcom", "", "AVGO"),
    ("btc", "", "BTC-USD"),
    ("canadian", "dollar", "USDCAD=X"),
    ("cardano", "", "ADA-USD"),
    ("carnival", "", "CCL"),
    ("carvana", "", "CVNA"),
    ("caterpillar", "", "CAT"),
    ("chainlink", "", "LINK-USD"),
    ("charles", "schwab", "SCHW"),
    ("chevron", "", "CVX"),
    ("chewy", "", "CHWY"),
    ("chinese", "yuan", "USDCNY=X"),
    ("chipotle", "", "CMG"),
    ("cisco", "", "CSCO"),
    ("citi", "", "C"),
    ("citigroup", "", "C"),
    ("cloudflare", "", "NET"),
    ("coca", "cola", "KO"),
    ("coinbase", "", "COIN"),
    ("coke", "", "KO"),
    ("comcast", "", "CMCSA"),
    ("conocophillips", "", "COP"),
    ("copper", "", "HG=F"),
    ("corn", "", "ZC=F"),
    ("cosmos", "", "ATOM-USD"),
    ("costco", "", "COST"),
    ("crowdstrike", "", "CRWD"),
    ("crude", "", "CL=F"),
    ("crude", "oil", "CL=F"),
    ("cvs", "", "CVS"),
    ("datadog", "", "DDOG"),
    ("dax", "", "^GDAXI"),
    ("deere", "", "DE"),
    ("dell", "", "DELL"),
    ("delta", "air lines", "DAL"),
    ("delta", "airlines", "DAL"),
    ("dia", "", "DIA"),
    ("disney", "", "DIS"),
    ("docusign", "", "DOCU"),
    ("doge", "", "DOGE-USD"),
    ("dogecoin", "", "DOGE-USD"),
    ("dollar", "index", "DX=F"),
    ("dollar", "yen", "USDJPY=X"),
    ("doordash", "", "DASH"),
    ("dow", "", "DIA"),
    ("dow", "futures", "YM=F"),
    ("dow", "jones", "DIA"),
    ("dow", "jones industrial average", "DIA"),
    ("draftkings", "", "DKNG"),
    ("dxy", "", "DX=F"),
    ("ebay", "", "EBAY"),
    ("eli", "lilly", "LLY"),
    ("emerging", "markets", "EEM"),
    ("enphase", "", "ENPH"),
    ("eth", "", "ETH-USD"),
    ("ether", "", "ETH-USD"),
    ("ethereum", "", "ETH-USD"),
    ("ethereum", "classic", "ETC-USD"),
    ("etsy", "", "ETSY"),
    ("eur", "usd", "EURUSD=X"),
    ("euro", "", "EURUSD=X"),
    ("euro", "dollar", "EURUSD=X"),
    ("euro", "stoxx 50", "^STOXX50E"),
    ("eurusd", "", "EURUSD=X"),
    ("expedia", "", "EXPE"),
    ("exxon", "", "XOM"),
    ("exxon", "mobil", "XOM"),
    ("exxonmobil", "", "XOM"),
    ("facebook", "", "META"),
    ("fear", "index", "^VIX"),
    ("fedex", "", "FDX"),
    ("ferrari", "", "RACE"),
    ("first", "solar", "FSLR"),
    ("ford", "", "F"),
    ("fortinet", "", "FTNT"),
    ("ftse", "", "^FTSE"),
    ("ftse", "100", "^FTSE"),
    ("gamestop", "", "GME"),
    ("gbp", "usd", "GBPUSD=X"),
    ("gbpusd", "", "GBPUSD=X"),
    ("general", "electric", "GE"),
    ("general", "motors", "GM"),
    ("gilead", "", "GILD"),
    ("gld", "", "GLD"),
    ("gold", "", "GC=F"),
    ("gold", "futures", "GC=F"),
    ("goldman", "", "GS"),
    ("goldman", "sachs", "GS"),
    ("goog", "", "GOOG"),
    ("googl", "", "GOOGL"),
    ("google", "", "GOOGL"),
    ("hang", "seng", "^HSI"),
    ("hewlett", "packard", "HPQ"),
    ("hilton", "", "HLT"),
    ("home", "depot", "HD"),
    ("honeywell", "", "HON"),
    ("ibm", "", "IBM"),
    ("intel", "", "INTC"),
    ("intuit", "", "INTU"),
    ("intuitive", "surgical", "ISRG"),
    ("iwm", "", "IWM"),
    ("j&j", "", "JNJ"),
    ("japanese", "yen", "USDJPY=X"),
    ("jd.com", "", "JD"),
    ("john", "deere", "DE"),
    ("johnson", "& johnson", "JNJ"),
    ("johnson", "and johnson", "JNJ"),
    ("jp", "morgan", "JPM"),
    ("jpmorgan", "", "JPM"),
    ("jpmorgan", "chase", "JPM"),
    ("kroger", "", "KR"),
    ("li", "auto", "LI"),
    ("lilly", "", "LLY"),
    ("litecoin", "", "LTC-USD"),
    ("lockheed", "", "LMT"),
    ("lockheed", "martin", "LMT"),
    ("lowe", "", "LOW"),
    ("lowes", "", "LOW"),
    ("ltc", "", "LTC-USD"),
    ("lucid", "", "LCID"),
    ("lululemon", "", "LULU"),
    ("lyft", "", "LYFT"),
    ("marathon", "digital", "MARA"),
    ("marriott", "", "MAR"),
    ("mastercard", "", "MA"),
    ("matic", "", "MATIC-USD"),
    ("mcdonald", "", "MCD"),
    ("mcdonalds", "", "MCD"),
    ("medtronic", "", "MDT"),
    ("merck", "", "MRK"),
    ("meta", "", "META"),
    ("meta", "platforms", "META"),
    ("micron", "", "MU"),
    ("microsoft", "", "MSFT"),
    ("microstrategy", "", "MSTR"),
    ("moderna", "", "MRNA"),
    ("mondelez", "", "MDLZ"),
    ("monero", "", "XMR-USD"),
    ("mongodb", "", "MDB"),
    ("morgan", "stanley", "MS"),
    ("msft", "", "MSFT"),
    ("nasdaq", "", "QQQ"),
    ("nasdaq", "100", "QQQ"),
    ("nasdaq", "composite", "^IXIC"),
    ("nasdaq", "futures", "NQ=F"),
    ("nat", "gas", "NG=F"),
    ("natural", "gas", "NG=F"),
    ("netflix", "", "NFLX"),
    ("nextera", "", "NEE"),
    ("nike", "", "NKE"),
    ("nikkei", "", "^N225"),
    ("nikkei", "225", "^N225"),
    ("nintendo", "", "NTDOY"),
    ("nio", "", "NIO"),
    ("novavax", "", "NVAX"),
    ("nvda", "", "NVDA"),
    ("nvidia", "", "NVDA"),
    ("occidental", "", "OXY"),
    ("oil", "", "CL=F"),
    ("oil", "futures", "CL=F"),
    ("okta", "", "OKTA"),
    ("oracle", "", "ORCL"),
    ("p&g", "", "PG"),
    ("palantir", "", "PLTR"),
    ("palladium", "", "PA=F"),
    ("palo", "alto", "PANW"),
    ("palo", "alto networks", "PANW"),
    ("paypal", "", "PYPL"),
    ("peloton", "", "PTON"),
    ("pepe", "", "PEPE-USD"),
    ("pepsi", "", "PEP"),
    ("pepsico", "", "PEP"),
    ("pfizer", "", "PFE"),
    ("philip", "morris", "PM"),
    ("pinterest", "", "PINS"),
    ("platinum", "", "PL=F"),
    ("plug", "power", "PLUG"),
    ("polkadot", "", "DOT-USD"),
    ("procter", "& gamble", "PG"),
    ("procter", "and gamble", "PG"),
    ("qqq", "", "QQQ"),
    ("qualcomm", "", "QCOM"),
    ("raytheon", "", "RTX"),
    ("reddit", "", "RDDT"),
    ("riot", "platforms", "RIOT"),
    ("ripple", "", "XRP-USD"),
    ("rivian", "", "RIVN"),
    ("robinhood", "", "HOOD"),
    ("roblox", "", "RBLX"),
    ("roku", "", "ROKU"),
    ("royal", "caribbean", "RCL"),
    ("russell", "", "IWM"),
    ("russell", "2000", "IWM"),
    ("s&p", "", "SPY"),
    ("s&p", "500", "SPY"),
    ("s&p", "500 futures", "ES=F"),
    ("s&p", "futures", "ES=F"),
    ("s&p500", "", "SPY"),
    ("salesforce", "", "CRM"),
    ("schwab", "", "SCHW"),
    ("semiconductors", "", "SMH"),
    ("semis", "", "SMH"),
    ("servicenow", "", "NOW"),
    ("shell", "", "SHEL"),
    ("shib", "", "SHIB-USD"),
    ("shiba", "inu", "SHIB-USD"),
    ("shopify", "", "SHOP"),
    ("silver", "", "SI=F"),
    ("silver", "futures", "SI=F"),
    ("slv", "", "SLV"),
    ("small", "caps", "IWM"),
    ("snapchat", "", "SNAP"),
    ("snowflake", "", "SNOW"),
    ("sofi", "", "SOFI"),
    ("solana", "", "SOL-USD"),
    ("sony", "", "SONY"),
    ("southwest", "airlines", "LUV"),
    ("soybeans", "", "ZS=F"),
    ("sp", "500", "SPY"),
    ("sp500", "", "SPY"),
    ("spotify", "", "SPOT"),
    ("spx", "", "^GSPC"),
    ("spy", "", "SPY"),
    ("starbucks", "", "SBUX"),
    ("stellar", "lumens", "XLM-USD"),
    ("super", "micro", "SMCI"),
    ("supermicro", "", "SMCI"),
    ("swiss", "franc", "USDCHF=X"),
    ("t", "mobile", "TMUS"),
    ("taiwan", "semiconductor", "TSM"),
    ("ten", "year treasury", "^TNX"),
    ("ten", "year yield", "^TNX"),
    ("tencent", "", "TCEHY"),
    ("tesla", "", "TSLA"),
    ("tether", "", "USDT-USD"),
    ("texas", "instruments", "TXN"),
    ("thermo", "fisher", "TMO"),
    ("tlt", "", "TLT"),
    ("toncoin", "", "TON-USD"),
    ("toyota", "", "TM"),
    ("tron", "", "TRX-USD"),
    ("tsla", "", "TSLA"),
    ("tsmc", "", "TSM"),
    ("twilio", "", "TWLO"),
    ("uber", "", "UBER"),
    ("uniswap", "", "UNI-USD"),
    ("united", "airlines", "UAL"),
    ("united", "health", "UNH"),
    ("united", "parcel service", "UPS"),
    ("unitedhealth", "", "UNH"),
    ("unity", "software", "U"),
    ("usd", "cad", "USDCAD=X"),
    ("usd", "chf", "USDCHF=X"),
    ("usd", "coin", "USDC-USD"),
    ("usd", "jpy", "USDJPY=X"),
    ("usdc", "", "USDC-USD"),
    ("usdcad", "", "USDCAD=X"),
    ("usdchf", "", "USDCHF=X"),
    ("usdjpy", "", "USDJPY=X"),
    ("usdt", "", "USDT-USD"),
    ("verizon", "", "VZ"),
    ("visa", "", "V"),
    ("vix", "", "^VIX"),
    ("volatility", "index", "^VIX"),
    ("voo", "", "VOO"),
    ("vti", "", "VTI"),
    ("walgreens", "", "WBA"),
    ("walmart", "", "WMT"),
    ("walt", "disney", "DIS"),
    ("warner", "bros", "WBD"),
    ("wells", "fargo", "WFC"),
    ("wheat", "", "ZW=F"),
    ("workday", "", "WDAY"),
    ("wti", "", "CL=F"),
    ("xpeng", "", "XPEV"),
    ("xrp", "", "XRP-USD"),
    ("yen", "", "USDJPY=X"),
    ("yuan", "", "USDCNY=X"),
    ("zillow", "", "Z"),
    ("zoom", "video", "ZM"),
    ("zscaler", "", "ZS"),
];

/// For each ASCII first byte, the range of [`NAMES`] whose first word starts with it; computed at
/// compile time, so a lookup only binary-searches a handful of entries.
static BUCKETS: [(u16, u16); 128] = buckets();

const fn buckets() -> [(u16, u16); 128] {
    let mut out = [(0u16, 0u16); 128];
    let mut i = 0;
    while i < NAMES.len() {
        // A key with an empty first word fails to compile here (index out of bounds).
        let b = NAMES[i].0.as_bytes()[0] as usize;
        if b < 128 {
            if out[b].1 == 0 {
                out[b].0 = i as u16;
            }
            out[b].1 = (i + 1) as u16;
        }
        i += 1;
    }
    out
}

/// [`NAMES`] packed at compile time into one string, entry `k` being
/// `first|rest|SYMBOL` at `NAME_TEXT[NAME_AT[k]..NAME_AT[k + 1]]`: one string and a `u16` per
/// entry instead of three pointer/length pairs (48 bytes) per entry, which is what the wasm module
/// would otherwise ship.
static NAME_TEXT: &str = match core::str::from_utf8(&NAME_BYTES) {
    Ok(s) => s,
    Err(_) => panic!("name table is not UTF-8"),
};
const NAME_BYTES: [u8; NAME_TEXT_LEN] = names_text();
static NAME_AT: [u16; NAMES.len() + 1] = NAME_OFFSETS;
const NAME_OFFSETS: [u16; NAMES.len() + 1] = name_offsets();
const NAME_TEXT_LEN: usize = NAME_OFFSETS[NAMES.len()] as usize;

const fn names_text() -> [u8; NAME_TEXT_LEN] {
    let mut out = [0u8; NAME_TEXT_LEN];
    let mut at = 0;
    let mut i = 0;
    while i < NAMES.len() {
        let parts = [NAMES[i].0, NAMES[i].1, NAMES[i].2];
        let mut p = 0;
        while p < 3 {
            let bytes = parts[p].as_bytes();
            let mut k = 0;
            while k < bytes.len() {
                // A key or symbol holding the separator fails to compile here.
                assert!(bytes[k] != b'|');
                out[at] = bytes[k];
                at += 1;
                k += 1;
            }
            if p < 2 {
                out[at] = b'|';
                at += 1;
            }
            p += 1;
        }
        i += 1;
    }
    out
}

const fn name_offsets() -> [u16; NAMES.len() + 1] {
    let mut out = [0u16; NAMES.len() + 1];
    let mut at = 0;
    let mut i = 0;
    while i < NAMES.len() {
        at += NAMES[i].0.len() + NAMES[i].1.len() + NAMES[i].2.len() + 2;
        assert!(at <= u16::MAX as usize);
        out[i + 1] = at as u16;
        i += 1;
    }
    out
}

/// Entry `k` of [`NAMES`], read from the packed table.
fn name(k: usize) -> Name {
    let entry = &NAME_TEXT[usize::from(NAME_AT[k])..usize::from(NAME_AT[k + 1])];
    let (first, tail) = entry.split_once('|').unwrap_or((entry, ""));
    let (rest, symbol) = tail.split_once('|').unwrap_or((tail, ""));
    (first, rest, symbol)
}

/// The order of entry `k`'s first word against `word`, read in place up to the first `|`
/// (the end of a word sorts before any byte, as in `str`'s order, which [`NAMES`] is sorted by).
fn first_word_order(k: usize, word: &[u8]) -> Ordering {
    let entry = &NAME_TEXT.as_bytes()[usize::from(NAME_AT[k])..usize::from(NAME_AT[k + 1])];
    for (i, &a) in entry.iter().enumerate() {
        let Some(&b) = word.get(i) else {
            return if a == b'|' {
                Ordering::Equal
            } else {
                Ordering::Greater
            };
        };
        if a == b'|' {
            return Ordering::Less;
        }
        if a != b {
            return a.cmp(&b);
        }
    }
    // Not reached: every entry holds two `|`.
    Ordering::Less
}

/// Finds the longest name at the start of `words` (lower-case words, as tokenized).
/// Returns how many words it spans and its canonical symbol.
pub fn lookup(words: &[&str]) -> Option<(usize, &'static str)> {
    let first = *words.first()?;
    let byte = usize::from(*first.as_bytes().first()?);
    let (lo, hi) = *BUCKETS.get(byte)?;
    let (mut lo, hi) = (usize::from(lo), usize::from(hi));
    // The first entry of the bucket whose first word is not below `first`.
    let mut top = hi;
    while lo < top {
        let mid = lo + (top - lo) / 2;
        if first_word_order(mid, first.as_bytes()).is_lt() {
            lo = mid + 1;
        } else {
            top = mid;
        }
    }
    let mut best: Option<(usize, &'static str)> = None;
    for k in lo..hi {
        if first_word_order(k, first.as_bytes()).is_ne() {
            break;
        }
        let (_, rest, symbol) = name(k);
        if let Some(len) = match_rest(rest, &words[1..]) {
            if best.is_none_or(|(b, _)| len + 1 > b) {
                best = Some((len + 1, symbol));
            }
        }
    }
    best
}

/// How many of `words` the space-separated `rest` spans, if they all match.
fn match_rest(rest: &str, words: &[&str]) -> Option<usize> {
    if rest.is_empty() {
        return Some(0);
    }
    let mut n = 0;
    for part in rest.split(' ') {
        if words.get(n) != Some(&part) {
            return None;
        }
        n += 1;
    }
    Some(n)
}

/// Lower-case words that are never read as tickers when typed in upper case: common English
/// words, chat and finance acronyms (`CEO`, `ETF`, `IPO`, `CPI`, `ATH`), currencies (`USD`,
/// `EUR`), indicator names (`RSI`, `MACD`, `EMA`, `MA`, `VWAP`, `OBV`), chart verbs and
/// vocabulary (`LOAD`, `SHOW`, `ZOOM`, `OHLC`), timeframe tokens (`YTD`, `MAX`, `HR`) and the
/// words that steer intent (`NEWS`, `PRICE`, `QUOTE`). Only 2–5 letter words are listed:
/// single letters are never tickers unless cash-tagged, and longer words are no valid plain ticker.
///
/// The cost: real tickers that are words (`ALL`, `NOW`, `IT`, `ON`, `LOW`, `KEY`, `OPEN`, `SPOT`,
/// `RUN`, `PLAY`) need a cash-tag (`$NOW`) or their name in the table (`servicenow`). Sorted.
pub static STOP_WORDS: &[&str] = &[
    "about", "above", "add", "after", "again", "ago", "ah", "ai", "aka", "al", "all", "also", "am",
    "an", "and", "any", "anyon", "api", "app", "apps", "apr", "april", "are", "area", "as", "ask",
    "at", "ath", "atl", "atm", "atr", "aud", "aug", "auto", "away", "axis", "back", "bad", "bank",
    "banks", "bar", "bars", "base", "bb", "be", "bear", "bears", "been", "being", "below", "best",
    "bet", "bid", "big", "bit", "boe", "boj", "both", "bps", "break", "bro", "btw", "bull",
    "bulls", "but", "buy", "by", "bye", "cad", "call", "calls", "came", "can", "cant", "cap",
    "ceo", "cfo", "chart", "check", "chf", "chip", "chips", "ci", "clear", "close", "cny", "come",
    "coo", "copy", "cost", "could", "cpi", "cpu", "crash", "cross", "cto", "cup", "cut", "cuts",
    "dad", "daily", "data", "date", "dates", "day", "days", "dd", "dec", "did", "dip", "dips",
    "do", "does", "doing", "done", "dont", "down", "draw", "drop", "dte", "dump", "ea", "each",
    "early", "ecb", "edit", "eg", "else", "em", "ema", "end", "ends", "entry", "eod", "eps", "esg",
    "est", "et", "eta", "etc", "etf", "eu", "eur", "ev", "even", "ever", "every", "evs", "exit",
    "fall", "feb", "fed", "few", "fib", "fill", "find", "fine", "first", "fit", "fix", "flag",
    "fomc", "fomo", "for", "fri", "from", "ftw", "fud", "fund", "funds", "fy", "fyi", "gain",
    "gains", "gap", "gaps", "gas", "gbp", "gdp", "get", "give", "gmt", "go", "goes", "going",
    "gonna", "good", "got", "gotta", "gpu", "gpus", "graph", "great", "green", "guy", "guys", "ha",
    "had", "hair", "has", "have", "he", "hello", "help", "her", "here", "hers", "hey", "hi",
    "hide", "high", "hike", "him", "his", "hmm", "hodl", "hold", "hour", "hours", "how", "hows",
    "hr", "hrs", "huge", "ic", "id", "ie", "if", "imo", "in", "index", "info", "into", "iou",
    "ipo", "irs", "is", "it", "itd", "its", "iv", "jan", "jk", "job", "jobs", "jpy", "jul", "july",
    "jun", "june", "just", "keep", "key", "kind", "know", "last", "late", "later", "learn",
    "least", "less", "let", "lets", "level", "like", "line", "lines", "live", "llm", "load", "lol",
    "long", "look", "loss", "lot", "lots", "low", "lse", "ma", "macd", "made", "make", "man",
    "many", "mar", "march", "mas", "max", "may", "maybe", "me", "mean", "meh", "might", "min",
    "mine", "mins", "mode", "mom", "mon", "month", "moon", "more", "most", "move", "moved",
    "moves", "much", "must", "my", "na", "nato", "nav", "near", "need", "new", "news", "next",
    "nfp", "nice", "night", "no", "none", "noon", "nope", "nor", "not", "nov", "now", "nyse",
    "obv", "oct", "of", "off", "oh", "ohlc", "oi", "ok", "okay", "old", "on", "one", "only",
    "onto", "opec", "open", "or", "otc", "other", "our", "ours", "out", "over", "own", "page",
    "past", "paste", "pce", "pdt", "pe", "peak", "per", "plan", "play", "plot", "pls", "plz", "pm",
    "pmi", "post", "ppi", "pre", "price", "prior", "pro", "pst", "pump", "put", "puts", "qe",
    "qoq", "qt", "quite", "quote", "rally", "ran", "rate", "rates", "read", "ready", "real", "red",
    "redo", "reset", "rip", "rise", "risk", "roe", "roi", "rsi", "run", "said", "same", "sat",
    "sats", "save", "saw", "say", "says", "scale", "sec", "see", "seen", "sell", "send", "sep",
    "sept", "set", "shall", "share", "she", "short", "show", "since", "size", "sl", "sma", "small",
    "so", "some", "soon", "sorry", "spike", "spot", "start", "still", "stoch", "stock", "stop",
    "style", "such", "sun", "sure", "take", "tbh", "teach", "tech", "tell", "ten", "than", "thank",
    "that", "the", "their", "them", "then", "there", "these", "they", "thing", "think", "this",
    "those", "thu", "thx", "time", "times", "tldr", "to", "today", "too", "top", "tp", "trend",
    "try", "ttm", "tue", "turn", "tv", "two", "uk", "un", "under", "undo", "until", "up", "upon",
    "us", "usa", "usd", "usdt", "use", "utc", "value", "very", "via", "view", "vol", "vs", "vwap",
    "wait", "wanna", "want", "was", "way", "ways", "we", "wed", "wedge", "week", "weeks", "well",
    "went", "were", "what", "when", "where", "which", "while", "who", "whom", "whose", "why",
    "will", "with", "wma", "work", "worth", "would", "wow", "wsb", "yeah", "year", "years", "yes",
    "yet", "yo", "yolo", "you", "your", "yoy", "yr", "ytd", "zoom",
];

/// [`STOP_WORDS`] packed at compile time into 5-byte slots (every stop word has 2–5 letters).
static STOP_SET: &WordSet = words!(@list STOP_WORDS);

/// Whether a lower-case word is on the stop list.
pub fn is_stop_word(lower: &str) -> bool {
    STOP_SET.contains(lower)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::canonical_symbol;

    #[test]
    fn name_table_has_at_least_150_entries() {
        assert!(NAMES.len() >= 150, "only {} names", NAMES.len());
    }

    #[test]
    fn every_name_maps_to_a_canonical_symbol() {
        for (first, rest, symbol) in NAMES {
            assert_eq!(
                canonical_symbol(symbol).as_deref(),
                Some(*symbol),
                "{first} {rest}"
            );
        }
    }

    #[test]
    fn name_table_is_sorted_with_unique_keys() {
        for pair in NAMES.windows(2) {
            let (a, b) = ((pair[0].0, pair[0].1), (pair[1].0, pair[1].1));
            assert!(a < b, "{a:?} must sort strictly before {b:?}");
        }
    }

    #[test]
    fn packed_table_holds_every_name() {
        for (k, entry) in NAMES.iter().enumerate() {
            assert_eq!(name(k), *entry);
        }
        assert_eq!(usize::from(NAME_AT[NAMES.len()]), NAME_TEXT.len());
    }

    #[test]
    fn lookup_finds_every_name_and_no_first_word_one_byte_off() {
        for (first, rest, symbol) in NAMES {
            let mut words = vec![*first];
            words.extend(rest.split(' ').filter(|w| !w.is_empty()));
            assert_eq!(
                lookup(&words),
                Some((words.len(), *symbol)),
                "{first} {rest}"
            );
            let is_first = |w: &str| NAMES.iter().any(|(f, _, _)| *f == w);
            for other in [
                format!("{first}x"),
                format!("{first}|"),
                first[..first.len() - 1].into(),
            ] {
                if !is_first(&other) {
                    assert_eq!(lookup(&[other.as_str()]), None, "{other}");
                }
            }
        }
    }

    #[test]
    fn buckets_cover_the_whole_table() {
        let covered: usize = BUCKETS.iter().map(|(lo, hi)| usize::from(hi - lo)).sum();
        assert_eq!(covered, NAMES.len());
        assert!(NAMES.len() < usize::from(u16::MAX));
    }

    #[test]
    fn keys_are_lower_case_words_within_the_length_limit() {
        for (first, rest, _) in NAMES {
            let rest_words = rest.split(' ').filter(|w| !w.is_empty());
            assert!(
                rest_words.clone().count() < MAX_NAME_WORDS,
                "{first} {rest}"
            );
            for w in std::iter::once(*first).chain(rest_words) {
                let ok = w.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'&' || b == b'.'
                });
                assert!(ok, "{w:?} in {first} {rest}");
            }
        }
    }

    #[test]
    fn lookup_prefers_the_longest_name() {
        assert_eq!(lookup(&["s&p", "500", "futures"]), Some((3, "ES=F")));
        assert_eq!(lookup(&["s&p", "500", "year"]), Some((2, "SPY")));
        assert_eq!(lookup(&["s&p"]), Some((1, "SPY")));
        assert_eq!(lookup(&["bank", "of", "america"]), Some((3, "BAC")));
        assert_eq!(lookup(&["bank", "of"]), None);
        assert_eq!(lookup(&["dow", "jones"]), Some((2, "DIA")));
        assert_eq!(lookup(&["euro", "stoxx", "50"]), Some((3, "^STOXX50E")));
        assert_eq!(lookup(&["euro"]), Some((1, "EURUSD=X")));
        assert_eq!(lookup(&[]), None);
    }

    #[test]
    fn lookup_maps_the_names_the_spec_names() {
        let cases = [
            ("tesla", "TSLA"),
            ("apple", "AAPL"),
            ("microsoft", "MSFT"),
            ("nvidia", "NVDA"),
            ("amazon", "AMZN"),
            ("google", "GOOGL"),
            ("alphabet", "GOOGL"),
            ("meta", "META"),
            ("facebook", "META"),
            ("berkshire", "BRK.B"),
            ("netflix", "NFLX"),
            ("amd", "AMD"),
            ("intel", "INTC"),
            ("jpmorgan", "JPM"),
            ("bitcoin", "BTC-USD"),
            ("ethereum", "ETH-USD"),
            ("ether", "ETH-USD"),
            ("solana", "SOL-USD"),
            ("dogecoin", "DOGE-USD"),
            ("nasdaq", "QQQ"),
            ("sp500", "SPY"),
            ("dow", "DIA"),
            ("vix", "^VIX"),
            ("gold", "GC=F"),
            ("oil", "CL=F"),
            ("crude", "CL=F"),
        ];
        for (word, symbol) in cases {
            assert_eq!(lookup(&[word]), Some((1, symbol)), "{word}");
        }
        assert_eq!(lookup(&["russell", "2000"]), Some((2, "IWM")));
        assert_eq!(lookup(&["euro", "dollar"]), Some((2, "EURUSD=X")));
    }

    #[test]
    fn ambiguous_words_are_not_names() {
        for word in [
            "target", "zoom", "snap", "block", "square", "delta", "polygon", "dollar", "sol",
            "link",
        ] {
            assert_eq!(lookup(&[word]), None, "{word}");
        }
    }

    #[test]
    fn stop_list_is_sorted_and_holds_the_words_the_spec_names() {
        assert!(STOP_WORDS.windows(2).all(|p| p[0] < p[1]));
        for w in [
            "rsi", "macd", "ema", "sma", "ma", "vwap", "atr", "obv", "load", "show", "the", "and",
            "ok", "us", "it", "all", "ytd", "max", "usd", "etf", "ceo", "ai", "pm", "am",
        ] {
            assert!(is_stop_word(w), "{w}");
        }
        assert!(!is_stop_word("tsla"));
    }
}
