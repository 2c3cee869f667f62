//! The March (1991) model against the published replication (docs/model.md §2.6)
//! and its invariants.
//!
//! Tolerances: per-run sd of the equilibrium code score is 0.04–0.11, so 500
//! replicates give a standard error of at most 0.005; the tolerance
//! of 0.02 is then at least 4 standard errors. Each test checks that the
//! observed standard error keeps the tolerance above 3 of them.

use proptest::prelude::*;

use ideaflow::model::Simulation;
use ideaflow::model::knowledge::Ternary;
use ideaflow::model::march::{March, MarchParams};

use crate::util::{experiment, ideaflow, mean_se, read_csv, simulate_point, write};

/// Final code scores of `replicates` runs at (p1, p2) with extra settings.
fn equilibrium_scores(p1: f64, p2: f64, replicates: u64, extra: &str) -> (f64, f64) {
    let text = format!(
        "model = \"march\"\nsteps = 3000\nreplicates = {replicates}\nseed = 77\n\
         [output]\nevery = 3000\nmetrics = [\"code_score\"]\n[march]\np1 = {p1}\np2 = {p2}\n{extra}\n"
    );
    let exp = experiment(&text);
    let finals: Vec<f64> = simulate_point(&exp, 0).iter().map(|r| r.last[0]).collect();
    mean_se(&finals)
}

#[test]
fn equilibrium_code_score_matches_the_published_table() {
    // (p1, p2, published equilibrium code score)
    for (p1, p2, want) in [
        (0.1, 0.5, 0.954),
        (0.9, 0.5, 0.740),
        (0.5, 0.9, 0.840),
        (0.1, 0.1, 0.863),
    ] {
        let (mean, se) = equilibrium_scores(p1, p2, 500, "");
        assert!(
            0.02 >= 3.0 * se,
            "too few replicates at ({p1}, {p2}): se {se}"
        );
        assert!(
            (mean - want).abs() < 0.02,
            "p1 = {p1}, p2 = {p2}: simulated {mean}, published {want}"
        );
    }
}

#[test]
fn score_falls_with_socialisation_when_code_learning_is_not_slow() {
    let pts: Vec<(f64, f64)> = [0.1, 0.5, 0.9]
        .iter()
        .map(|&p1| equilibrium_scores(p1, 0.5, 300, ""))
        .collect();
    for w in pts.windows(2) {
        let ((a, sa), (b, sb)) = (w[0], w[1]);
        assert!(a - b > 3.0 * (sa * sa + sb * sb).sqrt(), "{pts:?}");
    }
}

#[test]
fn slow_code_learning_beats_fast_at_fast_socialisation() {
    let (slow, s1) = equilibrium_scores(0.9, 0.1, 500, "");
    let (fast, s2) = equilibrium_scores(0.9, 0.9, 500, "");
    assert!(
        slow - fast > 3.0 * (s1 * s1 + s2 * s2).sqrt(),
        "p2 = 0.1: {slow}, p2 = 0.9: {fast}"
    );
}

#[test]
fn stepwise_code_update_gives_lower_knowledge_than_jump() {
    let (jump, s1) = equilibrium_scores(0.5, 0.5, 1000, "code_update = \"jump\"");
    let (step, s2) = equilibrium_scores(0.5, 0.5, 1000, "code_update = \"stepwise\"");
    let diff = jump - step;
    assert!(
        diff > 3.0 * (s1 * s1 + s2 * s2).sqrt(),
        "jump {jump}, stepwise {step}"
    );
    // docs/model.md §2.3: stepwise lowers equilibrium knowledge by about 0.03-0.05.
    assert!((0.015..0.065).contains(&diff), "difference {diff}");
}

#[test]
fn a_mix_of_fast_and_slow_learners_beats_a_homogeneous_population_of_the_same_mean_rate() {
    let (mixed, s1) = equilibrium_scores(0.1, 0.5, 300, "fast_learners = 25\np1_fast = 0.9");
    let (homogeneous, s2) = equilibrium_scores(0.5, 0.5, 300, "");
    assert!(
        mixed - homogeneous > 3.0 * (s1 * s1 + s2 * s2).sqrt(),
        "mixed {mixed}, homogeneous {homogeneous}"
    );
}

#[test]
fn turnover_keeps_knowledge_up_under_turbulence() {
    let at = |p3: f64| {
        let text = format!(
            "model = \"march\"\nsteps = 200\nreplicates = 200\nseed = 78\n[output]\nevery = 200\n\
             [march]\np1 = 0.5\np2 = 0.5\np3 = {p3}\np4 = 0.02\n"
        );
        let exp = experiment(&text);
        let runs = simulate_point(&exp, 0);
        assert!(
            runs.iter().all(|r| r.run_values[0].is_nan()),
            "no equilibrium with turbulence"
        );
        mean_se(&runs.iter().map(|r| r.last[0]).collect::<Vec<_>>())
    };
    let (none, s1) = at(0.0);
    let (some, s2) = at(0.1);
    assert!(
        some - none > 3.0 * (s1 * s1 + s2 * s2).sqrt(),
        "p3 = 0: {none}, p3 = 0.1: {some}"
    );
}

#[test]
fn runs_csv_records_the_equilibrium_step() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(
        dir.path(),
        "m.toml",
        "model = \"march\"\nsteps = 1000\nreplicates = 5\n[output]\nevery = 1000\n[sweep]\n\"march.p3\" = [0.0, 0.1]\n",
    );
    let out = dir.path().join("out");
    ideaflow()
        .arg("run")
        .arg(&s)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let (h, rows) = read_csv(&out.join("runs.csv"));
    assert_eq!(h.last().unwrap(), "equilibrium_step");
    let eq = h.iter().position(|c| c == "at_equilibrium").unwrap();
    for r in &rows {
        let step = r.last().unwrap();
        if r[4] == "0" {
            let s: u64 = step.parse().expect("an equilibrium step without turnover");
            assert!(s > 0 && s < 1000);
            assert_eq!(r[eq], "1");
        } else {
            assert!(step.is_empty(), "turnover has no equilibrium, found {step}");
        }
    }
    // The settled state stands for the remaining steps: the last row is at step 1000.
    let (th, ts) = read_csv(&out.join("timeseries.csv"));
    let step = th.iter().position(|c| c == "step").unwrap();
    assert!(ts.iter().filter(|r| r[step] == "1000").count() == 10);
}

#[test]
fn a_table_of_another_model_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(
        dir.path(),
        "bad.toml",
        "model = \"bass\"\n[bass]\nagents = 10\n[march]\np1 = 0.5\n",
    );
    ideaflow()
        .arg("validate")
        .arg(&s)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "bad.toml:5:6: `march.p1`: expected only tables of model \"bass\", found a [march] table",
        ));
}

fn canonical(t: Ternary, mask: u64) -> bool {
    t.pos & !t.nz == 0 && t.nz & !mask == 0
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn beliefs_and_code_stay_ternary_and_equilibrium_means_agreement(
        m in 1u32..=64,
        n in 1usize..60,
        p1 in 0.0f64..=1.0,
        p2 in 0.0f64..=1.0,
        p3 in prop_oneof![Just(0.0), 0.0f64..0.2],
        p4 in prop_oneof![Just(0.0), 0.0f64..0.1],
        fast_share in 0.0f64..=1.0,
        jump in any::<bool>(),
        by_beliefs in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let params = MarchParams {
            dimensions: m,
            individuals: n,
            p1,
            p2,
            p3,
            p4,
            fast_learners: (fast_share * n as f64) as usize,
            p1_fast: 0.9,
            jump,
            superior_by_beliefs: by_beliefs,
            stop_at_equilibrium: false,
        };
        let mut sim = March::new(&params, seed);
        let mask = sim.dims().mask();
        let mut out = [0.0; 6];
        for t in 1..=60 {
            sim.step(t);
            prop_assert!(canonical(sim.code(), mask));
            prop_assert!(sim.reality() & !mask == 0);
            for &b in sim.beliefs() {
                prop_assert!(canonical(b, mask));
                for d in 0..m {
                    prop_assert!((-1..=1).contains(&b.get(d)));
                }
            }
            sim.observe(&mut out, true);
            prop_assert!((-1.0..=1.0).contains(&out[0]));
            for &share in &out[1..3] {
                prop_assert!((0.0..=1.0).contains(&share));
            }
            prop_assert!(out[3].is_nan() || (0.0..=1.0).contains(&out[3]));
            prop_assert!(out[4] <= n as f64);
            if sim.at_equilibrium() {
                prop_assert!(sim.beliefs().iter().all(|&b| b == sim.code()));
                prop_assert_eq!(sim.code().nz, mask);
                prop_assert!(out[3] == 0.0 || n < 2, "diversity at equilibrium {}", out[3]);
            }
            if let Some(s) = sim.equilibrium_step() {
                prop_assert!(p3 <= 0.0 && p4 <= 0.0 && s <= t);
            }
        }
    }
}
