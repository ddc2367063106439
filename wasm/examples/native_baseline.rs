//! Native baseline for the wasm benchmark: the same seeded corpus through the same core, natively,
//! so the wasm figures in docs/wasm.md can be read against the floor core itself sets.
//!
//! ```sh
//! cd frontend-bindings && node bench/run.mjs --dump-corpus /tmp/corpus.jsonl
//! cargo run --release -p chartgate-wasm --example native_baseline -- /tmp/corpus.jsonl
//! ```
//! Prints, per payload (median of 7 runs): core's `normalize_chart_command_payload` alone, and
//! JSON text in → normalize → JSON text out (what one wasm call does, minus the JS side).

use std::time::Instant;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() -> Result<(), String> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: native_baseline CORPUS.jsonl")?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let lines: Vec<&str> = text.lines().collect();
    let items: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let flags_of = |v: &serde_json::Value| -> chartgate_core::NormalizeFlags {
        serde_json::from_value(v["flags"].clone()).unwrap_or_default()
    };
    let flags: Vec<chartgate_core::NormalizeFlags> = items.iter().map(flags_of).collect();
    let (mut core_ns, mut full_ns) = (Vec::new(), Vec::new());
    let mut sink = 0usize;
    for _ in 0..10 {
        let t = Instant::now();
        for (it, flags) in items.iter().zip(&flags) {
            let out = chartgate_core::normalize_chart_command_payload(
                &it["input"],
                it["responseText"].as_str(),
                *flags,
            );
            sink += out.commands.len();
        }
        core_ns.push(t.elapsed().as_nanos() as f64 / items.len() as f64);
        let t = Instant::now();
        for line in &lines {
            let it: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
            let out = chartgate_core::normalize_chart_command_payload(
                &it["input"],
                it["responseText"].as_str(),
                flags_of(&it),
            );
            sink += serde_json::to_string(&out)
                .map_err(|e| e.to_string())?
                .len();
        }
        full_ns.push(t.elapsed().as_nanos() as f64 / items.len() as f64);
    }
    // The first 3 rounds are warm-up.
    let core = median(core_ns.split_off(3));
    let full = median(full_ns.split_off(3));
    println!("{} payloads from {path}", items.len());
    println!("native core normalize:              {core:.0} ns/payload (median of 7 runs)");
    println!("native JSON in + normalize + JSON out: {full:.0} ns/payload (median of 7 runs)");
    println!("(sink {sink})");
    Ok(())
}
