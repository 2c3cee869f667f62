//! `runs.csv`: one row per run: run_id, point_id, replicate, seed, the swept
//! parameters, then every metric at the last step under its own name, and
//! for counts and ratios `<metric>_total` over the whole run, right after it;
//! then the model's run-level columns (e.g. March's `equilibrium_step`).

use std::fs::File;
use std::io::BufWriter;

use crate::model::Fmt;
use crate::output::format::{NumFmt, typical_width};
use crate::output::registry::{CsvFile, Shape, Size};
use crate::output::{FileState, Layout, RunRecord, Sink, synced_position, write_header};

/// The header of runs.csv.
pub fn header(layout: &Layout) -> Vec<String> {
    let mut cols: Vec<String> = ["run_id", "point_id", "replicate", "seed"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    cols.extend(layout.swept.iter().map(|s| s.to_string()));
    for m in &layout.metrics {
        cols.push(m.name.to_string());
        if m.agg.has_total() {
            cols.push(format!("{}_total", m.name));
        }
    }
    cols.extend(layout.run_columns.iter().map(|c| c.to_string()));
    cols
}

/// The estimated size of runs.csv.
pub fn estimate(shape: &Shape, layout: &Layout) -> Size {
    let width = shape.ids_width
        + shape.swept_width
        + layout
            .metrics
            .iter()
            .map(|d| (typical_width(d.fmt) + 1) * if d.agg.has_total() { 2 } else { 1 })
            .sum::<u64>()
        + 4 * layout.run_columns.len() as u64;
    Size {
        rows: shape.runs,
        bytes: shape.runs.saturating_mul(width),
        held_per_run: 0,
    }
}

/// Writes runs.csv.
pub struct RunsCsv {
    out: csv::Writer<BufWriter<File>>,
    layout: Layout,
    rows: u64,
    fmt: NumFmt,
}

impl RunsCsv {
    /// Starts the file with its header (or continues it after a
    /// checkpoint when `fresh` is false).
    pub fn new(mut out: BufWriter<File>, layout: &Layout, fresh: bool) -> std::io::Result<Self> {
        if fresh {
            write_header(&mut out, &header(layout))?;
        }
        let out = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(out);
        Ok(RunsCsv {
            out,
            layout: layout.clone(),
            rows: 0,
            fmt: NumFmt::new(),
        })
    }
}

impl Sink for RunsCsv {
    fn write_run(&mut self, rec: &RunRecord) -> std::io::Result<()> {
        let w = &mut self.out;
        let f = &mut self.fmt;
        let e = std::io::Error::other;
        w.write_field(f.uint(rec.run_id)).map_err(e)?;
        w.write_field(f.uint(rec.point)).map_err(e)?;
        w.write_field(f.uint(rec.replicate)).map_err(e)?;
        w.write_field(f.uint(rec.seed)).map_err(e)?;
        for s in &rec.swept {
            w.write_field(s).map_err(e)?;
        }
        for (k, m) in self.layout.metrics.iter().enumerate() {
            w.write_field(f.metric(rec.last[k], m.fmt)).map_err(e)?;
            if m.agg.has_total() {
                w.write_field(f.metric(rec.totals[k], m.fmt)).map_err(e)?;
            }
        }
        for &v in &rec.run_values {
            w.write_field(f.metric(v, Fmt::Int)).map_err(e)?;
        }
        w.write_record(None::<&[u8]>).map_err(e)?;
        self.rows += 1;
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<u64> {
        self.out.flush()?;
        Ok(self.rows)
    }

    fn file_name(&self) -> &'static str {
        CsvFile::Runs.name()
    }

    fn checkpoint(&mut self) -> std::io::Result<FileState> {
        self.out.flush()?;
        Ok(FileState {
            name: self.file_name().to_string(),
            bytes: synced_position(self.out.get_ref().get_ref())?,
            rows: self.rows,
            state: None,
        })
    }

    fn restore(&mut self, state: &FileState) -> Result<(), String> {
        self.rows = state.rows;
        Ok(())
    }
}
