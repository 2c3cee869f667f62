//! Interventions and the practice library (docs/model.md §3.5, §3.7).
//!
//! Practices are compared with the baseline replicate by replicate: each
//! practice file extends scenarios/baseline.toml and so shares its seed, so
//! replicate r of both starts from the same organisation and random
//! streams. An effect is established when the 95 % interval of the mean
//! paired difference excludes 0.

use ideaflow::output::RunRecord;
use ideaflow::scenario::{self, Experiment, Overrides};

use crate::util::{bundled, experiment, ideaflow, mean_se, read_csv, simulate_point};

const REPLICATES: u64 = 40;

fn runs(file: &str) -> (Experiment, Vec<RunRecord>) {
    let exp = scenario::load(
        &bundled(file),
        &Overrides {
            replicates: Some(REPLICATES),
            ..Overrides::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let runs = simulate_point(&exp, 0);
    (exp, runs)
}

fn col(exp: &Experiment, name: &str) -> usize {
    exp.metric_defs()
        .iter()
        .position(|m| m.name == name)
        .expect("metric")
}

/// A metric at output row `row` of every run.
fn at_row(exp: &Experiment, runs: &[RunRecord], name: &str, row: usize) -> Vec<f64> {
    let k = col(exp, name);
    let m = exp.metric_defs().len();
    runs.iter().map(|r| r.rows[row * m + k]).collect()
}

/// A count summed over output rows first..=last of every run.
fn summed(exp: &Experiment, runs: &[RunRecord], name: &str, first: usize, last: usize) -> Vec<f64> {
    (first..=last).fold(vec![0.0; runs.len()], |acc, row| {
        acc.iter()
            .zip(at_row(exp, runs, name, row))
            .map(|(a, b)| a + b)
            .collect()
    })
}

/// Mean and 95 % interval of paired differences b - a.
fn paired(a: &[f64], b: &[f64]) -> (f64, f64, f64) {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
    let (m, se) = mean_se(&d);
    (m, m - 2.02 * se, m + 2.02 * se) // t(0.975, 39) = 2.02
}

/// Output row of a step (rows every 4 weeks in the baseline).
fn row(step: usize) -> usize {
    step / 4
}

#[test]
fn a_layoff_cuts_safety_and_idea_output_and_recovery_is_slow_and_partial() {
    let (be, base) = runs("baseline.toml");
    let (le, lay) = runs("practices/layoff-30.toml");
    // Four weeks after the layoff at week 26 and at the end (week 104).
    let (soon, end) = (row(32), row(104));
    let (psi_soon, _, psi_soon_hi) = paired(
        &at_row(&be, &base, "psych_safety_mean", soon),
        &at_row(&le, &lay, "psych_safety_mean", soon),
    );
    let (psi_end, psi_end_lo, psi_end_hi) = paired(
        &at_row(&be, &base, "psych_safety_mean", end),
        &at_row(&le, &lay, "psych_safety_mean", end),
    );
    assert!(psi_soon_hi < 0.0, "safety falls: {psi_soon}");
    assert!(
        psi_end_hi < 0.0,
        "and has not recovered after 78 weeks: {psi_end}"
    );
    assert!(
        psi_end_lo > psi_soon,
        "but has partly: {psi_soon} -> {psi_end}"
    );
    // Slow: half a year after the layoff most of the drop remains.
    let (psi_half, ..) = paired(
        &at_row(&be, &base, "psych_safety_mean", row(52)),
        &at_row(&le, &lay, "psych_safety_mean", row(52)),
    );
    assert!(
        psi_half < 0.5 * psi_soon,
        "recovery is slow: {psi_soon} -> {psi_half} after 26 weeks"
    );
    // Idea output per employee in the year after the layoff.
    let per_head = |e: &Experiment, r: &[RunRecord]| -> Vec<f64> {
        let ideas = summed(e, r, "ideas_generated", row(28), row(76));
        ideas
            .iter()
            .zip(at_row(e, r, "headcount", row(76)))
            .map(|(i, h)| i / h)
            .collect()
    };
    let (d, _, hi) = paired(&per_head(&be, &base), &per_head(&le, &lay));
    assert!(hi < 0.0, "ideas per employee fall: {d}");
    let (voiced, _, voiced_hi) = paired(
        &summed(&be, &base, "ideas_voiced", row(28), row(104)),
        &summed(&le, &lay, "ideas_voiced", row(28), row(104)),
    );
    assert!(voiced_hi < 0.0, "voiced ideas fall: {voiced}");
}

#[test]
fn rewards_raise_participation_and_it_stays_higher_after_they_end() {
    let (be, base) = runs("baseline.toml");
    let (we, rew) = runs("practices/rewards-on-off.toml");
    // Rewards run from week 13 to week 52.
    let (during, lo, _) = paired(
        &at_row(&be, &base, "participation_52w", row(52)),
        &at_row(&we, &rew, "participation_52w", row(52)),
    );
    assert!(lo > 0.0, "participation rises while rewarded: {during}");
    // participation_52w at week 104 covers weeks 53-104: all after the end.
    let (after, lo, _) = paired(
        &at_row(&be, &base, "participation_52w", row(104)),
        &at_row(&we, &rew, "participation_52w", row(104)),
    );
    assert!(lo > 0.0, "and stays higher after they end: {after}");
    assert!(
        after < during,
        "though less than during: {after} vs {during}"
    );
}

#[test]
fn an_idea_platform_without_added_capacity_implements_under_ten_percent_of_its_ideas() {
    let (pe, plat) = runs("practices/idea-platform.toml");
    let (ce, cap) = runs("practices/idea-platform-with-capacity.toml");
    let total = |e: &Experiment, r: &[RunRecord], name: &str| -> f64 {
        let k = col(e, name);
        r.iter().map(|x| x.totals[k]).sum()
    };
    let submitted = total(&pe, &plat, "ideas_platform");
    let implemented = total(&pe, &plat, "platform_implemented");
    assert!(
        submitted > 1000.0,
        "the platform is used: {submitted} ideas in {REPLICATES} runs"
    );
    assert!(
        implemented / submitted < 0.10,
        "implemented share {}",
        implemented / submitted
    );
    // Added review capacity implements more of them.
    let k = col(&pe, "platform_implemented");
    let (d, lo, _) = paired(
        &plat.iter().map(|r| r.totals[k]).collect::<Vec<_>>(),
        &cap.iter().map(|r| r.totals[k]).collect::<Vec<_>>(),
    );
    assert!(lo > 0.0, "capacity implements more platform ideas: {d}");
    let _ = ce;
}

#[test]
fn a_half_hearted_dose_does_worse_than_none_in_the_first_year() {
    let (be, base) = runs("baseline.toml");
    let (he, half) = runs("practices/half-hearted-dose.toml");
    let first_year =
        |e: &Experiment, r: &[RunRecord]| summed(e, r, "innovations_implemented", 1, row(52));
    let (d, _, hi) = paired(&first_year(&be, &base), &first_year(&he, &half));
    assert!(hi < 0.0, "innovations in the first year: {d}");
    let (psi, _, psi_hi) = paired(
        &at_row(&be, &base, "psych_safety_mean", row(52)),
        &at_row(&he, &half, "psych_safety_mean", row(52)),
    );
    assert!(psi_hi < 0.0, "safety after a year: {psi}");
}

#[test]
fn an_idea_session_needs_its_follow_up() {
    let (se, without) = runs("practices/idea-session.toml");
    let (fe, with) = runs("practices/idea-session-follow-up.toml");
    let innov =
        |e: &Experiment, r: &[RunRecord]| summed(e, r, "innovations_implemented", 1, row(104));
    let (d, lo, _) = paired(&innov(&se, &without), &innov(&fe, &with));
    assert!(lo > 0.0, "the follow-up implements more: {d}");
    let expired = |e: &Experiment, r: &[RunRecord]| summed(e, r, "ideas_expired", row(16), row(28));
    let (d, _, hi) = paired(&expired(&se, &without), &expired(&fe, &with));
    assert!(hi < 0.0, "without it the session's ideas expire: {d}");
}

#[test]
fn external_partners_help_up_to_a_point_then_less() {
    // Knowledge flows in through partner ties (benefit) while each tie costs
    // work time (attention): neither is a curve built into the model. A
    // transactional organisation over three years, partners tied to 10
    // employees each.
    let text = "steps = 156\nreplicates = 30\nseed = 41\n[climate]\nburn_in = 52\n\
                [climate.leadership]\nstyle = \"transactional\"\n[output]\nevery = 156\n\
                [[interventions]]\nkind = \"external_partners\"\nname = \"partners\"\nat = 0\nties = 10\n\
                [sweep]\n\"interventions.partners.count\" = [0, 120, 480]\n";
    let exp = experiment(text);
    let knowledge = |point: u64| -> (f64, f64) {
        let runs = simulate_point(&exp, point);
        let k = col(&exp, "org_knowledge");
        mean_se(&runs.iter().map(|r| r.last[k]).collect::<Vec<_>>())
    };
    let (none, se0) = knowledge(0);
    let (some, se1) = knowledge(1);
    let (many, se2) = knowledge(2);
    let gap = |a: f64, sa: f64, b: f64, sb: f64| (a - b) - 1.96 * (sa * sa + sb * sb).sqrt();
    assert!(
        gap(some, se1, none, se0) > 0.0,
        "some partners help: {none} -> {some}"
    );
    assert!(
        gap(some, se1, many, se2) > 0.0,
        "many help less: {some} -> {many}"
    );
}

#[test]
fn interventions_can_be_swept_by_name_and_validated() {
    let exp = experiment(
        "[[interventions]]\nkind = \"leadership\"\nname = \"training\"\nstyle = \"facilitating\"\n\
         [sweep]\n\"interventions.training.at\" = [4, 13, 26]\n\"interventions.0.ramp\" = { from = 0, to = 8, by = 4 }\n",
    );
    assert_eq!(exp.points(), 9);
    assert_eq!(exp.axes[0].path(), "interventions.0.at");
    let dir = tempfile::tempdir().unwrap();
    let s = crate::util::write(
        dir.path(),
        "bad.toml",
        "[[interventions]]\nkind = \"layof\"\n[[interventions]]\nkind = \"layoff\"\nshar = 0.2\n",
    );
    ideaflow()
        .arg("validate")
        .arg(&s)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "bad.toml:2:8: `interventions.0.kind`: expected one of",
        ))
        .stderr(predicates::str::contains("did you mean `layoff`?"))
        .stderr(predicates::str::contains(
            "bad.toml:5:1: `interventions.1.shar`: expected a key of a `layoff` intervention",
        ));
    let s = crate::util::write(
        dir.path(),
        "range.toml",
        "[[interventions]]\nkind = \"rewards\"\ntarget = { departments = [7] }\n",
    );
    ideaflow()
        .arg("validate")
        .arg(&s)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "expected department indices from 0 to 3, found 7",
        ));
}

#[test]
fn every_practice_extends_the_baseline_and_says_what_it_represents() {
    let dir = crate::util::root().join("scenarios/practices");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("# "),
            "{} has no opening comment",
            path.display()
        );
        assert!(
            text.contains("extends = \"../baseline.toml\""),
            "{} does not extend the baseline",
            path.display()
        );
        let exp = scenario::load(&path, &Overrides::default()).unwrap();
        assert!(
            !exp.intervention_fields.is_empty(),
            "{} has no intervention",
            path.display()
        );
        n += 1;
    }
    assert!(n >= 15);
}

#[test]
fn compare_reports_paired_effects_with_intervals() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp");
    let run = ideaflow()
        .arg("compare")
        .arg(bundled("baseline.toml"))
        .arg(bundled("practices/facilitating-leadership-training.toml"))
        .args(["--replicates", "8", "--out"])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).to_string();
    assert!(
        stdout.contains("facilitating-leadership-training vs baseline"),
        "{stdout}"
    );
    assert!(stdout.contains("psych_safety_mean"));
    let (h, rows) = read_csv(&out.join("compare.csv"));
    assert_eq!(
        h,
        [
            "variant",
            "metric",
            "measure",
            "n",
            "baseline_mean",
            "variant_mean",
            "difference",
            "ci95_low",
            "ci95_high",
            "relative_change"
        ]
    );
    let psi = rows
        .iter()
        .find(|r| r[1] == "psych_safety_mean" && r[2] == "end")
        .unwrap();
    assert_eq!(psi[3], "8");
    let lo: f64 = psi[7].parse().unwrap();
    assert!(lo > 0.0, "training raises safety: {psi:?}");
    // Both scenarios' full outputs are there, with the same seeds.
    let (_, b) = read_csv(&out.join("baseline/runs.csv"));
    let (_, v) = read_csv(&out.join("facilitating-leadership-training/runs.csv"));
    assert_eq!(
        b.iter().map(|r| r[3].clone()).collect::<Vec<_>>(),
        v.iter().map(|r| r[3].clone()).collect::<Vec<_>>()
    );
}

#[test]
fn compare_refuses_sweeps_and_mismatched_steps() {
    let dir = tempfile::tempdir().unwrap();
    let a = crate::util::write(dir.path(), "a.toml", "steps = 10\nreplicates = 2\n");
    let b = crate::util::write(dir.path(), "b.toml", "steps = 12\nreplicates = 2\n");
    let c = crate::util::write(
        dir.path(),
        "c.toml",
        "steps = 10\nreplicates = 2\n[sweep]\n\"climate.lambda0\" = [10, 20]\n",
    );
    ideaflow()
        .arg("compare")
        .args([&a, &b, &c])
        .arg("--out")
        .arg(dir.path().join("o"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "expected steps = 10 like the baseline, found 12",
        ))
        .stderr(predicates::str::contains(
            "expected a scenario without [sweep]",
        ));
}

#[test]
fn plot_draws_the_effect_chart_of_a_comparison() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp");
    ideaflow()
        .arg("compare")
        .arg(bundled("baseline.toml"))
        .arg(bundled("practices/layoff-30.toml"))
        .args(["--replicates", "4", "--steps", "40", "-q", "--out"])
        .arg(&out)
        .assert()
        .success();
    ideaflow().arg("plot").arg(&out).assert().success();
    let effects = std::fs::read_to_string(out.join("plots/effects.svg")).unwrap();
    assert!(effects.contains("layoff-30") && effects.contains("psych_safety_mean"));
    let psi = std::fs::read_to_string(out.join("plots/psych_safety_mean.svg")).unwrap();
    assert!(psi.contains("baseline") && psi.contains("layoff-30"));
}
