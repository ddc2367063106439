//! The `chartgate` command-line tools over core: `normalize`, `understand`, `schema`, run as a
//! real process. Good input prints one line of JSON and exits 0 (issues included); unreadable
//! input exits 2 with a one-line error and prints nothing on stdout.
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chartgate"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    // Write from a thread: the child may exit (input too large) before reading everything.
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn json_line(out: &Output) -> Value {
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(text.lines().count(), 1, "exactly one line: {text}");
    serde_json::from_str(&text).unwrap()
}

#[test]
fn normalize_prints_the_spec_shape_and_exits_zero_with_issues() {
    let out = run(
        &["normalize"],
        br#"["LOAD:tsla","ADD:rsi","INDICATOR:RSI:ON","SUPPORT:-1"]"#,
    );
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("{\"legacy\":["),
        "keys in spec order"
    );
    let v = json_line(&out);
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "commands",
            "issues",
            "legacy",
            "mode",
            "objects",
            "responseText",
            "source",
            "structured"
        ]
    );
    assert_eq!(
        v["legacy"],
        serde_json::json!(["LOAD:TSLA", "INDICATOR:RSI:ON", "INDICATOR:RSI:ON"])
    );
    assert_eq!(v["commands"].as_array().unwrap().len(), 2);
    assert_eq!(v["issues"][0]["code"], "invalid_number");
}

#[test]
fn normalize_flags_and_response_text_options() {
    let payload = br#"{"chart_commands":["LOAD:AAPL"],"chart_commands_structured":[{"type":"load","payload":{"symbol":"TSLA"}}]}"#;
    let v = json_line(&run(
        &["normalize", "--prefer-structured", "--response-text", "hi"],
        payload,
    ));
    assert_eq!(v["mode"], "structured_first");
    assert_eq!(v["source"], "structured");
    assert_eq!(v["responseText"], "hi");
    assert_eq!(v["commands"][0]["legacy"], "LOAD:TSLA");
    let objects = br#"{"chart_commands":["LOAD:AAPL"],"chart_objects":{"version":"2.0","commands":[{"type":"load","payload":{"symbol":"NVDA"}}]}}"#;
    let v = json_line(&run(&["normalize", "--structured-objects"], objects));
    assert_eq!(v["source"], "chart_objects");
    assert_eq!(v["commands"][0]["legacy"], "LOAD:NVDA");
}

#[test]
fn normalize_matches_the_library_byte_for_byte() {
    let input = r#"{"chartCommands":"ENTRY:150 STOP:140","structured":[{"type":"drawing","payload":{"style":"fibonacci","high":420,"low":480}}]}"#;
    let out = run(&["normalize"], input.as_bytes());
    let lib = chartgate_core::normalize_chart_command_payload(
        &serde_json::from_str(input).unwrap(),
        None,
        Default::default(),
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim_end(),
        serde_json::to_string(&lib).unwrap()
    );
}

#[test]
fn empty_stdin_is_the_empty_result() {
    let v = json_line(&run(&["normalize"], b"  \n"));
    assert_eq!(v["source"], "none");
    assert_eq!(v["issues"], serde_json::json!([]));
}

#[test]
fn unreadable_input_exits_2_with_one_line_and_no_stdout() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let huge = vec![b' '; 8 * 1024 * 1024 + 10];
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "malformed JSON",
            b"{\"chart_commands\": [".to_vec(),
            "not JSON",
        ),
        ("invalid UTF-8", vec![b'"', 0xff, 0xfe, b'"'], "not UTF-8"),
        (
            "nesting beyond the parser limit",
            deep.into_bytes(),
            "not JSON",
        ),
        ("over 8 MiB", huge, "exceeds"),
    ];
    for (name, input, needle) in cases {
        let out = run(&["normalize"], &input);
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(out.stdout.is_empty(), "{name}: stdout must be empty");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.contains(needle), "{name}: {err}");
    }
}

#[test]
fn hostile_but_valid_json_is_reported_not_rejected() {
    for input in [
        &b"42"[..],
        b"true",
        b"\"\\u0000LOAD:TSLA\"",
        b"{\"chart_objects\":{\"version\":[1,2,3]}}",
    ] {
        let out = run(&["normalize"], input);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(input));
        let v = json_line(&out);
        assert!(
            !v["issues"].as_array().unwrap().is_empty(),
            "{}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn understand_prints_intent_commands_and_legacy() {
    let v = json_line(&run(
        &[
            "understand",
            "show me Tesla on the weekly with the 50 day moving average",
        ],
        b"",
    ));
    assert_eq!(v["intent"], "chart_command");
    assert_eq!(
        v["legacy"],
        serde_json::json!(["LOAD:TSLA", "TIMEFRAME:1W", "INDICATOR:SMA:ON:50"])
    );
    let v = json_line(&run(&["understand", "💥 $$$ ::: LOAD:"], b""));
    assert_eq!(v["commands"], serde_json::json!([]));
    let long = "zoom in ".repeat(12_000); // 96 KB: under the OS limit for one argument
    let v = json_line(&run(&["understand", &long], b""));
    assert_eq!(v["legacy"], serde_json::json!(["ZOOM:IN"]));
}

#[test]
fn schema_prints_the_strict_tool_parameters() {
    let v = json_line(&run(&["schema"], b""));
    assert_eq!(v, chartgate_core::chart_command_schema());
    assert_eq!(v["properties"]["commands"]["type"], "array");
}

#[test]
fn unknown_subcommand_is_a_usage_error() {
    let out = run(&["frobnicate"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}
