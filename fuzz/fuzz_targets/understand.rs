//! Fuzz request understanding: never panics, and every command it returns is valid and
//! round-trips through its legacy string.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let u = chartgate_core::understand(s);
    assert_eq!(u.commands.len(), u.legacy.len());
    for c in &u.commands {
        let again = chartgate_core::parse_legacy(c.legacy());
        assert_eq!(again.commands.len(), 1, "{}", c.legacy());
    }
});
