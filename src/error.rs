//! The library's error type. Each variant says what failed and how to fix
//! it; `main` maps bad input to exit code 2 and runtime failures to 1.

use std::path::PathBuf;

use crate::scenario::LoadError;

/// Everything that can go wrong in ideaflow.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The scenario could not be read or is invalid.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The output folder already holds results.
    #[error(
        "output folder {} already holds results ({}); use --force to replace them or --out to choose another folder",
        path.display(),
        found.join(", ")
    )]
    OutputExists {
        /// The folder.
        path: PathBuf,
        /// The result files found in it.
        found: Vec<String>,
    },
    /// The output path is not a folder (or a link to nothing).
    #[error("output path {} {what}; choose another with --out", path.display())]
    OutputNotDir {
        /// The path.
        path: PathBuf,
        /// What it is instead.
        what: String,
    },
    /// A file in an output folder under one of ideaflow's names that
    /// ideaflow did not write: never replaced, removed or written through.
    #[error(
        "{} is in the way: {what}. ideaflow replaces or removes only files it wrote itself, even with --force; move it away or choose another folder with --out",
        path.display()
    )]
    Foreign {
        /// The file.
        path: PathBuf,
        /// What it is.
        what: String,
    },
    /// An input file named by the user or by another file cannot be read
    /// (not a regular file, too large, not text).
    #[error("cannot read {}: {message}", path.display())]
    Input {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The output folder cannot be created or written.
    #[error("cannot write to output folder {} (choose another with --out)", path.display())]
    OutputUnwritable {
        /// The folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Reading or writing a file failed.
    #[error("cannot write {}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A run panicked or produced an invalid value. The runs before it are
    /// written (the manifest says the experiment is incomplete).
    #[error(
        "run {run_id} (sweep point {point}{}, replicate {replicate}, seed {seed}) failed: {message}\n\
         this is a bug in ideaflow: please report it with the scenario file. The {kept} runs before it are written to {} (manifest.json says complete: false)",
        if parameters.is_empty() { String::new() } else { format!(": {parameters}") },
        out_dir.display()
    )]
    RunFailed {
        /// Run index.
        run_id: u64,
        /// Sweep point.
        point: u64,
        /// The point's swept parameters, as `path = value` pairs.
        parameters: String,
        /// Replicate.
        replicate: u64,
        /// The run's seed.
        seed: u64,
        /// The panic message or the invalid value.
        message: String,
        /// Runs written before it.
        kept: u64,
        /// Output folder.
        out_dir: PathBuf,
    },
    /// The experiment was interrupted; every finished run is written.
    #[error(
        "interrupted: {done} of {total} runs are written to {} (manifest.json says complete: false)",
        out_dir.display()
    )]
    Interrupted {
        /// Output folder.
        out_dir: PathBuf,
        /// Runs written.
        done: u64,
        /// Runs in the experiment.
        total: u64,
    },
    /// The output folder holds an interrupted experiment.
    #[error(
        "output folder {} holds an interrupted run (resume.json); use --resume to continue it, --force to start over, or --out to choose another folder",
        path.display()
    )]
    OutputInterrupted {
        /// The folder.
        path: PathBuf,
    },
    /// Another process is writing to the output folder.
    #[error(
        "output folder {} is in use by another ideaflow process{}; wait for it to finish, or use --out to choose another folder",
        path.display(),
        pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
    )]
    OutputBusy {
        /// The folder.
        path: PathBuf,
        /// The process holding it, when known.
        pid: Option<u32>,
    },
    /// `--resume` found nothing to continue.
    #[error("cannot resume in {}: {reason}", path.display())]
    NothingToResume {
        /// The folder.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// `--resume` with an experiment other than the interrupted one.
    #[error(
        "cannot resume in {}: the experiment differs from the one recorded there:\n  {}\nrun the same scenario with the same --seed/--replicates/--steps, or use --force to start over",
        path.display(),
        differences.join("\n  ")
    )]
    ResumeMismatch {
        /// The folder.
        path: PathBuf,
        /// What differs, one line each.
        differences: Vec<String>,
    },
    /// The resume state cannot be used.
    #[error("cannot resume from {}: {message}; use --force to start over", path.display())]
    ResumeState {
        /// The resume file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The experiment would not fit on the disk or in memory.
    #[error(
        "this experiment is too large for this machine:\n  {}\npass --yes to run it anyway",
        .0.join("\n  ")
    )]
    TooBig(Vec<String>),
    /// `--only-run` names no run of the experiment.
    #[error("--only-run {id}: the experiment has runs 0 to {} ({runs} runs)", runs.saturating_sub(1))]
    NoSuchRun {
        /// The id given.
        id: u64,
        /// Runs in the experiment.
        runs: u64,
    },
    /// The folders given to `merge` cannot be merged.
    #[error("cannot merge:\n  {}", .0.replace('\n', "\n  "))]
    Merge(String),
    /// `slurm` options that cannot be used.
    #[error("{0}")]
    SlurmOptions(String),
    /// Submitting to Slurm failed.
    #[error("{0}")]
    Slurm(String),
    /// The scenarios given to `compare` cannot be compared.
    #[error("cannot compare these scenarios:\n{0}")]
    Compare(String),
    /// `plot` cannot draw this folder or these metrics.
    #[error("cannot plot: {0}")]
    Plot(String),
    /// The worker threads could not be started.
    #[error("cannot start {threads} worker threads: {message}")]
    Threads {
        /// Threads requested.
        threads: usize,
        /// The cause.
        message: String,
    },
}

impl Error {
    /// Whether the error comes from the user's input (scenario, options)
    /// rather than from the machine; `main` exits with 2 for these.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Error::Load(_)
                | Error::OutputExists { .. }
                | Error::OutputNotDir { .. }
                | Error::Foreign { .. }
                | Error::Input { .. }
                | Error::OutputInterrupted { .. }
                | Error::OutputBusy { .. }
                | Error::NothingToResume { .. }
                | Error::ResumeMismatch { .. }
                | Error::NoSuchRun { .. }
                | Error::TooBig(_)
                | Error::OutputUnwritable { .. }
                | Error::Compare(_)
                | Error::Plot(_)
                | Error::Merge(_)
                | Error::SlurmOptions(_)
        )
    }

    /// Wraps an I/O error with the path concerned.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
