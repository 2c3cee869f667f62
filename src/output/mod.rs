//! Output files: tidy CSV time series, one row per run, summaries across
//! replicates, and the run manifest.
//!
//! Every file is written to `<name>.partial` in the output folder and renamed
//! to its final name only when the experiment has finished or stopped at a
//! run boundary, so a reader never sees half a file under a final name
//! (STYLE.md 6). Each CSV format is one [`Sink`]; a sink can report its
//! exact state at a run boundary ([`Sink::checkpoint`]) and continue from
//! it ([`Sink::restore`]), which is what `--resume` builds on.

pub mod format;
pub mod manifest;
pub mod runs;
pub mod stats;
pub mod summary;
pub mod teams;
pub mod timeseries;

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

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

/// The lock file of an output folder, present while a process writes there.
pub const LOCK_FILE: &str = ".ideaflow.lock";

/// An exclusive lock on an output folder, held by the process writing its
/// files (run, resume, merge, compare), so that a second process started on
/// the same folder stops at once instead of removing or overwriting the
/// first one's files. The operating system releases the lock when the
/// process ends in any way, even killed; the lock file is removed when the
/// lock is dropped.
#[derive(Debug)]
pub struct FolderLock {
    file: File,
    path: PathBuf,
}

impl FolderLock {
    /// Takes the lock of `dir` (which must exist), or says which process
    /// holds it.
    pub fn acquire(dir: &Path) -> Result<FolderLock, Error> {
        let path = dir.join(LOCK_FILE);
        loop {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|source| Error::OutputUnwritable {
                    path: dir.to_path_buf(),
                    source,
                })?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    let pid = std::fs::read_to_string(&path)
                        .ok()
                        .and_then(|t| t.trim().parse().ok());
                    return Err(Error::OutputBusy {
                        path: dir.to_path_buf(),
                        pid,
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
            }
            // The process that held the lock removes the file before
            // releasing it: a lock won on a file no longer at `path` guards
            // nothing, so open the path again.
            if !same_file(&file, &path) {
                continue;
            }
            let mut lock = FolderLock { file, path };
            let pid = std::process::id().to_string();
            // The pid is only for the message of a process that finds the
            // folder busy; failing to write it changes nothing else.
            let _ = lock.file.set_len(0);
            let _ = lock.file.write_all(pid.as_bytes());
            return Ok(lock);
        }
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        // Removed while still locked (the file closes after this), so that
        // no other process can lock the file and then see it vanish.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether the open `file` is the file at `path`.
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Whether the open `file` is the file at `path` (without inode numbers,
/// assume so: the lock still excludes concurrent writers, only the rare
/// race with a process that is just releasing it is not covered).
#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// The state of an interrupted experiment, from which `--resume` continues.
pub const RESUME_FILE: &str = "resume.json";

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

/// An output folder whose files are written under temporary names and
/// renamed together by [`Staging::commit`]. Dropping it uncommitted removes
/// the temporary files, unless a checkpoint refers to them.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    staged: Vec<&'static str>,
    discard_on_drop: bool,
    /// Held until the staging is dropped (after its files are removed or
    /// renamed: fields drop after `Drop::drop`).
    _lock: FolderLock,
}

impl Staging {
    /// Checks and creates the output folder. A folder that already holds
    /// results, or an interrupted experiment, is refused unless `force`.
    pub fn prepare(dir: &Path, force: bool) -> Result<Staging, Error> {
        let unwritable = |source| Error::OutputUnwritable {
            path: dir.to_path_buf(),
            source,
        };
        let existed = dir.exists();
        if existed && !dir.is_dir() {
            return Err(Error::OutputNotDir {
                path: dir.to_path_buf(),
            });
        }
        if existed && !force {
            // Refuse a folder with results before trying to lock it, so a
            // read-only one gets this message rather than "cannot write";
            // but a folder another process is writing is busy, not
            // interrupted.
            if let Err(e) = Staging::claim(dir, false) {
                if let Err(busy @ Error::OutputBusy { .. }) = FolderLock::acquire(dir) {
                    return Err(busy);
                }
                return Err(e);
            }
        }
        std::fs::create_dir_all(dir).map_err(unwritable)?;
        // Before looking at (and perhaps removing) anything in the folder;
        // then look again, under the lock.
        let lock = FolderLock::acquire(dir)?;
        if existed {
            Staging::claim(dir, force)?;
        }
        // Find out now, before any work, that files can be made there.
        let probe = dir.join(".ideaflow-write-test");
        File::create(&probe).map_err(unwritable)?;
        std::fs::remove_file(&probe).map_err(unwritable)?;
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
            discard_on_drop: true,
            _lock: lock,
        })
    }

    /// Refuses a folder holding results or an interrupted experiment,
    /// unless `force`, which removes the interrupted experiment's state.
    fn claim(dir: &Path, force: bool) -> Result<(), Error> {
        let resume = dir.join(RESUME_FILE);
        if resume.exists() {
            if !force {
                return Err(Error::OutputInterrupted {
                    path: dir.to_path_buf(),
                });
            }
            std::fs::remove_file(&resume).map_err(|e| Error::io(&resume, e))?;
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
        Ok(())
    }

    /// Reopens the files of an interrupted experiment to continue them:
    /// each is found under its final or its partial name, renamed to the
    /// partial name, truncated to the checkpoint's length and positioned at
    /// its end. The old manifest is removed (a new one is written when the
    /// experiment stops again). `lock` is the folder's lock if the caller
    /// already holds it.
    pub fn reopen(
        dir: &Path,
        files: &[FileState],
        lock: Option<FolderLock>,
    ) -> Result<(Staging, Vec<BufWriter<File>>), Error> {
        let lock = match lock {
            Some(lock) => lock,
            None => FolderLock::acquire(dir)?,
        };
        let mut staging = Staging {
            dir: dir.to_path_buf(),
            staged: Vec::new(),
            discard_on_drop: true,
            _lock: lock,
        };
        // The files hold finished runs: never removed on drop.
        staging.discard_on_drop = false;
        for name in [
            "manifest.json".to_string(),
            format!("manifest.json{PARTIAL_SUFFIX}"),
        ] {
            let path = dir.join(name);
            if path.exists() {
                std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            }
        }
        let mut writers = Vec::new();
        for f in files {
            let Some(&name) = RESULT_FILES.iter().find(|n| **n == f.name) else {
                return Err(Error::ResumeState {
                    path: dir.join(RESUME_FILE),
                    message: format!("it names an unknown file `{}`", f.name),
                });
            };
            let fin = dir.join(name);
            let partial = staging.partial(name);
            if fin.exists() {
                std::fs::rename(&fin, &partial).map_err(|e| Error::io(&partial, e))?;
            }
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&partial)
                .map_err(|e| Error::ResumeState {
                    path: dir.join(RESUME_FILE),
                    message: format!("{name} cannot be opened: {e}"),
                })?;
            let len = file.metadata().map_err(|e| Error::io(&partial, e))?.len();
            if len < f.bytes {
                return Err(Error::ResumeState {
                    path: dir.join(RESUME_FILE),
                    message: format!(
                        "{name} holds {len} bytes but the checkpoint recorded {}; it was changed after the interruption",
                        f.bytes
                    ),
                });
            }
            file.set_len(f.bytes).map_err(|e| Error::io(&partial, e))?;
            let mut w = BufWriter::with_capacity(1 << 20, file);
            w.seek(SeekFrom::End(0))
                .map_err(|e| Error::io(&partial, e))?;
            staging.staged.push(name);
            writers.push(w);
        }
        Ok((staging, writers))
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `name` atomically (a temporary file, synced, then renamed).
    pub fn write_atomic(&self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        let tmp = self.dir.join(format!("{name}.tmp"));
        let to = self.dir.join(name);
        let write = || -> std::io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &to)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(&to, e)
        })
    }

    /// Keeps the partial files if this value is dropped uncommitted: a
    /// checkpoint refers to them.
    pub fn keep_on_drop(&mut self) {
        self.discard_on_drop = false;
    }

    /// Truncates the partial files to a checkpoint and keeps them (and
    /// the resume state) for `--resume`, after a failure to write.
    pub fn keep_checkpoint(mut self, files: &[FileState]) -> Result<(), Error> {
        self.discard_on_drop = false;
        for f in files {
            let path = self.partial(&f.name);
            let file = OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(|e| Error::io(&path, e))?;
            file.set_len(f.bytes).map_err(|e| Error::io(&path, e))?;
        }
        for name in &self.staged {
            if !files.iter().any(|f| f.name == *name) {
                let _ = std::fs::remove_file(self.partial(name));
            }
        }
        Ok(())
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
    /// folder with a manifest holds what the manifest describes), removes
    /// result files of an earlier run that this run did not produce, and
    /// the resume state.
    pub fn commit(self) -> Result<(), Error> {
        self.rename_all(true)
    }

    /// Like [`Staging::commit`] for an experiment that stopped early: the
    /// files hold every run finished, and the resume state stays.
    pub fn commit_incomplete(self) -> Result<(), Error> {
        self.rename_all(false)
    }

    fn rename_all(mut self, complete: bool) -> Result<(), Error> {
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
        self.discard_on_drop = false;
        let resume = self.dir.join(RESUME_FILE);
        if complete && resume.exists() {
            std::fs::remove_file(&resume).map_err(|e| Error::io(&resume, e))?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.discard_on_drop {
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
