//! The tokenizer: whitespace chunks read whole (legacy commands, cash-tags, punctuated symbols),
//! everything else split into words (step 2 and 3 of "How a request is read" in the parent
//! module), plus the word accessors and the verb polarities every rule reads.

use super::lexicon::strip_possessive;
use super::{names, Claim, Polarity, Reader, Unit, Word};
use crate::command::CommandKind;
use crate::legacy::{is_known_verb, parse_legacy};
use crate::num::parse_decimal;
use crate::vocab::{canonical_symbol, symbol_shape, AssetType};

impl<'a> Reader<'a> {
    // ---------------------------------------------------------------- tokens

    pub(super) fn tokenize(&mut self, lower: &'a str) {
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
    pub(super) fn chunk(&mut self, lower: &'a str, s: usize, e: usize) {
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
    pub(super) fn legacy_chunk(&mut self, t: &str) -> bool {
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
    pub(super) fn cashtag_chunk(&mut self, t: &str) -> bool {
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
    pub(super) fn symbol_chunk(&mut self, t: &str) -> bool {
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
    pub(super) fn split_words(&mut self, lower: &'a str, s: usize, e: usize) {
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

    pub(super) fn n(&self) -> usize {
        self.words.len()
    }

    /// The lower-case word at `i`, or `""` past the end.
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    pub(super) fn w(&self, i: usize) -> &'a str {
        self.words.get(i).map_or("", |w| w.lower)
    }

    /// The lower-case word `back` positions before `i`, or `""`.
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    pub(super) fn before(&self, i: usize, back: usize) -> &'a str {
        i.checked_sub(back).map_or("", |k| self.w(k))
    }

    #[cfg_attr(target_arch = "wasm32", inline(never))]
    pub(super) fn free(&self, i: usize) -> bool {
        self.claims.get(i) == Some(&Claim::Free)
    }

    pub(super) fn all_free(&self, from: usize, len: usize) -> bool {
        (from..from + len).all(|k| self.free(k))
    }

    pub(super) fn claim(&mut self, from: usize, to: usize, claim: Claim) {
        let to = to.min(self.claims.len());
        for c in &mut self.claims[from.min(to)..to] {
            *c = claim;
        }
    }

    /// The word at `i` as a plain integer (digits only).
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    pub(super) fn int(&self, i: usize) -> Option<u32> {
        let w = self.w(i);
        if w.is_empty() || w.len() > 9 || !w.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        w.parse().ok()
    }

    /// The word at `i` as a count: an integer or a number word (`one` … `sixty`).
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    pub(super) fn count(&self, i: usize) -> Option<u32> {
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
    pub(super) fn decimal(&self, i: usize) -> Option<f64> {
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
    pub(super) fn unit(&self, i: usize) -> Option<Unit> {
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
    pub(super) fn clause_ends(&self, i: usize) -> bool {
        i >= self.n()
            || words!("please" | "and" | "now" | "too" | "also" | "again" | "then" | "thanks")
                .contains(self.w(i))
    }

    // ---------------------------------------------------------------- verbs

    /// The on/off meaning of the verb (phrase) ending at `i`.
    pub(super) fn verb_polarity(&self, i: usize) -> Option<Polarity> {
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
    pub(super) fn polarity_before(&self, i: usize) -> Option<Polarity> {
        self.polarity[..i.min(self.polarity.len())]
            .iter()
            .rev()
            .find_map(|p| *p)
    }
}
