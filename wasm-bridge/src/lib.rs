//! chartgate-wasm-bridge: the JS ⇄ core boundary that both wasm modules of the package share (the
//! eager `chartgate-wasm` and the lazily loaded `chartgate-wasm-understand`): decoding JS values
//! into JSON, encoding core's answers back, the one helper that turns a failure into a JS `Error`
//! carrying `code` and `path`, and each module's allocator. It has no `#[wasm_bindgen]` exports of
//! its own (a dependency's exports would land in every module that links it).
//!
//! Decoding goes through `JSON.stringify` → `chartgate_core::json::parse` (the `serde_json::Value`
//! that `serde_json::from_str` gives for the same text), so a JS value means exactly what the same
//! value sent to the server as JSON would mean: `undefined` fields and functions are dropped,
//! `NaN`/`Infinity` become `null`, `toJSON` is honoured, numbers keep their exact value, and values
//! that are not JSON at all (cycles, `BigInt`, throwing getters) become an `invalid_type` error
//! instead of a trap. A lone surrogate in a string reads as U+FFFD, as in a string argument.
//! [`decode_fields`] first keeps only the top-level fields core reads (its list, passed in), so
//! the tools' data beside the commands is never stringified or copied.
//! Encoding goes through `chartgate_core::json::to_string` (byte for byte `serde_json::to_string`)
//! → `JSON.parse`, so JS receives plain objects and arrays (never `Map`s, which
//! `#[serde(flatten)]` would produce through serde-wasm-bindgen), parsed from exactly the text
//! native `serde_json` prints for the same value.
//!
//! **No JS exception crosses a wasm frame.** An exception that unwinds through wasm skips every
//! Rust destructor and leaves the shadow-stack pointer where it was: each one leaks the
//! externref-table slots of the call's arguments and a stack frame, and after about a thousand
//! the module fails with `memory access out of bounds`. So every import this crate calls either
//! cannot throw (`typeof` checks, a fresh `Error`) or is one of the inline functions below, which
//! catch everything, including exotic throws (a Proxy whose traps throw, a revoked Proxy), and
//! return a fresh `Error` holding only a message string, never the thrown value itself.
//!
//! Must not: interpret chart semantics (that is core's job) or panic on any input.

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

use chartgate_core::json::{ParseErrorKind, MAX_DEPTH};
use chartgate_core::{Issue, IssueCode, PathSegment};
use js_sys::{Array, JsString, Reflect, JSON};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

// `stringify_or_error`: `JSON.stringify` that returns what it threw, as a fresh `Error`, instead of
// throwing. js-sys's `catch` import would not do: wasm-bindgen 0.2.130 leaks one externref-table
// slot per caught exception (the raw return value is never freed when `take_last_exception` returns
// early), and it would hand Rust the thrown value itself, whose `message` getter may throw again.
// `stringify_fields`: the same, after keeping only `fields` of a plain object (one whose prototype
// is `Object.prototype` or `null`, with no `toJSON`: for those `JSON.stringify` writes exactly
// their own enumerable properties, so the kept fields read the same). Anything else is stringified
// whole, as before.
// `type_name`: `typeof`, with `null` and arrays told apart (`Array.isArray` throws on a revoked Proxy).
// `encode_into`: a string's UTF-8 straight into a buffer in wasm memory. wasm-bindgen's own string
// copy runs a JavaScript loop over the characters first; for the bench corpus's JSON texts this is
// about 90 ns instead of 1.4 µs in node. Lone surrogates become U+FFFD either way. It is only
// called with primitive strings, on which it cannot throw.
// tests/leak.rs (in chartgate-wasm) runs every throwing path over thousands of calls.
#[wasm_bindgen(inline_js = "function failure(e) {
  let message = 'unknown error';
  try { message = e instanceof Error ? String(e.message) : String(e); } catch (_) {}
  return new Error(message);
}
export function stringify_or_error(value) {
  try { return JSON.stringify(value); } catch (e) { return failure(e); }
}
const plain = Object.prototype;
const own = Object.prototype.propertyIsEnumerable;
export function stringify_fields(value, fields) {
  try {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) &&
      typeof value.toJSON !== 'function') {
      const proto = Object.getPrototypeOf(value);
      if (proto === plain || proto === null) {
        const kept = {};
        for (let i = 0; i < fields.length; i++) {
          const k = fields[i];
          if (own.call(value, k)) kept[k] = value[k];
        }
        value = kept;
      }
    }
    return JSON.stringify(value);
  } catch (e) { return failure(e); }
}
export function type_name(value) {
  if (value === null) return 'null';
  try { if (Array.isArray(value)) return 'array'; } catch (_) { return 'revoked proxy'; }
  return typeof value;
}
const encoder = new TextEncoder();
export function encode_into(text, buf) { return encoder.encodeInto(text, buf).written; }")]
extern "C" {
    fn stringify_or_error(value: &JsValue) -> JsValue;
    fn stringify_fields(value: &JsValue, fields: &JsValue) -> JsValue;
    fn type_name(value: &JsValue) -> String;
    fn encode_into(text: &JsString, buf: &mut [u8]) -> u32;
}

/// Largest accepted input, in UTF-16 code units of its JSON text (8 Mi, the CLI's stdin limit).
/// Checked before anything is copied into wasm memory, so an oversized input is an error, not an
/// out-of-memory trap.
pub const MAX_INPUT_CHARS: u32 = 8 * 1024 * 1024;

/// Codes of errors that only the boundary raises (core's codes are [`IssueCode`]).
pub const CODE_INTERNAL: &str = "internal";
/// A `ToolCallReader` used after its `finish()`.
pub const CODE_READER_FINISHED: &str = "reader_finished";

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

    /// A failure with one of the boundary's own codes (`CODE_*`).
    pub fn boundary(code: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            code,
            path: Vec::new(),
            message: message.into(),
            issues: Vec::new(),
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

/// The message of an `Error` this crate's imports made (a fresh one, whose `message` is a plain
/// string), or of one `JSON.parse` threw.
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
    read_json_text(stringify_or_error(v), path)
}

/// [`decode_json`] of a plain object's `fields` only (a JS array of names, the list of top-level
/// fields the caller's core function reads); any other value is decoded whole. The other fields
/// are never read, so what they hold (kilobytes of tool data, cycles, `BigInt`s, throwing
/// getters) costs nothing and cannot fail the call.
pub fn decode_fields(
    v: &JsValue,
    fields: &JsValue,
    path: &[PathSegment],
) -> Result<Value, Failure> {
    if v.is_undefined() || v.is_null() {
        return Ok(Value::Null);
    }
    read_json_text(stringify_fields(v, fields), path)
}

/// A JS array of the given names (for [`decode_fields`]).
pub fn field_list(names: &[&str]) -> JsValue {
    names
        .iter()
        .map(|n| JsValue::from_str(n))
        .collect::<Array>()
        .into()
}

/// What a `stringify_*` import returned → JSON value, or the failure it reported.
fn read_json_text(text: JsValue, path: &[PathSegment]) -> Result<Value, Failure> {
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

/// A JS type name for messages (`typeof`, with `null` and arrays told apart), from an import
/// that cannot throw.
fn js_type_name(v: &JsValue) -> String {
    type_name(v)
}
