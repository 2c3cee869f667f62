//! Running an experiment: every (sweep point, replicate) in parallel on a
//! rayon pool, outputs written in (point, replicate, step) order as runs
//! finish, with memory bounded independently of the number of runs.

pub mod checkpoint;
pub mod estimate;
mod experiment;
mod folder;
pub mod pool;
pub mod progress;
mod record;
pub mod run;
mod shard;

use std::path::PathBuf;
use std::time::Duration;

use crate::output::manifest::Rows;
use crate::output::{Layout, Switches};
use crate::scenario::Experiment;
pub use experiment::run;
pub use run::Cancel;
pub use shard::{MAX_SHARDS, Shard};

/// How to run an experiment.
pub struct RunOptions<'a> {
    /// Output folder.
    pub out_dir: PathBuf,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Replace results already in the output folder.
    pub force: bool,
    /// Continue the interrupted experiment in the output folder.
    pub resume: bool,
    /// Run only the run with this id (to re-run a failed run alone).
    pub only_run: Option<u64>,
    /// Run only one shard of the runs (for a cluster; see [`Shard`]).
    pub shard: Option<Shard>,
    /// Run even if the output would not fit on the disk or the memory
    /// needed exceeds the machine's ([`estimate::guard`]).
    pub yes: bool,
    /// Seconds between checkpoints while running (the state `--resume`
    /// continues from after a hard kill); 0 checkpoints only when stopping.
    pub checkpoint_every: Duration,
    /// The command line, recorded in the manifest.
    pub command_line: Vec<String>,
    /// Where progress goes.
    pub progress: &'a dyn progress::Progress,
    /// Asks the experiment to stop early (signals).
    pub cancel: &'a Cancel,
    /// Test hook: make this run fail, by a panic or with an invalid value.
    #[doc(hidden)]
    pub fail_run: Option<(u64, InjectedFault)>,
}

/// How [`RunOptions::fail_run`] makes a run fail.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub enum InjectedFault {
    /// The run panics.
    Panic,
    /// A count becomes NaN.
    NonFinite,
}

impl<'a> RunOptions<'a> {
    /// Options for writing to `out_dir` with every default: all cores, no
    /// progress, refuse existing results, checkpoint every 30 s, never
    /// cancelled.
    pub fn new(out_dir: impl Into<PathBuf>) -> RunOptions<'static> {
        static NEVER: Cancel = Cancel::new();
        RunOptions {
            out_dir: out_dir.into(),
            threads: 0,
            force: false,
            resume: false,
            only_run: None,
            shard: None,
            yes: false,
            checkpoint_every: DEFAULT_CHECKPOINT,
            command_line: Vec::new(),
            progress: &progress::Silent,
            cancel: &NEVER,
            fail_run: None,
        }
    }
}

/// Default time between checkpoints.
pub const DEFAULT_CHECKPOINT: Duration = Duration::from_secs(30);

/// What a finished experiment produced.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// Output folder.
    pub out_dir: PathBuf,
    /// Runs completed.
    pub runs: u64,
    /// Runs completed by earlier sessions (resumed experiments).
    pub resumed_from: u64,
    /// Rows written per file.
    pub rows: Rows,
    /// Worker threads used.
    pub threads: usize,
    /// Wall-clock seconds of this session.
    pub elapsed_seconds: f64,
}

/// The worker threads used for `requested` (0: one per core). More than
/// [`max_threads`] are never started: results do not depend on the count,
/// and thousands of threads spend their time coordinating (a two-run
/// scenario on 4,096 threads took minutes).
pub fn worker_threads(requested: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match requested {
        0 => cores,
        n => n.min(max_threads()),
    }
}

/// The most worker threads started: 4 per core, and at least 64.
pub fn max_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.saturating_mul(4).max(64)
}

/// Results held in memory at once, per worker thread.
const WINDOW_PER_THREAD: usize = 16;

/// The CSV column layout of an experiment.
pub fn layout(exp: &Experiment) -> Layout {
    Layout {
        swept: exp.axes.iter().map(|a| a.column()).collect(),
        metrics: exp.metric_defs(),
        run_columns: exp.model.run_columns().to_vec(),
        team_columns: if exp.teams {
            exp.model.team_columns().iter().collect()
        } else {
            Vec::new()
        },
    }
}

/// The output switches of an experiment (its `[output]` table), which
/// decide the files it writes.
pub fn switches(exp: &Experiment) -> Switches {
    Switches {
        timeseries: exp.timeseries,
        teams: exp.teams,
    }
}
