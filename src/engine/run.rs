//! One run: build the model for (point, replicate), step it, and collect
//! the output rows (counts summed since the previous row, ratios of those
//! sums, levels at the row's step), the last step's values, the run totals
//! and, when asked, the per-team rows.

use std::sync::atomic::{AtomicU8, Ordering};

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

/// A request to stop an experiment early, shared between the thread that
/// receives signals and the workers. Level 1 (`stop`): claim no new runs,
/// finish the runs in flight. Level 2 (`abort`): also drop the runs in
/// flight at their next step.
#[derive(Debug, Default)]
pub struct Cancel {
    level: AtomicU8,
}

impl Cancel {
    /// Nothing requested.
    pub const fn new() -> Cancel {
        Cancel {
            level: AtomicU8::new(0),
        }
    }

    /// Claim no new runs; finish those in flight.
    pub fn stop(&self) {
        self.level.fetch_max(1, Ordering::SeqCst);
    }

    /// Drop the runs in flight too.
    pub fn abort(&self) {
        self.level.fetch_max(2, Ordering::SeqCst);
    }

    /// Whether a stop (or abort) was requested.
    #[inline]
    pub fn stopping(&self) -> bool {
        self.level.load(Ordering::Relaxed) >= 1
    }

    /// Whether runs in flight should be dropped.
    #[inline]
    pub fn aborting(&self) -> bool {
        self.level.load(Ordering::Relaxed) >= 2
    }
}

/// Why a run produced no record.
#[derive(Clone, Debug, PartialEq)]
pub enum RunFault {
    /// Dropped on request ([`Cancel::abort`]).
    Dropped,
    /// A metric took a value that is never valid: an infinity, or an
    /// undefined (NaN) count. Levels may be undefined (e.g. the spread of
    /// fewer than two values), and ratios are undefined when their
    /// denominator is zero; both are written as empty fields.
    NonFinite {
        /// The metric.
        metric: &'static str,
        /// The step at which it was observed.
        step: u64,
        /// The value.
        value: f64,
    },
}

impl std::fmt::Display for RunFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunFault::Dropped => write!(f, "dropped on interrupt"),
            RunFault::NonFinite {
                metric,
                step,
                value,
            } => write!(
                f,
                "metric `{metric}` took the invalid value {value} at step {step}"
            ),
        }
    }
}

/// Checks the values observed at `step` (see [`RunFault::NonFinite`]).
fn check_values(all: &[MetricDef], src: &[Source], cur: &[f64], step: u64) -> Result<(), RunFault> {
    for (k, &v) in cur.iter().enumerate() {
        if v.is_infinite() || (v.is_nan() && matches!(src[k], Source::Count)) {
            return Err(RunFault::NonFinite {
                metric: all[k].name,
                step,
                value: v,
            });
        }
    }
    Ok(())
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
    params: crate::param::ParamSet,
    swept_values: Vec<crate::param::Value>,
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
///
/// # Panics
/// When the run produces an invalid value ([`RunFault::NonFinite`]).
pub fn simulate(exp: &Experiment, layout: &Layout, id: RunId) -> RunRecord {
    simulate_cached(exp, layout, id, &mut PointCache::default(), &Cancel::new())
        .unwrap_or_else(|f| panic!("run {}: {f}", id.run_id))
}

/// Simulates one run, reusing `cache` when it already holds the run's
/// sweep point; gives up at the next step once `cancel` asks to abort.
pub fn simulate_cached(
    exp: &Experiment,
    layout: &Layout,
    id: RunId,
    cache: &mut PointCache,
    cancel: &Cancel,
) -> Result<RunRecord, RunFault> {
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
    let swept_values: Vec<&crate::param::Value> = cache.swept_values.iter().collect();
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
                    [id.run_id, id.point, id.replicate, id.seed],
                    &swept_values,
                    step,
                    &team_values,
                    team_cols,
                    bytes,
                );
            }
        };

    sim.observe(&mut cur, true);
    check_values(all, &src, &cur, 0)?;
    rows.extend(sel.iter().map(|&k| value(k, &cur, &since_row)));
    record_teams(&mut sim, 0, &mut team_bytes);
    let mut next_row = 1;
    for t in 1..=steps {
        let is_row = next_row < row_steps.len() && row_steps[next_row] == t;
        if cancel.aborting() {
            return Err(RunFault::Dropped);
        }
        sim.step(t);
        let settled = sim.finished();
        sim.observe(&mut cur, is_row || settled);
        check_values(all, &src, &cur, t)?;
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
    Ok(rec)
}
