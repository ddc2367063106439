//! Bad input from JS never traps or panics the module: wrong types, cyclic objects, `BigInt`,
//! throwing getters, huge and deeply nested values, `undefined` fields and `NaN`. Failures reach JS
//! as `Error`s with `name`, `code` and `path`, and afterwards the module keeps working (leak.rs checks
//! its memory). Runs in node and headless Chromium.
#![cfg(target_arch = "wasm32")]

use chartgate_core::NormalizeFlags;
use chartgate_wasm as w;
use chartgate_wasm_understand as u;
use js_sys::{Array, Object, Reflect, JSON};
use tsify::Ts;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

fn js(text: &str) -> JsValue {
    JSON::parse(text).expect("test JSON is valid")
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).expect("readable property")
}

fn stringify(v: &JsValue) -> String {
    JSON::stringify(v)
        .expect("JSON")
        .as_string()
        .expect("string")
}

fn normalize(input: JsValue) -> Result<JsValue, JsValue> {
    w::normalize_chart_command_payload(input, None, None).map(JsValue::from)
}

/// Asserts `result` is a thrown `ChartgateError` with `code` and `path`; returns its message.
#[track_caller]
fn assert_error<T>(result: Result<T, JsValue>, code: &str, path: &str) -> String {
    let Err(e) = result else {
        panic!("expected a {code} error, got a result")
    };
    assert!(e.is_instance_of::<js_sys::Error>(), "not an Error: {e:?}");
    assert_eq!(
        get(&e, "name").as_string().as_deref(),
        Some("ChartgateError")
    );
    assert_eq!(get(&e, "code").as_string().as_deref(), Some(code), "{e:?}");
    let p = get(&e, "path");
    assert!(Array::is_array(&p), "path is not an array: {p:?}");
    assert_eq!(stringify(&p), path);
    e.unchecked_ref::<js_sys::Error>().message().into()
}

/// A payload whose read field (`chart_commands`) holds a cycle.
fn cyclic() -> JsValue {
    let list = js(r#"["LOAD:TSLA"]"#);
    let o = js("{}");
    list.unchecked_ref::<Array>().push(&o);
    Reflect::set(&o, &"chart_commands".into(), &list).expect("settable");
    Reflect::set(&o, &"self".into(), &o).expect("settable");
    o
}

/// The module still answers correctly after a failure.
fn assert_still_works() {
    let out = normalize(JsValue::from_str("LOAD:TSLA TIMEFRAME:1D")).expect("works");
    assert_eq!(
        stringify(&get(&out, "legacy")),
        r#"["LOAD:TSLA","TIMEFRAME:1D"]"#
    );
}

#[wasm_bindgen_test]
fn cyclic_objects_are_invalid_type_errors() {
    let msg = assert_error(normalize(cyclic()), "invalid_type", "[]");
    assert!(msg.contains("not JSON-serializable"), "{msg}");
    assert_error(w::validate_commands_js(cyclic()), "invalid_type", "[]");
    assert_error(w::build_chart_objects(cyclic()), "invalid_type", "[]");
    assert_error(w::to_legacy(cyclic()), "invalid_type", "[]");
    assert_error(w::parse_legacy_commands(cyclic()), "invalid_type", "[]");
    assert_still_works();
}

#[wasm_bindgen_test]
fn bigint_and_throwing_getters_are_invalid_type_errors() {
    let o = js(r#"{"chart_commands":[]}"#);
    Reflect::set(
        &o,
        &"chart_commands".into(),
        &js_sys::BigInt::from(5u64).into(),
    )
    .expect("settable");
    assert_error(normalize(o), "invalid_type", "[]");

    let o = Object::new();
    let desc = Object::new();
    let getter = js_sys::Function::new_no_args("throw new Error('boom')");
    Reflect::set(&desc, &"get".into(), &getter).expect("settable");
    Reflect::set(&desc, &"enumerable".into(), &JsValue::TRUE).expect("settable");
    Object::define_property(&o, &"chart_commands".into(), &desc);
    let msg = assert_error(normalize(o.into()), "invalid_type", "[]");
    assert!(msg.contains("boom"), "{msg}");
    assert_still_works();
}

#[wasm_bindgen_test]
fn wrong_argument_types_name_the_argument() {
    assert_error(
        w::parse_legacy_command(JsValue::from_f64(42.0)),
        "invalid_type",
        "[]",
    );
    assert_error(
        w::parse_legacy_command(JsValue::UNDEFINED),
        "invalid_type",
        "[]",
    );
    assert_error(u::understand(JsValue::NULL), "invalid_type", "[]");
    assert_error(u::understand(Object::new().into()), "invalid_type", "[]");
    assert_error(
        w::parse_legacy_commands(js(r#"["LOAD:TSLA", 7]"#)),
        "invalid_type",
        "[1]",
    );
    assert_error(
        w::parse_legacy_commands(JsValue::from_str("LOAD:TSLA")),
        "invalid_type",
        "[]",
    );
    assert_error(
        w::normalize_chart_command_payload(JsValue::NULL, Some(JsValue::from_f64(1.0)), None),
        "invalid_type",
        r#"["responseText"]"#,
    );
    let flags = |text: &str| Some(Ts::<NormalizeFlags>::new_unchecked(js(text)));
    assert_error(
        w::normalize_chart_command_payload(
            JsValue::NULL,
            None,
            flags(r#"{"preferStructured":"yes"}"#),
        ),
        "invalid_type",
        r#"["flags"]"#,
    );
    assert_error(
        w::normalize_chart_command_payload(JsValue::NULL, None, flags("5")),
        "invalid_type",
        r#"["flags"]"#,
    );
    assert_still_works();
}

#[wasm_bindgen_test]
fn strict_conversions_throw_the_first_error_with_every_issue() {
    let msg = assert_error(
        w::to_legacy(js(
            r#"{"type":"load","payload":{"symbol":"not a symbol!"}}"#,
        )),
        "invalid_symbol",
        r#"["payload","symbol"]"#,
    );
    assert!(!msg.is_empty());
    let e = w::build_chart_objects(js(
        r#"[{"type":"load","payload":{"symbol":"TSLA"}},{"type":"timeframe","payload":{"value":"7X"}}]"#,
    ))
    .map(JsValue::from);
    let Err(err) = &e else {
        panic!("expected an error")
    };
    let issues = get(err, "issues");
    assert!(Array::is_array(&issues) && Array::from(&issues).length() >= 1);
    assert_error(e, "invalid_timeframe", r#"[1,"payload","value"]"#);
    let ok = w::to_legacy(js(r#"{"type":"indicator","payload":{"name":"rsi"}}"#)).expect("valid");
    assert_eq!(ok, "INDICATOR:RSI:ON");
}

#[wasm_bindgen_test]
fn undefined_fields_are_dropped_and_nan_is_null() {
    // `undefined` means absent, exactly as in the JSON a server would receive.
    let o = js(r#"{"chart_commands":["LOAD:TSLA"]}"#);
    Reflect::set(&o, &"chart_commands_structured".into(), &JsValue::UNDEFINED).expect("settable");
    Reflect::set(&o, &"responseText".into(), &JsValue::UNDEFINED).expect("settable");
    let out = normalize(o).expect("normalizes");
    assert_eq!(stringify(&get(&out, "issues")), "[]");
    assert_eq!(get(&out, "source").as_string().as_deref(), Some("legacy"));
    assert!(get(&out, "responseText").is_null());

    // NaN → null → core reports the price, nothing throws.
    let cmd = js(r#"{"type":"drawing","payload":{"style":"support"}}"#);
    let payload = get(&cmd, "payload");
    Reflect::set(&payload, &"price".into(), &JsValue::from_f64(f64::NAN)).expect("settable");
    let list = Array::of1(&cmd);
    let parsed = w::validate_commands_js(list.into())
        .map(JsValue::from)
        .expect("validates");
    assert_eq!(Array::from(&get(&parsed, "commands")).length(), 0);
    let issues = stringify(&get(&parsed, "issues"));
    assert!(
        issues.contains(r#""path":[0,"payload","price"]"#),
        "{issues}"
    );

    // Undefined input, functions and symbols are JSON's "nothing": an empty result.
    for v in [
        JsValue::UNDEFINED,
        js_sys::Function::new_no_args("return 1").into(),
        JsValue::symbol(None),
    ] {
        let out = normalize(v).expect("normalizes");
        assert_eq!(get(&out, "source").as_string().as_deref(), Some("none"));
        assert_eq!(stringify(&get(&out, "issues")), "[]");
    }
    // Optional flag fields left undefined take their defaults.
    let flags = js("{}");
    Reflect::set(&flags, &"preferStructured".into(), &JsValue::UNDEFINED).expect("settable");
    let out = w::normalize_chart_command_payload(
        JsValue::from_str("LOAD:TSLA"),
        None,
        Some(Ts::new_unchecked(flags)),
    )
    .map(JsValue::from)
    .expect("normalizes");
    assert_eq!(get(&out, "mode").as_string().as_deref(), Some("hybrid"));
}

#[wasm_bindgen_test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let input = js(&format!(r#"{{"chart_commands":{deep}}}"#));
    assert_error(normalize(input), "invalid_type", "[]");
    // 100 levels is fine: core reports the bad element as an issue.
    let ok = js(&format!(
        r#"{{"chart_commands":[{}{}]}}"#,
        "[".repeat(100),
        "]".repeat(100)
    ));
    let out = normalize(ok).expect("normalizes");
    assert!(stringify(&get(&out, "issues")).contains("invalid_type"));
    assert_still_works();
}

#[wasm_bindgen_test]
fn huge_arrays_are_truncated_with_an_issue() {
    let list = Array::new();
    for i in 0..100_000 {
        list.push(&JsValue::from_str(if i % 2 == 0 {
            "LOAD:TSLA"
        } else {
            "ZOOM:IN"
        }));
    }
    let out = normalize(list.into()).expect("normalizes");
    assert_eq!(Array::from(&get(&out, "legacy")).length(), 256);
    assert!(stringify(&get(&out, "issues")).contains("too_many_commands"));
}

#[wasm_bindgen_test]
fn inputs_over_the_size_limit_are_too_long_errors() {
    let big = "x".repeat(chartgate_wasm::convert::MAX_INPUT_CHARS as usize + 1);
    assert_error(
        w::parse_legacy_command(JsValue::from_str(&big)),
        "too_long",
        "[]",
    );
    let arr = Array::of1(&JsValue::from_str(&big));
    assert_error(normalize(arr.into()), "too_long", "[]");
    assert_still_works();
}

#[wasm_bindgen_test]
fn results_are_plain_objects_not_maps() {
    let out = normalize(js(
        r#"{"chart_commands_structured":[{"type":"drawing","payload":{"style":"trendline","start_price":1,"end_price":2}}]}"#,
    ))
    .expect("normalizes");
    let cmd = Array::from(&get(&out, "commands")).get(0);
    assert!(!cmd.is_instance_of::<js_sys::Map>());
    let payload = get(&cmd, "payload");
    assert!(!payload.is_instance_of::<js_sys::Map>());
    assert_eq!(
        get(&payload, "style").as_string().as_deref(),
        Some("trendline")
    );
    assert_eq!(
        get(&cmd, "legacy").as_string().as_deref(),
        Some("TRENDLINE:1:2")
    );
    assert!(get(&cmd, "description").is_null());
}

#[wasm_bindgen_test]
fn vocabularies_are_the_canonical_tokens() {
    let tf = stringify(&w::timeframes().expect("list"));
    assert!(
        tf.starts_with(r#"["1m","2m","5m""#) && tf.ends_with(r#""MAX"]"#),
        "{tf}"
    );
    assert!(tf.contains(r#""1M""#) && tf.contains(r#""1m""#));
    let ind = stringify(&w::indicators().expect("list"));
    assert!(
        ind.starts_with(r#"["SMA","EMA""#) && ind.contains("ICHIMOKU"),
        "{ind}"
    );
    let schema = w::chart_command_schema_js().expect("schema");
    assert!(get(&get(&schema, "properties"), "commands").is_object());
}

#[wasm_bindgen_test]
fn non_ascii_strings_cross_the_boundary_intact() {
    // Non-ASCII is never command-shaped (spec §3), so it crosses in a description.
    let input = js(
        r#"{"chart_commands":["FOO:é€😀 LOAD:tsla"],"chart_commands_structured":[{"type":"reset","description":"é€😀"}],"responseText":"naïve ✓ 😀"}"#,
    );
    let out = normalize(input).expect("normalizes");
    assert_eq!(stringify(&get(&out, "legacy")), r#"["LOAD:TSLA"]"#);
    let first = Array::from(&get(&out, "structured")).get(0);
    assert_eq!(
        get(&first, "description").as_string().as_deref(),
        Some("é€😀")
    );
    assert_eq!(
        get(&out, "responseText").as_string().as_deref(),
        Some("naïve ✓ 😀")
    );
    // Inside a value too: JSON.stringify escapes it as `\ud800`, which reads as U+FFFD.
    let out = normalize(js(
        r#"{"chart_commands_structured":[{"type":"reset","description":"\ud800x"}],"responseText":"\udc00 \ud83d\ude00"}"#,
    ))
    .expect("normalizes");
    let first = Array::from(&get(&out, "structured")).get(0);
    assert_eq!(
        get(&first, "description").as_string().as_deref(),
        Some("\u{FFFD}x")
    );
    assert_eq!(
        get(&out, "responseText").as_string().as_deref(),
        Some("\u{FFFD} 😀")
    );
    // A lone surrogate passed as a string argument arrives as U+FFFD (TextEncoder's rule).
    let text = js(r#""\ud800x😀""#);
    let out = w::normalize_chart_command_payload(JsValue::NULL, Some(text), None)
        .map(JsValue::from)
        .expect("normalizes");
    assert_eq!(
        get(&out, "responseText").as_string().as_deref(),
        Some("\u{FFFD}x😀")
    );
}

#[wasm_bindgen_test]
fn numbers_from_js_keep_their_exact_value() {
    // 17 significant digits: a reader that is not correctly rounded moves these by one unit in the
    // last place, and the legacy string would no longer name the number JS sent.
    for price in [
        "183.95999999999998",
        "0.30000000000000004",
        "999999999999999.9",
        // The smallest price is 1e-8 (a satoshi); 5e-324 is no price any more.
        "1.2345678901234567e-8",
    ] {
        let input = js(&format!(
            r#"{{"chart_commands_structured":[{{"type":"drawing","payload":{{"style":"support","price":{price}}}}}]}}"#
        ));
        let first = Array::from(&get(&input, "chart_commands_structured")).get(0);
        let sent = get(&get(&first, "payload"), "price");
        let out = normalize(input).expect("normalizes");
        let cmd = Array::from(&get(&out, "structured")).get(0);
        let back = get(&get(&cmd, "payload"), "price");
        assert_eq!(back.as_f64(), sent.as_f64(), "{price}");
        let legacy = get(&cmd, "legacy").as_string().unwrap_or_default();
        let printed = legacy.trim_start_matches("SUPPORT:");
        assert_eq!(
            js_sys::Number::parse_float(printed),
            sent.as_f64().unwrap_or(f64::NAN),
            "{legacy}"
        );
    }
}

#[wasm_bindgen_test]
fn fields_core_does_not_read_never_cross_the_bridge() {
    // Tool data beside the commands: a cycle, a BigInt and a throwing getter under fields core
    // does not read fail nothing, because they are never stringified.
    let o = js(r#"{"chart_commands":["LOAD:TSLA"],"quotes":[{"price":1}]}"#);
    Reflect::set(&o, &"self".into(), &o).expect("settable");
    Reflect::set(&o, &"n".into(), &js_sys::BigInt::from(5u64).into()).expect("settable");
    let desc = Object::new();
    let getter = js_sys::Function::new_no_args("throw new Error('boom')");
    Reflect::set(&desc, &"get".into(), &getter).expect("settable");
    Reflect::set(&desc, &"enumerable".into(), &JsValue::TRUE).expect("settable");
    Object::define_property(o.unchecked_ref::<Object>(), &"news".into(), &desc);
    let out = normalize(o).expect("normalizes");
    assert_eq!(stringify(&get(&out, "legacy")), r#"["LOAD:TSLA"]"#);
    // Objects that are not plain (a class instance, a `toJSON`) are stringified whole, as before:
    // JSON.stringify decides what they mean.
    let with_to_json = js_sys::Function::new_no_args(
        "return { toJSON() { return { chart_commands: ['ZOOM:IN'] }; }, chart_commands: ['LOAD:X'] };",
    )
    .call0(&JsValue::NULL)
    .expect("builds");
    let out = normalize(with_to_json).expect("normalizes");
    assert_eq!(stringify(&get(&out, "legacy")), r#"["ZOOM:IN"]"#);
    let boxed = js_sys::Function::new_no_args("return new String('LOAD:TSLA');")
        .call0(&JsValue::NULL)
        .expect("builds");
    let out = normalize(boxed).expect("normalizes");
    assert_eq!(stringify(&get(&out, "legacy")), r#"["LOAD:TSLA"]"#);
}

/// Values whose every touch throws something that is not an `Error`: a revoked Proxy, a Proxy
/// whose traps all throw a revoked Proxy, and objects with getters that throw those.
pub fn exotic_values() -> Vec<JsValue> {
    js_sys::Function::new_no_args(
        "const revoked = () => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; };
         const trap = () => { throw revoked(); };
         const hostile = new Proxy({}, { get: trap, getOwnPropertyDescriptor: trap, ownKeys: trap,
           getPrototypeOf: trap, has: trap });
         const throwing = (v) => Object.defineProperty({}, 'chart_commands',
           { enumerable: true, get() { throw v; } });
         const poisonedError = new Proxy(new Error('x'), { get: trap, getPrototypeOf: trap });
         return [revoked(), hostile, throwing(revoked()), throwing(hostile),
           throwing(poisonedError), [hostile], { chart_commands: [revoked()] }];",
    )
    .call0(&JsValue::NULL)
    .map(|v| Array::from(&v).to_vec())
    .expect("builds")
}

#[wasm_bindgen_test]
fn exotic_throws_become_chartgate_errors() {
    for v in exotic_values() {
        assert_error(normalize(v.clone()), "invalid_type", "[]");
        assert_error(w::validate_commands_js(v.clone()), "invalid_type", "[]");
        assert_error(w::to_legacy(v.clone()), "invalid_type", "[]");
        assert_error(w::build_chart_objects(v.clone()), "invalid_type", "[]");
        assert_error(w::parse_legacy_commands(v.clone()), "invalid_type", "[]");
        assert_error(w::parse_legacy_command(v.clone()), "invalid_type", "[]");
        assert_error(u::understand(v.clone()), "invalid_type", "[]");
        assert_error(
            w::shape_answer(v.clone(), None).map(JsValue::from),
            "invalid_type",
            "[]",
        );
        assert_error(
            w::normalize_chart_command_payload(
                JsValue::NULL,
                None,
                Some(Ts::new_unchecked(v.clone())),
            ),
            "invalid_type",
            r#"["flags"]"#,
        );
        assert_error(
            w::reader::ToolCallReaderJs::new().push(v.clone()),
            "invalid_type",
            "[]",
        );
    }
    assert_still_works();
}
