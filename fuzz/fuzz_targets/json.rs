//! Fuzz core's JSON reader and writer (what the wasm module reads and writes JSON with) against
//! serde_json: never a panic; on text serde_json accepts, the same value, printed the same (so the
//! sign of a zero counts) by both writers; text only core accepts must be a lone surrogate escape.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let ours = chartgate_core::json::parse(text);
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(want) => {
            let got = ours.expect("core::json reads what serde_json reads");
            let printed = serde_json::to_string(&want).expect("prints");
            assert_eq!(serde_json::to_string(&got).expect("prints"), printed);
            assert_eq!(chartgate_core::json::to_string(&got).expect("writes"), printed);
        }
        Err(e) => {
            // serde_json says "lone leading surrogate in hex escape", or "unexpected end of hex
            // escape" for a high surrogate not followed by `\u`; core reads both as U+FFFD.
            if ours.is_ok() {
                let m = e.to_string();
                assert!(m.contains("surrogate") || m.contains("hex escape"), "only core reads {text:?}: {m}");
            }
        }
    }
});
