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
    /// The output path exists and is not a folder.
    #[error("output path {} exists and is not a folder", path.display())]
    OutputNotDir {
        /// The path.
        path: PathBuf,
    },
    /// Reading or writing a file failed.
    #[error("cannot write {}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A run panicked; the other runs' results are not written.
    #[error(
        "run {run_id} (sweep point {point}, replicate {replicate}, seed {seed}) failed: {message}; this is a bug in ideaflow, please report it with the scenario file"
    )]
    RunFailed {
        /// Run index.
        run_id: u64,
        /// Sweep point.
        point: u64,
        /// Replicate.
        replicate: u64,
        /// The run's seed.
        seed: u64,
        /// The panic message.
        message: String,
    },
    /// The scenarios given to `compare` cannot be compared.
    #[error("cannot compare these scenarios:\n{0}")]
    Compare(String),
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
                | Error::Compare(_)
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
