//! Speed of the March model: one run to equilibrium, and the Figure 1
//! sweep (27 points) through the whole engine on one and two threads.
//!
//! Run: `cargo bench --bench march` (results in docs/performance.md). The
//! full 54,000-run sweep is timed with the command in docs/performance.md.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ideaflow::engine::{self, RunOptions};
use ideaflow::model::Simulation;
use ideaflow::model::march::{March, MarchParams};
use ideaflow::scenario::{self, Overrides};

fn one_run(c: &mut Criterion) {
    let mut g = c.benchmark_group("march_run");
    for (p1, p2) in [(0.1, 0.5), (0.5, 0.5), (0.9, 0.5)] {
        let p = MarchParams {
            dimensions: 30,
            individuals: 50,
            p1,
            p2,
            p3: 0.0,
            p4: 0.0,
            fast_learners: 0,
            p1_fast: 0.9,
            jump: true,
            superior_by_beliefs: false,
            stop_at_equilibrium: true,
        };
        let mut seed = 0u64;
        g.bench_function(format!("to_equilibrium_p1_{p1}_p2_{p2}"), |b| {
            b.iter(|| {
                seed += 1;
                let mut sim = March::new(&p, seed);
                let mut t = 0;
                while !sim.finished() && t < 5000 {
                    t += 1;
                    sim.step(t);
                }
                black_box(t)
            })
        });
    }
    g.finish();
}

fn fig1_sweep(c: &mut Criterion) {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/march1991-fig1.toml"
    ))
    .expect("bundled scenario");
    let overrides = Overrides {
        replicates: Some(200),
        ..Overrides::default()
    };
    let exp =
        scenario::parse("march1991-fig1.toml".as_ref(), &text, &overrides).expect("valid scenario");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut g = c.benchmark_group("march_fig1_sweep");
    g.sample_size(10);
    g.throughput(Throughput::Elements(exp.runs()));
    for threads in [1, 2] {
        g.bench_function(format!("5400_runs_threads_{threads}"), |b| {
            b.iter(|| {
                let opts = RunOptions {
                    threads,
                    force: true,
                    ..RunOptions::new(dir.path().join("out"))
                };
                engine::run(&exp, &opts).expect("run")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, one_run, fig1_sweep);
criterion_main!(benches);
