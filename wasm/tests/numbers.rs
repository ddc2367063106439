//! core prints numbers in legacy strings and messages the way JavaScript does
//! (`Number.prototype.toString`): checked here against the JavaScript engine itself, in node and
//! in headless Chromium, on random bit patterns, two-decimal prices, every power of two and the
//! neighbours of the notation boundaries (1e-7, 1e-6, 1e21).
#![cfg(target_arch = "wasm32")]

use chartgate_core::num::format_shortest;
use wasm_bindgen_test::wasm_bindgen_test;

fn js_string(v: f64) -> String {
    js_sys::Number::from(v)
        .to_string_with_radix(10)
        .expect("radix 10 is valid")
        .into()
}

/// How many values were compared, how many differ, and the first five that do.
fn compare(values: impl Iterator<Item = f64>) -> (usize, usize, Vec<String>) {
    let (mut n, mut differ) = (0, 0);
    let mut bad = Vec::new();
    for v in values.filter(|v| v.is_finite()) {
        n += 1;
        let (ours, js) = (format_shortest(v), js_string(v));
        if ours != js {
            differ += 1;
            if bad.len() < 5 {
                bad.push(format!(
                    "bits {:#018x}: core {ours:?}, JavaScript {js:?}",
                    v.to_bits()
                ));
            }
        }
    }
    (n, differ, bad)
}

/// xorshift64*: a fixed seed, so a failure names the same values every run.
fn random_bits(count: usize) -> impl Iterator<Item = f64> {
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..count).map(move |_| {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        f64::from_bits(s.wrapping_mul(0x2545_F491_4F6C_DD1D))
    })
}

/// 2^e exactly, subnormals included (`powi` would round the smallest ones to zero).
fn power_of_two(e: i32) -> f64 {
    if e >= -1022 {
        f64::from_bits(((e + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (e + 1074))
    }
}

fn neighbours(v: f64) -> [f64; 5] {
    let b = v.to_bits();
    [
        f64::from_bits(b.saturating_sub(2)),
        f64::from_bits(b.saturating_sub(1)),
        v,
        f64::from_bits(b + 1),
        f64::from_bits(b + 2),
    ]
}

#[wasm_bindgen_test]
fn random_bit_patterns_print_as_javascript_does() {
    let (n, differ, bad) = compare(random_bits(100_000).flat_map(|v| [v, -v]));
    assert!(n > 190_000, "only {n} finite values compared");
    assert_eq!(differ, 0, "{differ} of {n} differ, e.g. {bad:#?}");
}

#[wasm_bindgen_test]
fn prices_powers_of_two_and_notation_boundaries_print_as_javascript_does() {
    let prices = (0..200_000).map(|i| f64::from(i) / 100.0);
    let small = (0..20_000).map(|i| f64::from(i) * 1e-8);
    let powers = (-1074..=1023).map(power_of_two);
    let edges = [
        1e-7,
        1e-6,
        1e21,
        1e20,
        9_007_199_254_740_992.0,
        0.1,
        0.3,
        5e-324,
    ]
    .into_iter()
    .flat_map(neighbours);
    let (n, differ, bad) = compare(prices.chain(small).chain(powers).chain(edges));
    assert!(n > 220_000, "only {n} values compared");
    assert_eq!(differ, 0, "{differ} of {n} differ, e.g. {bad:#?}");
}
