//! `ToolCallReader` against the one-shot path: for every structured command list in the
//! conformance vectors (as `{"commands": <list>}`, compact, pretty, with escaped keys and other
//! keys around it) and hand-written edge cases, every way of cutting the text into fragments (one
//! byte each, every two-piece split and every prefix of the small ones, random splits of all)
//! yields, pushes and finish together, exactly what `validate_tool_call` returns for the whole
//! text; and on complete JSON that answer is the old one (`serde_json` reads the arguments, then
//! `validate_commands` reads `commands`).

use chartgate_core::schema::TOOL_NAME;
use chartgate_core::{validate_commands, validate_tool_call, Parsed, ToolCallReader};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::OnceLock;

/// A `Parsed` as JSON: commands by their wire JSON, issues by code, path, severity and message.
fn as_json(p: &Parsed) -> Value {
    serde_json::to_value(p).expect("answers serialize")
}

fn one_shot(text: &str) -> Value {
    as_json(&validate_tool_call(TOOL_NAME, text))
}

/// The reader fed `text` cut at `cuts` (byte offsets, rounded down to character boundaries).
fn streamed(text: &str, cuts: &[usize]) -> Value {
    let mut bounds: Vec<usize> = cuts
        .iter()
        .map(|&c| {
            let mut c = c.min(text.len());
            while !text.is_char_boundary(c) {
                c -= 1;
            }
            c
        })
        .collect();
    bounds.push(text.len());
    bounds.sort_unstable();
    let mut reader = ToolCallReader::new();
    let mut all = Parsed::default();
    let mut from = 0;
    for to in bounds {
        let got = reader.push(&text[from..to]);
        all.commands.extend(got.commands);
        all.issues.extend(got.issues);
        from = to;
    }
    let end = reader.finish();
    all.commands.extend(end.commands);
    all.issues.extend(end.issues);
    as_json(&all)
}

fn bytewise(text: &str) -> Value {
    let cuts: Vec<usize> = (0..text.len()).collect();
    streamed(text, &cuts)
}

/// The answer before the reader existed, on text serde_json reads as an object with `commands`.
fn reference(text: &str) -> Option<Value> {
    let args: Value = serde_json::from_str(text).ok()?;
    args.as_object()?;
    Some(as_json(&validate_commands(args.get("commands")?)))
}

/// Every array in every vector's input (command lists and legacy lists alike: all of them are
/// some producer's list), and every `format` vector's command as a list of one.
fn vector_lists() -> Vec<Value> {
    fn arrays(v: &Value, out: &mut Vec<Value>) {
        match v {
            Value::Array(items) => {
                out.push(v.clone());
                items.iter().for_each(|i| arrays(i, out));
            }
            Value::Object(m) => m.values().for_each(|i| arrays(i, out)),
            _ => {}
        }
    }
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors"));
    let mut out = Vec::new();
    let mut areas: Vec<_> = std::fs::read_dir(dir)
        .expect("tests/vectors exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    areas.sort();
    for area in areas {
        let mut files: Vec<_> = std::fs::read_dir(&area)
            .expect("area dir")
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).expect("vector file readable");
            let list: Vec<Value> = serde_json::from_str(&text).expect("vector file is JSON");
            for v in list {
                let input = &v["input"];
                if area.ends_with("format") {
                    out.push(json!([input]));
                }
                arrays(input, &mut out);
            }
        }
    }
    out
}

/// Argument texts: each vector list in four spellings, then the hand-written edge cases.
fn texts() -> &'static [String] {
    static TEXTS: OnceLock<Vec<String>> = OnceLock::new();
    TEXTS.get_or_init(|| {
        let mut out = Vec::new();
        for list in vector_lists() {
            let compact = serde_json::to_string(&json!({ "commands": list })).expect("prints");
            let pretty =
                serde_json::to_string_pretty(&json!({ "commands": list })).expect("prints");
            let escaped = compact.replacen("\"commands\"", r#""comm\u0061nd\u0073""#, 1);
            let around = format!(
                r#"{{"before":{{"x":[1,"]}}\"{{"],"y":{{}}}},"commands":{},"after":"{{[\\"}}"#,
                serde_json::to_string(&list).expect("prints")
            );
            out.extend([compact, pretty, escaped, around]);
        }
        out.extend(EDGE_CASES.iter().map(|s| (*s).to_owned()));
        out
    })
}

const EDGE_CASES: &[&str] = &[
    r#"{"commands":[{"type":"load","payload":{"symbol":"\u0074sla"},"description":"caf\u00e9 \"quoted\" {[}]","legacy":"LOAD:TSLA"}]}"#,
    r#"{"commands":[{"type":"drawing","payload":{"style":"support","price":430,"extra":{"deep":[[{"a":"]"}]]}}}]}"#,
    "{\"commands\":[{\"type\":\"load\",\"payload\":{\"symbol\":\"tsla\"},\"description\":\"日本語 é 𝄞 \\ud834\\udd1e\"}]}",
    " \t\r\n{ \"commands\" \n:\n [ \n{ \"type\" : \"zoom\" , \"payload\" : { \"direction\" : \"in\" , \"amount\" : 2 } } \n, \"ZOOM:OUT\" ] \n} \n",
    r#"{"a":"commands","b":{"commands":[{"type":"load","payload":{"symbol":"NO"}}]},"commands":[{"type":"reset","payload":{"target":"view"}}],"c":[]}"#,
    r#"{"commands":[{"type":"load","payload":{"symbol":"TSLA"}},{"type":"timeframe","payload":{"value":"1D"}},{"type":"indicator","payload":{"name":"rsi"}}]}"#,
    r#"{"commands":[{"type":"load","payload":{"symbol":"TSLA"}},{"type":"timeframe","payload":{"val"#,
    r#"{"commands":[{"type":"load","payload":{"symbol":"TSLA"}},"#,
    r#"{"commands":[{"type":"load","payload":{"symbol":"TSLA"}}]"#,
    r#"{"commands":[{"type":"load","payload":{"symbol":"TSLA"}}]} {"commands":[]}"#,
    r#"{"commands":[{"type":"load","payload":{"symbol":"TSLA"}},,{"type":"load"}]}"#,
    r#"{"commands":[{"type":"load","payload":{"symbol":"TSLA"}} {"type":"load"}]}"#,
    r#"{"commands":[{"type":"load","payload":{"symbol":"TSLA"},}]}"#,
    r#"{"commands":[1e999, -0, 1.5e3, "\u0000", null, true]}"#,
    r#"{"commands":{"type":"style","payload":{"chart_type":"line"}}}"#,
    r#"{"commands":"LOAD:TSLA"}"#,
    r#"{"commands":null}"#,
    r#"{"commands":[],"commands":[{"type":"load","payload":{"symbol":"AA"}}]}"#,
    r#"{"commands":[{"type":"load","payload":{"symbol":"AA"}}],"commands":[]}"#,
    r#"{"cmds":[{"type":"load","payload":{"symbol":"AA"}}]}"#,
    r#"{"\u0063ommands":[{"type":"load","payload":{"symbol":"AA"}}]}"#,
    r#"{"commands\u0000":[{"type":"load","payload":{"symbol":"AA"}}]}"#,
    r#"{"commands":[{"type":"load","payload":{"symbol":"AA"}}],"bad":"\x"}"#,
    r#"{"commands":[{"type":"load","payload":{"symbol":"A\x"}}]}"#,
    r#"{"\x":1}"#,
    r#"{"commands" [1]}"#,
    r#"{"commands":}"#,
    r#"{,}"#,
    r#"{"a":1,}"#,
    r#"["commands"]"#,
    "\"commands\"",
    "null",
    "",
    "   ",
    "{",
    "{}",
    "{} x",
    r#"{"commands":[]}"#,
    r#"{"commands":[[[[[[[[[[[[[[[[[[[[{}]]]]]]]]]]]]]]]]]]]]}"#,
];

#[test]
fn the_corpus_covers_the_vectors_and_the_edge_cases() {
    let texts = texts();
    assert!(texts.len() > 400, "only {} texts", texts.len());
    let with_commands = texts
        .iter()
        .filter(|t| !validate_tool_call(TOOL_NAME, t).commands.is_empty())
        .count();
    assert!(
        with_commands > 200,
        "only {with_commands} texts yield commands"
    );
}

#[test]
fn on_complete_json_the_reader_answers_as_serde_json_and_validate_commands() {
    let (mut compared, mut duplicates) = (0, 0);
    for text in texts() {
        // A second `commands` key: serde_json keeps the last, the reader has yielded the first
        // already (and reports the second).
        let issues = &one_shot(text)["issues"];
        if issues.as_array().into_iter().flatten().any(|i| {
            i["path"] == json!(["arguments", "commands"]) && i["code"] == json!("invalid_type")
        }) {
            duplicates += 1;
            continue;
        }
        if let Some(expected) = reference(text) {
            assert_eq!(one_shot(text), expected, "{text}");
            compared += 1;
        }
    }
    assert!(compared > 400, "only {compared} texts compared");
    assert_eq!(duplicates, 2, "only the two edge cases repeat `commands`");
}

#[test]
fn one_byte_fragments_and_every_two_piece_split_and_prefix_read_the_same() {
    for text in texts() {
        let whole = one_shot(text);
        assert_eq!(bytewise(text), whole, "one-byte fragments of {text}");
        if text.len() > 400 {
            continue;
        }
        let commands = whole["commands"].as_array().cloned().unwrap_or_default();
        for cut in (1..text.len()).filter(|&c| text.is_char_boundary(c)) {
            assert_eq!(streamed(text, &[cut]), whole, "split at {cut}: {text}");
            // A prefix is a cut-short stream: what it yields is a prefix of the full answer.
            let prefix = &text[..cut];
            let early = one_shot(prefix);
            assert_eq!(bytewise(prefix), early, "one-byte fragments of {prefix}");
            let got = early["commands"].as_array().cloned().unwrap_or_default();
            assert!(
                commands.starts_with(&got),
                "prefix {prefix} yields commands the whole text does not"
            );
        }
    }
}

/// Random JSON for the reader to skip or decode, keys of the tool's shape included.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        r#"[ -~é€𝄞"\\{}\[\]\n\t\u{0}]{0,12}"#.prop_map(Value::String),
        prop_oneof![
            Just("load"),
            Just("zoom"),
            Just("TSLA"),
            Just("in"),
            Just("LOAD:TSLA")
        ]
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    prop_oneof![
                        Just("type".to_owned()),
                        Just("payload".to_owned()),
                        Just("symbol".to_owned()),
                        Just("direction".to_owned()),
                        Just("commands".to_owned()),
                        r#"[a-z_"\\{]{1,8}"#,
                    ],
                    inner
                ),
                0..5
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn random_splits_of_every_text_read_the_same(
        pick in any::<prop::sample::Index>(),
        cuts in proptest::collection::vec(0usize..100_000, 0..40),
    ) {
        let text = &texts()[pick.index(texts().len())];
        let cuts: Vec<usize> = cuts.iter().map(|c| c % (text.len() + 1)).collect();
        prop_assert_eq!(streamed(text, &cuts), one_shot(text));
    }

    #[test]
    fn random_arguments_read_as_before_and_the_same_in_pieces(
        args in proptest::collection::vec(("[a-z]{1,3}|commands", any_json()), 0..4),
        commands in proptest::option::of(any_json()),
        pretty in any::<bool>(),
        cuts in proptest::collection::vec(0usize..4096, 0..24),
        cut_short in proptest::option::of(0usize..4096),
    ) {
        let mut obj: serde_json::Map<String, Value> = args.into_iter().collect();
        if let Some(c) = commands {
            obj.insert("commands".to_owned(), c);
        }
        let obj = Value::Object(obj);
        let mut text = if pretty {
            serde_json::to_string_pretty(&obj).expect("prints")
        } else {
            serde_json::to_string(&obj).expect("prints")
        };
        if let Some(expected) = reference(&text) {
            prop_assert_eq!(one_shot(&text), expected);
        } else {
            // serde_json reads it, so it is an object without `commands`.
            prop_assert_eq!(
                &one_shot(&text)["issues"][0]["code"],
                &json!("missing_field")
            );
        }
        if let Some(n) = cut_short {
            let mut n = n % (text.len() + 1);
            while !text.is_char_boundary(n) {
                n -= 1;
            }
            text.truncate(n);
        }
        let cuts: Vec<usize> = cuts.iter().map(|c| c % (text.len() + 1)).collect();
        prop_assert_eq!(streamed(&text, &cuts), one_shot(&text));
    }
}
