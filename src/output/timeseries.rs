//! `timeseries.csv`: one row per run per output step: run_id, point_id,
//! replicate, seed, step, the swept parameters by dotted path, then the
//! metrics. Rows are formatted by the worker that ran the simulation (in
//! parallel) and only copied here, in (point, replicate, step) order.

use std::fs::File;
use std::io::{BufWriter, Write};

use crate::output::format::{NumFmt, typical_width};
use crate::output::registry::{CsvFile, Shape, Size};
use crate::output::{FileState, Layout, RunRecord, Sink, sync_len, write_header};

/// The header of timeseries.csv.
pub fn header(layout: &Layout) -> Vec<String> {
    let mut cols: Vec<String> = ["run_id", "point_id", "replicate", "seed", "step"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    cols.extend(layout.swept.iter().map(|s| s.to_string()));
    cols.extend(layout.metrics.iter().map(|m| m.name.to_string()));
    cols
}

/// The estimated size of timeseries.csv; a run's rows are held formatted
/// in its record until written.
pub fn estimate(shape: &Shape, layout: &Layout) -> Size {
    let metrics_width: u64 = layout
        .metrics
        .iter()
        .map(|d| typical_width(d.fmt) + 1)
        .sum();
    let rows = shape.rows_per_replicate.saturating_mul(shape.replicates);
    let width = shape.ids_width + shape.step_width + shape.swept_width + metrics_width;
    Size {
        rows,
        bytes: rows.saturating_mul(width),
        held_per_run: shape.max_rows.saturating_mul(width),
    }
}

/// Formats a run's rows as CSV lines.
pub fn format_rows(layout: &Layout, rec: &RunRecord) -> Vec<u8> {
    let m = layout.metrics.len();
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::with_capacity(rec.steps.len() * (24 + 12 * m)));
    let mut f = NumFmt::new();
    let mut ids = NumFmt::new();
    for (r, &step) in rec.steps.iter().enumerate() {
        // Writing into a Vec cannot fail.
        let _ = w.write_field(ids.uint(rec.run_id));
        let _ = w.write_field(ids.uint(rec.point));
        let _ = w.write_field(ids.uint(rec.replicate));
        let _ = w.write_field(ids.uint(rec.seed));
        let _ = w.write_field(ids.uint(step));
        for s in &rec.swept {
            let _ = w.write_field(s);
        }
        for (k, def) in layout.metrics.iter().enumerate() {
            let _ = w.write_field(f.metric(rec.rows[r * m + k], def.fmt));
        }
        let _ = w.write_record(None::<&[u8]>);
    }
    w.into_inner().unwrap_or_default()
}

/// Writes timeseries.csv.
pub struct TimeseriesCsv {
    out: BufWriter<File>,
    rows: u64,
}

impl TimeseriesCsv {
    /// Starts the file with its header (or continues it after a
    /// checkpoint when `fresh` is false).
    pub fn new(mut out: BufWriter<File>, layout: &Layout, fresh: bool) -> std::io::Result<Self> {
        if fresh {
            write_header(&mut out, &header(layout))?;
        }
        Ok(TimeseriesCsv { out, rows: 0 })
    }
}

impl Sink for TimeseriesCsv {
    fn write_run(&mut self, rec: &RunRecord) -> std::io::Result<()> {
        self.rows += rec.steps.len() as u64;
        self.out.write_all(&rec.timeseries)
    }

    fn finish(&mut self) -> std::io::Result<u64> {
        self.out.flush()?;
        Ok(self.rows)
    }

    fn file_name(&self) -> &'static str {
        CsvFile::Timeseries.name()
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
