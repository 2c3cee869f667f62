//! Speed and memory of the climate model: employee-steps per second of the
//! weekly step at 10,000 and 1,000,000 employees (a mostly directive
//! organisation of teams of 10) on one and two threads (parallelism within
//! the run), the cost of observing the level metrics, and bytes held per
//! employee.
//!
//! Run: `cargo bench --bench climate` (results in docs/performance.md).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ideaflow::model::Simulation;
use ideaflow::model::climate::{Climate, ClimateParams};
use ideaflow::scenario::{self, Overrides};

fn params(teams_per_department: usize) -> ClimateParams {
    let text = format!(
        "[climate.organisation]\ndepartments = 10\nteams_per_department = {teams_per_department}\nteam_size = 10\n\
         [climate.leadership.mix]\ndirective = 0.7\ntransactional = 0.3\n"
    );
    let exp = scenario::parse("bench.toml".as_ref(), &text, &Overrides::default())
        .expect("valid scenario");
    ClimateParams::from_params(&exp.point(0))
}

fn step(c: &mut Criterion) {
    let mut g = c.benchmark_group("climate_step");
    for (label, tpd, samples) in [("10k", 100, 100), ("1M", 10_000, 10)] {
        let p = params(tpd);
        let mut sim = Climate::new(
            &p,
            ideaflow::rng::Seeds {
                scenario: 7,
                run: 7,
            },
        );
        // Let queues, habits and codes develop before measuring.
        for t in 1..=26 {
            sim.step(t);
        }
        eprintln!(
            "climate {label}: {} employees, {:.1} bytes per employee",
            sim.headcount(),
            sim.bytes_per_employee()
        );
        g.sample_size(samples);
        g.throughput(Throughput::Elements(sim.headcount() as u64));
        let mut t = 26;
        for threads in [1, 2] {
            // The engine runs every simulation inside its worker pool; do
            // the same here so parallel passes do not pay a hand-over.
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("thread pool");
            g.bench_function(
                format!("one_week_{label}_employees_threads_{threads}"),
                |b| {
                    pool.install(|| {
                        b.iter(|| {
                            t += 1;
                            sim.step(t);
                        })
                    })
                },
            );
        }
        let mut out = vec![0.0; ideaflow::model::ModelKind::Climate.metrics().len()];
        g.bench_function(format!("observe_levels_{label}_employees"), |b| {
            b.iter(|| {
                sim.observe(&mut out, true);
                black_box(out[0])
            })
        });
    }
    g.finish();
}

criterion_group!(benches, step);
criterion_main!(benches);
