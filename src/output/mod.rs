//! Output files: tidy CSV time series, one row per run, summaries across
//! replicates, and the run manifest.
//!
//! Every file is written to `<name>.partial` in the output folder and renamed
//! to its final name only when the experiment has finished or stopped at a
//! run boundary, so a reader never sees half a file under a final name
//! at any time. Each CSV format is one [`Sink`]; a sink can report its
//! exact state at a run boundary ([`Sink::checkpoint`]) and continue from
//! it ([`Sink::restore`]), which is what `--resume` builds on. The files
//! are registered once, in [`registry`].

pub mod format;
mod lock;
pub mod manifest;
pub mod registry;
pub mod runs;
mod staging;
pub mod stats;
pub mod summary;
pub mod teams;
pub mod timeseries;

use std::fs::File;
use std::io::{BufWriter, Seek, Write};

use serde::{Deserialize, Serialize};

use crate::model::MetricDef;

pub use lock::{FolderLock, LOCK_FILE};
pub use registry::{
    COMPARE_FILE, CsvFile, MANIFEST_FILE, OTHER_FILES, PARTIAL_SUFFIX, RESULT_FILES, RESUME_FILE,
    Rows, Switches, TMP_SUFFIX,
};
pub use staging::{Signed, Staging};

/// A file's state at a run boundary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileState {
    /// Final file name.
    pub name: String,
    /// Bytes written (header included).
    pub bytes: u64,
    /// Data rows written.
    pub rows: u64,
    /// What else the writer holds (summary.csv: the current point's
    /// accumulators).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<serde_json::Value>,
}

/// Flushes a file writer to the disk and returns its length.
pub(crate) fn sync_len(w: &mut BufWriter<File>) -> std::io::Result<u64> {
    w.flush()?;
    synced_position(w.get_ref())
}

/// Syncs a file whose writer is flushed and returns its position.
pub(crate) fn synced_position(mut f: &File) -> std::io::Result<u64> {
    f.sync_data()?;
    f.stream_position()
}

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
    /// Flushes what the runs so far produced to the disk (keeping what
    /// belongs to an unfinished group of runs in memory) and returns the
    /// state to continue from.
    fn checkpoint(&mut self) -> std::io::Result<FileState>;
    /// Continues from a checkpoint: the file is already truncated to
    /// `state.bytes` and positioned at its end.
    fn restore(&mut self, state: &FileState) -> Result<(), String>;
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
