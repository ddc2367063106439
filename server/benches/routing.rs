//! Criterion benchmarks for the routing decision (target: p99 ≤ 5 µs).
//!
//! `routing/decide/*` time `routing::decide` alone for typical inputs; `routing/decision+breaker`
//! adds the circuit-breaker admission of the tier's primary model (a mutex lock), which is what
//! the pipeline does before the first upstream call. Criterion reports means/medians; after it,
//! this bench times one million individual decisions with `Instant` and prints p50/p99/p99.9
//! (an upper bound: each sample includes the ~20 ns cost of reading the clock).
//!
//! Run: `cargo bench -p chartgate-server --bench routing`

use chartgate_core::Intent;
use chartgate_server::config::{Config, ProviderKind};
use chartgate_server::routing::{decide, Breakers, RouteInput, UserTier};
use criterion::{criterion_group, Criterion};
use std::hint::black_box;
use std::time::Instant;

fn inputs() -> Vec<(&'static str, RouteInput)> {
    let base = RouteInput {
        intent: Intent::TechnicalAnalysis,
        has_commands: false,
        user_tier: UserTier::Standard,
        in_flight: 3,
        provider: ProviderKind::OpenAi,
    };
    vec![
        (
            "fast_path",
            RouteInput {
                intent: Intent::ChartCommand,
                has_commands: true,
                ..base
            },
        ),
        ("capped", base),
        (
            "capped_and_shed",
            RouteInput {
                in_flight: 10_000,
                ..base
            },
        ),
        (
            "premium_user",
            RouteInput {
                user_tier: UserTier::Premium,
                ..base
            },
        ),
    ]
}

fn benches(c: &mut Criterion) {
    let config = Config::defaults();
    let policy = &config.routing;
    for (name, input) in inputs() {
        c.bench_function(&format!("routing/decide/{name}"), |b| {
            b.iter(|| decide(black_box(&input), black_box(policy)))
        });
    }
    let breakers = Breakers::new(policy.breaker, &config.models.all_models(), Instant::now());
    let input = inputs()[1].1;
    c.bench_function("routing/decision+breaker", |b| {
        b.iter(|| {
            let d = decide(black_box(&input), policy);
            let model = &config.models.chain(d.tier)[0];
            breakers.admit(model, Instant::now())
        })
    });
}

/// One million individually timed decisions (with breaker admission), as percentiles.
fn percentiles() {
    let config = Config::defaults();
    let policy = &config.routing;
    let breakers = Breakers::new(policy.breaker, &config.models.all_models(), Instant::now());
    let all = inputs();
    let mut samples: Vec<u64> = Vec::with_capacity(1_000_000);
    for i in 0..1_000_000usize {
        let input = &all[i % all.len()].1;
        let t = Instant::now();
        let d = decide(black_box(input), policy);
        let model = &config.models.chain(d.tier)[0];
        black_box(breakers.admit(model, Instant::now()));
        samples.push(t.elapsed().as_nanos() as u64);
    }
    samples.sort_unstable();
    let at = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    println!(
        "routing decision + breaker admission, 1e6 samples: p50 {} ns, p99 {} ns, p99.9 {} ns, max {} ns",
        at(0.50),
        at(0.99),
        at(0.999),
        samples[samples.len() - 1]
    );
}

criterion_group!(group, benches);

fn main() {
    group();
    Criterion::default().configure_from_args().final_summary();
    percentiles();
}
