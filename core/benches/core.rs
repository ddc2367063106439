//! Criterion benches for the hot paths named in the core issue:
//! normalize a typical 6-command mixed payload (target ≤ 5 µs median), parse one legacy string
//! (≤ 200 ns), understand a 12-word request (≤ 10 µs). Run: `cargo bench -p chartgate-core`.

use chartgate_core::{normalize_chart_command_payload, parse_legacy, understand, NormalizeFlags};
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use std::hint::black_box;

fn typical_payload() -> serde_json::Value {
    json!({
        "text": "Tesla is testing support near 430 on the daily.",
        "chart_commands": ["LOAD:TSLA", "TIMEFRAME:1D", "ADD:rsi", "SUPPORT:430"],
        "chart_commands_structured": [
            {"type": "load", "payload": {"symbol": "TSLA"}, "description": "Load Tesla", "legacy": "LOAD:TSLA"},
            {"type": "indicator", "payload": {"name": "SMA", "enabled": true, "params": {"period": 50}}, "description": null, "legacy": "INDICATOR:SMA:ON:50"}
        ]
    })
}

fn benches(c: &mut Criterion) {
    let payload = typical_payload();
    c.bench_function("normalize/6-command mixed payload", |b| {
        b.iter(|| {
            normalize_chart_command_payload(black_box(&payload), None, NormalizeFlags::default())
        })
    });
    c.bench_function("parse/one legacy string", |b| {
        b.iter(|| parse_legacy(black_box("INDICATOR:SMA:ON:50")))
    });
    let request = "show me Tesla on the weekly with the 50 day moving average";
    assert_eq!(request.split_whitespace().count(), 12);
    c.bench_function("understand/12-word request", |b| {
        b.iter(|| understand(black_box(request)))
    });
}

criterion_group!(core, benches);
criterion_main!(core);
