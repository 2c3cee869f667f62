//! One run: build the model for (point, replicate), step it, and collect
//! the output rows (counts summed since the previous row, ratios of those
//! sums, levels at the row's step), the last step's values, the run totals
//! and, when asked, the per-team rows.

use std::sync::atomic::{AtomicU8, Ordering};

use crate::model::{Agg, MetricDef, Simulation};
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
    let plan = RunPlan {
        all: exp.model.metrics(),
        sel: &exp.metrics,
        row_steps: output_steps(steps, exp.every).collect(),
        steps,
    };
    let mut tally = Tally::new(plan.all, plan.row_steps.len() * plan.sel.len());
    let mut sim = exp.model.build(
        params,
        rng::Seeds {
            scenario: exp.seed,
            run: id.seed,
        },
    );
    let mut teams = TeamRows {
        on: exp.teams,
        layout,
        id: [id.run_id, id.point, id.replicate, id.seed],
        swept: cache.swept_values.iter().collect(),
        cols: exp.model.team_columns().len(),
        values: Vec::new(),
        bytes: Vec::new(),
    };
    step_through(sim.as_mut(), &plan, &mut tally, &mut teams, cancel)?;
    let mut run_values = vec![f64::NAN; exp.model.run_columns().len()];
    sim.run_values(&mut run_values);

    // runs.csv: each metric at the last step (a ratio over the last step),
    // and run totals for counts and ratios.
    let mut rec = RunRecord {
        run_id: id.run_id,
        point: id.point,
        replicate: id.replicate,
        seed: id.seed,
        swept: cache.swept.clone(),
        last: tally.last(plan.sel),
        totals: tally.run_totals(plan.sel),
        steps: plan.row_steps,
        rows: tally.rows,
        run_values,
        timeseries: Vec::new(),
        teams: teams.bytes,
    };
    if exp.timeseries {
        rec.timeseries = timeseries::format_rows(layout, &rec);
    }
    Ok(rec)
}

/// What a run observes and writes: every metric of the model, the ones
/// selected for output, the output steps and the steps simulated.
struct RunPlan<'a> {
    all: &'static [MetricDef],
    sel: &'a [usize],
    row_steps: Vec<u64>,
    steps: u64,
}

/// Steps the model to the end (or until it settles), observing every
/// step, checking every value and recording a row at every output step;
/// after the model settles, its final state stands for the rows left.
fn step_through(
    sim: &mut dyn Simulation,
    plan: &RunPlan<'_>,
    tally: &mut Tally,
    teams: &mut TeamRows<'_>,
    cancel: &Cancel,
) -> Result<(), RunFault> {
    let (all, sel, row_steps) = (plan.all, plan.sel, &plan.row_steps);
    sim.observe(&mut tally.cur, true);
    check_values(all, &tally.src, &tally.cur, 0)?;
    tally.push_row(sel);
    teams.record(sim, 0);
    let mut next_row = 1;
    for t in 1..=plan.steps {
        let is_row = next_row < row_steps.len() && row_steps[next_row] == t;
        if cancel.aborting() {
            return Err(RunFault::Dropped);
        }
        sim.step(t);
        let settled = sim.finished();
        sim.observe(&mut tally.cur, is_row || settled);
        check_values(all, &tally.src, &tally.cur, t)?;
        tally.add_counts();
        if is_row {
            tally.push_row(sel);
            teams.record(sim, t);
            next_row += 1;
        }
        if settled {
            // The final state stands for every later step: no more events.
            // The next row still carries the counts since the previous one.
            tally.settle();
            for &row_step in &row_steps[next_row..] {
                tally.push_row(sel);
                teams.record(sim, row_step);
            }
            break;
        }
    }
    Ok(())
}

/// A run's metric values: as observed at the current step, counts summed
/// since the previous output row and over the run, and the output rows
/// written so far (row-major, the selected metrics).
struct Tally {
    src: Vec<Source>,
    cur: Vec<f64>,
    since_row: Vec<f64>,
    totals: Vec<f64>,
    rows: Vec<f64>,
}

/// The written value of metric `k`: a count as summed in `sums`, a level
/// as observed in `cur`, a ratio of two sums.
fn value(src: &[Source], cur: &[f64], sums: &[f64], k: usize) -> f64 {
    match src[k] {
        Source::Count => sums[k],
        Source::Level => cur[k],
        Source::Ratio(n, d) => ratio(sums[n], sums[d]),
    }
}

impl Tally {
    /// Nothing observed yet, room for `rows` values.
    fn new(all: &[MetricDef], rows: usize) -> Tally {
        Tally {
            src: sources(all),
            cur: vec![0.0; all.len()],
            since_row: vec![0.0; all.len()],
            totals: vec![0.0; all.len()],
            rows: Vec::with_capacity(rows),
        }
    }

    /// Appends the output row of the selected metrics and starts summing
    /// the next one.
    fn push_row(&mut self, sel: &[usize]) {
        let Tally {
            src,
            cur,
            since_row,
            rows,
            ..
        } = self;
        rows.extend(sel.iter().map(|&k| value(src, cur, since_row, k)));
        since_row.iter_mut().for_each(|x| *x = 0.0);
    }

    /// Adds the counts of the step just observed to the sums.
    fn add_counts(&mut self) {
        for (k, s) in self.src.iter().enumerate() {
            if matches!(s, Source::Count) {
                self.since_row[k] += self.cur[k];
                self.totals[k] += self.cur[k];
            }
        }
    }

    /// The model has settled: no more events at later steps.
    fn settle(&mut self) {
        for (k, s) in self.src.iter().enumerate() {
            if matches!(s, Source::Count) {
                self.cur[k] = 0.0;
            }
        }
    }

    /// Each selected metric at the last step (a ratio over the last step).
    fn last(&self, sel: &[usize]) -> Vec<f64> {
        sel.iter()
            .map(|&k| value(&self.src, &self.cur, &self.cur, k))
            .collect()
    }

    /// Each selected count and ratio over the whole run (NaN for levels).
    fn run_totals(&self, sel: &[usize]) -> Vec<f64> {
        sel.iter()
            .map(|&k| match self.src[k] {
                Source::Level => f64::NAN,
                _ => value(&self.src, &self.cur, &self.totals, k),
            })
            .collect()
    }
}

/// teams.csv's rows of a run, formatted as they are observed (none when
/// teams.csv is not written).
struct TeamRows<'a> {
    on: bool,
    layout: &'a Layout,
    /// run_id, point, replicate, seed.
    id: [u64; 4],
    swept: Vec<&'a crate::param::Value>,
    cols: usize,
    values: Vec<f64>,
    bytes: Vec<u8>,
}

impl TeamRows<'_> {
    /// Observes the teams at `step` and formats their rows.
    fn record(&mut self, sim: &mut dyn Simulation, step: u64) {
        if self.on {
            self.values.clear();
            sim.observe_teams(&mut self.values);
            teams::format_rows(
                self.layout,
                self.id,
                &self.swept,
                step,
                &self.values,
                self.cols,
                &mut self.bytes,
            );
        }
    }
}
