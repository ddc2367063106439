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

/// Appends [`format_shortest`] of `v` to `out`.
pub fn write_shortest(out: &mut String, v: f64) {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        // Integral and exactly representable (zero included): the integer digits are the shortest form.
        if v < 0.0 {
            out.push('-');
        }
        push_u64(out, v.abs() as u64);
        return;
    }
    out.push_str(&format_general(v));
}

fn format_general(v: f64) -> String {
    if !v.is_finite() {
        return if v.is_nan() {
            "NaN".into()
        } else if v > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    // `{:e}` prints the shortest round-tripping digits, e.g. `4.555e2`, `-1e-7`.
    let sci = format!("{v:e}");
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mant) = match mant.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mant),
    };
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i32;
    let n = exp + 1; // position of the decimal point relative to the digits
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let esign = if e < 0 { "-" } else { "+" };
        let (first, rest) = digits.split_at(1);
        if rest.is_empty() {
            format!("{first}e{esign}{}", e.abs())
        } else {
            format!("{first}.{rest}e{esign}{}", e.abs())
        }
    };
    format!("{sign}{body}")
}

/// Serializes an `f64` as an integer when it is integral and exactly representable, else as a float.
pub fn serialize_number<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    const SAFE: f64 = 9_007_199_254_740_992.0; // 2^53
    if v.fract() == 0.0 && v.abs() < SAFE {
        s.serialize_i64(*v as i64)
    } else {
        s.serialize_f64(*v)
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
    let f = v.as_f64()?;
    (f >= 0.0 && f.fract() == 0.0 && f < 9_007_199_254_740_992.0).then_some(f as u64)
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
            (0.5, "0.5"),
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
