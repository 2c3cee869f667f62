//! `summary.csv`, long form: one row per (sweep point, output step, metric):
//! point_id, the swept parameters, step, metric, n, mean, sd, ci95_low,
//! ci95_high, across the point's replicates.
//!
//! Runs arrive in (point, replicate) order, so only the current point's
//! accumulators are held: memory does not grow with the number of runs.

use std::fs::File;
use std::io::BufWriter;

use crate::output::format::NumFmt;
use crate::output::stats::{TQuantiles, Welford};
use serde::{Deserialize, Serialize};

use crate::output::registry::{CsvFile, Shape, Size};
use crate::output::{FileState, Layout, RunRecord, Sink, synced_position, write_header};

/// The header of summary.csv.
pub fn header(layout: &Layout) -> Vec<String> {
    let mut cols = vec!["point_id".to_string()];
    cols.extend(layout.swept.iter().map(|s| s.to_string()));
    cols.extend(
        ["step", "metric", "n", "mean", "sd", "ci95_low", "ci95_high"]
            .iter()
            .map(|s| s.to_string()),
    );
    cols
}

/// The estimated size of summary.csv: point_id, the swept values, step,
/// metric name, n and four statistics.
pub fn estimate(shape: &Shape, _layout: &Layout) -> Size {
    let width = shape.point_width + shape.swept_width + shape.step_width + 16 + 4 + 4 * 19;
    Size {
        rows: shape.summary_rows,
        bytes: shape.summary_rows.saturating_mul(width),
        held_per_run: 0,
    }
}

/// Writes summary.csv.
pub struct SummaryCsv {
    out: csv::Writer<BufWriter<File>>,
    layout: Layout,
    current: Option<Point>,
    rows: u64,
    t: TQuantiles,
    fmt: NumFmt,
}

struct Point {
    id: u64,
    swept: Vec<String>,
    steps: Vec<u64>,
    acc: Vec<Welford>,
}

/// The current point's accumulators in a checkpoint, exact to the bit.
#[derive(Serialize, Deserialize)]
struct PointState {
    id: u64,
    swept: Vec<String>,
    steps: Vec<u64>,
    acc: Vec<[u64; 3]>,
}

impl SummaryCsv {
    /// Starts the file with its header (or continues it after a
    /// checkpoint when `fresh` is false).
    pub fn new(mut out: BufWriter<File>, layout: &Layout, fresh: bool) -> std::io::Result<Self> {
        if fresh {
            write_header(&mut out, &header(layout))?;
        }
        let out = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(out);
        Ok(SummaryCsv {
            out,
            layout: layout.clone(),
            current: None,
            rows: 0,
            t: TQuantiles::new(),
            fmt: NumFmt::new(),
        })
    }

    fn flush_point(&mut self) -> std::io::Result<()> {
        let Some(p) = self.current.take() else {
            return Ok(());
        };
        let m = self.layout.metrics.len();
        let e = std::io::Error::other;
        let mut ids = NumFmt::new();
        for (r, &step) in p.steps.iter().enumerate() {
            for (k, def) in self.layout.metrics.iter().enumerate() {
                let w = &p.acc[r * m + k];
                let (lo, hi) = self.t.ci95(w);
                let out = &mut self.out;
                out.write_field(ids.uint(p.id)).map_err(e)?;
                for s in &p.swept {
                    out.write_field(s).map_err(e)?;
                }
                out.write_field(ids.uint(step)).map_err(e)?;
                out.write_field(def.name).map_err(e)?;
                out.write_field(ids.uint(w.n())).map_err(e)?;
                out.write_field(self.fmt.float(w.mean())).map_err(e)?;
                out.write_field(self.fmt.float(w.sd())).map_err(e)?;
                out.write_field(self.fmt.float(lo)).map_err(e)?;
                out.write_field(self.fmt.float(hi)).map_err(e)?;
                out.write_record(None::<&[u8]>).map_err(e)?;
                self.rows += 1;
            }
        }
        Ok(())
    }
}

impl Sink for SummaryCsv {
    fn write_run(&mut self, rec: &RunRecord) -> std::io::Result<()> {
        if self.current.as_ref().is_some_and(|p| p.id != rec.point) {
            self.flush_point()?;
        }
        let p = self.current.get_or_insert_with(|| Point {
            id: rec.point,
            swept: rec.swept.clone(),
            steps: rec.steps.clone(),
            acc: vec![Welford::default(); rec.rows.len()],
        });
        for (a, &x) in p.acc.iter_mut().zip(&rec.rows) {
            a.push(x);
        }
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<u64> {
        self.flush_point()?;
        self.out.flush()?;
        Ok(self.rows)
    }

    fn file_name(&self) -> &'static str {
        CsvFile::Summary.name()
    }

    fn checkpoint(&mut self) -> std::io::Result<FileState> {
        self.out.flush()?;
        let state = self.current.as_ref().map(|p| {
            serde_json::to_value(PointState {
                id: p.id,
                swept: p.swept.clone(),
                steps: p.steps.clone(),
                acc: p.acc.iter().map(Welford::to_bits).collect(),
            })
            .unwrap_or_default()
        });
        Ok(FileState {
            name: self.file_name().to_string(),
            bytes: synced_position(self.out.get_ref().get_ref())?,
            rows: self.rows,
            state,
        })
    }

    fn restore(&mut self, state: &FileState) -> Result<(), String> {
        self.rows = state.rows;
        self.current = match &state.state {
            None => None,
            Some(v) => {
                let p: PointState = serde_json::from_value(v.clone())
                    .map_err(|e| format!("{} state: {e}", self.file_name()))?;
                let width = p.steps.len() * self.layout.metrics.len();
                if p.acc.len() != width || p.swept.len() != self.layout.swept.len() {
                    return Err(format!(
                        "{} state: {} accumulators for {width} values",
                        self.file_name(),
                        p.acc.len()
                    ));
                }
                Some(Point {
                    id: p.id,
                    swept: p.swept,
                    steps: p.steps,
                    acc: p.acc.into_iter().map(Welford::from_bits).collect(),
                })
            }
        };
        Ok(())
    }
}
