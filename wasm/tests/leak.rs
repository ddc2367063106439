//! Failed calls release everything they allocated: after a warm-up, thousands of failing and
//! succeeding calls leave the wasm memory exactly as large as it was, and the externref table
//! holds as many live handles. In its own test binary so the memory is fresh (other tests grow it
//! with multi-megabyte inputs, which would hide a leak).
//!
//! Exotic throws (a revoked Proxy, a Proxy whose traps throw) used to escape through the wasm
//! frames: each leaked a table slot and a shadow-stack frame, and after about a thousand calls
//! every call failed with `memory access out of bounds`. The second test makes more than a
//! thousand such calls and checks each is a `ChartgateError` and nothing leaks.
#![cfg(target_arch = "wasm32")]

use chartgate_wasm as w;
use js_sys::{Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

fn js(text: &str) -> JsValue {
    JSON::parse(text).expect("test JSON is valid")
}

fn normalize(input: JsValue) -> Result<JsValue, JsValue> {
    w::normalize_chart_command_payload(input, None, None).map(JsValue::from)
}

/// A payload whose read field (`chart_commands`) holds a cycle.
fn cyclic() -> JsValue {
    let list = js(r#"["LOAD:TSLA"]"#);
    list.unchecked_ref::<js_sys::Array>().push(&list);
    let o = js("{}");
    Reflect::set(&o, &"chart_commands".into(), &list).expect("settable");
    o
}

fn memory_bytes() -> u32 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .expect("the module's memory")
        .buffer()
        .dyn_into::<js_sys::ArrayBuffer>()
        .expect("an ArrayBuffer")
        .byte_length()
}

/// Whether `e` is a `ChartgateError` (a real `Error` named so, with a string `code`).
fn is_chartgate_error(e: &JsValue) -> bool {
    e.is_instance_of::<js_sys::Error>()
        && Reflect::get(e, &"name".into())
            .ok()
            .and_then(|n| n.as_string())
            .as_deref()
            == Some("ChartgateError")
        && Reflect::get(e, &"code".into()).is_ok_and(|c| c.is_string())
}

/// The same values as boundary.rs's `exotic_values` (a test binary cannot import another's).
fn exotic_values() -> Vec<JsValue> {
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
    .map(|v| js_sys::Array::from(&v).to_vec())
    .expect("builds")
}

#[wasm_bindgen_test]
fn failures_do_not_leak_memory() {
    // A caught exception costs ~30 ms in Chromium under WebDriver (node: ~0.1 ms), so the
    // `JSON.stringify` failure path (cycles) runs a few times per round, the others 200 times.
    let round = || {
        for i in 0..200 {
            if i % 40 == 0 {
                assert!(normalize(cyclic()).is_err());
            }
            assert!(w::to_legacy(js(r#"{"type":"nope"}"#)).is_err());
            assert!(w::parse_legacy_commands(js("[1]")).is_err());
            assert!(normalize(js(r#"{"chart_commands":["LOAD:TSLA","BOGUS:1"]}"#)).is_ok());
        }
    };
    round();
    let before = memory_bytes();
    let handles = wasm_bindgen::externref_heap_live_count();
    for _ in 0..20 {
        round();
    }
    assert_eq!(memory_bytes(), before, "wasm memory grew over 12000 calls");
    assert_eq!(
        wasm_bindgen::externref_heap_live_count(),
        handles,
        "JS handles leaked"
    );
}

#[wasm_bindgen_test]
fn exotic_throws_leak_nothing_over_a_thousand_calls() {
    let values = exotic_values();
    let round = |values: &[JsValue]| {
        for v in values {
            let e = normalize(v.clone()).expect_err("an exotic value is no payload");
            assert!(is_chartgate_error(&e), "escaped as itself: {e:?}");
            let e = chartgate_wasm_understand::understand(v.clone())
                .map(JsValue::from)
                .expect_err("an exotic value is no text");
            assert!(is_chartgate_error(&e), "escaped as itself: {e:?}");
        }
    };
    round(&values);
    let before = memory_bytes();
    let handles = wasm_bindgen::externref_heap_live_count();
    // 7 values × 2 calls × 80 rounds = 1,120 calls, past the ~1,000 at which the old module broke.
    for _ in 0..80 {
        round(&values);
    }
    assert_eq!(
        memory_bytes(),
        before,
        "wasm memory grew over 1,120 exotic calls"
    );
    assert_eq!(
        wasm_bindgen::externref_heap_live_count(),
        handles,
        "JS handles leaked"
    );
    assert!(
        normalize(js(r#"["LOAD:TSLA"]"#)).is_ok(),
        "the module still answers"
    );
}
