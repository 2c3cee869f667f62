//! The Bass model against its exact answers (docs/model.md §1.4).
//!
//! Tolerances: the issue fixes 0.01 on the mean adoption fraction. Each test
//! also checks that 0.01 is at least three standard errors of the simulated
//! mean (estimated from the replicates), so the comparison can detect a
//! wrong curve rather than pass by noise.

use ideaflow::model::bass::{BassParams, NetworkKind};

use crate::util::{column, experiment, mean_se, simulate_point};

const P: f64 = 0.03;
const Q: f64 = 0.38;

/// Closed form on the complete graph as N grows (Bass 1969).
fn closed_form(t: f64) -> f64 {
    let e = (-(P + Q) * t).exp();
    (1.0 - e) / (1.0 + (Q / P) * e)
}

/// The discrete map the agents follow with dt = 1.
fn discrete_map(years: usize) -> f64 {
    let mut f = 0.0;
    for _ in 0..years {
        f += (1.0 - (-(P + Q * f)).exp()) * (1.0 - f);
    }
    f
}

fn adoption_at(text: &str, steps_wanted: &[usize]) -> Vec<(f64, f64)> {
    let exp = experiment(text);
    let runs = simulate_point(&exp, 0);
    steps_wanted
        .iter()
        .map(|&s| {
            let xs: Vec<f64> = runs
                .iter()
                .map(|r| column(&exp, r, "adoption_fraction")[s])
                .collect();
            mean_se(&xs)
        })
        .collect()
}

#[test]
fn closed_form_values_match_model_md() {
    assert!((closed_form(5.0) - 0.3312).abs() < 5e-5);
    assert!((closed_form(10.0) - 0.8128).abs() < 5e-5);
    assert!((closed_form(15.0) - 0.9716).abs() < 5e-5);
    assert!((discrete_map(5) - 0.2611).abs() < 5e-5);
    assert!((discrete_map(10) - 0.7298).abs() < 5e-5);
    assert!((discrete_map(15) - 0.9532).abs() < 5e-5);
}

#[test]
fn complete_graph_follows_the_closed_form_with_small_dt() {
    // 20,000 agents: per-run sd of F(t) is about 0.005; 12 replicates give a
    // standard error near 0.0015, so 0.01 is over 6 standard errors.
    let text = r#"
        model = "bass"
        steps = 1500
        replicates = 12
        seed = 11
        [bass]
        agents = 20000
        p = 0.03
        q = 0.38
        dt = 0.01
    "#;
    let got = adoption_at(text, &[500, 1000, 1500]);
    for ((mean, se), t) in got.into_iter().zip([5.0, 10.0, 15.0]) {
        let want = closed_form(t);
        assert!(0.01 >= 3.0 * se, "too few replicates: se {se}");
        assert!(
            (mean - want).abs() < 0.01,
            "t = {t}: simulated {mean}, closed form {want}"
        );
    }
}

#[test]
fn complete_graph_with_unit_dt_follows_the_discrete_map() {
    let text = r#"
        model = "bass"
        steps = 15
        replicates = 12
        seed = 12
        [bass]
        agents = 20000
        p = 0.03
        q = 0.38
        dt = 1
    "#;
    let got = adoption_at(text, &[5, 10]);
    for ((mean, se), t) in got.iter().zip([5, 10]) {
        let want = discrete_map(t);
        assert!(0.01 >= 3.0 * se, "too few replicates: se {se}");
        assert!(
            (mean - want).abs() < 0.01,
            "t = {t}: simulated {mean}, discrete map {want}"
        );
    }
    // ... and not the continuous curve, which differs by 0.07 at t = 5.
    assert!((got[0].0 - closed_form(5.0)).abs() > 0.05);
}

#[test]
fn ring_adopts_more_slowly_than_the_complete_graph() {
    let base = |network: &str| {
        format!(
            r#"
            model = "bass"
            steps = 100
            replicates = 8
            seed = 13
            [bass]
            agents = 10000
            dt = 0.1
            network = "{network}"
            degree = 10
        "#
        )
    };
    let (ring, ring_se) = adoption_at(&base("ring"), &[100])[0];
    let (complete, complete_se) = adoption_at(&base("complete"), &[100])[0];
    assert!(
        ring + 3.0 * ring_se < complete - 3.0 * complete_se,
        "ring {ring} (se {ring_se}) vs complete {complete} (se {complete_se})"
    );
}

#[test]
fn sparse_networks_lie_between_ring_and_complete() {
    // Fibich & Gibori (2010): the complete graph bounds sparse networks from
    // above. With rewiring, a small world moves from the ring toward it.
    let run = |network: &str, rewire: f64| {
        let text = format!(
            r#"
            model = "bass"
            steps = 100
            replicates = 8
            seed = 14
            [bass]
            agents = 10000
            dt = 0.1
            network = "{network}"
            rewire = {rewire}
        "#
        );
        adoption_at(&text, &[100])[0]
    };
    let (complete, c_se) = run("complete", 0.1);
    let (random, r_se) = run("random", 0.1);
    let (sw_low, _) = run("small_world", 0.01);
    let (sw_high, _) = run("small_world", 0.5);
    assert!(
        random < complete + 3.0 * (c_se + r_se),
        "random {random} vs complete {complete}"
    );
    assert!(
        sw_low < sw_high,
        "small world 0.01: {sw_low}, 0.5: {sw_high}"
    );
}

/// The textbook algorithm on the same network: every non-adopter draws one
/// uniform per step against `1 - exp(-(p + q A_i / K_i) dt)` (hazard p when
/// it has no ties). Returns the adopters after each step.
fn naive_run(
    sim: &ideaflow::model::bass::Bass,
    params: &BassParams,
    seed: u64,
    steps: usize,
) -> Vec<f64> {
    use rand::{RngExt, SeedableRng};
    let g = sim.graph().expect("a network");
    let n = g.len();
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x5EED);
    let mut adopted = vec![false; n];
    let mut out = Vec::with_capacity(steps);
    let mut total = 0usize;
    for _ in 0..steps {
        let fresh: Vec<usize> = (0..n)
            .filter(|&i| {
                if adopted[i] {
                    return false;
                }
                let k = g.degree(i);
                let a = g
                    .neighbours(i)
                    .iter()
                    .filter(|&&j| adopted[j as usize])
                    .count();
                let share = if k == 0 { 0.0 } else { a as f64 / k as f64 };
                let prob = 1.0 - (-(params.p + params.q * share) * params.dt).exp();
                rng.random::<f64>() < prob
            })
            .collect();
        for &i in &fresh {
            adopted[i] = true;
        }
        total += fresh.len();
        out.push(total as f64 / n as f64);
    }
    out
}

/// ideaflow's sampling (skipping and thinning) against the textbook
/// algorithm on the very same networks, at rates where thinning keeps
/// candidates with very different chances: the mean adoption curves must
/// agree. Each replicate pairs the two algorithms on one network, so the
/// difference's standard error comes from the paired differences; the
/// tolerance is 4 of them (a false alarm in about 1 of 16,000 comparisons,
/// 18 comparisons here).
#[test]
fn event_sampling_matches_the_textbook_algorithm_on_the_same_networks() {
    use ideaflow::model::Simulation;
    let cases = [
        // (network, degree, rewire, p, q, dt): a small world at the usual
        // rates; a sparse random graph with isolated agents (hazard p
        // alone); a ring with strong imitation and long steps, where the
        // acceptance ratios range from 0.2 to 1.
        (NetworkKind::SmallWorld, 6, 0.2, 0.03, 0.38, 0.2),
        (NetworkKind::Random, 2, 0.0, 0.05, 0.8, 0.25),
        (NetworkKind::Ring, 4, 0.0, 0.05, 3.0, 1.0),
    ];
    let (n, steps, reps) = (400, 30, 300);
    for (network, degree, rewire, p, q, dt) in cases {
        let params = BassParams {
            agents: n,
            p,
            q,
            dt,
            network,
            degree,
            rewire,
            initial_adopters: 0,
        };
        let mut diffs = vec![Vec::new(); steps];
        for r in 0..reps {
            let seed = 1000 + r as u64;
            let mut sim = ideaflow::model::bass::Bass::new(&params, seed);
            let naive = naive_run(&sim, &params, seed, steps);
            let mut obs = [0.0; 4];
            for t in 0..steps {
                sim.step(t as u64 + 1);
                sim.observe(&mut obs, false);
                diffs[t].push(obs[2] - naive[t]);
            }
        }
        for t in [steps / 6, steps / 2, steps - 1] {
            let (mean, se) = mean_se(&diffs[t]);
            assert!(
                mean.abs() < 4.0 * se.max(1e-4),
                "{network:?} q {q} dt {dt}, step {}: ideaflow minus textbook = {mean:.4} (se {se:.4})",
                t + 1
            );
        }
    }
}
