//! A shard's CSV files read one run at a time ([`read_run`]), and every
//! row checked against the plan: its run, point, replicate and seed, its
//! step, its swept values, its width, and each value in the form ideaflow
//! writes. [`file`] reads a file record by record (with its limits);
//! [`check`] holds the checks of one row.

mod check;
mod file;

use csv::ByteRecord;

use crate::error::Error;
use crate::model::{Agg, Fmt, MetricDef};
use crate::output::CsvFile;
use crate::output::format::NumFmt;
use crate::rng;
use crate::scenario::output_steps;

use super::manifest::Plan;
use check::{Row, check_ids, mismatch, value};
pub(super) use file::ShardFile;
use file::shown;

/// The files of one complete shard.
pub(super) struct ShardFiles {
    /// Shard index.
    pub index: u64,
    /// timeseries.csv (always written by a shard).
    pub ts: ShardFile,
    /// runs.csv.
    pub runs: ShardFile,
    /// teams.csv, when the experiment writes it.
    pub teams: Option<ShardFile>,
    /// The last run taken.
    pub last_run: Option<u64>,
}

impl ShardFiles {
    /// Checks that every record of every file was taken.
    pub fn check_done(&self) -> Result<(), Error> {
        self.ts.check_done(self.last_run)?;
        self.runs.check_done(self.last_run)?;
        if let Some(t) = &self.teams {
            t.check_done(self.last_run)?;
        }
        Ok(())
    }
}

/// A run's identifiers, recomputed.
pub(super) struct RunIds {
    pub run: u64,
    pub point: u64,
    pub replicate: u64,
    pub seed: u64,
}

impl RunIds {
    pub fn of(plan: &Plan, run: u64) -> RunIds {
        let point = run / plan.replicates;
        let replicate = run % plan.replicates;
        RunIds {
            run,
            point,
            replicate,
            seed: rng::run_seed(plan.seed, point, replicate),
        }
    }
}

/// Records whose buffers are kept from one run to the next.
#[derive(Default)]
pub(super) struct Records {
    recs: Vec<ByteRecord>,
    len: usize,
}

impl Records {
    fn clear(&mut self) {
        self.len = 0;
    }

    /// A record to read into, after the others.
    fn push(&mut self) -> &mut ByteRecord {
        if self.len == self.recs.len() {
            self.recs.push(ByteRecord::new());
        }
        self.len += 1;
        &mut self.recs[self.len - 1]
    }

    /// The records.
    pub fn as_slice(&self) -> &[ByteRecord] {
        &self.recs[..self.len]
    }
}

/// The rows of one run, checked.
#[derive(Default)]
pub(super) struct RunRows {
    /// timeseries.csv rows.
    pub ts: Records,
    /// The run's runs.csv row.
    pub runs: ByteRecord,
    /// teams.csv rows.
    pub teams: Records,
    /// The output steps.
    pub steps: Vec<u64>,
    /// Row-major metric values of the time series.
    pub values: Vec<f64>,
    /// The swept values as written.
    pub swept: Vec<String>,
    /// Per metric, the sum of its rows (integer counts only).
    sums: Vec<i128>,
}

impl RunRows {
    /// The run's rows of `file`, as read from the shard.
    pub fn rows_of(&self, file: CsvFile) -> &[ByteRecord] {
        match file {
            CsvFile::Timeseries => self.ts.as_slice(),
            CsvFile::Teams => self.teams.as_slice(),
            CsvFile::Runs => std::slice::from_ref(&self.runs),
            // Recomputed from the time series, never read from a shard.
            CsvFile::Summary => &[],
        }
    }
}

/// Reads and checks every row of run `id` from shard `s`.
pub(super) fn read_run(
    plan: &mut Plan,
    s: &mut ShardFiles,
    id: &RunIds,
    fmt: &mut NumFmt,
    out: &mut RunRows,
) -> Result<(), Error> {
    let metrics = plan.layout.metrics.clone();
    out.ts.clear();
    out.teams.clear();
    out.steps.clear();
    out.values.clear();
    out.swept.clear();
    out.sums.clear();
    out.sums.resize(metrics.len(), 0);
    let ts_last_line = read_timeseries(plan, &mut s.ts, id, fmt, &metrics, out)?;
    read_runs_row(plan, s, id, fmt, &metrics, out, ts_last_line)?;
    // teams.csv: the same number of team rows at every output step.
    if let Some(teams) = &mut s.teams {
        read_teams(plan, teams, id, fmt, &out.steps, &mut out.teams)?;
    }
    s.last_run = Some(id.run);
    Ok(())
}

/// timeseries.csv: a row per output step, each value summed per count
/// metric; the line of the last row.
fn read_timeseries(
    plan: &mut Plan,
    ts: &mut ShardFile,
    id: &RunIds,
    fmt: &mut NumFmt,
    metrics: &[&'static MetricDef],
    out: &mut RunRows,
) -> Result<u64, Error> {
    let swept = plan.axes.len();
    let steps = output_steps(plan.steps_at(id.point), plan.every);
    let mut b = itoa::Buffer::new();
    let mut last_line = 0;
    for step in steps {
        let run = id.run;
        let first = out.ts.len == 0;
        let rec = out.ts.push();
        let line = ts.take(rec, || format!("the row of run {run} at step {step}"))?;
        let rec = &*rec;
        check_ids(plan, ts, (rec, line), id, Row::Step(step), 5)?;
        let want = b.format(step);
        let got = rec.get(4).unwrap_or_default();
        if got != want.as_bytes() {
            return Err(mismatch(
                &ts.name,
                line,
                "step",
                want,
                &format!(" (the next output step of run {run})"),
                got,
            ));
        }
        for (k, def) in metrics.iter().enumerate() {
            let got = rec.get(5 + swept + k).unwrap_or_default();
            let v = value(fmt, def, got)
                .map_err(|want| mismatch(&ts.name, line, def.name, want, "", got))?;
            if matches!(def.agg, Agg::Count) && matches!(def.fmt, Fmt::Int) {
                out.sums[k] += v as i128;
            }
            out.values.push(v);
        }
        if first {
            out.swept.extend(
                (0..swept)
                    .map(|k| String::from_utf8_lossy(rec.get(5 + k).unwrap_or_default()).into()),
            );
        }
        out.steps.push(step);
        last_line = line;
    }
    Ok(last_line)
}

/// runs.csv: the run's row, agreeing with its time series (the levels at
/// the last step, at line `ts_last_line`, and the totals of the counts).
fn read_runs_row(
    plan: &mut Plan,
    s: &mut ShardFiles,
    id: &RunIds,
    fmt: &mut NumFmt,
    metrics: &[&'static MetricDef],
    out: &mut RunRows,
    ts_last_line: u64,
) -> Result<(), Error> {
    let swept = plan.axes.len();
    let run = id.run;
    let line = s
        .runs
        .take(&mut out.runs, || format!("the row of run {run}"))?;
    let rec = &out.runs;
    check_ids(plan, &s.runs, (rec, line), id, Row::Run, 4)?;
    let last = out.ts.as_slice().last();
    let mut col = 4 + swept;
    for (k, def) in metrics.iter().enumerate() {
        let got = rec.get(col).unwrap_or_default();
        value(fmt, def, got)
            .map_err(|want| mismatch(&s.runs.name, line, def.name, want, "", got))?;
        if matches!(def.agg, Agg::Level)
            && let Some(ts) = last
        {
            let want = ts.get(5 + swept + k).unwrap_or_default();
            if got != want {
                return Err(mismatch(
                    &s.runs.name,
                    line,
                    def.name,
                    &shown(want),
                    &format!(
                        " (its value at the last step, {}:{ts_last_line})",
                        s.ts.name
                    ),
                    got,
                ));
            }
        }
        col += 1;
        if def.agg.has_total() {
            let name = || format!("{}_total", def.name);
            let got = rec.get(col).unwrap_or_default();
            let total = value(fmt, def, got)
                .map_err(|want| mismatch(&s.runs.name, line, &name(), want, "", got))?;
            if matches!(def.agg, Agg::Count)
                && matches!(def.fmt, Fmt::Int)
                && total as i128 != out.sums[k]
            {
                return Err(mismatch(
                    &s.runs.name,
                    line,
                    &name(),
                    &out.sums[k].to_string(),
                    &format!(" (the sum of run {run}'s rows in {})", s.ts.name),
                    got,
                ));
            }
            col += 1;
        }
    }
    const RUN_VALUE: MetricDef = MetricDef {
        name: "",
        agg: Agg::Level,
        fmt: Fmt::Int,
        doc: "",
        hidden: false,
    };
    for name in &plan.layout.run_columns {
        let got = rec.get(col).unwrap_or_default();
        value(fmt, &RUN_VALUE, got)
            .map_err(|want| mismatch(&s.runs.name, line, name, want, "", got))?;
        col += 1;
    }
    Ok(())
}

/// teams.csv: the run's team rows, as many at every output step as at
/// the first, in team order.
fn read_teams(
    plan: &mut Plan,
    f: &mut ShardFile,
    id: &RunIds,
    fmt: &mut NumFmt,
    steps: &[u64],
    out: &mut Records,
) -> Result<(), Error> {
    let swept = plan.axes.len();
    let cols = plan.layout.team_columns.clone();
    let team_col = cols.iter().position(|c| c.name == "team");
    let run = id.run;
    let mut b = itoa::Buffer::new();
    let run_text = itoa::Buffer::new().format(run).to_string();
    let mut per_step: Option<usize> = None;
    for (k, &step) in steps.iter().enumerate() {
        let step_text = b.format(step).to_string();
        let mut n = 0usize;
        loop {
            match per_step {
                // Every step has as many rows as the first.
                Some(m) if n == m => break,
                Some(_) => {}
                // The first step: its rows are those of this run and step.
                None => {
                    let more = f.peek().is_some_and(|(r, _)| {
                        r.get(0) == Some(run_text.as_bytes())
                            && r.get(4) == Some(step_text.as_bytes())
                    });
                    if !more && (n > 0 || cols.is_empty()) {
                        break;
                    }
                }
            }
            let rec = out.push();
            let line = f.take(rec, || format!("a team row of run {run} at step {step}"))?;
            let rec = &*rec;
            check_ids(plan, f, (rec, line), id, Row::Teams(step), 5)?;
            let got = rec.get(4).unwrap_or_default();
            if got != step_text.as_bytes() {
                let why = match per_step {
                    Some(m) => format!(
                        " (run {run} has {m} team row{} at each output step)",
                        if m == 1 { "" } else { "s" }
                    ),
                    None => format!(" (the first output step of run {run})"),
                };
                return Err(mismatch(&f.name, line, "step", &step_text, &why, got));
            }
            for (c, def) in cols.iter().enumerate() {
                let got = rec.get(5 + swept + c).unwrap_or_default();
                value(fmt, def, got)
                    .map_err(|want| mismatch(&f.name, line, def.name, want, "", got))?;
                if team_col == Some(c) && got != itoa::Buffer::new().format(n).as_bytes() {
                    return Err(mismatch(
                        &f.name,
                        line,
                        def.name,
                        &n.to_string(),
                        " (a step's team rows are in team order)",
                        got,
                    ));
                }
            }
            n += 1;
        }
        if k == 0 {
            per_step = Some(n);
        }
    }
    Ok(())
}
