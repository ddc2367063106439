//! The exported `ToolCallReader` against core's one-shot answer, in node and headless Chromium:
//! for the arguments of every `tool_stream` vector and the structured command lists of the vectors (as
//! `{"commands": <list>}`, up to 2,000 bytes), every two-piece split at a character boundary and one character per
//! fragment give, all pushes and the finish together, exactly what `validate_tool_call` returns
//! for the whole text (natively, core/tests/tool_stream.rs checks the same property on more splits).
#![cfg(target_arch = "wasm32")]

use chartgate_core::schema::TOOL_NAME;
use chartgate_wasm::reader::ToolCallReaderJs;
use serde_json::Value;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

const VECTORS: &str = include_str!(concat!(env!("OUT_DIR"), "/vectors.json"));

/// A JS value's JSON as a `serde_json::Value` (key order does not matter to `==`).
fn value(v: &JsValue) -> Value {
    let text = js_sys::JSON::stringify(v)
        .expect("answers are JSON")
        .as_string()
        .expect("a string");
    serde_json::from_str(&text).expect("parses")
}

/// Pushes and finish of the exported reader fed `pieces`, as one `{commands, issues}`.
fn streamed(pieces: &[&str]) -> Value {
    let mut reader = ToolCallReaderJs::new();
    let (mut commands, mut issues) = (Vec::new(), Vec::new());
    let mut take = |v: Value| {
        commands.extend(v["commands"].as_array().cloned().unwrap_or_default());
        issues.extend(v["issues"].as_array().cloned().unwrap_or_default());
    };
    for p in pieces {
        take(value(
            &reader.push(JsValue::from_str(p)).expect("a string").into(),
        ));
    }
    take(value(&reader.finish().expect("first finish").into()));
    assert!(reader.finished());
    serde_json::json!({ "commands": commands, "issues": issues })
}

fn one_shot(text: &str) -> Value {
    serde_json::to_value(chartgate_core::validate_tool_call(TOOL_NAME, text)).expect("serializes")
}

/// The arguments' texts: each tool_stream vector's fragments joined, and the command lists.
fn texts() -> Vec<String> {
    let all: Vec<Value> = serde_json::from_str(VECTORS).expect("build.rs writes a JSON array");
    let mut out = Vec::new();
    for v in &all {
        match v["area"].as_str() {
            Some("tool_stream") => out.push(
                v["input"]["fragments"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect(),
            ),
            Some("objects") if v["input"].is_array() => {
                out.push(serde_json::json!({ "commands": v["input"] }).to_string());
            }
            Some("normalize") if v["input"]["payload"]["chart_commands_structured"].is_array() => {
                let list = &v["input"]["payload"]["chart_commands_structured"];
                out.push(serde_json::json!({ "commands": list }).to_string());
            }
            _ => {}
        }
    }
    // Every split of a text is a run over its length: the long ones (one normalize vector holds
    // 300 commands) stay with the native test.
    out.retain(|t| t.len() <= 2_000);
    out
}

#[wasm_bindgen_test]
fn any_split_of_the_arguments_gives_the_one_shot_answer() {
    let texts = texts();
    assert!(texts.len() >= 20, "only {} argument texts", texts.len());
    let mut failures = Vec::new();
    let mut runs = 0;
    for text in &texts {
        let want = one_shot(text);
        let chars: Vec<&str> = text
            .char_indices()
            .map(|(i, c)| &text[i..i + c.len_utf8()])
            .collect();
        let mut check = |pieces: &[&str]| {
            runs += 1;
            let got = streamed(pieces);
            if got != want && failures.len() < 5 {
                failures.push(format!(
                    "{text:?} cut as {pieces:?}:\n  got  {got}\n  want {want}"
                ));
            }
        };
        check(&chars);
        for (i, _) in text.char_indices() {
            check(&[&text[..i], &text[i..]]);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(runs >= 1_000, "only {runs} splits");
}

#[wasm_bindgen_test]
fn a_finished_reader_throws_a_chartgate_error() {
    let mut reader = ToolCallReaderJs::new();
    assert!(!reader.finished());
    reader.finish().expect("first finish");
    for e in [
        reader
            .finish()
            .map(JsValue::from)
            .expect_err("second finish"),
        reader
            .push(JsValue::from_str("{}"))
            .map(JsValue::from)
            .expect_err("push after finish"),
    ] {
        let get = |k: &str| js_sys::Reflect::get(&e, &k.into()).expect("readable");
        assert_eq!(get("name").as_string().as_deref(), Some("ChartgateError"));
        assert_eq!(get("code").as_string().as_deref(), Some("reader_finished"));
    }
    let e = ToolCallReaderJs::new()
        .push(JsValue::from_f64(1.0))
        .map(JsValue::from)
        .expect_err("not a string");
    assert_eq!(
        js_sys::Reflect::get(&e, &"code".into())
            .expect("readable")
            .as_string()
            .as_deref(),
        Some("invalid_type")
    );
}
