//! Property tests: invariants that must hold for any valid input.

use proptest::prelude::*;

use ideaflow::model::Simulation;
use ideaflow::model::bass::{Bass, BassParams, NetworkKind};
use ideaflow::scenario::schema::{Bound, Field};
use ideaflow::scenario::sweep::{RangeSpec, expand_range};

use crate::util::experiment;

const P: Field = Field::float("bass.p", Bound::Incl(0.0), Bound::Open, 0.03, "");

fn network() -> impl Strategy<Value = NetworkKind> {
    prop_oneof![
        Just(NetworkKind::Complete),
        Just(NetworkKind::Ring),
        Just(NetworkKind::SmallWorld),
        Just(NetworkKind::Random)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn sweep_size_is_the_product_of_its_axes(lens in prop::collection::vec(1usize..5, 0..4), reps in 1u64..4) {
        let keys = ["bass.p", "bass.q", "bass.dt", "bass.agents"];
        let mut text = format!("model = \"bass\"\nreplicates = {reps}\nsteps = 1\n[bass]\nagents = 10\n[sweep]\n");
        for (k, &len) in keys.iter().zip(&lens) {
            let vals: Vec<String> = (1..=len).map(|i| if *k == "bass.agents" { format!("{}", 10 + i) } else { format!("0.{i}") }).collect();
            text.push_str(&format!("\"{k}\" = [{}]\n", vals.join(", ")));
        }
        let exp = experiment(&text);
        let product: usize = lens.iter().product();
        prop_assert_eq!(exp.points(), product as u64);
        prop_assert_eq!(exp.runs(), product as u64 * reps);
        // Every combination appears exactly once.
        let mut seen = std::collections::HashSet::new();
        for p in 0..exp.points() {
            let key: Vec<String> = exp.point_values(p).iter().map(|v| v.to_field()).collect();
            prop_assert!(seen.insert(key));
        }
    }

    #[test]
    fn ranges_with_steps_give_n_sorted_values_from_end_to_end(from in 0.0f64..10.0, width in 0.001f64..10.0, n in 2i64..200) {
        let to = from + width;
        let v = expand_range(&P, RangeSpec { from, to, steps: Some(n), by: None }).unwrap();
        prop_assert_eq!(v.len() as i64, n);
        let xs: Vec<f64> = v.iter().map(|x| x.as_f64().unwrap()).collect();
        prop_assert!((xs[0] - from).abs() <= 1e-11 * from.abs().max(1.0));
        prop_assert!((xs[xs.len() - 1] - to).abs() <= 1e-11 * to.abs().max(1.0));
        prop_assert!(xs.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn bass_state_stays_consistent(
        n in 2usize..300,
        p in 0.0f64..1.0,
        q in 0.0f64..3.0,
        dt in 0.01f64..2.0,
        net in network(),
        half_degree in 1usize..4,
        rewire in 0.0f64..=1.0,
        init_share in 0.0f64..=1.0,
        seed in any::<u64>(),
    ) {
        let degree = (2 * half_degree).min(if n % 2 == 0 { n - 2 } else { n - 1 }).max(2);
        prop_assume!(degree < n);
        let initial = (init_share * n as f64) as usize;
        let params = BassParams { agents: n, p, q, dt, network: net, degree, rewire, initial_adopters: initial };
        let mut sim = Bass::new(&params, seed);
        let mut out = [0.0; 4];
        sim.observe(&mut out, true);
        prop_assert_eq!(out[1] as usize, initial);
        let mut prev = out[1];
        let mut new_sum = 0.0;
        for t in 1..=30 {
            sim.step(t);
            sim.observe(&mut out, true);
            prop_assert!((0.0..=1.0).contains(&out[2]), "fraction {}", out[2]);
            prop_assert!(out[1] >= prev && out[1] <= n as f64);
            prop_assert_eq!(out[3], out[1] - prev);
            new_sum += out[3];
            prev = out[1];
        }
        prop_assert_eq!(new_sum + initial as f64, out[1]);
        if let Some(g) = sim.graph() {
            prop_assert_eq!(g.len(), n);
            if net != NetworkKind::Random {
                prop_assert_eq!(g.edge_count(), n * degree / 2);
            }
        }
    }
}
