//! Fuzz the legacy parser: never panics, and every command it returns round-trips through its
//! canonical legacy string.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let parsed = chartgate_core::parse_legacy(s);
    for c in &parsed.commands {
        let again = chartgate_core::parse_legacy(c.legacy());
        assert_eq!(again.commands.len(), 1, "{}", c.legacy());
        assert_eq!(&again.commands[0], c, "{}", c.legacy());
    }
});
