//! Output files: tidy CSV time series, one row per run, summaries across
//! replicates, and the run manifest.
//!
//! Every file is written to `<name>.partial` in the output folder and renamed
//! to its final name only when the whole experiment has finished, so a
//! reader never sees half a file under a final name (STYLE.md 6).
//! Each CSV format is one [`Sink`].

pub mod format;
pub mod manifest;
pub mod runs;
pub mod stats;
pub mod summary;
pub mod teams;
pub mod timeseries;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::model::MetricDef;

/// Files ideaflow writes into an output folder.
pub const RESULT_FILES: &[&str] = &[
    "timeseries.csv",
    "runs.csv",
    "summary.csv",
    "teams.csv",
    "manifest.json",
];

/// Suffix of files being written.
pub const PARTIAL_SUFFIX: &str = ".partial";

/// The columns shared by the CSV files.
#[derive(Clone, Debug)]
pub struct Layout {
    /// Swept parameters by dotted path.
    pub swept: Vec<&'static str>,
    /// Metrics written, in column order.
    pub metrics: Vec<&'static MetricDef>,
    /// Run-level columns of runs.csv after the metrics.
    pub run_columns: Vec<&'static str>,
    /// Columns of teams.csv after the identifiers (empty when not written).
    pub team_columns: Vec<&'static MetricDef>,
}

/// The results of one finished run, ready to be written.
#[derive(Clone, Debug, Default)]
pub struct RunRecord {
    /// Run index: point * replicates + replicate.
    pub run_id: u64,
    /// Sweep point.
    pub point: u64,
    /// Replicate within the point.
    pub replicate: u64,
    /// The run's seed.
    pub seed: u64,
    /// The swept parameters' values, formatted for CSV.
    pub swept: Vec<String>,
    /// The steps of the output rows.
    pub steps: Vec<u64>,
    /// Row-major values: `steps.len()` rows of `metrics.len()` values.
    pub rows: Vec<f64>,
    /// Each metric at the last step.
    pub last: Vec<f64>,
    /// Each count metric summed over the run (NaN for levels).
    pub totals: Vec<f64>,
    /// The model's run-level values (NaN when undefined).
    pub run_values: Vec<f64>,
    /// The run's timeseries.csv rows, already formatted (empty when off).
    pub timeseries: Vec<u8>,
    /// The run's teams.csv rows, already formatted (empty when off).
    pub teams: Vec<u8>,
}

/// One output format: receives runs in (point, replicate) order.
pub trait Sink {
    /// Writes one run.
    fn write_run(&mut self, rec: &RunRecord) -> std::io::Result<()>;
    /// Writes what is pending and flushes; returns the data rows written.
    fn finish(&mut self) -> std::io::Result<u64>;
    /// The file's final name.
    fn file_name(&self) -> &'static str;
}

/// An output folder whose files are written under temporary names and
/// renamed together by [`Staging::commit`]. Dropping it uncommitted removes
/// the temporary files.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    staged: Vec<&'static str>,
    committed: bool,
}

impl Staging {
    /// Checks and creates the output folder. A folder that already holds
    /// results is refused unless `force`.
    pub fn prepare(dir: &Path, force: bool) -> Result<Staging, Error> {
        if dir.exists() {
            if !dir.is_dir() {
                return Err(Error::OutputNotDir {
                    path: dir.to_path_buf(),
                });
            }
            let found: Vec<String> = RESULT_FILES
                .iter()
                .filter(|f| dir.join(f).exists())
                .map(|f| f.to_string())
                .collect();
            if !found.is_empty() && !force {
                return Err(Error::OutputExists {
                    path: dir.to_path_buf(),
                    found,
                });
            }
        }
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        // Partial files left by an interrupted earlier run are never
        // results; remove them so they cannot be mistaken for any.
        for name in RESULT_FILES {
            let stale = dir.join(format!("{name}{PARTIAL_SUFFIX}"));
            if stale.exists() {
                std::fs::remove_file(&stale).map_err(|e| Error::io(&stale, e))?;
            }
        }
        Ok(Staging {
            dir: dir.to_path_buf(),
            staged: Vec::new(),
            committed: false,
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn partial(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}{PARTIAL_SUFFIX}"))
    }

    /// Creates `<name>.partial` for writing.
    pub fn create(&mut self, name: &'static str) -> Result<BufWriter<File>, Error> {
        let path = self.partial(name);
        let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
        self.staged.push(name);
        Ok(BufWriter::with_capacity(1 << 20, file))
    }

    /// Renames every staged file to its final name (manifest last, so a
    /// folder with a manifest is complete), and removes result files of an
    /// earlier run that this run did not produce.
    pub fn commit(mut self) -> Result<(), Error> {
        for name in RESULT_FILES {
            if !self.staged.contains(name) {
                let stale = self.dir.join(name);
                if stale.exists() {
                    std::fs::remove_file(&stale).map_err(|e| Error::io(&stale, e))?;
                }
            }
        }
        let mut order = self.staged.clone();
        order.sort_by_key(|n| *n == "manifest.json");
        for name in order {
            let from = self.partial(name);
            let to = self.dir.join(name);
            std::fs::rename(&from, &to).map_err(|e| Error::io(&to, e))?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            for name in &self.staged {
                let _ = std::fs::remove_file(self.partial(name));
            }
        }
    }
}

/// Writes a CSV header line.
pub(crate) fn write_header(w: &mut impl Write, cols: &[String]) -> std::io::Result<()> {
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(cols).map_err(std::io::Error::other)?;
    let bytes = csv
        .into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    w.write_all(&bytes)
}
