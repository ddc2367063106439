//! Packed word sets: a list of words packed at compile time into sorted, zero-padded slots of one
//! width, looked up by one binary search (the `words!` macro in the parent module builds them).

use core::cmp::Ordering;

/// A set of words packed at compile time into sorted, zero-padded slots of one width: the
/// wasm module ships the bytes (which compress well) and one binary search, instead of a
/// pointer and a length per word or a compare per word in a `match`.
pub(crate) struct WordSet {
    slots: &'static [u8],
    /// Bit `n` is set when a word of the set has `n` bytes, so most words that are not in the
    /// set are turned away by their length alone; the highest bit set is the slot width.
    lengths: u32,
}

/// The [`WordSet`] of `words` over `slots`, the bytes [`pack_words`] made of them.
pub(crate) const fn word_set(slots: &'static [u8], words: &[&str]) -> WordSet {
    assert!(!words.is_empty());
    let mut lengths = 0u32;
    let mut i = 0;
    while i < words.len() {
        let n = words[i].len();
        assert!(
            n > 0 && n < u32::BITS as usize,
            "a word must have 1 to 31 bytes"
        );
        lengths |= 1 << n;
        i += 1;
    }
    let set = WordSet { slots, lengths };
    assert!(
        set.width() * words.len() == slots.len(),
        "slots not packed from these words"
    );
    set
}

impl WordSet {
    /// Whether `w` is in the set.
    pub(crate) fn contains(&self, w: &str) -> bool {
        self.has(w.as_bytes())
    }

    /// Whether the bytes `w` are one of the set's words: a binary search whose probes compare
    /// the slot in place and stop at the first differing byte (usually the first).
    #[inline(never)]
    pub(crate) const fn has(&self, w: &[u8]) -> bool {
        if w.len() >= u32::BITS as usize || (self.lengths >> w.len()) & 1 == 0 {
            return false;
        }
        let width = self.width();
        let (mut lo, mut hi) = (0, self.slots.len() / width);
        // Nor is a word whose first byte is outside the first bytes of the first and last slot.
        if w[0] < self.slots[0] || w[0] > self.slots[(hi - 1) * width] {
            return false;
        }
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match slot_order(self.slots, mid * width, width, w) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return true,
            }
        }
        false
    }

    /// The slot width: the length of the longest word.
    const fn width(&self) -> usize {
        (u32::BITS - 1 - self.lengths.leading_zeros()) as usize
    }
}

/// Packs `words` into `N / words.len()`-byte zero-padded slots, sorted. A word that is empty,
/// longer than a slot, holds a zero byte or is listed twice fails to compile.
pub(crate) const fn pack_words<const N: usize>(words: &[&str]) -> [u8; N] {
    let width = N / words.len();
    assert!(width * words.len() == N);
    let mut out = [0u8; N];
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_bytes();
        assert!(!w.is_empty() && w.len() <= width);
        // Insertion: shift the greater slots up, then write `w` in the gap.
        let mut at = i;
        while at > 0
            && matches!(
                slot_order(&out, (at - 1) * width, width, w),
                Ordering::Greater
            )
        {
            let mut k = 0;
            while k < width {
                out[at * width + k] = out[(at - 1) * width + k];
                k += 1;
            }
            at -= 1;
        }
        assert!(at == 0 || matches!(slot_order(&out, (at - 1) * width, width, w), Ordering::Less));
        let mut k = 0;
        while k < width {
            out[at * width + k] = if k < w.len() {
                assert!(w[k] != 0);
                w[k]
            } else {
                0
            };
            k += 1;
        }
        i += 1;
    }
    out
}

/// Checks at compile time that `set` holds exactly `words`, the list it was packed from: every
/// listed word is a member, and a word one byte shorter than a listed word, the listed word
/// extended by one of `s`, `x`, `a` or a zero byte, the listed word with its first or last byte one
/// higher or lower is not, unless it is listed itself (a word longer than the slot width never is:
/// `has` turns away every length not in the set). `words!` and the stop list call it in a
/// `const`, so a set that disagrees with its list fails to compile; the error names the first
/// check that failed.
pub(crate) const fn check_words(set: &WordSet, words: &[&str]) -> Result<(), &'static str> {
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_bytes();
        let n = w.len();
        if !set.has(w) {
            return Err("a listed word is not in its set");
        }
        // Variants of `w` in a buffer: `w` itself, with one more byte after it.
        let mut buf = [0u8; 33];
        let mut k = 0;
        while k < n {
            buf[k] = w[k];
            k += 1;
        }
        if n > 1 && unlisted_member(set, words, buf.split_at(n - 1).0) {
            return Err("a word one byte shorter than a listed word is in the set");
        }
        let extensions = [b's', b'x', b'a', 0];
        let mut e = 0;
        while e < extensions.len() {
            buf[n] = extensions[e];
            if unlisted_member(set, words, buf.split_at(n + 1).0) {
                return Err("a word one byte longer than a listed word is in the set");
            }
            e += 1;
        }
        let mut at = 0;
        while at < n {
            let mut delta = 0;
            while delta < 2 {
                buf[at] = if delta == 0 {
                    w[at].wrapping_add(1)
                } else {
                    w[at].wrapping_sub(1)
                };
                if unlisted_member(set, words, buf.split_at(n).0) {
                    return Err("a word differing from a listed word in one byte is in the set");
                }
                buf[at] = w[at];
                delta += 1;
            }
            // The first and the last byte.
            at = if at + 1 < n { n - 1 } else { n };
        }
        i += 1;
    }
    Ok(())
}

/// Whether `w` is in `set` but not in `words`.
const fn unlisted_member(set: &WordSet, words: &[&str], w: &[u8]) -> bool {
    if !set.has(w) {
        return false;
    }
    let mut i = 0;
    while i < words.len() {
        let listed = words[i].as_bytes();
        if listed.len() == w.len() {
            let mut k = 0;
            while k < w.len() && listed[k] == w[k] {
                k += 1;
            }
            if k == w.len() {
                return false;
            }
        }
        i += 1;
    }
    true
}

/// The length of the longest of `words` (the slot width [`pack_words`] needs).
pub(crate) const fn max_len(words: &[&str]) -> usize {
    let (mut max, mut i) = (0, 0);
    while i < words.len() {
        if words[i].len() > max {
            max = words[i].len();
        }
        i += 1;
    }
    max
}

/// The order of the zero-padded slot at `slots[at..at + width]` against `w`
/// (`0 < w.len() <= width`): the order of the slot's word against `w`, found at the first byte
/// that differs. The one comparison both the sort in [`pack_words`] and [`WordSet::has`] use.
const fn slot_order(slots: &[u8], at: usize, width: usize, w: &[u8]) -> Ordering {
    let mut k = 0;
    while k < width {
        let a = slots[at + k];
        if k == w.len() {
            // `w` ends here: equal if the slot's word does too.
            return if a == 0 {
                Ordering::Equal
            } else {
                Ordering::Greater
            };
        }
        let b = w[k];
        if a != b {
            return if a < b {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        if a == 0 {
            // The slot's word ended but `w` goes on with a zero byte: never a member.
            return Ordering::Less;
        }
        k += 1;
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    /// A set packed at run time from `words` (8 distinct words of at most 4 bytes, one of 4).
    fn packed(words: &[&str]) -> WordSet {
        let bytes: [u8; 32] = pack_words(words);
        word_set(Box::leak(Box::new(bytes)), words)
    }

    #[test]
    fn check_words_names_the_first_way_a_set_disagrees_with_its_list() {
        let list = ["dd", "ab", "abc", "b", "bbbb", "c", "ca", "zzzz"];
        assert_eq!(check_words(&packed(&list), &list), Ok(()));
        let cases = [
            ("zzzy", "a listed word is not in its set"),
            (
                "d",
                "a word one byte shorter than a listed word is in the set",
            ),
            (
                "dds",
                "a word one byte longer than a listed word is in the set",
            ),
            (
                "ed",
                "a word differing from a listed word in one byte is in the set",
            ),
            (
                "de",
                "a word differing from a listed word in one byte is in the set",
            ),
        ];
        for (held, why) in cases {
            // The set holds `held` in place of the list's "zzzz".
            let mut set = list;
            set[7] = held;
            assert_eq!(check_words(&packed(&set), &list), Err(why), "{held}");
        }
    }

    proptest::proptest! {
        #[test]
        fn a_word_set_holds_exactly_its_words(
            words in proptest::collection::btree_set("[ab]{1,4}", 8)
                .prop_filter("one word of 4 bytes", |ws| ws.iter().any(|w| w.len() == 4)),
            probes in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(vec![b'a', b'b', b'c', 0]), 0..7),
                0..32,
            ),
        ) {
            let list: Vec<&str> = words.iter().map(String::as_str).collect();
            let set = packed(&list);
            proptest::prop_assert_eq!(check_words(&set, &list), Ok(()));
            for w in &list {
                proptest::prop_assert!(set.contains(w));
            }
            for p in &probes {
                let listed = list.iter().any(|w| w.as_bytes() == p.as_slice());
                proptest::prop_assert_eq!(set.has(p), listed, "{:?}", p);
            }
        }
    }
}
