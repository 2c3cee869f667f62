//! Speed of the Bass model: agent-steps per second of the step loop on a
//! small world and on the complete graph, and the cost of building networks.
//!
//! Run: `cargo bench --bench bass` (results in docs/performance.md).

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ideaflow::model::Simulation;
use ideaflow::model::bass::{Bass, BassParams, NetworkKind};

const STEPS: u64 = 50;

fn params(agents: usize, network: NetworkKind) -> BassParams {
    BassParams {
        agents,
        p: 0.03,
        q: 0.38,
        dt: 0.1,
        network,
        degree: 10,
        rewire: 0.1,
        initial_adopters: 0,
    }
}

fn step_loop(c: &mut Criterion) {
    let mut g = c.benchmark_group("bass_step");
    for (name, network) in [
        ("small_world", NetworkKind::SmallWorld),
        ("complete", NetworkKind::Complete),
    ] {
        let n = 100_000;
        let p = params(n, network);
        // 50 steps of dt = 0.1 take adoption from 0 to about 0.5: a mix of
        // agents with and without adopted neighbours.
        g.throughput(Throughput::Elements(n as u64 * STEPS));
        g.bench_function(format!("{name}_100k_x{STEPS}_steps"), |b| {
            b.iter_batched(
                || Bass::new(&p, 42),
                |mut sim| {
                    for t in 1..=STEPS {
                        sim.step(t);
                    }
                    black_box(sim.adopters())
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

fn build(c: &mut Criterion) {
    let mut g = c.benchmark_group("bass_build");
    g.sample_size(20);
    for (name, network) in [
        ("small_world", NetworkKind::SmallWorld),
        ("random", NetworkKind::Random),
    ] {
        let p = params(100_000, network);
        g.throughput(Throughput::Elements(100_000));
        g.bench_function(format!("{name}_100k"), |b| {
            b.iter(|| black_box(Bass::new(&p, 7).adopters()))
        });
    }
    g.finish();
}

criterion_group!(benches, step_loop, build);
criterion_main!(benches);
