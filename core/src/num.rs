//! Numbers on the wire: parsing legacy number tokens, the shortest decimal form, and JSON output
//! that prints integral values without a trailing `.0` (so native and browser JSON agree).

use serde::Serializer;

/// Largest magnitude accepted for prices and amounts. Keeps every canonical legacy string short and
/// every value exactly representable in the formats both sides print.
pub const MAX_PRICE: f64 = 1e15;

/// Parses a decimal number token: optional sign, digits, optional fraction, optional exponent.
/// Rejects `inf`, `NaN`, hex and anything with other characters.
pub fn parse_decimal(raw: &str) -> Option<f64> {
    let s = raw.trim();
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() && frac.is_empty() || !digits(int) || !digits(frac) {
        return None;
    }
    if let Some(e) = exponent {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e.is_empty() || e.len() > 3 || !digits(e) {
            return None;
        }
    }
    let v: f64 = s.parse().ok()?;
    v.is_finite().then_some(v)
}

/// Formats a finite number the way ECMAScript's `Number.prototype.toString` does: the shortest
/// decimal that reads back to the same value, exponent form only below 1e-6 or from 1e21.
pub fn format_shortest(v: f64) -> String {
    let mut out = String::new();
    write_shortest(&mut out, v);
    out
}

/// Appends the decimal digits of `v`.
pub fn push_u64(out: &mut String, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend(buf[i..].iter().map(|b| char::from(*b)));
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
}
