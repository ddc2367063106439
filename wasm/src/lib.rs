//! chartgate-wasm: chartgate-core for JavaScript. Every export is decode → call core → encode.
//!
//! Owns: the exported names and argument order the frontend relies on (`normalizeChartCommandPayload`
//! is a drop-in for the old TypeScript function), and turning failures into JS `Error`s with
//! `code` and `path` (see [`convert`]).
//! Must not: decide anything about chart commands. An `if` about chart semantics here belongs in core.
//!
//! Contract for JS callers: problems *inside* a JSON value (an unknown verb, a bad symbol, a
//! malformed command) are returned as `issues`, exactly as natively. Only arguments that are not
//! what the signature says (a number where a string is expected, a cyclic object, an input over
//! 8 Mi characters) and strict conversions of invalid commands (`toLegacy`, `buildChartObjects`)
//! throw, always a `ChartgateError` with a stable `code`. Its `path` is relative to the first
//! argument, like issue paths (`[]` is the argument itself, `[1]` its second element); errors about
//! another argument name it (`["responseText"]`, `["flags"]`).

pub mod convert;

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

use chartgate_core::{
    parse_legacy, parse_legacy_list, validate_commands, ChartObjects, NormalizeFlags, Normalized,
    Parsed, ShapedAnswer, Understanding,
};
use convert::{
    arg, decode_json, decode_opt_string, decode_string, decode_string_list, encode, Failure,
};
use tsify::Ts;
use wasm_bindgen::prelude::*;

fn typed<T: tsify::Tsify>(v: JsValue) -> Ts<T> {
    Ts::new_unchecked(v)
}

/// Normalizes a chart-command payload (spec §6): a legacy string or list, an object with
/// `chart_commands` / `chart_commands_structured` / `chart_objects` (or their camelCase and short
/// aliases), or nothing. Returns `legacy`, `structured`, `objects`, `responseText`, `commands`,
/// `mode`, `source` and `issues`. Never throws for what is inside a JSON payload.
#[wasm_bindgen(js_name = normalizeChartCommandPayload)]
pub fn normalize_chart_command_payload(
    #[wasm_bindgen(unchecked_param_type = "unknown")] input: JsValue,
    #[wasm_bindgen(js_name = responseText, unchecked_param_type = "string | null")]
    response_text: Option<JsValue>,
    flags: Option<Ts<NormalizeFlags>>,
) -> Result<Ts<Normalized>, JsValue> {
    Ok(typed(encode(&normalized(
        input,
        response_text,
        flags.map(|f| f.js_value()),
    )?)?))
}

/// Decodes the arguments and normalizes: everything `normalizeChartCommandPayload` does but
/// encoding the answer. The flags are read through JSON like the payload, so `undefined` fields
/// take their defaults.
fn normalized(
    input: JsValue,
    response_text: Option<JsValue>,
    flags: Option<JsValue>,
) -> Result<Normalized, Failure> {
    let payload = decode_json(&input, &[])?;
    let text = decode_opt_string(response_text, &arg("responseText"), "responseText")?;
    let flags = match flags {
        Some(f) => decode_json(&f, &arg("flags"))?,
        None => serde_json::Value::Null,
    };
    chartgate_core::normalize::normalize_with_json_flags(&payload, text.as_deref(), &flags)
        .map_err(bad_flags)
}

/// Reads the optional `flags` argument through JSON (so `undefined` fields take their defaults).
fn decode_flags(flags: Option<JsValue>) -> Result<NormalizeFlags, Failure> {
    Ok(match flags {
        Some(f) => match decode_json(&f, &arg("flags"))? {
            serde_json::Value::Null => NormalizeFlags::default(),
            value => NormalizeFlags::from_json(&value).map_err(bad_flags)?,
        },
        None => NormalizeFlags::default(),
    })
}

/// The error for flags that cannot be read (`from_json`'s message).
fn bad_flags(e: String) -> Failure {
    Failure::new(
        chartgate_core::IssueCode::InvalidType,
        arg("flags"),
        format!("flags must be {{ preferStructured?: boolean, structuredObjects?: boolean }}: {e}"),
    )
}

/// An answer's chart commands in the shapes the two flags ask for (`chart_commands` empty under
/// `preferStructured`, `chart_objects` only with `structuredObjects`), as the server shapes its
/// answers. The commands must be valid and in execution order; throws a `ChartgateError` if any is
/// invalid.
#[wasm_bindgen(js_name = shapeAnswer)]
pub fn shape_answer(
    #[wasm_bindgen(unchecked_param_type = "unknown[]")] commands: JsValue,
    flags: Option<Ts<NormalizeFlags>>,
) -> Result<Ts<ShapedAnswer>, JsValue> {
    let list = decode_json(&commands, &[])?;
    let parsed = validate_commands(&list);
    if parsed.issues.iter().any(|i| i.is_error()) {
        return Err(Failure::from_issues(parsed.issues).into());
    }
    let flags = decode_flags(flags.map(|f| f.js_value()))?;
    Ok(typed(encode(&chartgate_core::shape_answer(
        &parsed.commands,
        flags.prefer_structured,
        flags.structured_objects,
    ))?))
}

/// Benchmark-only exports, each doing a prefix of `normalizeChartCommandPayload`'s work, so
/// `bench/stages.mjs` can tell where a call's time goes. Only in builds with the `probes` feature.
#[cfg(feature = "probes")]
mod probes {
    use super::*;

    /// Reads the payload into a `Value` and drops it; 1 when it was read.
    #[wasm_bindgen(js_name = probeRead)]
    pub fn probe_read(input: JsValue) -> usize {
        usize::from(decode_json(&input, &[]).is_ok())
    }

    /// Reads and normalizes, then drops the answer; the number of commands.
    #[wasm_bindgen(js_name = probeNormalize)]
    pub fn probe_normalize(
        input: JsValue,
        response_text: Option<JsValue>,
        flags: Option<JsValue>,
    ) -> usize {
        normalized(input, response_text, flags).map_or(0, |n| n.commands.len())
    }

    /// Reads, normalizes and writes the answer's JSON text; its length.
    #[wasm_bindgen(js_name = probeWrite)]
    pub fn probe_write(
        input: JsValue,
        response_text: Option<JsValue>,
        flags: Option<JsValue>,
    ) -> usize {
        normalized(input, response_text, flags)
            .ok()
            .and_then(|n| chartgate_core::json::to_string(&n).ok())
            .map_or(0, |t| t.len())
    }
}

/// Parses one legacy string (which may hold several space-separated commands).
#[wasm_bindgen(js_name = parseLegacyCommand)]
pub fn parse_legacy_command(
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
) -> Result<Ts<Parsed>, JsValue> {
    let text = decode_string(&text, &[], "text")?;
    Ok(typed(encode(&parse_legacy(&text))?))
}

/// Parses a list of legacy strings; issue paths start with the string's index.
#[wasm_bindgen(js_name = parseLegacyCommands)]
pub fn parse_legacy_commands(
    #[wasm_bindgen(unchecked_param_type = "string[]")] list: JsValue,
) -> Result<Ts<Parsed>, JsValue> {
    let list = decode_string_list(&list, &[])?;
    Ok(typed(encode(&parse_legacy_list(&list))?))
}

/// Validates a list of structured commands (a single command counts as a list of one): the valid
/// commands, canonicalized, and every issue, with paths starting at the command's index.
#[wasm_bindgen(js_name = validateCommands)]
pub fn validate_commands_js(
    #[wasm_bindgen(unchecked_param_type = "unknown")] list: JsValue,
) -> Result<Ts<Parsed>, JsValue> {
    let list = decode_json(&list, &[])?;
    Ok(typed(encode(&validate_commands(&list))?))
}

/// The canonical legacy string of one structured command. Throws a `ChartgateError` (the first
/// error's `code` and `path`, every issue in `issues`) when the command is invalid.
#[wasm_bindgen(js_name = toLegacy)]
pub fn to_legacy(
    #[wasm_bindgen(unchecked_param_type = "unknown")] command: JsValue,
) -> Result<String, JsValue> {
    let command = decode_json(&command, &[])?;
    let decoded = chartgate_core::decode_command(&command);
    match decoded.command {
        Some(c) => Ok(c.legacy().to_owned()),
        None => Err(Failure::from_issues(decoded.issues).into()),
    }
}

/// Chart objects v2 built from a list of structured commands. Throws a `ChartgateError` when any
/// command is invalid (pass `validateCommands(list).commands` to build from the valid ones).
#[wasm_bindgen(js_name = buildChartObjects)]
pub fn build_chart_objects(
    #[wasm_bindgen(unchecked_param_type = "unknown[]")] commands: JsValue,
) -> Result<Ts<ChartObjects>, JsValue> {
    let list = decode_json(&commands, &[])?;
    let parsed = validate_commands(&list);
    if parsed.issues.iter().any(|i| i.is_error()) {
        return Err(Failure::from_issues(parsed.issues).into());
    }
    Ok(typed(encode(&chartgate_core::build_chart_objects(
        &parsed.commands,
    ))?))
}

/// Intent and chart commands understood from a plain-text request (spec §7).
#[wasm_bindgen]
pub fn understand(
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
) -> Result<Ts<Understanding>, JsValue> {
    let text = decode_string(&text, &[], "text")?;
    Ok(typed(encode(&chartgate_core::understand(&text))?))
}

/// The JSON Schema of `{ commands: [...] }` (OpenAI strict structured outputs), as a plain object.
#[wasm_bindgen(
    js_name = chartCommandSchema,
    unchecked_return_type = "Record<string, unknown>"
)]
pub fn chart_command_schema_js() -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(CHART_COMMAND_SCHEMA)
        .map_err(|_| Failure::internal("the embedded schema is not JSON").into())
}

/// `chartgate_core::chart_command_schema()` as JSON text, computed natively by build.rs.
const CHART_COMMAND_SCHEMA: &str = include_str!(concat!(env!("OUT_DIR"), "/schema.json"));

/// Every canonical timeframe, in picker order (`1m` … `MAX`).
#[wasm_bindgen(unchecked_return_type = "Timeframe[]")]
pub fn timeframes() -> Result<JsValue, JsValue> {
    vocabulary(TIMEFRAMES)
}

/// Every canonical indicator name, in picker order.
#[wasm_bindgen(unchecked_return_type = "IndicatorName[]")]
pub fn indicators() -> Result<JsValue, JsValue> {
    vocabulary(INDICATORS)
}

/// `Timeframe::ALL` and `IndicatorName::ALL` as JSON text, printed natively by build.rs.
const TIMEFRAMES: &str = include_str!(concat!(env!("OUT_DIR"), "/timeframes.json"));
const INDICATORS: &str = include_str!(concat!(env!("OUT_DIR"), "/indicators.json"));

/// A vocabulary as a JS array of its wire spellings.
fn vocabulary(json: &str) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(json)
        .map_err(|_| Failure::internal("an embedded vocabulary is not JSON").into())
}

/// Conformance: the output of a vector of `area` for `input` (JSON text, read by the module's own
/// reader), as the JSON text the module's writer prints. Only in builds with the `conformance` feature, for the
/// TypeScript vector runner, which compares it with the native results byte for byte.
#[cfg(feature = "conformance")]
#[wasm_bindgen(js_name = conformanceRunVector)]
pub fn conformance_run_vector(area: &str, input_json: &str) -> Result<String, JsValue> {
    let input = chartgate_core::json::parse(input_json).map_err(|e| {
        Failure::new(
            chartgate_core::IssueCode::InvalidType,
            arg("input"),
            format!("input is not JSON: {e}"),
        )
    })?;
    let out = chartgate_core::conformance::run_vector(area, &input)
        .map_err(|e| Failure::new(chartgate_core::IssueCode::InvalidType, arg("area"), e))?;
    chartgate_core::json::to_string(&out).map_err(|e| Failure::internal(e.to_string()).into())
}

/// Conformance: core's subset match of `expect` against `actual` (both JSON text); `undefined`
/// when they match, else the first mismatch. Only in builds with the `conformance` feature.
#[cfg(feature = "conformance")]
#[wasm_bindgen(js_name = conformanceSubsetMatch)]
pub fn conformance_subset_match(
    expect_json: &str,
    actual_json: &str,
) -> Result<Option<String>, JsValue> {
    let parse = |name: &str, text: &str| -> Result<serde_json::Value, Failure> {
        serde_json::from_str(text).map_err(|e| {
            Failure::new(
                chartgate_core::IssueCode::InvalidType,
                arg(name),
                format!("{name} is not JSON: {e}"),
            )
        })
    };
    let expect = parse("expect", expect_json)?;
    let actual = parse("actual", actual_json)?;
    Ok(chartgate_core::conformance::subset_match(&expect, &actual).err())
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #[test]
    fn embedded_schema_is_cores_schema() {
        let now =
            serde_json::to_string(&chartgate_core::chart_command_schema()).expect("serializes");
        assert_eq!(super::CHART_COMMAND_SCHEMA, now);
    }

    #[test]
    fn embedded_vocabularies_are_cores_lists() {
        use chartgate_core::vocab::{IndicatorName, Timeframe};
        assert_eq!(
            super::TIMEFRAMES,
            serde_json::to_string(Timeframe::ALL).expect("serializes")
        );
        assert_eq!(
            super::INDICATORS,
            serde_json::to_string(IndicatorName::ALL).expect("serializes")
        );
    }
}
