//! Fuzz normalization: any JSON the parser accepts normalizes without panicking, under every
//! flag combination, and normalizing the output again gives the same commands.
#![no_main]

use chartgate_core::{normalize_chart_command_payload, NormalizeFlags};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flag_byte, json)) = data.split_first() else { return };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(json) else { return };
    let flags = NormalizeFlags { prefer_structured: flag_byte & 1 == 1, structured_objects: flag_byte & 2 == 2 };
    let once = normalize_chart_command_payload(&v, None, flags);
    let wire = serde_json::to_value(&once).expect("output serializes");
    let twice = normalize_chart_command_payload(&wire, None, flags);
    assert_eq!(once.commands, twice.commands);
    assert_eq!(once.structured, twice.structured);
    assert_eq!(once.legacy, twice.legacy);
});
