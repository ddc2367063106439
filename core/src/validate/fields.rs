//! [`Fields`]: reads a payload's fields by snake_case name or camelCase alias, checks each with
//! the shared field validators, and reports the fields nobody read.

use super::{key, report_unknown, type_of};
use crate::issue::{excerpt, Issue, IssueCode, PathSegment};
use crate::legacy;
use crate::num::as_non_negative_int;
use crate::vocab::{canonical_snake, is_valid_id};
use serde_json::{Map, Value};

/// Reads payload fields by snake_case name or camelCase alias and reports what was left unread.
pub(super) struct Fields<'a, 'b> {
    pub(super) map: &'a Map<String, Value>,
    pub(super) base: &'b [&'b str],
    /// Keys read so far. Bounded by the fixed number of lookups a payload decoder makes (never by
    /// the input), so a small array avoids a heap allocation per command.
    pub(super) used: [&'a str; MAX_USED],
    pub(super) n_used: usize,
    /// Set when the payload cannot be judged field by field (no valid drawing style).
    pub(super) skip_unknown: bool,
    pub(super) errors: usize,
}

const MAX_USED: usize = 24;

/// The camelCase spelling accepted for a snake_case payload field (static: no allocation per lookup).
fn camel_alias(snake: &str) -> Option<&'static str> {
    Some(match snake {
        "asset_type" => "assetType",
        "start_price" => "startPrice",
        "end_price" => "endPrice",
        "start_time" => "startTime",
        "end_time" => "endTime",
        "pattern_id" => "patternId",
        "pattern_type" => "patternType",
        "chart_type" => "chartType",
        "start_candle" => "startCandle",
        "end_candle" => "endCandle",
        _ => return None,
    })
}

impl<'a, 'b> Fields<'a, 'b> {
    pub(super) fn new(map: &'a Map<String, Value>, base: &'b [&'b str]) -> Fields<'a, 'b> {
        Fields {
            map,
            base,
            used: [""; MAX_USED],
            n_used: 0,
            skip_unknown: false,
            errors: 0,
        }
    }

    pub(super) fn mark_used(&mut self, k: &'a str) {
        if self.n_used < MAX_USED {
            self.used[self.n_used] = k;
            self.n_used += 1;
        }
    }

    pub(super) fn path(&self, field: &str) -> Vec<PathSegment> {
        self.base
            .iter()
            .map(|s| key(s))
            .chain(std::iter::once(key(field)))
            .collect()
    }

    /// The value of `name` (or its camelCase alias, or `extra` aliases); `None` when absent or null.
    pub(super) fn get(&mut self, name: &str, extra: &[&str]) -> Option<(&'a Value, &'a str)> {
        let mut found = None;
        let camel = camel_alias(name);
        for alias in std::iter::once(name)
            .chain(camel)
            .chain(extra.iter().copied())
        {
            if let Some((k, v)) = self.map.get_key_value(alias) {
                self.mark_used(k.as_str());
                if found.is_none() && !v.is_null() {
                    found = Some((v, k.as_str()));
                }
            }
        }
        found
    }

    pub(super) fn fail(
        &mut self,
        issues: &mut Vec<Issue>,
        field: &str,
        code: IssueCode,
        msg: String,
    ) {
        self.errors += 1;
        issues.push(Issue::error(code, self.path(field), msg));
    }

    /// Reads `name` with `extract`; a value of another JSON type is `invalid_type`, an absent
    /// required one `missing_field`.
    pub(super) fn typed<T>(
        &mut self,
        name: &str,
        extra: &[&str],
        required: bool,
        issues: &mut Vec<Issue>,
        expected: &str,
        extract: impl Fn(&'a Value) -> Option<T>,
    ) -> Option<(T, &'a str)> {
        match self.get(name, extra) {
            Some((v, k)) => match extract(v) {
                Some(t) => Some((t, k)),
                None => {
                    let msg = format!("{k} must be {expected}, got {}", type_of(v));
                    self.fail(issues, k, IssueCode::InvalidType, msg);
                    None
                }
            },
            None => {
                if required {
                    self.fail(
                        issues,
                        name,
                        IssueCode::MissingField,
                        format!("{name} is required"),
                    );
                }
                None
            }
        }
    }

    pub(super) fn string(
        &mut self,
        name: &str,
        extra: &[&str],
        required: bool,
        issues: &mut Vec<Issue>,
    ) -> Option<(&'a str, &'a str)> {
        self.typed(name, extra, required, issues, "a string", Value::as_str)
    }

    /// A JSON number as `f64` (serde_json numbers are always finite).
    pub(super) fn number(
        &mut self,
        name: &str,
        required: bool,
        issues: &mut Vec<Issue>,
    ) -> Option<(f64, &'a str)> {
        self.typed(name, &[], required, issues, "a number", Value::as_f64)
    }

    pub(super) fn price(
        &mut self,
        name: &str,
        required: bool,
        issues: &mut Vec<Issue>,
    ) -> Option<f64> {
        let (v, k) = self.number(name, required, issues)?;
        self.check(issues, k, legacy::check_price(v, k))
    }

    pub(super) fn zoom_amount(&mut self, issues: &mut Vec<Issue>) -> Option<f64> {
        let (v, k) = self.number("amount", false, issues)?;
        self.check(issues, k, legacy::check_zoom(v))
    }

    /// A non-negative integer that `bound` accepts (a time, a candle index).
    pub(super) fn bounded_uint(
        &mut self,
        name: &str,
        code: IssueCode,
        bound: fn(u64, &str) -> Result<u64, Issue>,
        issues: &mut Vec<Issue>,
    ) -> Option<u64> {
        let v = self.uint(name, code, issues)?;
        let r = bound(v, name);
        self.check(issues, name, r)
    }

    pub(super) fn uint(
        &mut self,
        name: &str,
        code: IssueCode,
        issues: &mut Vec<Issue>,
    ) -> Option<u64> {
        let (n, k) = self.typed(name, &[], false, issues, "an integer", |v| match v {
            Value::Number(n) => Some(n),
            _ => None,
        })?;
        let v = as_non_negative_int(n);
        if v.is_none() {
            self.fail(
                issues,
                k,
                code,
                format!("{k} must be an integer >= 0, got {n}"),
            );
        }
        v
    }

    /// Unwraps a field-level result, recording its issue under this field's path.
    pub(super) fn check<T>(
        &mut self,
        issues: &mut Vec<Issue>,
        field: &str,
        r: Result<T, Issue>,
    ) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(mut e) => {
                self.errors += 1;
                e.path = self.path(field);
                issues.push(e);
                None
            }
        }
    }

    pub(super) fn token<T>(
        &mut self,
        issues: &mut Vec<Issue>,
        name: &str,
        extra: &[&str],
        required: bool,
        parse: impl Fn(&str) -> Option<T>,
        what: &str,
    ) -> Option<T> {
        let (s, k) = self.string(name, extra, required, issues)?;
        let v = parse(s);
        if v.is_none() {
            self.fail(
                issues,
                k,
                IssueCode::InvalidValue,
                format!("{k} must be {what}, got {:?}", excerpt(s)),
            );
        }
        v
    }

    pub(super) fn id(&mut self, issues: &mut Vec<Issue>, name: &str) -> Option<String> {
        let (s, k) = self.string(name, &[], false, issues)?;
        if is_valid_id(s) {
            Some(s.to_owned())
        } else {
            self.fail(
                issues,
                k,
                IssueCode::InvalidType,
                format!("{k} must be 1-64 characters of A-Z a-z 0-9 _ . -"),
            );
            None
        }
    }

    pub(super) fn snake(&mut self, issues: &mut Vec<Issue>, name: &str) -> Option<String> {
        let (s, k) = self.string(name, &[], false, issues)?;
        let v = canonical_snake(s);
        if v.is_none() {
            self.fail(
                issues,
                k,
                IssueCode::InvalidType,
                format!("{k} must be 1-64 characters of letters, digits and _"),
            );
        }
        v
    }

    pub(super) fn finish(self, issues: &mut Vec<Issue>) -> bool {
        if !self.skip_unknown {
            let used = &self.used[..self.n_used];
            report_unknown(
                self.map.keys().filter(|k| !used.contains(&k.as_str())),
                &|k| self.path(k),
                &|| self.base.iter().map(|s| key(s)).collect(),
                issues,
            );
        }
        self.errors == 0
    }
}
