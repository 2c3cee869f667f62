//! `teams.csv` (`[output] teams = true`): one row per run, output step and
//! team: run_id, point_id, replicate, seed, step, the swept parameters, then
//! the model's team columns (team, department, climate and idea flow; counts
//! summed since the previous row). Lets consultants look inside an
//! organisation and researchers correlate climate with outcomes across
//! teams.

use std::fs::File;
use std::io::{BufWriter, Write};

use crate::output::format::{NumFmt, typical_width};
use crate::output::registry::{CsvFile, Shape, Size};
use crate::output::{FileState, Layout, RunRecord, Sink, sync_len, write_header};
use crate::param::Value;

/// The header of teams.csv.
pub fn header(layout: &Layout) -> Vec<String> {
    let mut cols: Vec<String> = ["run_id", "point_id", "replicate", "seed", "step"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    cols.extend(layout.swept.iter().map(|s| s.to_string()));
    cols.extend(layout.team_columns.iter().map(|m| m.name.to_string()));
    cols
}

/// The estimated size of teams.csv; a run's rows are held formatted in
/// its record until written.
pub fn estimate(shape: &Shape, layout: &Layout) -> Size {
    let rows = shape
        .team_rows_per_replicate
        .saturating_mul(shape.replicates);
    let cols: u64 = layout
        .team_columns
        .iter()
        .map(|d| typical_width(d.fmt) + 1)
        .sum();
    let width = shape.ids_width + shape.step_width + shape.swept_width + cols;
    let per_run = if shape.runs == 0 {
        0
    } else {
        rows / shape.runs.max(1)
    };
    Size {
        rows,
        bytes: rows.saturating_mul(width),
        held_per_run: per_run.saturating_mul(width),
    }
}

/// Appends the CSV lines of one observation: `values` holds one row of
/// `cols` values per team; `id` is the run's (run_id, point, replicate,
/// seed).
pub fn format_rows(
    layout: &Layout,
    id: [u64; 4],
    swept: &[&Value],
    step: u64,
    values: &[f64],
    cols: usize,
    out: &mut Vec<u8>,
) {
    if cols == 0 {
        return;
    }
    let swept: Vec<String> = swept.iter().map(|v| v.to_field()).collect();
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(std::mem::take(out));
    let mut f = NumFmt::new();
    let mut ids = NumFmt::new();
    for row in values.chunks(cols) {
        // Writing into a Vec cannot fail.
        for x in id {
            let _ = w.write_field(ids.uint(x));
        }
        let _ = w.write_field(ids.uint(step));
        for s in &swept {
            let _ = w.write_field(s);
        }
        for (v, def) in row.iter().zip(&layout.team_columns) {
            let _ = w.write_field(f.metric(*v, def.fmt));
        }
        let _ = w.write_record(None::<&[u8]>);
    }
    *out = w.into_inner().unwrap_or_default();
}

/// Writes teams.csv.
pub struct TeamsCsv {
    out: BufWriter<File>,
    rows: u64,
}

impl TeamsCsv {
    /// Starts the file with its header (or continues it after a
    /// checkpoint when `fresh` is false).
    pub fn new(mut out: BufWriter<File>, layout: &Layout, fresh: bool) -> std::io::Result<Self> {
        if fresh {
            write_header(&mut out, &header(layout))?;
        }
        Ok(TeamsCsv { out, rows: 0 })
    }
}

impl Sink for TeamsCsv {
    fn write_run(&mut self, rec: &RunRecord) -> std::io::Result<()> {
        self.rows += rec.teams.iter().filter(|&&b| b == b'\n').count() as u64;
        self.out.write_all(&rec.teams)
    }

    fn finish(&mut self) -> std::io::Result<u64> {
        self.out.flush()?;
        Ok(self.rows)
    }

    fn file_name(&self) -> &'static str {
        CsvFile::Teams.name()
    }

    fn checkpoint(&mut self) -> std::io::Result<FileState> {
        Ok(FileState {
            name: self.file_name().to_string(),
            bytes: sync_len(&mut self.out)?,
            rows: self.rows,
            state: None,
        })
    }

    fn restore(&mut self, state: &FileState) -> Result<(), String> {
        self.rows = state.rows;
        Ok(())
    }
}
