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
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            g.bench_function(
                format!("{name}_100k_x{STEPS}_steps_threads_{threads}"),
                |b| {
                    pool.install(|| {
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
                    })
                },
            );
        }
    }
    g.finish();
}

/// The naive physical reference: the synchronous Bass step as docs/model.md
/// §1.2 states it, one uniform per agent per step, written as the shortest plain
/// loop over the same CSR arrays, one random stream, no blocks, no keys, no
/// parallelism.
fn reference_loop(c: &mut Criterion) {
    use ideaflow::model::network::{Csr, small_world};
    use rand::{RngExt, SeedableRng};
    let n = 100_000;
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
    let g: Csr = small_world(n, 10, 0.1, &mut rng);
    let (p, q, dt) = (0.03f64, 0.38f64, 0.1f64);
    let p0 = -(-p * dt).exp_m1();
    let mut group = c.benchmark_group("bass_step");
    group.throughput(Throughput::Elements(n as u64 * STEPS));
    group.bench_function(
        format!("reference_loop_small_world_100k_x{STEPS}_steps"),
        |b| {
            b.iter_batched(
                || (vec![false; n], vec![0u32; n], Vec::<u32>::with_capacity(n)),
                |(mut adopted, mut count, mut fresh)| {
                    for _ in 0..STEPS {
                        fresh.clear();
                        for i in 0..n {
                            let u: f64 = rng.random();
                            if adopted[i] {
                                continue;
                            }
                            let a = count[i];
                            let prob = if a == 0 {
                                p0
                            } else {
                                -(-(p + q * f64::from(a) / g.degree(i) as f64) * dt).exp_m1()
                            };
                            if u < prob {
                                fresh.push(i as u32);
                            }
                        }
                        for &i in &fresh {
                            adopted[i as usize] = true;
                            for &j in g.neighbours(i as usize) {
                                count[j as usize] += 1;
                            }
                        }
                    }
                    black_box(fresh.len())
                },
                BatchSize::LargeInput,
            )
        },
    );
    group.finish();
}

/// The physical reference for ideaflow's own algorithm: the same event
/// sampling (geometric skipping for agents without adopted neighbours,
/// thinning over a list of exposed agents) written as the shortest plain
/// loop: one random stream, no blocks, no keys, no parallelism, the
/// probability computed with `exp` for each selected candidate.
fn reference_skipping(c: &mut Criterion) {
    use ideaflow::model::network::{Csr, small_world};
    use rand::{RngExt, SeedableRng};
    let n = 100_000;
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
    let g: Csr = small_world(n, 10, 0.1, &mut rng);
    let (p, q, dt) = (0.03f64, 0.38f64, 0.1f64);
    let top = -(-(p + q) * dt).exp_m1();
    let mut group = c.benchmark_group("bass_step");
    group.throughput(Throughput::Elements(n as u64 * STEPS));
    group.bench_function(
        format!("reference_skipping_small_world_100k_x{STEPS}_steps"),
        |b| {
            b.iter_batched(
                || {
                    (
                        vec![false; n],
                        vec![0u32; n],
                        Vec::<u32>::new(),
                        vec![0u32; n],
                        Vec::<u32>::new(),
                    )
                },
                |(mut adopted, mut count, mut exposed, mut place, mut fresh)| {
                    let skip = |rng: &mut rand_xoshiro::Xoshiro256PlusPlus, rate: f64| {
                        let e: f64 = rng.sample(rand_distr::Exp1);
                        e / rate
                    };
                    for _ in 0..STEPS {
                        fresh.clear();
                        let mut pos = skip(&mut rng, (p + q) * dt);
                        while pos < exposed.len() as f64 {
                            let i = exposed[pos as usize] as usize;
                            let share = f64::from(count[i]) / g.degree(i) as f64;
                            let prob = -(-(p + q * share) * dt).exp_m1() / top;
                            if rng.random::<f64>() < prob {
                                fresh.push(i as u32);
                            }
                            pos = pos.floor() + 1.0 + skip(&mut rng, (p + q) * dt);
                        }
                        let mut pos = skip(&mut rng, p * dt);
                        while pos < n as f64 {
                            let i = pos as usize;
                            if !adopted[i] && count[i] == 0 {
                                fresh.push(i as u32);
                            }
                            pos = pos.floor() + 1.0 + skip(&mut rng, p * dt);
                        }
                        for &i in &fresh {
                            let i = i as usize;
                            if count[i] > 0 {
                                let at = place[i] as usize;
                                exposed.swap_remove(at);
                                if let Some(&m) = exposed.get(at) {
                                    place[m as usize] = at as u32;
                                }
                            }
                            adopted[i] = true;
                            for &j in g.neighbours(i) {
                                let j = j as usize;
                                if !adopted[j] && count[j] == 0 {
                                    place[j] = exposed.len() as u32;
                                    exposed.push(j as u32);
                                }
                                count[j] += 1;
                            }
                        }
                    }
                    black_box(fresh.len())
                },
                BatchSize::LargeInput,
            )
        },
    );
    group.finish();
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

criterion_group!(
    benches,
    step_loop,
    reference_loop,
    reference_skipping,
    build
);
criterion_main!(benches);
