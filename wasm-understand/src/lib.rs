//! chartgate-wasm-understand: the package's second wasm module, loaded on first use
//! (`@chartgate/chart-commands/understand`, with its own `init`). It holds core's `understand`
//! (plain text → intent and chart commands, spec §7: the tokenizer, the rules, the lexicon), which
//! only pages that understand typed or spoken requests without a round trip need, so the eager
//! module (`chartgate-wasm`) stays small for every other page.
//!
//! Owns: the export's name and its argument. Must not: decide anything about chart commands
//! (core does) or throw anything but a `ChartgateError` (the boundary, `chartgate-wasm-bridge`,
//! is the eager module's).

use chartgate_core::Understanding;
use chartgate_wasm_bridge::{decode_string, encode};
use tsify::Ts;
use wasm_bindgen::prelude::*;

/// Intent and chart commands understood from a plain-text request (spec §7).
#[wasm_bindgen]
pub fn understand(
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
) -> Result<Ts<Understanding>, JsValue> {
    let text = decode_string(&text, &[], "text")?;
    Ok(Ts::new_unchecked(encode(&chartgate_core::understand(
        &text,
    ))?))
}

/// Conformance: the output of an `understand` vector for `input` (JSON text, read by the module's
/// own reader), as the JSON text the module's writer prints. Only in builds with the
/// `conformance` feature, for the TypeScript vector runner, which compares it with the native
/// results byte for byte. Every other area runs in the eager module.
#[cfg(feature = "conformance")]
#[wasm_bindgen(js_name = conformanceRunVector)]
pub fn conformance_run_vector(area: &str, input_json: &str) -> Result<String, JsValue> {
    use chartgate_core::IssueCode;
    use chartgate_wasm_bridge::{arg, Failure};
    if area != "understand" {
        return Err(Failure::new(
            IssueCode::InvalidType,
            arg("area"),
            "only understand vectors run in the understand module",
        )
        .into());
    }
    let input = chartgate_core::json::parse(input_json).map_err(|e| {
        Failure::new(
            IssueCode::InvalidType,
            arg("input"),
            format!("input is not JSON: {e}"),
        )
    })?;
    let out = chartgate_core::conformance::run_vector(area, &input)
        .map_err(|e| Failure::new(IssueCode::InvalidType, arg("area"), e))?;
    chartgate_core::json::to_string(&out).map_err(|e| Failure::internal(e.to_string()).into())
}
