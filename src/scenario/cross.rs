//! Checks across fields at every sweep point: each model check runs on
//! the combinations of the swept values of the fields it reads (bounded;
//! see [`check_points`]), and each problem found is reported once, at the
//! first field the user touched, with its first sweep point and how many
//! points have it.

use std::ops::Range;

use super::diagnostic::Collector;
use super::sweep::{self, Axis};
use super::walk::Set;
use crate::model::{Issue, ModelKind};
use crate::param::ParamSet;

/// A cross-field problem, the first sweep point where it occurs and how
/// many points have it.
#[derive(Debug, PartialEq)]
pub(super) struct PointIssue {
    issue: Issue,
    first: u64,
    count: u64,
}

/// Most combinations of swept values one cross-field check is run on
/// (about a second of checking for the slowest check).
pub const MAX_CHECKED_COMBINATIONS: u64 = 200_000;

/// The model's cross-field issues over every sweep point: each distinct
/// issue with its first point and how many points have it (at most 50
/// distinct issues). Each check ([`ModelKind::checks`]) is run on every
/// combination of the swept values of the fields it reads, the other axes
/// held at their first value: points that differ only in other fields get
/// the same issues from it, so each issue found counts once for each of
/// their combinations. (A sweep of 10^12 points is as many checks as the
/// largest product of the axes one check reads.) A check whose axes have
/// more than [`MAX_CHECKED_COMBINATIONS`] combinations is not run; the
/// second list names it, with its axes and their count.
pub(super) fn check_points(
    model: ModelKind,
    base: &ParamSet,
    axes: &[Axis],
) -> (Vec<PointIssue>, Vec<(Vec<&'static str>, u128)>) {
    let mut found: Vec<PointIssue> = Vec::new();
    let mut too_many = Vec::new();
    let Some(points) = sweep::point_count(axes) else {
        return (found, too_many);
    };
    // Point 0's parameters, changed in place for each combination.
    let mut ps = sweep::point_params(base, axes, 0);
    for check in model.checks(base) {
        let relevant: Vec<usize> = (0..axes.len())
            .filter(|&i| check.reads.contains(&axes[i].path()))
            .collect();
        let combos: u128 = relevant
            .iter()
            .map(|&i| axes[i].values.len() as u128)
            .product();
        if combos > MAX_CHECKED_COMBINATIONS as u128 {
            too_many.push((relevant.iter().map(|&i| axes[i].path()).collect(), combos));
            continue;
        }
        let repeat = points / combos as u64;
        for sub in 0..combos as u64 {
            // The full point with the relevant axes' digits of `sub` (last
            // axis fastest, as in the sweep) and the others at 0.
            let (mut rem, mut point) = (sub, 0u64);
            for &i in relevant.iter().rev() {
                let len = axes[i].values.len() as u64;
                let digit = rem % len;
                rem /= len;
                point += digit
                    * axes[i + 1..]
                        .iter()
                        .map(|a| a.values.len() as u64)
                        .product::<u64>();
                ps.set(axes[i].path(), axes[i].values[digit as usize].clone());
            }
            for issue in (check.run)(&ps) {
                match found.iter_mut().find(|f| f.issue == issue) {
                    Some(f) => f.count += repeat,
                    None => found.push(PointIssue {
                        issue,
                        first: point,
                        count: repeat,
                    }),
                }
            }
            if found.len() >= 50 {
                return (found, too_many);
            }
        }
        for &i in &relevant {
            ps.set(axes[i].path(), axes[i].values[0].clone());
        }
    }
    (found, too_many)
}

/// Points a cross-field issue at the first involved field the user touched
/// (swept or set), naming the sweep point when a swept value causes it.
pub(super) fn report_issue(
    c: &mut Collector,
    found: &PointIssue,
    set: &[Set],
    axes: &[Axis],
    extends_span: Option<Range<usize>>,
) {
    let issue = &found.issue;
    let span = issue.fields.iter().find_map(|p| {
        axes.iter()
            .find(|a| a.path() == *p)
            .map(|a| a.span.clone())
            .or_else(|| {
                set.iter().find(|s| s.field.path == *p).map(|s| {
                    if s.from_base {
                        extends_span.clone().unwrap_or(0..0)
                    } else {
                        s.span.clone()
                    }
                })
            })
    });
    let mut message = issue.message.clone();
    let idx = sweep::point_indices(axes, found.first);
    let vals: Vec<String> = axes
        .iter()
        .zip(idx)
        .filter(|(a, _)| issue.fields.contains(&a.path()))
        .map(|(a, i)| format!("{} = {}", a.column(), a.values[i]))
        .collect();
    if !vals.is_empty() {
        let many = if found.count > 1 {
            format!(" and {} more", found.count - 1)
        } else {
            String::new()
        };
        message = format!(
            "{message} (at sweep point {}{many}: {})",
            found.first,
            vals.join(", ")
        );
    }
    // A problem among defaults only has no place in the file: the message
    // names the file and the fields, never a made-up line 1.
    c.push(span, issue.fields.first().copied(), message, None);
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::param::Value;
    use crate::scenario::{Overrides, parse};

    /// Parses a valid sweep, then adds values to its axes that make some
    /// points invalid (a scenario with them would not parse).
    fn sweep_with_bad_values(
        text: &str,
        add: &[(&str, Value)],
    ) -> (ModelKind, ParamSet, Vec<Axis>) {
        let exp = parse(Path::new("t.toml"), text, &Overrides::default()).expect("valid sweep");
        let mut axes = exp.axes;
        for (path, v) in add {
            let axis = axes.iter_mut().find(|a| a.path() == *path).expect("swept");
            axis.values.push(v.clone());
        }
        (exp.model, exp.base, axes)
    }

    /// Every check on every point: the reference that [`check_points`]
    /// must agree with.
    fn check_every_point(model: ModelKind, base: &ParamSet, axes: &[Axis]) -> Vec<PointIssue> {
        let mut found: Vec<PointIssue> = Vec::new();
        for point in 0..sweep::point_count(axes).unwrap() {
            for issue in model.check(&sweep::point_params(base, axes, point)) {
                match found.iter_mut().find(|f| f.issue == issue) {
                    Some(f) => f.count += 1,
                    None => found.push(PointIssue {
                        issue,
                        first: point,
                        count: 1,
                    }),
                }
            }
        }
        found.sort_by(|a, b| a.issue.message.cmp(&b.issue.message));
        found
    }

    /// Running each check only on the axes it reads finds the same issues,
    /// first points and counts as running every check on every point (so
    /// each check's `reads` lists every field it depends on).
    #[test]
    fn checking_only_the_axes_checks_read_matches_checking_every_point() {
        let cases = [
            // Bass: agents = 5 is below the degree of a ring or small world
            // (at every p and dt), initial_adopters = 60 above agents = 50,
            // an odd degree on a ring.
            sweep_with_bad_values(
                r#"model = "bass"
[sweep]
"bass.p" = [0.01, 0.02, 0.03]
"bass.agents" = [50, 500]
"bass.dt" = [0.1, 1.0]
"bass.initial_adopters" = [0, 10]
"bass.network" = ["ring", "complete", "small_world"]
"bass.degree" = [4, 10]
"#,
                &[
                    ("bass.agents", Value::Int(5)),
                    ("bass.initial_adopters", Value::Int(60)),
                    ("bass.degree", Value::Int(7)),
                ],
            ),
            // March: fast learners above individuals, swept with p1 and p2.
            sweep_with_bad_values(
                r#"model = "march"
[sweep]
"march.p1" = [0.1, 0.5, 0.9]
"march.fast_learners" = [0, 5]
"march.individuals" = [10, 50]
"march.p2" = [0.2, 0.8]
"#,
                &[("march.fast_learners", Value::Int(20))],
            ),
            // Climate: team sizes out of their bounds (only when drawn),
            // a beta sd too large for its mean, success rates the wrong way
            // round, an intervention after the last step or targeting a
            // department that does not exist, until before at.
            sweep_with_bad_values(
                r#"steps = 6
[climate]
burn_in = 0
[climate.organisation]
departments = 2
[[interventions]]
kind = "rewards"
name = "r"
at = 2
target.departments = [1]
[[interventions]]
kind = "layoff"
name = "l"
at = 1
[sweep]
"climate.voice.beta0" = [-1.0, -0.5]
"climate.organisation.team_size_distribution" = ["fixed", "uniform"]
"climate.organisation.team_size" = [6, 8]
"climate.organisation.team_size_max" = [12, 20]
"climate.employees.psych_safety_sd" = [0.1, 0.2]
"climate.employees.distribution" = ["beta", "truncated_normal"]
"climate.experiment.success_bad" = [0.1, 0.2]
"climate.organisation.departments" = [2, 3]
"interventions.r.at" = [2, 3]
"interventions.l.until" = [-1, 4]
"steps" = [6, 8]
"#,
                &[
                    ("climate.organisation.team_size", Value::Int(30)),
                    ("climate.employees.psych_safety_sd", Value::Float(0.6)),
                    ("climate.experiment.success_bad", Value::Float(0.99)),
                    ("climate.organisation.departments", Value::Int(1)),
                    ("interventions.0.at", Value::Int(7)),
                    ("interventions.1.until", Value::Int(0)),
                ],
            ),
        ];
        for (model, base, axes) in cases {
            let (mut fast, unchecked) = check_points(model, &base, &axes);
            assert!(unchecked.is_empty());
            fast.sort_by(|a, b| a.issue.message.cmp(&b.issue.message));
            let all = check_every_point(model, &base, &axes);
            // Issues found at several points each (so counts are tested).
            assert!(all.iter().any(|f| f.count > 1), "{all:?}");
            assert_eq!(fast, all);
            if model == ModelKind::Climate {
                // Every climate check found something.
                assert!(all.len() >= 6, "{all:#?}");
            }
        }
    }

    /// A check whose swept axes have too many combinations is named, not
    /// run; one whose axes are few is run however large the sweep.
    #[test]
    fn checks_are_bounded_by_the_combinations_of_the_axes_they_read() {
        let text = r#"model = "bass"
[sweep]
"bass.agents" = { from = 1000, to = 1999, steps = 1000 }
"bass.degree" = { from = 2, to = 2000, by = 2 }
"bass.p" = { from = 0.01, to = 0.02, steps = 1000 }
"bass.q" = { from = 0.1, to = 0.5, steps = 1000 }
"#;
        let d = parse(Path::new("t.toml"), text, &Overrides::default()).unwrap_err();
        let text = d.to_string();
        assert!(
            text.contains("bass.agents, bass.degree") && text.contains("found 1000000"),
            "{text}"
        );
        assert_eq!(d.len(), 1, "{text}");
    }
}
