//! One run: build the model for (point, replicate), step it, and collect
//! the output rows (counts summed since the previous row, ratios of those
//! sums, levels at the row's step), the last step's values, the run totals
//! and, when asked, the per-team rows.

use crate::model::{Agg, MetricDef};
use crate::output::{Layout, RunRecord, teams, timeseries};
use crate::rng;
use crate::scenario::{Experiment, output_steps};

/// Identifies a run within an experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunId {
    /// Run index: point * replicates + replicate.
    pub run_id: u64,
    /// Sweep point.
    pub point: u64,
    /// Replicate.
    pub replicate: u64,
    /// The run's seed, from (base seed, point, replicate).
    pub seed: u64,
}

impl RunId {
    /// The run with index `run_id` of `exp`.
    pub fn of(exp: &Experiment, run_id: u64) -> RunId {
        let point = run_id / exp.replicates;
        let replicate = run_id % exp.replicates;
        RunId {
            run_id,
            point,
            replicate,
            seed: rng::run_seed(exp.seed, point, replicate),
        }
    }
}

/// How each metric's written value is made from the per-step values.
#[derive(Clone, Copy)]
enum Source {
    Count,
    Level,
    Ratio(usize, usize),
}

fn sources(all: &[MetricDef]) -> Vec<Source> {
    let index = |name: &str| {
        all.iter()
            .position(|m| m.name == name)
            .unwrap_or_else(|| panic!("internal error: no metric `{name}`"))
    };
    all.iter()
        .map(|m| match m.agg {
            Agg::Count => Source::Count,
            Agg::Level => Source::Level,
            Agg::Ratio { num, den } => Source::Ratio(index(num), index(den)),
        })
        .collect()
}

fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 { num / den } else { f64::NAN }
}

/// What a worker keeps between runs of the same sweep point: its
/// parameters and swept values, resolved once.
#[derive(Debug, Default)]
pub struct PointCache {
    point: Option<u64>,
    params: crate::scenario::params::ParamSet,
    swept_values: Vec<crate::scenario::value::Value>,
    swept: Vec<String>,
}

impl PointCache {
    fn load(&mut self, exp: &Experiment, point: u64) {
        if self.point != Some(point) {
            self.params = exp.point(point);
            self.swept_values = exp.point_values(point).into_iter().cloned().collect();
            self.swept = self.swept_values.iter().map(|v| v.to_field()).collect();
            self.point = Some(point);
        }
    }
}

/// Simulates one run and returns its record.
pub fn simulate(exp: &Experiment, layout: &Layout, id: RunId) -> RunRecord {
    simulate_cached(exp, layout, id, &mut PointCache::default())
}

/// Simulates one run, reusing `cache` when it already holds the run's
/// sweep point.
pub fn simulate_cached(
    exp: &Experiment,
    layout: &Layout,
    id: RunId,
    cache: &mut PointCache,
) -> RunRecord {
    cache.load(exp, id.point);
    let params = &cache.params;
    let steps = exp.steps_at(params);
    let all = exp.model.metrics();
    let src = sources(all);
    let sel = &exp.metrics;

    let row_steps: Vec<u64> = output_steps(steps, exp.every).collect();
    let mut rows = Vec::with_capacity(row_steps.len() * sel.len());
    let mut cur = vec![0.0; all.len()];
    let mut since_row = vec![0.0; all.len()];
    let mut totals = vec![0.0; all.len()];
    let value = |k: usize, cur: &[f64], sums: &[f64]| match src[k] {
        Source::Count => sums[k],
        Source::Level => cur[k],
        Source::Ratio(n, d) => ratio(sums[n], sums[d]),
    };

    let mut sim = exp.model.build(
        params,
        rng::Seeds {
            scenario: exp.seed,
            run: id.seed,
        },
    );
    let swept_values: Vec<&crate::scenario::value::Value> = cache.swept_values.iter().collect();
    let mut team_values = Vec::new();
    let mut team_bytes = Vec::new();
    let team_cols = exp.model.team_columns().len();
    let mut record_teams =
        |sim: &mut Box<dyn crate::model::Simulation>, step: u64, bytes: &mut Vec<u8>| {
            if exp.teams {
                team_values.clear();
                sim.observe_teams(&mut team_values);
                teams::format_rows(
                    layout,
                    &id,
                    &swept_values,
                    step,
                    &team_values,
                    team_cols,
                    bytes,
                );
            }
        };

    sim.observe(&mut cur, true);
    rows.extend(sel.iter().map(|&k| value(k, &cur, &since_row)));
    record_teams(&mut sim, 0, &mut team_bytes);
    let mut next_row = 1;
    for t in 1..=steps {
        let is_row = next_row < row_steps.len() && row_steps[next_row] == t;
        sim.step(t);
        let settled = sim.finished();
        sim.observe(&mut cur, is_row || settled);
        for (k, s) in src.iter().enumerate() {
            if matches!(s, Source::Count) {
                since_row[k] += cur[k];
                totals[k] += cur[k];
            }
        }
        if is_row {
            rows.extend(sel.iter().map(|&k| value(k, &cur, &since_row)));
            since_row.iter_mut().for_each(|x| *x = 0.0);
            record_teams(&mut sim, t, &mut team_bytes);
            next_row += 1;
        }
        if settled {
            // The final state stands for every later step: no more events.
            // The next row still carries the counts since the previous one.
            for (k, s) in src.iter().enumerate() {
                if matches!(s, Source::Count) {
                    cur[k] = 0.0;
                }
            }
            for &row_step in &row_steps[next_row..] {
                rows.extend(sel.iter().map(|&k| value(k, &cur, &since_row)));
                since_row.iter_mut().for_each(|x| *x = 0.0);
                record_teams(&mut sim, row_step, &mut team_bytes);
            }
            break;
        }
    }
    let mut run_values = vec![f64::NAN; exp.model.run_columns().len()];
    sim.run_values(&mut run_values);

    // runs.csv: each metric at the last step (a ratio over the last step),
    // and run totals for counts and ratios.
    let last = sel.iter().map(|&k| value(k, &cur, &cur)).collect();
    let totals = sel
        .iter()
        .map(|&k| match src[k] {
            Source::Level => f64::NAN,
            _ => value(k, &cur, &totals),
        })
        .collect();
    let mut rec = RunRecord {
        run_id: id.run_id,
        point: id.point,
        replicate: id.replicate,
        seed: id.seed,
        swept: cache.swept.clone(),
        steps: row_steps,
        rows,
        last,
        totals,
        run_values,
        timeseries: Vec::new(),
        teams: team_bytes,
    };
    if exp.timeseries {
        rec.timeseries = timeseries::format_rows(layout, &rec);
    }
    rec
}
