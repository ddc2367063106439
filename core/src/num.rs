//! Numbers on the wire: parsing legacy number tokens, the shortest decimal form, and JSON output
//! that prints integral values without a trailing `.0` (so native and browser JSON agree).

use std::cmp::Ordering;

use serde::Serializer;

/// Largest price accepted. Keeps every canonical legacy string short and every value exactly
/// representable in the formats both sides print.
pub const MAX_PRICE: f64 = 1e15;

/// Smallest price accepted: 1e-8 (one satoshi), below any quoted asset; `1e-300` is no price.
pub const MIN_PRICE: f64 = 1e-8;

/// Zoom amounts (a factor) go from 0.01 to 100; `5e-324` is no zoom.
pub const ZOOM_RANGE: std::ops::RangeInclusive<f64> = 0.01..=100.0;

/// Largest Unix time accepted, 9999-12-31T23:59:59Z: the last second an ISO date can name, and far
/// below 2^53, so JavaScript holds every accepted time exactly.
pub const MAX_TIME: u64 = 253_402_300_799;

/// Largest candle index accepted: a billion bars (31 years of one-second candles), below 2^53.
pub const MAX_CANDLE: u64 = 1_000_000_000;

/// Whether `v` is an accepted price: finite and within [`MIN_PRICE`]..=[`MAX_PRICE`].
pub fn is_valid_price(v: f64) -> bool {
    (MIN_PRICE..=MAX_PRICE).contains(&v)
}

/// Parses a decimal number token: optional sign, digits, optional fraction, optional exponent.
/// Rejects `inf`, `NaN`, hex and anything with other characters.
pub fn parse_decimal(raw: &str) -> Option<f64> {
    let (neg, mantissa, exp10) = split_decimal(raw.trim())?;
    let v = decimal_to_f64(neg, mantissa, exp10);
    v.is_finite().then_some(v)
}

/// A token's sign, mantissa (digits with at most one `.`, at least one digit) and exponent (at
/// most three digits, so it never overflows), or `None` when it is not a decimal number.
fn split_decimal(s: &str) -> Option<(bool, &str, i64)> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() && frac.is_empty() || !digits(int) || !digits(frac) {
        return None;
    }
    let exp10 = match exponent {
        None => 0,
        Some(e) => {
            let (minus, e) = match e.as_bytes().first() {
                Some(b'-') => (true, &e[1..]),
                Some(b'+') => (false, &e[1..]),
                _ => (false, e),
            };
            if e.is_empty() || e.len() > 3 || !digits(e) {
                return None;
            }
            let v = e.bytes().fold(0i64, |a, b| a * 10 + i64::from(b - b'0'));
            if minus {
                -v
            } else {
                v
            }
        }
    };
    Some((neg, mantissa, exp10))
}

/// Significant digits kept before the rest is folded into a sticky digit. A point halfway between
/// two doubles has at most 767 significant digits, so no comparison can tell more apart.
const MAX_DIGITS: usize = 800;

/// The double nearest to `±mant × 10^exp10` as [`split_decimal`] returns it (ties to even, overflow to
/// infinity, underflow to zero): what `str::parse::<f64>` returns, without the ~10 KB of tables of
/// std's parser (a test compares the two). Clinger's fast path when the digits and the power of ten
/// are both exact doubles; otherwise an estimate corrected by exact big-integer comparisons with the
/// midpoints between neighbouring doubles.
pub(crate) fn decimal_to_f64(neg: bool, mant: &str, mut exp10: i64) -> f64 {
    if let Some(v) = fast_path(mant, exp10) {
        return apply_sign(neg, v);
    }
    // value = digits × 10^exp10, digits without leading zeros, at most MAX_DIGITS of them.
    let mut digits: Vec<u8> = Vec::new();
    let mut point = false;
    let mut sticky = false;
    for b in mant.bytes() {
        if b == b'.' {
            point = true;
            continue;
        }
        let d = b - b'0';
        if digits.len() < MAX_DIGITS {
            if d != 0 || !digits.is_empty() {
                digits.push(d);
            }
            exp10 -= i64::from(point);
        } else {
            sticky |= d != 0;
            exp10 += i64::from(!point);
        }
    }
    if sticky {
        digits.push(1);
        exp10 -= 1;
    }
    while digits.last() == Some(&0) {
        digits.pop();
        exp10 += 1;
    }
    let n = digits.len() as i64;
    let magnitude = if n == 0 || n + exp10 < -324 {
        0.0 // below 1e-324, less than half the smallest subnormal
    } else if n - 1 + exp10 > 308 {
        f64::INFINITY // at least 1e309
    } else {
        // The leading (up to) 19 digits, then the power of ten in exact steps of at most 1e22.
        let lead = digits.len().min(19);
        let w = digits[..lead]
            .iter()
            .fold(0u64, |a, &d| a * 10 + u64::from(d));
        let mut e = exp10 + (n - lead as i64);
        let mut z = w as f64;
        while e != 0 {
            let step = e.clamp(-22, 22);
            z = scale10(z, step);
            e -= step;
        }
        correct(z.to_bits().min(INF_BITS), &digits, exp10)
    };
    apply_sign(neg, magnitude)
}

/// Clinger's fast path read straight from the mantissa's text, without the digit buffer: when the
/// digits form an integer below 2^53 and the power of ten is at most 22 in magnitude, both are
/// exact doubles and one multiplication or division rounds correctly. Covers prices, periods and
/// times, nearly every token; `None` sends the rest to the general path.
fn fast_path(mant: &str, exp10: i64) -> Option<f64> {
    let mut w: u64 = 0;
    let mut e = exp10;
    let mut point = false;
    for b in mant.bytes() {
        if b == b'.' {
            point = true;
            continue;
        }
        w = w.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
        e -= i64::from(point);
    }
    (w < 1 << 53 && e.abs() <= 22).then(|| scale10(w as f64, e))
}

const INF_BITS: u64 = 0x7ff0_0000_0000_0000;

fn apply_sign(neg: bool, v: f64) -> f64 {
    if neg {
        -v
    } else {
        v
    }
}

/// `z × 10^e` for |e| ≤ 22 (10^e is exact), one rounding.
fn scale10(z: f64, e: i64) -> f64 {
    let p = (0..e.abs()).fold(1.0, |p, _| p * 10.0);
    if e < 0 {
        z / p
    } else {
        z * p
    }
}

/// Moves the estimate `bits` (a non-negative double, `INF_BITS` standing for 2^1024) to the double
/// nearest to `digits × 10^exp10`, ties to even.
fn correct(mut bits: u64, digits: &[u8], exp10: i64) -> f64 {
    let mut value = Big(vec![0]);
    for chunk in digits.chunks(9) {
        value.mul_add(
            10u32.pow(chunk.len() as u32),
            chunk.iter().fold(0, |a, &d| a * 10 + u32::from(d)),
        );
    }
    // value = digits × 5^exp10 × 2^exp10 against a midpoint m × 2^f: the powers of five go to the
    // side where they are integers, then the lower power of two is shifted away.
    let fives = |b: &mut Big| {
        let mut k = exp10.unsigned_abs() as u32;
        while k > 0 {
            let step = k.min(13); // 5^13 < 2^32
            b.mul_add(5u32.pow(step), 0);
            k -= step;
        }
    };
    if exp10 > 0 {
        fives(&mut value);
    }
    let cmp_mid = |below: u64| {
        let (m1, e1) = parts(below);
        let (m2, e2) = parts(below + 1);
        let (m, f) = (m1 + (m2 << (e2 - e1)), i64::from(e1) - 1);
        let mut l = value.clone();
        let mut r = Big(vec![m as u32, (m >> 32) as u32]);
        if exp10 < 0 {
            fives(&mut r);
        }
        let shift = exp10 - f;
        let (side, mut bits) = if shift >= 0 {
            (&mut l, shift as u64)
        } else {
            (&mut r, shift.unsigned_abs())
        };
        while bits > 0 {
            let step = bits.min(31);
            side.mul_add(1 << step, 0);
            bits -= step;
        }
        l.cmp(&r)
    };
    loop {
        if bits < INF_BITS {
            match cmp_mid(bits) {
                Ordering::Greater => {
                    bits += 1;
                    continue;
                }
                Ordering::Equal => {
                    bits += bits & 1;
                    break;
                }
                Ordering::Less => {}
            }
        }
        if bits > 0 {
            match cmp_mid(bits - 1) {
                Ordering::Less => {
                    bits -= 1;
                    continue;
                }
                Ordering::Equal => {
                    bits -= bits & 1;
                    break;
                }
                Ordering::Greater => {}
            }
        }
        break;
    }
    f64::from_bits(bits)
}

/// A non-negative double's bits as `m × 2^e`; `INF_BITS` gives 2^1024.
fn parts(bits: u64) -> (u64, i32) {
    let e = (bits >> 52) as i32;
    let m = bits & ((1 << 52) - 1);
    if e == 0 {
        (m, -1074)
    } else {
        (m | 1 << 52, e - 1075)
    }
}

/// Unsigned big integer, little-endian 32-bit limbs (products fit in `u64`, native on wasm32).
#[derive(Clone)]
struct Big(Vec<u32>);

impl Big {
    /// `self = self × k + add`.
    fn mul_add(&mut self, k: u32, add: u32) {
        let mut carry = u64::from(add);
        for limb in &mut self.0 {
            let t = u64::from(*limb) * u64::from(k) + carry;
            *limb = t as u32;
            carry = t >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }

    fn cmp(&self, other: &Big) -> Ordering {
        let len = |b: &Big| b.0.iter().rposition(|&l| l != 0).map_or(0, |i| i + 1);
        let (a, b) = (&self.0[..len(self)], &other.0[..len(other)]);
        a.len()
            .cmp(&b.len())
            .then_with(|| a.iter().rev().cmp(b.iter().rev()))
    }
}

/// Formats a finite number the way ECMAScript's `Number.prototype.toString` does: the shortest
/// decimal that reads back to the same value, exponent form only below 1e-6 or from 1e21.
pub fn format_shortest(v: f64) -> String {
    let mut out = String::new();
    write_shortest(&mut out, v);
    out
}

/// Appends the decimal digits of `v`.
pub fn push_u64(out: &mut String, v: u64) {
    out.push_str(chartgate_json::Digits::new(v).as_str());
}

/// `v` as an integer when it is integral and exactly representable (|v| < 2^53), `-0.0` as `0`:
/// the one rule for when a number is written as an integer (legacy strings, JSON, messages).
pub fn exact_int(v: f64) -> Option<i64> {
    (v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0).then_some(v as i64)
}

/// Appends [`format_shortest`] of `v` to `out`.
pub fn write_shortest(out: &mut String, v: f64) {
    if let Some(i) = exact_int(v) {
        // The integer digits are the shortest form.
        if i < 0 {
            out.push('-');
        }
        push_u64(out, i.unsigned_abs());
        return;
    }
    if !v.is_finite() {
        out.push_str(if v.is_nan() {
            "NaN"
        } else if v > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        });
        return;
    }
    // zmij (serde_json's float printer, so the module carries one) gives the shortest digits that
    // round-trip and, among equally short ones, the closest with ties to even: ECMAScript's
    // choice. In ECMAScript's plain-notation range, its plain text is already what JS prints.
    let mut buf = zmij::Buffer::new();
    let text = buf.format_finite(v);
    let magnitude = v.abs();
    if !text.contains('e') && (1e-6..1e21).contains(&magnitude) {
        out.push_str(text.strip_suffix(".0").unwrap_or(text));
        return;
    }
    // Otherwise reduce whatever notation it chose to digits and a decimal exponent.
    let (sign, text) = match text.strip_prefix('-') {
        Some(t) => ("-", t),
        None => ("", text),
    };
    let (mant, exp) = match text.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let all: String = int.chars().chain(frac.chars()).collect();
    let lead = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_matches('0');
    let k = digits.len() as i32;
    let n = int.len() as i32 + exp - lead as i32; // position of the decimal point relative to the digits
    out.push_str(sign);
    if k <= n && n <= 21 {
        out.push_str(digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.push_str(&digits[..n as usize]);
        out.push('.');
        out.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(digits);
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push_str(if n - 1 < 0 { "e-" } else { "e+" });
        push_u64(out, u64::from((n - 1).unsigned_abs()));
    }
}

/// Serializes an `f64` as an integer when it is integral and exactly representable, else as a float.
pub fn serialize_number<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    match exact_int(*v) {
        Some(i) => s.serialize_i64(i),
        None => s.serialize_f64(*v),
    }
}

/// [`serialize_number`] for optional values.
pub fn serialize_opt_number<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => serialize_number(v, s),
        None => s.serialize_none(),
    }
}

/// Converts a finite JSON number to `u64` when it is a non-negative integer.
pub fn as_non_negative_int(v: &serde_json::Number) -> Option<u64> {
    if let Some(u) = v.as_u64() {
        return Some(u);
    }
    exact_int(v.as_f64()?).and_then(|i| u64::try_from(i).ok())
}

/// Parses a non-negative integer token (digits only, at most 15 of them).
pub fn parse_non_negative_int(raw: &str) -> Option<u64> {
    let s = raw.trim();
    if s.is_empty() || s.len() > 15 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortest_form_matches_ecmascript() {
        let cases = [
            (150.0, "150"),
            (455.5, "455.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e21, "1e+21"),
            (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"),
            (123456789012345680000.0, "123456789012345680000"),
            (-2.5, "-2.5"),
            // Two 17-digit candidates are equally close: ECMAScript takes the even one.
            (6_135_897_272_778_373.0 / 4.0, "1533974318194593.2"), // exactly ...593.25
            (821.18, "821.18"),
            (1e-7, "1e-7"),
            (1.2345e22, "1.2345e+22"),
            (1e15, "1000000000000000"),
            (-0.0, "0"),
            (0.5, "0.5"),
            (1e-6, "0.000001"),
            (1.5e-6, "0.0000015"),
            (9.99e-7, "9.99e-7"),
            (1e16, "10000000000000000"),
            (1.5e20, "150000000000000000000"),
            (123.456, "123.456"),
            (-1e-7, "-1e-7"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (0.1, "0.1"),
            (0.000123, "0.000123"),
        ];
        for (v, want) in cases {
            assert_eq!(format_shortest(v), want, "{v:e}");
        }
    }

    #[test]
    fn parse_decimal_rejects_non_numbers() {
        for bad in [
            "", "inf", "NaN", "infinity", "0x10", "1,5", "1.2.3", ".", "e5", "1e", "1e5000", "--1",
            "1 2",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad}");
        }
        assert_eq!(parse_decimal("430"), Some(430.0));
        assert_eq!(parse_decimal(".5"), Some(0.5));
        assert_eq!(parse_decimal("1e3"), Some(1000.0));
        assert_eq!(parse_decimal("+2.5"), Some(2.5));
    }

    /// A small deterministic generator (xorshift64*), so failures reproduce.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        fn digits(&mut self, out: &mut String, n: u64) {
            // Runs of zeros and nines are where rounding is decided; mix them in.
            let style = self.below(4);
            for _ in 0..n {
                let d = match style {
                    0 => b'0',
                    1 => b'9',
                    _ => b'0' + self.below(10) as u8,
                };
                let d = if self.below(8) == 0 {
                    b'0' + self.below(10) as u8
                } else {
                    d
                };
                out.push(char::from(d));
            }
        }
    }

    /// Decimal digits of `m × 2^f` as (digits, power of ten): exact, by schoolbook base 10^9.
    fn exact_decimal(m: u64, f: i32) -> (String, i32) {
        let mut limbs: Vec<u64> = vec![
            m % 1_000_000_000,
            m / 1_000_000_000 % 1_000_000_000,
            m / 1_000_000_000_000_000_000,
        ];
        let (k, times) = if f >= 0 { (2, f) } else { (5, -f) };
        for _ in 0..times {
            let mut carry = 0;
            for l in &mut limbs {
                let t = *l * k + carry;
                *l = t % 1_000_000_000;
                carry = t / 1_000_000_000;
            }
            if carry != 0 {
                limbs.push(carry);
            }
        }
        let mut text = String::new();
        for (i, l) in limbs.iter().rev().enumerate() {
            if i == 0 {
                text.push_str(&l.to_string());
            } else {
                text.push_str(&format!("{l:09}"));
            }
        }
        let text = text.trim_start_matches('0').to_owned();
        (
            if text.is_empty() {
                "0".to_owned()
            } else {
                text
            },
            f.min(0),
        )
    }

    fn check(s: &str) {
        let want: f64 = s.parse().expect("test token parses");
        let (neg, mant, exp10) = split_decimal(s).expect("test tokens are decimal numbers");
        let got = decimal_to_f64(neg, mant, exp10);
        assert_eq!(
            got.to_bits(),
            want.to_bits(),
            "{s}: got {got:e}, std {want:e}"
        );
        let want = want.is_finite().then_some(want.to_bits());
        assert_eq!(parse_decimal(s).map(f64::to_bits), want, "{s}");
    }

    fn random_len(rng: &mut Rng) -> u64 {
        let long = rng.below(10) == 0;
        rng.below(if long { 400 } else { 25 })
    }

    fn random_token(rng: &mut Rng, out: &mut String) {
        out.clear();
        match rng.below(3) {
            0 => out.push('-'),
            1 => out.push('+'),
            _ => {}
        }
        let int = random_len(rng);
        rng.digits(out, int);
        if int == 0 || rng.below(2) == 0 {
            out.push('.');
            let frac = random_len(rng).max(u64::from(int == 0));
            rng.digits(out, frac);
        }
        if rng.below(2) == 0 {
            out.push(if rng.below(2) == 0 { 'e' } else { 'E' });
            match rng.below(3) {
                0 => out.push('-'),
                1 => out.push('+'),
                _ => {}
            }
            let e = match rng.below(3) {
                0 => rng.below(23),
                1 => rng.below(330),
                _ => rng.below(1000),
            };
            out.push_str(&e.to_string());
        }
    }

    fn run_cases(n: u64, seed: u64) {
        let mut rng = Rng(seed);
        let mut s = String::new();
        for _ in 0..n {
            random_token(&mut rng, &mut s);
            check(&s);
            // A double's neighbourhood: its shortest form, 17 and 25 significant digits, and the
            // exact midpoint to the next double with a digit more or less.
            let bits = match rng.below(4) {
                0 => rng.below(1 << 60),                    // subnormals to mid-range
                1 => INF_BITS - 1 - rng.below(1 << 52),     // the top binade
                2 => rng.below(1 << 53),                    // subnormals and the smallest normals
                _ => rng.next() & (INF_BITS - 1) | 1 << 62, // large
            } % INF_BITS;
            let v = f64::from_bits(bits);
            for t in [
                format!("{v}"),
                format!("{v:e}"),
                format!("{v:.16e}"),
                format!("{v:.24e}"),
            ] {
                check(&t);
            }
            let (m1, e1) = parts(bits);
            let (m2, e2) = parts(bits + 1);
            // The midpoint (m1·2^e1 + m2·2^e2) / 2.
            let (digits, e) = exact_decimal(m1 + (m2 << (e2 - e1)), e1 - 1);
            for t in [
                format!("{digits}e{e}"),
                format!("{digits}000001e{}", e - 6),
                format!("{digits}0e{}", e - 1),
                format!("0.{digits}e{}", e + digits.len() as i32),
            ] {
                if t.rsplit('e')
                    .next()
                    .is_some_and(|x| x.trim_start_matches('-').len() <= 3)
                {
                    check(&t);
                }
            }
            if digits != "0" && digits.len() > 1 {
                // One unit below in the last place: digits − 1, then a tail of nines.
                let mut below: Vec<u8> = digits.bytes().collect();
                let mut i = below.len() - 1;
                while below[i] == b'0' {
                    below[i] = b'9';
                    i -= 1;
                }
                below[i] -= 1;
                let below = String::from_utf8(below).expect("ascii");
                let t = format!("{below}99e{}", e - 2);
                if t.rsplit('e')
                    .next()
                    .is_some_and(|x| x.trim_start_matches('-').len() <= 3)
                {
                    check(&t);
                }
            }
        }
    }

    #[test]
    fn decimal_to_f64_equals_std_on_edges() {
        for s in [
            "0",
            "-0",
            "+0",
            "0.0",
            "-0.000",
            "0e999",
            "-0e-999",
            "1e-999",
            "1e999",
            "1e308",
            "1e309",
            "1.8e308",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "179769313486231580793728971405301e276",
            "179769313486231580793728971405302e276",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "2.47032822920623272088e-324",
            "4.9406564584124654e-324",
            "5e-324",
            "1e-323",
            "2.2250738585072011e-308",
            "2.2250738585072012e-308",
            "2.2250738585072014e-308",
            "9007199254740993",
            "9007199254740992.5",
            "9007199254740993.0000000000000000000000001",
            "0.1",
            "0.2",
            "0.3",
            "123456789012345678901234567890",
            "1e22",
            "1e23",
            "3e22",
            "8.589973e9",
            "1.",
            ".1",
            "000000000000000000000000000000001",
            "0.000000000000000000000000000000001e33",
        ] {
            check(s);
        }
        // 800 significant digits and more: the sticky digit.
        for tail in ["", "0", "1", "000000000000000000001"] {
            check(&format!("{}{tail}e-400", "1".repeat(800)));
            check(&format!("0.{}5{tail}", "9".repeat(799)));
        }
    }

    #[test]
    fn decimal_to_f64_equals_std_on_random_tokens() {
        run_cases(10_000, 0x9e37_79b9_7f4a_7c15);
    }

    /// More cases on demand, e.g. in release:
    /// `CHARTGATE_F64_CASES=5000000 CHARTGATE_F64_SEED=7 cargo test --release -p chartgate-core decimal_to_f64_more`.
    /// By default a second seed's 10,000 cases, so every run covers it too.
    #[test]
    fn decimal_to_f64_more_cases_on_demand() {
        let n = std::env::var("CHARTGATE_F64_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10_000);
        let seed = std::env::var("CHARTGATE_F64_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        run_cases(n, seed);
    }
}
