//! `ToolCallReader` for JavaScript: core's incremental reader of the `chart_commands` tool's
//! arguments (`chartgate_core::ToolCallReader`), for a browser that receives a model's raw
//! tool-call deltas. `push(fragment)` returns the commands the fragment completed (validated as by
//! `validateCommands`, issue paths starting with the command's index) and their issues;
//! `finish()` returns the issues about whatever was left incomplete. Any way of cutting the
//! arguments into fragments gives, all pushes and the finish together, the one-shot answer.
//!
//! Must not: throw anything but a `ChartgateError`. A reader that is finished stays a valid object
//! (its core reader is gone) and answers every later call with a `reader_finished` error, so no
//! call ever reaches wasm-bindgen's own null-pointer or aliasing throws.

use crate::convert::{decode_string, encode, Failure, CODE_READER_FINISHED};
use chartgate_core::Parsed;
use tsify::Ts;
use wasm_bindgen::prelude::*;

/// Reads the `chart_commands` tool's arguments fragment by fragment (see the module docs).
#[wasm_bindgen(js_name = ToolCallReader)]
pub struct ToolCallReaderJs {
    inner: Option<chartgate_core::ToolCallReader>,
}

impl Default for ToolCallReaderJs {
    fn default() -> Self {
        ToolCallReaderJs::new()
    }
}

#[wasm_bindgen(js_class = ToolCallReader)]
impl ToolCallReaderJs {
    /// A reader at the start of the arguments.
    #[wasm_bindgen(constructor)]
    pub fn new() -> ToolCallReaderJs {
        ToolCallReaderJs {
            inner: Some(chartgate_core::ToolCallReader::new()),
        }
    }

    /// Feeds the next fragment of the arguments' text; returns the commands it completed and
    /// their issues. Throws a `ChartgateError` (`invalid_type`) when `fragment` is not a string,
    /// `reader_finished` after `finish()`.
    pub fn push(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] fragment: JsValue,
    ) -> Result<Ts<Parsed>, JsValue> {
        let fragment = decode_string(&fragment, &[], "fragment")?;
        let reader = self.inner.as_mut().ok_or_else(finished)?;
        Ok(Ts::new_unchecked(encode(&reader.push(&fragment))?))
    }

    /// Ends the arguments: the issues about whatever was left incomplete (a truncated command,
    /// an unclosed object, no `commands` field). Throws `reader_finished` when called twice.
    pub fn finish(&mut self) -> Result<Ts<Parsed>, JsValue> {
        let reader = self.inner.take().ok_or_else(finished)?;
        Ok(Ts::new_unchecked(encode(&reader.finish())?))
    }

    /// Whether `finish()` was called.
    #[wasm_bindgen(getter)]
    pub fn finished(&self) -> bool {
        self.inner.is_none()
    }
}

fn finished() -> JsValue {
    Failure::boundary(
        CODE_READER_FINISHED,
        "this ToolCallReader is finished; make a new one for the next tool call",
    )
    .into()
}
