//! The conformance vectors of `tests/vectors/`, run by core compiled to wasm, in node and in
//! headless Chromium (`WASM_BINDGEN_USE_BROWSER=1`), compared byte for byte with native results.
//!
//! build.rs embeds every vector file and, per vector, the native result re-serialized compactly by
//! *native* serde_json. Two checks per vector:
//! 1. core's `run_vector` in wasm → `chartgate_core::json::to_string` (the module's writer) must
//!    equal the native serde_json text exactly;
//! 2. for the areas with a public export (`normalize`, `parse`, `tool_stream` in the eager module,
//!    `understand` in the understand module), the export called with JS values (as a JS caller
//!    would) must return a value whose JSON, keys sorted, equals the native text exactly.
//!
//! Only compiled for wasm32: natively these would call JS imports that do not exist.
#![cfg(target_arch = "wasm32")]

use chartgate_core::conformance::{run_vector, subset_match};
use serde_json::{json, Value};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

const VECTORS: &str = include_str!(concat!(env!("OUT_DIR"), "/vectors.json"));

struct Vector {
    id: String,
    area: String,
    description: String,
    input: Value,
    expect: Value,
    native: Option<String>,
}

fn vectors() -> Vec<Vector> {
    let all: Vec<Value> = serde_json::from_str(VECTORS).expect("build.rs writes a JSON array");
    all.into_iter()
        .map(|v| Vector {
            id: v["id"].as_str().unwrap_or_default().to_owned(),
            area: v["area"].as_str().unwrap_or_default().to_owned(),
            description: v["description"].as_str().unwrap_or_default().to_owned(),
            input: v["input"].clone(),
            expect: v["expect"].clone(),
            native: v["native"].as_str().map(str::to_owned),
        })
        .collect()
}

/// A JS value with the same JSON as `v`, built the way a JS caller builds it (`JSON.parse`).
fn to_js(v: &Value) -> JsValue {
    js_sys::JSON::parse(&serde_json::to_string(v).expect("serializes")).expect("valid JSON")
}

/// The JSON text of a JS value, keys sorted (serde_json's `Value` keeps objects sorted), so it can
/// be compared with the native results file, which was written from `Value`s.
fn sorted_json(v: &JsValue) -> String {
    let text = js_sys::JSON::stringify(v)
        .expect("export results are JSON")
        .as_string()
        .expect("a string");
    let value: Value = serde_json::from_str(&text).expect("JSON.stringify output parses");
    serde_json::to_string(&value).expect("serializes")
}

fn js_err(e: JsValue) -> String {
    let code = js_sys::Reflect::get(&e, &"code".into()).unwrap_or(JsValue::UNDEFINED);
    format!("threw {code:?}: {e:?}")
}

/// The output of a public export for a vector's input, or `None` when the area has no export.
fn via_export(area: &str, input: &Value) -> Option<Result<JsValue, String>> {
    let out = match area {
        "normalize" => {
            let payload = to_js(input.get("payload").unwrap_or(&Value::Null));
            let text = input.get("responseText").map(to_js);
            let flags = input
                .get("flags")
                .map(|f| tsify::Ts::new_unchecked(to_js(f)));
            chartgate_wasm::normalize_chart_command_payload(payload, text, flags)
                .map(JsValue::from)
                .map_err(js_err)
        }
        "understand" => chartgate_wasm_understand::understand(to_js(input))
            .map(JsValue::from)
            .map_err(js_err),
        "tool_stream" => (|| {
            let mut reader = chartgate_wasm::reader::ToolCallReaderJs::new();
            let pushed = js_sys::Array::new();
            for f in input["fragments"].as_array().into_iter().flatten() {
                pushed.push(&reader.push(to_js(f)).map_err(js_err)?.into());
            }
            let out = js_sys::Object::new();
            let finished: JsValue = reader.finish().map_err(js_err)?.into();
            js_sys::Reflect::set(&out, &"pushed".into(), &pushed).map_err(js_err)?;
            js_sys::Reflect::set(&out, &"finished".into(), &finished).map_err(js_err)?;
            Ok(out.into())
        })(),
        "parse" => chartgate_wasm::parse_legacy_command(to_js(input))
            .map_err(js_err)
            .map(|parsed| {
                // run_vector's `parse` shape: the export's `{commands, issues}` plus the legacy list.
                let parsed = JsValue::from(parsed);
                let v: Value = serde_json::from_str(&sorted_json(&parsed)).expect("parses");
                let legacy: Vec<Value> = v["commands"]
                    .as_array()
                    .map(|cs| cs.iter().map(|c| c["legacy"].clone()).collect())
                    .unwrap_or_default();
                to_js(&json!({"legacy": legacy, "commands": v["commands"], "issues": v["issues"]}))
            }),
        _ => return None,
    };
    Some(out)
}

#[wasm_bindgen_test]
fn every_vector_matches_its_expectation_and_the_native_bytes() {
    let vectors = vectors();
    assert!(
        vectors.len() >= 250,
        "only {} vectors embedded",
        vectors.len()
    );
    let mut failures = Vec::new();
    for v in &vectors {
        let Some(native) = &v.native else {
            failures.push(format!(
                "{}: no entry in native-results.json (stale file)",
                v.id
            ));
            continue;
        };
        match run_vector(&v.area, &v.input) {
            Ok(actual) => {
                if let Err(e) = subset_match(&v.expect, &actual) {
                    failures.push(format!("{} ({}): expectation: {e}", v.id, v.description));
                }
                let text = chartgate_core::json::to_string(&actual).expect("serializes");
                if &text != native {
                    failures.push(format!(
                        "{}: wasm bytes differ from native\n  wasm:   {text}\n  native: {native}",
                        v.id
                    ));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", v.id)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        vectors.len(),
        failures.join("\n")
    );
}

#[wasm_bindgen_test]
fn public_exports_return_the_native_results_for_js_values() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for v in vectors() {
        let Some(native) = &v.native else { continue };
        let Some(out) = via_export(&v.area, &v.input) else {
            continue;
        };
        checked += 1;
        match out {
            Ok(js) => {
                let text = sorted_json(&js);
                if &text != native {
                    failures.push(format!(
                        "{}: export differs from native\n  export: {text}\n  native: {native}",
                        v.id
                    ));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", v.id)),
        }
    }
    assert!(
        checked >= 200,
        "only {checked} vectors went through an export"
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} vectors failed through the exports:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
