//! The Bass model against its exact answers (MODEL.md §1).
//!
//! Tolerances: the issue fixes 0.01 on the mean adoption fraction. Each test
//! also checks that 0.01 is at least three standard errors of the simulated
//! mean (estimated from the replicates), so the comparison can detect a
//! wrong curve rather than pass by noise.

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
