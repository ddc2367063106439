//! The JS ⇄ core boundary: decoding JS values into JSON, encoding core's answers back, and the one
//! helper that turns a failure into a JS `Error` carrying `code` and `path`.
//!
//! Decoding goes through `JSON.stringify` → `chartgate_core::json::parse` (the `serde_json::Value`
//! that `serde_json::from_str` gives for the same text), so a JS value means exactly what the same
//! value sent to the server as JSON would mean: `undefined` fields and functions are dropped,
//! `NaN`/`Infinity` become `null`, `toJSON` is honoured, numbers keep their exact value, and values
//! that are not JSON at all (cycles, `BigInt`, throwing getters) become an `invalid_type` error
//! instead of a trap. A lone surrogate in a string reads as U+FFFD, as in a string argument.
//! Encoding goes through `chartgate_core::json::to_string` (byte for byte `serde_json::to_string`)
//! → `JSON.parse`, so JS receives plain objects and arrays (never `Map`s, which
//! `#[serde(flatten)]` would produce through serde-wasm-bindgen), parsed from exactly the text
//! native `serde_json` prints for the same value.
//!
//! Must not: interpret chart semantics (that is core's job) or panic on any input.

use chartgate_core::json::{ParseErrorKind, MAX_DEPTH};
use chartgate_core::{Issue, IssueCode, PathSegment};
use js_sys::{Array, JsString, Reflect, JSON};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

// `stringify_or_error`: `JSON.stringify` that returns what it threw instead of throwing. js-sys's
// `catch` import would do, but wasm-bindgen 0.2.130 leaks one externref-table slot per caught
// exception (the raw return value is never freed when `take_last_exception` returns early);
// tests/leak.rs checks this path.
// `encode_into`: a string's UTF-8 straight into a buffer in wasm memory. wasm-bindgen's own string
// copy runs a JavaScript loop over the characters first; for the bench corpus's JSON texts this is
// about 90 ns instead of 1.4 µs in node. Lone surrogates become U+FFFD either way.
#[wasm_bindgen(inline_js = "export function stringify_or_error(value) {
  try { return JSON.stringify(value); } catch (e) {
    if (e instanceof Error) return e;
    let message = 'unknown error';
    try { message = String(e); } catch (_) {}
    return new Error(message);
  }
}
const encoder = new TextEncoder();
export function encode_into(text, buf) { return encoder.encodeInto(text, buf).written; }")]
extern "C" {
    fn stringify_or_error(value: &JsValue) -> JsValue;
    fn encode_into(text: &JsString, buf: &mut [u8]) -> u32;
}

/// Largest accepted input, in UTF-16 code units of its JSON text (8 Mi, the CLI's stdin limit).
/// Checked before anything is copied into wasm memory, so an oversized input is an error, not an
/// out-of-memory trap.
pub const MAX_INPUT_CHARS: u32 = 8 * 1024 * 1024;

/// Codes of errors that only the boundary raises (core's codes are [`IssueCode`]).
pub const CODE_INTERNAL: &str = "internal";

/// A failure on its way to JS: becomes an `Error` with `name = "ChartgateError"`, `code`, `path`
/// and, when it comes from validation, every `issues` found.
#[derive(Debug)]
pub struct Failure {
    code: &'static str,
    path: Vec<PathSegment>,
    message: String,
    issues: Vec<Issue>,
}

impl Failure {
    /// A failure with a core issue code.
    pub fn new(code: IssueCode, path: Vec<PathSegment>, message: impl Into<String>) -> Failure {
        Failure {
            code: code.as_str(),
            path,
            message: message.into(),
            issues: Vec::new(),
        }
    }

    /// The first error among `issues` (or the first issue), carrying all of them.
    pub fn from_issues(issues: Vec<Issue>) -> Failure {
        let first = issues
            .iter()
            .find(|i| i.is_error())
            .or_else(|| issues.first())
            .cloned();
        match first {
            Some(i) => Failure {
                code: i.code.as_str(),
                path: i.path,
                message: i.message,
                issues,
            },
            None => Failure {
                code: CODE_INTERNAL,
                path: Vec::new(),
                message: "rejected without an issue".to_owned(),
                issues,
            },
        }
    }

    /// A failure that is a bug in chartgate, not in the caller's input.
    pub fn internal(message: impl Into<String>) -> Failure {
        Failure {
            code: CODE_INTERNAL,
            path: Vec::new(),
            message: message.into(),
            issues: Vec::new(),
        }
    }

    /// The JS `Error`. Setting properties on a fresh `Error` cannot fail; if it somehow did, the
    /// error would still carry its message.
    pub fn into_js(self) -> JsValue {
        let err = js_sys::Error::new(&self.message);
        err.set_name("ChartgateError");
        let path = Array::new();
        for seg in &self.path {
            path.push(&segment_to_js(seg));
        }
        let _ = Reflect::set(
            &err,
            &JsValue::from_str("code"),
            &JsValue::from_str(self.code),
        );
        let _ = Reflect::set(&err, &JsValue::from_str("path"), &path);
        if !self.issues.is_empty() {
            let issues = encode(&self.issues).unwrap_or_else(|_| Array::new().into());
            let _ = Reflect::set(&err, &JsValue::from_str("issues"), &issues);
        }
        err.into()
    }
}

impl From<Failure> for JsValue {
    fn from(f: Failure) -> JsValue {
        f.into_js()
    }
}

fn segment_to_js(seg: &PathSegment) -> JsValue {
    match seg {
        PathSegment::Key(k) => JsValue::from_str(k),
        PathSegment::Index(i) => JsValue::from_f64(*i as f64),
    }
}

/// The path of a top-level argument.
pub fn arg(name: &str) -> Vec<PathSegment> {
    vec![PathSegment::Key(name.to_owned())]
}

/// The message of a thrown JS value (an `Error`'s message, or its string form).
fn js_message(v: &JsValue) -> String {
    if let Some(e) = v.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    v.as_string().unwrap_or_else(|| "unknown error".to_owned())
}

/// Copies a JS string into Rust after checking its length, so huge strings are an error, not a trap.
fn checked_string(s: &JsString, path: &[PathSegment], what: &str) -> Result<String, Failure> {
    let len = s.length();
    if len > MAX_INPUT_CHARS {
        return Err(Failure::new(
            IssueCode::TooLong,
            path.to_vec(),
            format!("{what} is {len} characters long; the limit is {MAX_INPUT_CHARS}"),
        ));
    }
    // Three UTF-8 bytes at most per UTF-16 code unit, so the buffer always has room.
    let mut buf = vec![0u8; 3 * len as usize];
    let written = encode_into(s, &mut buf) as usize;
    buf.truncate(written);
    String::from_utf8(buf).map_err(|_| Failure::internal("TextEncoder wrote invalid UTF-8"))
}

/// Decodes any JS value as JSON (see the module docs). `undefined` and values `JSON.stringify`
/// drops (functions, symbols) are `null`.
pub fn decode_json(v: &JsValue, path: &[PathSegment]) -> Result<Value, Failure> {
    if v.is_undefined() || v.is_null() {
        return Ok(Value::Null);
    }
    let text = stringify_or_error(v);
    // `JSON.stringify` returns `undefined` (not a string) for functions and symbols.
    if text.is_undefined() {
        return Ok(Value::Null);
    }
    let Some(text) = text.dyn_ref::<JsString>() else {
        return Err(Failure::new(
            IssueCode::InvalidType,
            path.to_vec(),
            format!("value is not JSON-serializable: {}", js_message(&text)),
        ));
    };
    let text = checked_string(text, path, "the value's JSON text")?;
    chartgate_core::json::parse(&text).map_err(|e| {
        let message = match e.kind {
            ParseErrorKind::TooDeep => format!("value nests {MAX_DEPTH} or more levels deep"),
            _ => format!("value is not readable as JSON: {e}"),
        };
        Failure::new(IssueCode::InvalidType, path.to_vec(), message)
    })
}

/// Decodes a JS string argument; anything else is `invalid_type` at `path`.
pub fn decode_string(v: &JsValue, path: &[PathSegment], what: &str) -> Result<String, Failure> {
    match v.dyn_ref::<JsString>() {
        Some(s) => checked_string(s, path, what),
        None => Err(Failure::new(
            IssueCode::InvalidType,
            path.to_vec(),
            format!("{what} must be a string, got {}", js_type_name(v)),
        )),
    }
}

/// Decodes an optional JS string argument: `undefined` and `null` are `None`.
pub fn decode_opt_string(
    v: Option<JsValue>,
    path: &[PathSegment],
    what: &str,
) -> Result<Option<String>, Failure> {
    match v {
        None => Ok(None),
        Some(v) if v.is_undefined() || v.is_null() => Ok(None),
        Some(v) => decode_string(&v, path, what).map(Some),
    }
}

/// Decodes an array of strings; a non-array or a non-string element is `invalid_type` with the
/// element's index in the path.
pub fn decode_string_list(v: &JsValue, path: &[PathSegment]) -> Result<Vec<String>, Failure> {
    let items = match decode_json(v, path)? {
        Value::Array(items) => items,
        other => {
            return Err(Failure::new(
                IssueCode::InvalidType,
                path.to_vec(),
                format!(
                    "expected an array of strings, got {}",
                    chartgate_core::validate::type_of(&other)
                ),
            ))
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::String(s) => Ok(s),
            other => {
                let mut p = path.to_vec();
                p.push(PathSegment::Index(i));
                Err(Failure::new(
                    IssueCode::InvalidType,
                    p,
                    format!(
                        "expected a string, got {}",
                        chartgate_core::validate::type_of(&other)
                    ),
                ))
            }
        })
        .collect()
}

/// Encodes a core answer as plain JS objects via JSON text (see the module docs).
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, Failure> {
    let text =
        chartgate_core::json::to_string(value).map_err(|e| Failure::internal(e.to_string()))?;
    JSON::parse(&text).map_err(|e| Failure::internal(js_message(&e)))
}

/// A JS type name for messages (`typeof`, with `null` and arrays told apart).
fn js_type_name(v: &JsValue) -> String {
    if v.is_null() {
        "null".to_owned()
    } else if Array::is_array(v) {
        "array".to_owned()
    } else {
        v.js_typeof()
            .as_string()
            .unwrap_or_else(|| "unknown".to_owned())
    }
}
