//! One run: build the model for (point, replicate), step it, and collect
//! the output rows (counts summed since the previous row, levels at the
//! row's step), the last step's values and the run totals.

use crate::model::Agg;
use crate::output::{Layout, RunRecord, timeseries};
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

/// Simulates one run and returns its record.
pub fn simulate(exp: &Experiment, layout: &Layout, id: RunId) -> RunRecord {
    let params = exp.point(id.point);
    let steps = exp.steps_at(&params);
    let all = exp.model.metrics();
    let sel = &exp.metrics;
    let m = sel.len();

    let row_steps: Vec<u64> = output_steps(steps, exp.every).collect();
    let mut rows = Vec::with_capacity(row_steps.len() * m);
    let mut cur = vec![0.0; all.len()];
    let mut since_row = vec![0.0; all.len()];
    let mut totals = vec![0.0; all.len()];

    // Levels are only needed at output rows, so a model without count
    // metrics is observed only there (and when it settles).
    let every_step = all.iter().any(|d| d.agg == Agg::Count);
    let mut sim = exp.model.build(&params, id.seed);
    sim.observe(&mut cur);
    let push_row = |rows: &mut Vec<f64>, cur: &[f64], since: &[f64]| {
        for &k in sel {
            rows.push(if all[k].agg == Agg::Count {
                since[k]
            } else {
                cur[k]
            });
        }
    };
    push_row(&mut rows, &cur, &since_row);
    let mut next_row = 1;
    let mut settled = false;
    for t in 1..=steps {
        let is_row = next_row < row_steps.len() && row_steps[next_row] == t;
        if settled {
            // The final state stands for every later step: no more events.
            for (k, def) in all.iter().enumerate() {
                if def.agg == Agg::Count {
                    cur[k] = 0.0;
                }
            }
        } else {
            sim.step(t);
            settled = sim.finished();
            if every_step || is_row || settled {
                sim.observe(&mut cur);
            }
        }
        if every_step {
            for (k, def) in all.iter().enumerate() {
                if def.agg == Agg::Count {
                    since_row[k] += cur[k];
                    totals[k] += cur[k];
                }
            }
        }
        if is_row {
            push_row(&mut rows, &cur, &since_row);
            since_row.iter_mut().for_each(|x| *x = 0.0);
            next_row += 1;
        }
    }
    let mut run_values = vec![f64::NAN; exp.model.run_columns().len()];
    sim.run_values(&mut run_values);

    let last = sel.iter().map(|&k| cur[k]).collect();
    let totals = sel
        .iter()
        .map(|&k| {
            if all[k].agg == Agg::Count {
                totals[k]
            } else {
                f64::NAN
            }
        })
        .collect();
    let swept = exp
        .point_values(id.point)
        .iter()
        .map(|v| v.to_field())
        .collect();
    let mut rec = RunRecord {
        run_id: id.run_id,
        point: id.point,
        replicate: id.replicate,
        seed: id.seed,
        swept,
        steps: row_steps,
        rows,
        last,
        totals,
        run_values,
        timeseries: Vec::new(),
    };
    if exp.timeseries {
        rec.timeseries = timeseries::format_rows(layout, &rec);
    }
    rec
}
