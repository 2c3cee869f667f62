//! Speed of a sweep of many small runs through the whole engine (parallel
//! runs, ordered CSV writing, summaries), on one and on two threads.
//!
//! Run: `cargo bench --bench sweep` (results in docs/performance.md).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ideaflow::engine::{self, RunOptions, progress::Silent};
use ideaflow::scenario::{self, Overrides};

/// 10 points x 100 replicates of a 1,000-agent small world for 50 steps.
const SCENARIO: &str = r#"
model = "bass"
steps = 50
replicates = 100
[bass]
agents = 1000
network = "small_world"
dt = 0.1
[sweep]
"bass.q" = { from = 0.1, to = 1.0, steps = 10 }
"#;

fn sweep(c: &mut Criterion) {
    let exp = scenario::parse("bench.toml".as_ref(), SCENARIO, &Overrides::default()).expect("valid scenario");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut g = c.benchmark_group("sweep");
    g.sample_size(10);
    g.throughput(Throughput::Elements(exp.runs()));
    for threads in [1, 2] {
        g.bench_function(format!("1000_runs_threads_{threads}"), |b| {
            b.iter(|| {
                let opts = RunOptions {
                    out_dir: dir.path().join("out"),
                    threads,
                    force: true,
                    command_line: vec![],
                    progress: &Silent,
                };
                engine::run(&exp, &opts).expect("run")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, sweep);
criterion_main!(benches);
