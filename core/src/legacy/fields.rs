//! The field validators of a command (symbol, timeframe, prices, times, candle indices, periods,
//! ids, scroll targets, Fibonacci levels): each reads or checks one value and says why it is
//! refused. The legacy parser and the structured decoder (`validate`) share them, so a value is
//! valid in one shape exactly when it is in the other.

use super::err;
use crate::command::{DrawingShape, Scroll};
use crate::issue::{excerpt, Issue, IssueCode};
use crate::num::{
    format_shortest, is_valid_price, parse_decimal, parse_non_negative_int, MAX_CANDLE, MAX_TIME,
    ZOOM_RANGE,
};
use crate::vocab::{
    canonical_snake, canonical_symbol, is_valid_date, is_valid_id, Timeframe, PERIOD_RANGE,
};

pub(crate) fn symbol(raw: &str) -> Result<String, Issue> {
    canonical_symbol(raw).ok_or_else(|| {
        err(
            IssueCode::InvalidSymbol,
            format!("invalid symbol {:?}", excerpt(raw)),
        )
    })
}

pub(crate) fn timeframe(raw: &str) -> Result<crate::vocab::Timeframe, Issue> {
    Timeframe::parse(raw).ok_or_else(|| {
        err(
            IssueCode::InvalidTimeframe,
            format!("invalid timeframe {:?}", excerpt(raw)),
        )
    })
}

/// A price token: a number from 1e-8 to 1e15 ([`crate::num::MIN_PRICE`], [`crate::num::MAX_PRICE`]).
pub(crate) fn price(raw: &str) -> Result<f64, Issue> {
    check_price(number(raw, "price")?, "price")
}

pub(super) fn number(raw: &str, what: &str) -> Result<f64, Issue> {
    parse_decimal(raw).ok_or_else(|| {
        err(
            IssueCode::InvalidNumber,
            format!("{what} must be a number, got {:?}", excerpt(raw)),
        )
    })
}

/// Checks a price is within 1e-8..=1e15.
pub(crate) fn check_price(v: f64, what: &str) -> Result<f64, Issue> {
    if is_valid_price(v) {
        Ok(v)
    } else {
        Err(err(
            IssueCode::InvalidNumber,
            format!(
                "{what} must be a number from 1e-8 to 1e15, got {}",
                format_shortest(v)
            ),
        ))
    }
}

/// Checks a zoom amount is within 0.01..=100.
pub(crate) fn check_zoom(v: f64) -> Result<f64, Issue> {
    if ZOOM_RANGE.contains(&v) {
        Ok(v)
    } else {
        Err(err(
            IssueCode::InvalidNumber,
            format!(
                "zoom amount must be a number from 0.01 to 100, got {}",
                format_shortest(v)
            ),
        ))
    }
}

/// Checks a Unix time is at most [`MAX_TIME`] (9999-12-31T23:59:59Z).
pub(crate) fn check_time(t: u64, what: &str) -> Result<u64, Issue> {
    if t <= MAX_TIME {
        Ok(t)
    } else {
        Err(err(
            IssueCode::InvalidTimestamp,
            format!("{what} must be Unix seconds up to {MAX_TIME} (year 9999), got {t}"),
        ))
    }
}

/// Checks a candle index is at most [`MAX_CANDLE`].
pub(crate) fn check_candle(c: u64, what: &str) -> Result<u64, Issue> {
    if c <= MAX_CANDLE {
        Ok(c)
    } else {
        Err(err(
            IssueCode::InvalidNumber,
            format!("{what} must be an integer from 0 to {MAX_CANDLE}, got {c}"),
        ))
    }
}

pub(crate) fn period(raw: &str) -> Result<u32, Issue> {
    match parse_non_negative_int(raw) {
        Some(p) => check_period(p),
        None => Err(err(
            IssueCode::InvalidNumber,
            format!("period must be an integer 1-500, got {:?}", excerpt(raw)),
        )),
    }
}

pub(crate) fn check_period(p: u64) -> Result<u32, Issue> {
    u32::try_from(p)
        .ok()
        .filter(|p| PERIOD_RANGE.contains(p))
        .ok_or_else(|| {
            err(
                IssueCode::InvalidNumber,
                format!("period must be an integer 1-500, got {p}"),
            )
        })
}

pub(super) fn time(raw: &str) -> Result<u64, Issue> {
    let t = parse_non_negative_int(raw).ok_or_else(|| {
        err(
            IssueCode::InvalidTimestamp,
            format!("time must be Unix seconds, got {:?}", excerpt(raw)),
        )
    })?;
    check_time(t, "time")
}

pub(super) fn id(raw: &str) -> Result<String, Issue> {
    if is_valid_id(raw) {
        Ok(raw.to_owned())
    } else {
        Err(err(
            IssueCode::InvalidType,
            format!(
                "pattern id must be 1-64 characters of A-Z a-z 0-9 _ . -, got {:?}",
                excerpt(raw)
            ),
        ))
    }
}

pub(super) fn snake(raw: &str, what: &str) -> Result<String, Issue> {
    canonical_snake(raw).ok_or_else(|| {
        err(
            IssueCode::InvalidType,
            format!(
                "{what} must be 1-64 characters of letters, digits and _, got {:?}",
                excerpt(raw)
            ),
        )
    })
}

pub(crate) fn scroll(raw: &str) -> Result<Scroll, Issue> {
    let t = raw.trim();
    if is_valid_date(t) {
        return Ok(Scroll::Date { date: t.to_owned() });
    }
    if let Some(time) = parse_non_negative_int(t) {
        return Ok(Scroll::Time {
            time: check_time(time, "scroll time")?,
        });
    }
    Err(err(
        IssueCode::InvalidTimestamp,
        format!(
            "scroll target must be a date YYYY-MM-DD or Unix seconds, got {:?}",
            excerpt(raw)
        ),
    ))
}

/// Orders two prices so the larger is `high`; equal prices are an error.
pub(crate) fn fibonacci(a: f64, b: f64) -> Result<DrawingShape, Issue> {
    if a == b {
        return Err(err(
            IssueCode::InvalidNumber,
            "fibonacci high and low must differ",
        ));
    }
    Ok(DrawingShape::Fibonacci {
        high: a.max(b),
        low: a.min(b),
    })
}
