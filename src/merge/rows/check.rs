//! Checks of one row of a shard's file: its width, its run's
//! identifiers and swept values as recomputed from the plan, and each
//! value in the form ideaflow writes it.

use csv::ByteRecord;

use crate::error::Error;
use crate::model::{Agg, Fmt, MetricDef};
use crate::output::format::NumFmt;

use super::super::manifest::{Plan, bad};
use super::RunIds;
use super::file::{ShardFile, shown};

/// The error of a field that is not what was expected.
pub(super) fn mismatch(
    file: &str,
    line: u64,
    column: &str,
    expected: &str,
    why: &str,
    found: &[u8],
) -> Error {
    bad(format!(
        "{file}:{line}: {column}: expected {expected}{why}, found {}",
        shown(found)
    ))
}

/// Which row of a run is checked (for messages).
#[derive(Clone, Copy)]
pub(super) enum Row {
    /// timeseries.csv at a step.
    Step(u64),
    /// runs.csv.
    Run,
    /// teams.csv at a step.
    Teams(u64),
}

/// Checks the width, run_id, point_id, replicate, seed and the swept
/// values (from column `swept_at`) of a row.
pub(super) fn check_ids(
    plan: &mut Plan,
    file: &ShardFile,
    (rec, line): (&ByteRecord, u64),
    id: &RunIds,
    row: Row,
    swept_at: usize,
) -> Result<(), Error> {
    let width = file.header.len();
    if rec.len() != width {
        return Err(bad(format!(
            "{}:{line}: expected {width} columns (as the header), found {}",
            file.name,
            rec.len()
        )));
    }
    let mut b = itoa::Buffer::new();
    let field = |k: usize| rec.get(k).unwrap_or_default();
    let run = id.run;
    for (k, column, want) in [
        (0, "run_id", id.run),
        (1, "point_id", id.point),
        (2, "replicate", id.replicate),
        (3, "seed", id.seed),
    ] {
        let want = b.format(want);
        if field(k) == want.as_bytes() {
            continue;
        }
        let why = match (k, row) {
            (0, Row::Step(step)) => format!(" (the row of run {run} at step {step} comes next)"),
            (0, Row::Run) => format!(" (the row of run {run} comes next)"),
            (0, Row::Teams(step)) => {
                format!(" (the team rows of run {run} at step {step} come next)")
            }
            (1, _) => format!(" (the point of run {run})"),
            _ => format!(" (the {column} of run {run})"),
        };
        return Err(mismatch(&file.name, line, column, want, &why, field(k)));
    }
    for (k, axis) in plan.axes.iter_mut().enumerate() {
        let i = axis.index_at(id.point);
        let got = field(swept_at + k);
        if let Err(want) = axis.check(i, got) {
            return Err(mismatch(
                &file.name,
                line,
                axis.path,
                &want,
                &format!(" (its value at point {})", id.point),
                got,
            ));
        }
    }
    Ok(())
}

/// A value as ideaflow writes it: the number, or the description of what
/// was expected.
pub(super) fn value(fmt: &mut NumFmt, def: &MetricDef, b: &[u8]) -> Result<f64, &'static str> {
    let count = matches!(def.agg, Agg::Count);
    if b.is_empty() {
        return if count {
            Err("a count (never an empty field)")
        } else {
            Ok(f64::NAN)
        };
    }
    let s = std::str::from_utf8(b).map_err(|_| "a number")?;
    match def.fmt {
        Fmt::Int => {
            let i: i64 = s.parse().map_err(|_| "an integer")?;
            if itoa::Buffer::new().format(i) != s {
                return Err("an integer (as ideaflow writes it)");
            }
            Ok(i as f64)
        }
        Fmt::Bool => match b {
            b"0" => Ok(0.0),
            b"1" => Ok(1.0),
            _ => Err("0 or 1"),
        },
        Fmt::Float => {
            let x: f64 = s
                .parse()
                .ok()
                .filter(|x: &f64| x.is_finite())
                .ok_or("a number or an empty field")?;
            if fmt.float(x) != s {
                return Err("a number in shortest form (as ideaflow writes it)");
            }
            Ok(x)
        }
    }
}
