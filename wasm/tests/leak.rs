//! Failed calls release everything they allocated: after a warm-up, thousands of failing and
//! succeeding calls leave the wasm memory exactly as large as it was. In its own test binary so
//! the memory is fresh (other tests grow it with multi-megabyte inputs, which would hide a leak).
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

fn cyclic() -> JsValue {
    let o = js(r#"{"chart_commands":["LOAD:TSLA"]}"#);
    Reflect::set(&o, &"self".into(), &o).expect("settable");
    o
}

#[wasm_bindgen_test]
fn failures_do_not_leak_memory() {
    let memory = wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .expect("the module's memory");
    let bytes = |m: &js_sys::WebAssembly::Memory| {
        m.buffer()
            .dyn_into::<js_sys::ArrayBuffer>()
            .expect("an ArrayBuffer")
            .byte_length()
    };
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
    let before = bytes(&memory);
    let handles = wasm_bindgen::externref_heap_live_count();
    for _ in 0..20 {
        round();
    }
    assert_eq!(bytes(&memory), before, "wasm memory grew over 12000 calls");
    assert_eq!(
        wasm_bindgen::externref_heap_live_count(),
        handles,
        "JS handles leaked"
    );
}
