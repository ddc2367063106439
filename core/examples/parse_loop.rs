//! Times `parse_legacy` on one string in a tight loop (best of 5 rounds of 2M calls), a second
//! opinion beside criterion's figure on a noisy VM:
//! `cargo run --release -p chartgate-core --example parse_loop`.
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..2_000_000 {
            black_box(chartgate_core::parse_legacy(black_box(
                "INDICATOR:SMA:ON:50",
            )));
        }
        best = best.min(t.elapsed().as_nanos() as f64 / 2e6);
    }
    println!(
        "parse_legacy(\"INDICATOR:SMA:ON:50\"): {best:.1} ns/call (best of 5 rounds of 2M calls)"
    );
}
