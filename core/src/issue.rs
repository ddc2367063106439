//! Validation issues: a stable `code`, a JSON-pointer-like `path`, a message and a severity.
//!
//! Every problem found in input becomes an [`Issue`]; nothing in core reports a problem any other way.

use serde::Serialize;
use std::fmt;

crate::wire_enum! {
    /// Stable issue codes. Clients switch on these; never rename one.
    #[derive(schemars::JsonSchema)]
    #[cfg_attr(feature = "ts", derive(tsify::Tsify))]
    pub enum IssueCode {
        /// A value has the wrong JSON type, or a string has the wrong shape.
        InvalidType = "invalid_type",
        /// A required field is absent.
        MissingField = "missing_field",
        /// A symbol is not one of the accepted shapes.
        InvalidSymbol = "invalid_symbol",
        /// A timeframe is not a canonical token or alias.
        InvalidTimeframe = "invalid_timeframe",
        /// An indicator name is unknown.
        UnknownIndicator = "unknown_indicator",
        /// A number is not finite, out of range, or not an integer where one is needed.
        InvalidNumber = "invalid_number",
        /// A timestamp, date or time is malformed.
        InvalidTimestamp = "invalid_timestamp",
        /// A structured command has a `type` nobody knows.
        UnknownCommandType = "unknown_command_type",
        /// A legacy string has a verb nobody knows (kept as `raw`).
        UnknownVerb = "unknown_verb",
        /// `chart_objects.version` is not `"2.0"`.
        InvalidVersion = "invalid_version",
        /// A list had more than the accepted number of commands.
        TooManyCommands = "too_many_commands",
        /// A string is longer than accepted.
        TooLong = "too_long",
        /// Structured-first mode fell back to the legacy list.
        FallbackToLegacy = "fallback_to_legacy",
        /// A string is not one of an enumeration's values (zoom direction, chart type, …). Added by chartgate.
        InvalidValue = "invalid_value",
        /// An object has a field nobody knows; it is ignored. Added by chartgate.
        UnknownField = "unknown_field",
        /// A legacy list element holds no command-shaped token (prose), or a `raw` value is not
        /// command-shaped. Spec §3, "Prose is not a command".
        NotACommand = "not_a_command",
        /// More than [`MAX_ISSUES`] issues were found; this last one counts the rest. Added by chartgate.
        TooManyIssues = "too_many_issues",
    }
}

impl fmt::Display for IssueCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

crate::wire_enum! {
    /// How bad an issue is: an `error` drops the value, a `warning` keeps it (possibly repaired).
    #[derive(schemars::JsonSchema)]
    #[cfg_attr(feature = "ts", derive(tsify::Tsify))]
    pub enum Severity {
        Error = "error",
        Warning = "warning",
    }
}

/// One segment of an issue path: an object key or an array index.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(untagged)]
pub enum PathSegment {
    Key(String),
    Index(usize),
}

impl From<&str> for PathSegment {
    fn from(s: &str) -> Self {
        PathSegment::Key(s.to_owned())
    }
}

impl From<usize> for PathSegment {
    fn from(i: usize) -> Self {
        PathSegment::Index(i)
    }
}

/// One problem found in input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Issue {
    pub code: IssueCode,
    pub path: Vec<PathSegment>,
    pub message: String,
    pub severity: Severity,
}

impl Issue {
    /// An error at `path`.
    pub fn error(code: IssueCode, path: Vec<PathSegment>, message: impl Into<String>) -> Issue {
        Issue {
            code,
            path,
            message: message.into(),
            severity: Severity::Error,
        }
    }

    /// A warning at `path`.
    pub fn warning(code: IssueCode, path: Vec<PathSegment>, message: impl Into<String>) -> Issue {
        Issue {
            code,
            path,
            message: message.into(),
            severity: Severity::Warning,
        }
    }

    /// Prepends `prefix` to this issue's path.
    pub fn prefixed(mut self, prefix: &[PathSegment]) -> Issue {
        let mut path = prefix.to_vec();
        path.append(&mut self.path);
        self.path = path;
        self
    }

    /// Whether this issue is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if !self.path.is_empty() {
            f.write_str(" at ")?;
            for seg in &self.path {
                match seg {
                    PathSegment::Key(k) => write!(f, "/{k}")?,
                    PathSegment::Index(i) => write!(f, "/{i}")?,
                }
            }
        }
        Ok(())
    }
}

/// Most issues one call reports; the rest are counted by one last `too_many_issues` issue.
pub const MAX_ISSUES: usize = 256;

/// Keeps the first `MAX_ISSUES - 1` issues and replaces the rest by one `too_many_issues` issue
/// that counts them (an error when any of them is one).
pub fn cap_issues(issues: &mut Vec<Issue>) {
    if issues.len() <= MAX_ISSUES {
        return;
    }
    let rest = issues.split_off(MAX_ISSUES - 1);
    let message = format!("{} more issues not shown", rest.len());
    issues.push(if rest.iter().any(Issue::is_error) {
        Issue::error(IssueCode::TooManyIssues, vec![], message)
    } else {
        Issue::warning(IssueCode::TooManyIssues, vec![], message)
    });
}

/// Truncates `s` for inclusion in a message (never splits a character).
pub fn excerpt(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("{cut}…")
    }
}
