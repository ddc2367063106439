//! JSON text in and out, as core and the wasm module use it: `chartgate-json`'s writer (byte for
//! byte `serde_json::to_string`) and its reader with core's correctly rounded decimal conversion
//! (so `parse` returns what `serde_json::from_str` with `float_roundtrip` returns).

pub use chartgate_json::{to_string, Error, ParseError, ParseErrorKind, MAX_DEPTH};

/// JSON text → `serde_json::Value`; see [`chartgate_json::parse`].
pub fn parse(text: &str) -> Result<serde_json::Value, ParseError> {
    chartgate_json::parse(text, crate::num::decimal_to_f64)
}
