//! `normalize::PAYLOAD_FIELDS` is every top-level field normalize reads: for every `normalize`
//! vector whose payload is an object, normalizing only those fields gives the same answer as the
//! whole payload, with other fields (tool data, junk) added or not. The wasm package relies on
//! this: it passes only these fields across the bridge.

use chartgate_core::normalize::PAYLOAD_FIELDS;
use chartgate_core::{normalize_chart_command_payload, NormalizeFlags};
use serde_json::{json, Map, Value};
use std::path::Path;

fn normalize_vectors() -> Vec<Value> {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/normalize"
    ));
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)
        .expect("tests/vectors/normalize exists")
        .flatten()
    {
        let text = std::fs::read_to_string(entry.path()).expect("readable");
        let list: Vec<Value> = serde_json::from_str(&text).expect("a JSON array");
        out.extend(list.into_iter().map(|v| v["input"].clone()));
    }
    out
}

fn answer(payload: &Value, input: &Value) -> Value {
    let text = input.get("responseText").and_then(Value::as_str);
    let flags = input
        .get("flags")
        .map(|f| NormalizeFlags::from_json(f).expect("vector flags are valid"))
        .unwrap_or_default();
    serde_json::to_value(normalize_chart_command_payload(payload, text, flags)).expect("serializes")
}

fn only_read_fields(obj: &Map<String, Value>) -> Value {
    Value::Object(
        obj.iter()
            .filter(|(k, _)| PAYLOAD_FIELDS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

#[test]
fn normalize_reads_nothing_but_the_payload_fields() {
    let mut objects = 0;
    for input in normalize_vectors() {
        let Some(Value::Object(obj)) = input.get("payload") else {
            continue;
        };
        objects += 1;
        let whole = answer(&Value::Object(obj.clone()), &input);
        assert_eq!(answer(&only_read_fields(obj), &input), whole, "{input}");
        // Tool data beside the commands, under every other name a producer might use.
        let mut with_data = obj.clone();
        with_data.insert("quotes".into(), json!([{"symbol": "TSLA", "price": 431.2}]));
        with_data.insert("chart_command".into(), json!("LOAD:AAPL"));
        with_data.insert("commands".into(), json!([{"type": "load"}]));
        assert_eq!(answer(&Value::Object(with_data), &input), whole, "{input}");
    }
    assert!(
        objects >= 20,
        "only {objects} object payloads among the vectors"
    );
}

#[test]
fn the_list_has_each_name_once() {
    let mut names = PAYLOAD_FIELDS.to_vec();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), PAYLOAD_FIELDS.len());
    assert!(names.iter().all(|n| !n.is_empty()));
}
