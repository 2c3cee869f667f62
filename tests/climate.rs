//! The climate model: calibration ranges of the bundled scenarios
//! (docs/model.md §3.7), behaviour (§3.4, §3.7), invariants, teams.csv.
//!
//! Each comparison uses the 95 % interval of the mean across replicates
//! (mean ± 1.96 standard errors): a range test requires the whole interval
//! inside the published range, a difference test requires the two intervals
//! not to overlap.

use proptest::prelude::*;

use ideaflow::output::RunRecord;
use ideaflow::scenario::{self, Experiment, Overrides};

use crate::util::{bundled, experiment, ideaflow, mean_se, read_csv, simulate_point, write};

fn metric(exp: &Experiment, rec: &RunRecord, name: &str, total: bool) -> f64 {
    let k = exp
        .metric_defs()
        .iter()
        .position(|m| m.name == name)
        .expect("metric");
    if total { rec.totals[k] } else { rec.last[k] }
}

fn interval(xs: &[f64]) -> (f64, f64, f64) {
    let (m, se) = mean_se(xs);
    (m, m - 1.96 * se, m + 1.96 * se)
}

/// (ideas voiced per employee per year, participation, share adopted) of
/// every run, as calibrated (docs/model.md §3.7.1: adopted = accepted / voiced).
fn calibration(file: &str, replicates: u64) -> [Vec<f64>; 3] {
    let overrides = Overrides {
        replicates: Some(replicates),
        ..Overrides::default()
    };
    let exp = scenario::load(&bundled(file), &overrides).unwrap();
    let years = exp.base.f64("steps") * exp.base.f64("climate.weeks_per_step") / 52.0;
    let runs = simulate_point(&exp, 0);
    let mut out = [Vec::new(), Vec::new(), Vec::new()];
    for r in &runs {
        let voiced = metric(&exp, r, "ideas_voiced", true);
        let headcount = metric(&exp, r, "headcount", false);
        out[0].push(voiced / headcount / years);
        out[1].push(metric(&exp, r, "participation_52w", false));
        out[2].push(metric(&exp, r, "ideas_accepted", true) / voiced);
    }
    out
}

fn assert_in(name: &str, xs: &[f64], lo: f64, hi: f64) {
    let (m, a, b) = interval(xs);
    assert!(
        lo <= a && b <= hi,
        "{name}: mean {m:.4}, 95 % CI {a:.4}-{b:.4}, outside {lo}-{hi}"
    );
}

#[test]
fn western_and_baseline_land_in_the_suggestion_system_ranges() {
    for file in ["baseline.toml", "western-suggestion-box.toml"] {
        let [ideas, participation, adopted] = calibration(file, 40);
        assert_in(
            &format!("{file} ideas per employee per year"),
            &ideas,
            0.16,
            2.4,
        );
        assert_in(&format!("{file} participation"), &participation, 0.08, 0.13);
        assert_in(&format!("{file} adopted"), &adopted, 0.22, 0.35);
    }
}

#[test]
fn kaizen_lands_in_the_kaizen_ranges() {
    let [ideas, participation, adopted] = calibration("kaizen.toml", 40);
    assert_in("kaizen ideas per employee per year", &ideas, 24.0, 47.0);
    assert_in("kaizen participation", &participation, 0.60, 0.95);
    assert_in("kaizen adopted", &adopted, 0.82, 0.96);
}

fn by_style(style: &str, name: &str, total: bool) -> Vec<f64> {
    let text = format!(
        "steps = 52\nreplicates = 20\nseed = 31\n[climate]\nburn_in = 52\n[climate.leadership]\nstyle = \"{style}\"\n"
    );
    let exp = experiment(&text);
    simulate_point(&exp, 0)
        .iter()
        .map(|r| metric(&exp, r, name, total))
        .collect()
}

#[test]
fn facilitating_leadership_beats_directive_on_voice_innovation_and_safety() {
    for (name, total) in [
        ("ideas_voiced", true),
        ("innovations_implemented", true),
        ("psych_safety_mean", false),
    ] {
        let (d, _, d_hi) = interval(&by_style("directive", name, total));
        let (f, f_lo, _) = interval(&by_style("facilitating", name, total));
        assert!(f_lo > d_hi, "{name}: facilitating {f} vs directive {d}");
    }
}

#[test]
fn higher_psychological_safety_keeps_belief_diversity_higher() {
    // Safety held fixed at its initial level (no climate dynamics), same
    // leaders: only safety differs.
    let run = |psi: f64| {
        let text = format!(
            "steps = 104\nreplicates = 20\nseed = 32\n[climate.employees]\npsych_safety_mean = {psi}\n\
             [climate.dynamics]\nkappa = 0\nheard = 0\ndismissed = 0\n\
             [climate.experiment]\nfailure_psi_cost = 0\nfailure_team_psi_cost = 0\n\
             [climate.leadership]\nstyle = \"transactional\"\n"
        );
        let exp = experiment(&text);
        let xs: Vec<f64> = simulate_point(&exp, 0)
            .iter()
            .map(|r| metric(&exp, r, "belief_diversity", false))
            .collect();
        interval(&xs)
    };
    let (low, _, low_hi) = run(0.2);
    let (high, high_lo, _) = run(0.8);
    assert!(
        high_lo > low_hi,
        "diversity with psi 0.8: {high}, with psi 0.2: {low}"
    );
}

#[test]
fn more_review_capacity_reviews_a_larger_share_of_voiced_ideas() {
    let run = |capacity: f64| {
        let text = format!(
            "steps = 52\nreplicates = 20\nseed = 33\n[climate]\nburn_in = 26\n\
             [climate.leadership]\nstyle = \"transactional\"\n[climate.review]\ncapacity = {capacity}\n"
        );
        let exp = experiment(&text);
        let xs: Vec<f64> = simulate_point(&exp, 0)
            .iter()
            .map(|r| {
                metric(&exp, r, "ideas_reviewed", true) / metric(&exp, r, "ideas_voiced", true)
            })
            .collect();
        interval(&xs)
    };
    let (small, _, small_hi) = run(0.25);
    let (large, large_lo, _) = run(2.0);
    assert!(
        large_lo > small_hi,
        "reviewed share with capacity 2: {large}, 0.25: {small}"
    );
}

#[test]
fn teams_csv_has_a_row_per_team_and_output_step() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(
        dir.path(),
        "t.toml",
        "steps = 10\nreplicates = 2\n[climate.organisation]\ndepartments = 2\nteams_per_department = 3\n\
         [output]\nevery = 5\nteams = true\n",
    );
    let out = dir.path().join("out");
    ideaflow()
        .arg("run")
        .arg(&s)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let (h, rows) = read_csv(&out.join("teams.csv"));
    assert_eq!(
        h,
        [
            "run_id",
            "point_id",
            "replicate",
            "seed",
            "step",
            "team",
            "department",
            "size",
            "psych_safety",
            "motivation",
            "ideas_voiced",
            "ideas_accepted",
            "innovations_implemented",
            "code_score"
        ]
    );
    assert_eq!(rows.len(), 2 * 3 * 6); // runs x rows (0, 5, 10) x teams
    // Team counts add up to the organisation's.
    let (th, ts) = read_csv(&out.join("timeseries.csv"));
    let voiced = th.iter().position(|c| c == "ideas_voiced").unwrap();
    for run in ["0", "1"] {
        for step in ["5", "10"] {
            let team_sum: u64 = rows
                .iter()
                .filter(|r| r[0] == run && r[4] == step)
                .map(|r| r[10].parse::<u64>().unwrap())
                .sum();
            let org: u64 = ts.iter().find(|r| r[0] == run && r[4] == step).unwrap()[voiced]
                .parse()
                .unwrap();
            assert_eq!(team_sum, org);
        }
    }
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["rows"]["teams"], 36);
}

#[test]
fn teams_output_is_refused_for_models_without_teams() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(
        dir.path(),
        "t.toml",
        "model = \"bass\"\n[output]\nteams = true\n",
    );
    ideaflow()
        .arg("validate")
        .arg(&s)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "expected teams = false for model \"bass\"",
        ));
}

#[test]
fn burn_in_settles_the_organisation_before_step_0() {
    let exp = experiment("steps = 1\nreplicates = 3\nseed = 34\n[climate]\nburn_in = 60\n");
    for r in simulate_point(&exp, 0) {
        // Step 0 follows 60 simulated weeks: some employees have voiced.
        assert!(
            r.rows[exp
                .metric_defs()
                .iter()
                .position(|m| m.name == "participation_52w")
                .unwrap()]
                > 0.0
        );
        // Counts restart at step 0.
        assert!(r.rows[0].abs() < 1e-12, "ideas_generated at step 0");
    }
}

#[test]
fn climate_runs_are_identical_across_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for (out, threads) in [(&a, "1"), (&b, "2")] {
        ideaflow()
            .arg("run")
            .arg(bundled("kaizen.toml"))
            .args([
                "--replicates",
                "4",
                "--steps",
                "30",
                "--threads",
                threads,
                "--out",
            ])
            .arg(out)
            .assert()
            .success();
    }
    for f in ["timeseries.csv", "runs.csv", "summary.csv"] {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{f} differs"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn shares_stay_in_the_unit_interval_and_headcount_positive(
        departments in 1usize..4,
        teams in 1usize..4,
        size in 2usize..12,
        psi in 0.05f64..0.95,
        style in prop::sample::select(vec!["directive", "transactional", "facilitating", "laissez_faire", "ambidextrous"]),
        mode in prop::sample::select(vec!["delegated", "leader", "team", "central"]),
        platform in any::<bool>(),
        partners in 0usize..6,
        turnover in 0.0f64..1.0,
        seed in 0u64..1000,
    ) {
        let text = format!(
            "steps = 40\nreplicates = 1\nseed = {seed}\n\
             [climate.organisation]\ndepartments = {departments}\nteams_per_department = {teams}\nteam_size = {size}\n\
             [climate.employees]\npsych_safety_mean = {psi}\npsych_safety_sd = 0.04\n\
             [climate.leadership]\nstyle = \"{style}\"\n[climate.review]\nmode = \"{mode}\"\n\
             [climate.platform]\nenabled = {platform}\n[climate.partners]\ncount = {partners}\n\
             [climate.turnover]\nrate = {turnover}\n"
        );
        let exp = experiment(&text);
        let defs = exp.metric_defs();
        let rec = &simulate_point(&exp, 0)[0];
        let shares = ["good_idea_share", "org_knowledge", "belief_diversity", "psych_safety_mean", "psych_safety_sd",
            "motivation_mean", "voice_rate", "participation_52w", "withholding_52w"];
        for row in rec.rows.chunks(defs.len()) {
            for (v, d) in row.iter().zip(&defs) {
                if shares.contains(&d.name) {
                    prop_assert!(v.is_nan() || (-1.0..=1.0).contains(v), "{} = {v}", d.name);
                    if d.name != "org_knowledge" {
                        prop_assert!(v.is_nan() || *v >= 0.0, "{} = {v}", d.name);
                    }
                } else if d.name == "headcount" {
                    prop_assert_eq!(*v, (departments * teams * size) as f64);
                } else if d.name != "psych_safety_icc" {
                    prop_assert!(*v >= 0.0, "{} = {v}", d.name);
                }
            }
        }
    }
}

#[test]
fn the_organisation_comes_from_the_scenario_seed_and_people_from_the_run_seed() {
    let dir = tempfile::tempdir().unwrap();
    let text = |seed: u64| {
        format!(
            "steps = 1\nreplicates = 3\nseed = {seed}\n[climate.organisation]\nteam_size_distribution = \"uniform\"\n\
             team_size_min = 3\nteam_size_max = 20\nteam_size = 10\n[output]\nteams = true\n"
        )
    };
    let sizes_and_psi = |seed: u64| {
        let s = write(dir.path(), &format!("s{seed}.toml"), &text(seed));
        let out = dir.path().join(format!("out{seed}"));
        ideaflow()
            .arg("run")
            .arg(&s)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        let (_, rows) = read_csv(&out.join("teams.csv"));
        let at0: Vec<&Vec<String>> = rows.iter().filter(|r| r[4] == "0").collect();
        let by_run = |run: &str| -> (Vec<String>, Vec<String>) {
            let mine: Vec<&&Vec<String>> = at0.iter().filter(|r| r[0] == run).collect();
            (
                mine.iter().map(|r| r[7].clone()).collect(),
                mine.iter().map(|r| r[8].clone()).collect(),
            )
        };
        (by_run("0"), by_run("1"), by_run("2"))
    };
    let (a0, a1, a2) = sizes_and_psi(5);
    assert_eq!(a0.0, a1.0, "team sizes differ between replicates");
    assert_eq!(a0.0, a2.0);
    assert_ne!(a0.1, a1.1, "people should differ between replicates");
    let (b0, _, _) = sizes_and_psi(6);
    assert_ne!(
        a0.0, b0.0,
        "another scenario seed builds another organisation"
    );
}

#[test]
fn review_capacity_is_never_exceeded() {
    // One team whose leader reviews 2 ideas a week in a voice-rich climate:
    // unused review time must not pile up into later weeks.
    let exp = experiment(
        "steps = 600\nreplicates = 2\nseed = 35\n[climate.organisation]\ndepartments = 1\nteams_per_department = 1\n\
         [climate.leadership]\nstyle = \"facilitating\"\n[climate.review]\nmode = \"leader\"\ncapacity = 2\n",
    );
    for r in simulate_point(&exp, 0) {
        let k = exp
            .metric_defs()
            .iter()
            .position(|m| m.name == "ideas_reviewed")
            .unwrap();
        let most = r
            .rows
            .chunks(exp.metric_defs().len())
            .map(|row| row[k])
            .fold(0.0, f64::max);
        assert!(
            most <= 2.0,
            "{most} ideas reviewed in one week with capacity 2"
        );
        assert!(most >= 1.0);
    }
}
