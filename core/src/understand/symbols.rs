//! The rules that load a symbol: a name from the lexicon ([`super::names`], longest phrase
//! first) and, last of all rules, a bare upper-case ticker.

use super::lexicon::is_keyword;
use super::{names, Claim, Reader};
use crate::vocab::canonical_symbol;

impl<'a> Reader<'a> {
    /// A company, coin, index, commodity or currency name at `i`.
    pub(super) fn read_name(&mut self, i: usize) {
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
    pub(super) fn read_ticker(&mut self, i: usize) {
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
}
