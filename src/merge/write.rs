//! Writing the merged folder: the shards' runs in run order, each run's
//! rows checked ([`super::rows`]), then copied into the files merge
//! copies and fed to the files it recomputes (summary.csv), as the
//! registry ([`crate::output::registry`]) says for each file.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::output::format::NumFmt;
use crate::output::registry::Merge;
use crate::output::{CsvFile, Rows, RunRecord, Sink, Staging};

use super::manifest::Plan;
use super::rows::{self, RunIds, RunRows, ShardFiles};

/// The files of the merged folder being written.
pub(super) struct Outputs {
    dir: PathBuf,
    /// The files whose rows are the shards' rows, in run order.
    copied: Vec<(CsvFile, csv::Writer<BufWriter<File>>)>,
    /// The files computed from every run, as a single machine does.
    recomputed: Vec<(CsvFile, Box<dyn Sink>)>,
    /// Rows written so far.
    rows: Rows,
    /// The run fed to the recomputed files (its buffers reused).
    rec: RunRecord,
}

/// An error writing `name` in `dir`.
fn io_error(dir: &Path, name: &str) -> impl Fn(std::io::Error) -> Error {
    let path = dir.join(name);
    move |e| Error::io(&path, e)
}

/// An error of the CSV writer of `name` in `dir`.
fn csv_error(dir: &Path, name: &str) -> impl Fn(csv::Error) -> Error {
    let path = dir.join(name);
    move |e| Error::io(&path, std::io::Error::other(e))
}

impl Outputs {
    /// Creates every file the merged folder gets, in the registry's order,
    /// each with its header.
    pub fn create(staging: &mut Staging, plan: &Plan) -> Result<Outputs, Error> {
        let dir = staging.dir().to_path_buf();
        let mut copied = Vec::new();
        let mut recomputed = Vec::new();
        for file in CsvFile::written_by(plan.switches) {
            let name = file.name();
            match file.spec().merge {
                Merge::Copied => {
                    let mut w = csv::WriterBuilder::new()
                        .has_headers(false)
                        .from_writer(staging.create(name)?);
                    // The header the shards' files were checked to have.
                    w.write_record((file.spec().header)(&plan.layout))
                        .map_err(csv_error(&dir, name))?;
                    copied.push((file, w));
                }
                Merge::Recomputed => {
                    let w = staging.create(name)?;
                    let sink = file
                        .sink(w, &plan.layout, true)
                        .map_err(io_error(&dir, name))?;
                    recomputed.push((file, sink));
                }
                Merge::NotMerged => {}
            }
        }
        Ok(Outputs {
            dir,
            copied,
            recomputed,
            rows: Rows::default(),
            rec: RunRecord::default(),
        })
    }

    /// Writes one run's checked rows: copied into the copied files, and
    /// its time series fed to the recomputed ones.
    pub fn write_run(&mut self, id: &RunIds, run: &mut RunRows) -> Result<(), Error> {
        for (file, w) in &mut self.copied {
            let records = run.rows_of(*file);
            for r in records {
                w.write_byte_record(r)
                    .map_err(csv_error(&self.dir, file.name()))?;
            }
            self.rows.add(*file, records.len() as u64);
        }
        let rec = &mut self.rec;
        rec.point = id.point;
        std::mem::swap(&mut rec.swept, &mut run.swept);
        std::mem::swap(&mut rec.steps, &mut run.steps);
        std::mem::swap(&mut rec.rows, &mut run.values);
        for (file, sink) in &mut self.recomputed {
            sink.write_run(rec)
                .map_err(io_error(&self.dir, file.name()))?;
        }
        Ok(())
    }

    /// Flushes every file; the rows each holds.
    pub fn finish(mut self) -> Result<Rows, Error> {
        for (file, w) in &mut self.copied {
            w.flush().map_err(io_error(&self.dir, file.name()))?;
            self.rows.add(*file, 0);
        }
        for (file, sink) in &mut self.recomputed {
            let n = sink.finish().map_err(io_error(&self.dir, file.name()))?;
            self.rows.set(*file, n);
        }
        Ok(self.rows)
    }
}

/// Opens every complete shard's files (those a shard writes and merge
/// copies), checking their headers.
pub(super) fn open_shards(
    plan: &Plan,
    shards: &[super::manifest::ShardIn],
) -> Result<Vec<ShardFiles>, Error> {
    let shard = plan.switches.of_shard();
    let header = |file: CsvFile| -> Vec<String> { (file.spec().header)(&plan.layout) };
    let (ts_header, runs_header, teams_header) = (
        header(CsvFile::Timeseries),
        header(CsvFile::Runs),
        header(CsvFile::Teams),
    );
    shards
        .iter()
        .map(|s| {
            let open = |file: CsvFile, header: &[String]| {
                rows::ShardFile::open(&s.dir, file.name(), header, plan.max_record)
            };
            Ok(ShardFiles {
                index: s.index,
                ts: open(CsvFile::Timeseries, &ts_header)?,
                runs: open(CsvFile::Runs, &runs_header)?,
                teams: if CsvFile::Teams.written(shard) {
                    Some(open(CsvFile::Teams, &teams_header)?)
                } else {
                    None
                },
                last_run: None,
            })
        })
        .collect()
}

/// Reads, checks and writes every run of every shard in run order (round
/// r holds run r * count + i of each shard i); the runs merged.
pub(super) fn copy_runs(
    plan: &mut Plan,
    files: &mut [ShardFiles],
    out: &mut Outputs,
) -> Result<u64, Error> {
    let mut run_rows = RunRows::default();
    let mut fmt = NumFmt::new();
    let mut merged = 0u64;
    for round in 0u64.. {
        let mut any = false;
        for s in files.iter_mut() {
            let Some(run) = round
                .checked_mul(plan.count)
                .and_then(|r| r.checked_add(s.index))
                .filter(|&r| r < plan.runs)
            else {
                continue;
            };
            any = true;
            let id = RunIds::of(plan, run);
            rows::read_run(plan, s, &id, &mut fmt, &mut run_rows)?;
            out.write_run(&id, &mut run_rows)?;
            merged += 1;
        }
        if !any {
            break;
        }
    }
    for s in files.iter() {
        s.check_done()?;
    }
    Ok(merged)
}
