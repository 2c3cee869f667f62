//! Speed of whole sweeps through the engine (parallel runs, ordered CSV
//! writing, summaries) on one and on two threads:
//! - many small runs: 1,000 runs of a 1,000-agent small world, 50 steps;
//! - a few large runs: 4 runs of a 100,000-agent small world, 50 steps.
//!
//! Throughput is in agent-steps. Run: `cargo bench --bench sweep`
//! (results in docs/performance.md).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ideaflow::engine::{self, RunOptions};
use ideaflow::scenario::{self, Overrides};

const SMALL_RUNS: &str = r#"
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

const LARGE_RUNS: &str = r#"
model = "bass"
steps = 50
replicates = 4
[bass]
agents = 100000
network = "small_world"
dt = 0.1
"#;

fn sweep(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut g = c.benchmark_group("sweep");
    g.sample_size(10);
    for (name, text) in [
        ("1000_runs_of_1k_agents", SMALL_RUNS),
        ("4_runs_of_100k_agents", LARGE_RUNS),
    ] {
        let exp = scenario::parse("bench.toml".as_ref(), text, &Overrides::default())
            .expect("valid scenario");
        let agent_steps = exp.runs() * exp.base.u64("bass.agents") * exp.base.u64("steps");
        g.throughput(Throughput::Elements(agent_steps));
        for threads in [1, 2] {
            g.bench_function(format!("{name}/threads_{threads}"), |b| {
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
    }
    g.finish();
}

criterion_group!(benches, sweep);
criterion_main!(benches);
