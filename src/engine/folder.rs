//! The output folder of a session of an experiment ([`Folder`]): opened
//! fresh or at the last checkpoint of an interrupted experiment, saved at
//! run boundaries for `--resume`, closed or abandoned at the end.

use std::path::Path;
use std::time::SystemTime;

use crate::error::Error;
use crate::output::manifest::{self, Rows};
use crate::output::{FileState, FolderLock, RESUME_FILE, Sink, Staging};

use super::experiment::Job;
use super::{RunOptions, RunReport, checkpoint};

/// The output folder being written: its staging, a sink per file, and
/// the state of earlier sessions.
pub(super) struct Folder {
    pub staging: Staging,
    pub sinks: Vec<Box<dyn Sink>>,
    /// The resume state the earlier sessions left (runs done, start,
    /// time), or a new one.
    pub earlier: checkpoint::ResumeState,
    /// The files at the last checkpoint written, if any.
    pub last_checkpoint: Option<Vec<FileState>>,
}

/// What opening the folder found.
pub(super) enum Opened {
    /// A folder to write the runs into.
    Ready(Folder),
    /// `--resume` of an experiment already complete: nothing to do.
    Complete(RunReport),
}

impl Folder {
    /// Opens the folder: fresh (refusing existing results unless
    /// `--force`), or, with `--resume`, at the last checkpoint.
    pub fn open(job: &Job<'_>, opts: &RunOptions<'_>) -> Result<Opened, Error> {
        if opts.resume {
            Folder::reopen(job, opts)
        } else {
            Folder::fresh(job, opts).map(Opened::Ready)
        }
    }

    /// A new folder with a fresh sink per file.
    fn fresh(job: &Job<'_>, opts: &RunOptions<'_>) -> Result<Folder, Error> {
        job.guard(job.selection.total as f64, opts)?;
        let mut staging = Staging::prepare(&opts.out_dir, opts.force)?;
        let mut sinks = Vec::with_capacity(job.files.len());
        for file in &job.files {
            let w = staging.create(file.name())?;
            sinks.push(
                file.sink(w, &job.layout, true)
                    .map_err(job.io(&opts.out_dir, file.name()))?,
            );
        }
        let earlier = checkpoint::ResumeState {
            format: 0,
            experiment: job.fingerprint.clone(),
            runs_total: job.selection.total,
            runs_done: 0,
            files: Vec::new(),
            started: manifest::timestamp(SystemTime::now()),
            elapsed_seconds: 0.0,
            sessions: 0,
        };
        Ok(Folder {
            staging,
            sinks,
            earlier,
            last_checkpoint: None,
        })
    }

    /// The folder of an interrupted experiment, its files truncated to
    /// the last checkpoint and its sinks restored; or the report of a
    /// complete one.
    fn reopen(job: &Job<'_>, opts: &RunOptions<'_>) -> Result<Opened, Error> {
        let dir = &opts.out_dir;
        // Before reading its state: a folder another process is writing to
        // is busy, not interrupted.
        let lock = if dir.is_dir() {
            match FolderLock::acquire(dir) {
                Ok(lock) => Some(lock),
                // A finished experiment in a folder this user cannot write
                // can still be checked (and found complete) without a lock;
                // continuing an interrupted one needs it (reopen says so).
                Err(Error::OutputUnwritable { .. }) => None,
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        let state = match checkpoint::read(dir)? {
            checkpoint::Found::Interrupted(state) => state,
            checkpoint::Found::Complete(m) => return complete(job, opts, &m).map(Opened::Complete),
        };
        checkpoint::check(dir, &state.experiment, &job.fingerprint)?;
        job.guard(
            job.selection.total.saturating_sub(state.runs_done) as f64,
            opts,
        )?;
        let resume_error = |message: String| Error::ResumeState {
            path: dir.join(RESUME_FILE),
            message,
        };
        if state
            .files
            .iter()
            .map(|f| f.name.as_str())
            .ne(job.files.iter().map(|f| f.name()))
        {
            return Err(resume_error(
                "its files are not those this experiment writes".into(),
            ));
        }
        let (staging, writers) = Staging::reopen(dir, &state.files, lock)?;
        let mut sinks = Vec::with_capacity(job.files.len());
        for ((file, w), f) in job.files.iter().zip(writers).zip(&state.files) {
            let mut sink = file
                .sink(w, &job.layout, false)
                .map_err(job.io(dir, file.name()))?;
            sink.restore(f).map_err(resume_error)?;
            sinks.push(sink);
        }
        let last_checkpoint = Some(state.files.clone());
        Ok(Opened::Ready(Folder {
            staging,
            sinks,
            earlier: state,
            last_checkpoint,
        }))
    }

    /// This session's number (1 + the sessions before it).
    pub fn session(&self) -> u32 {
        self.earlier.sessions + 1
    }

    /// Writes the files' state at the current run boundary (`done` runs)
    /// and resume.json, from which `--resume` continues.
    pub fn save(&mut self, job: &Job<'_>, dir: &Path, done: u64) -> Result<Vec<FileState>, Error> {
        let mut files = Vec::with_capacity(self.sinks.len());
        for s in self.sinks.iter_mut() {
            files.push(s.checkpoint().map_err(job.io(dir, s.file_name()))?);
        }
        let state = checkpoint::ResumeState {
            format: 1,
            experiment: job.fingerprint.clone(),
            runs_total: job.selection.total,
            runs_done: done,
            files: files.clone(),
            started: self.earlier.started.clone(),
            elapsed_seconds: self.earlier.elapsed_seconds + job.clock.elapsed().as_secs_f64(),
            sessions: self.session(),
        };
        let mut text =
            serde_json::to_vec(&state).map_err(|e| Error::io(dir.join(RESUME_FILE), e.into()))?;
        text.push(b'\n');
        self.staging.write_atomic(RESUME_FILE, &text)?;
        self.staging.keep_on_drop();
        Ok(files)
    }

    /// After a failure to write: the files may hold part of a run, so they
    /// go back to the last checkpoint, kept for `--resume` (or, without
    /// one, are removed).
    pub fn abandon(self) -> Result<(), Error> {
        let Folder {
            staging,
            sinks,
            last_checkpoint,
            ..
        } = self;
        drop(sinks);
        match last_checkpoint {
            Some(files) => staging.keep_checkpoint(&files),
            None => Ok(()),
        }
    }
}

/// The report of `--resume` on an experiment found complete, if it is
/// this experiment.
fn complete(
    job: &Job<'_>,
    opts: &RunOptions<'_>,
    m: &serde_json::Value,
) -> Result<RunReport, Error> {
    checkpoint::check(
        &opts.out_dir,
        &checkpoint::manifest_fingerprint(m),
        &job.fingerprint,
    )?;
    let rows =
        serde_json::from_value(m.get("rows").cloned().unwrap_or_default()).unwrap_or_default();
    Ok(RunReport {
        out_dir: opts.out_dir.clone(),
        runs: job.selection.total,
        resumed_from: job.selection.total,
        rows,
        threads: job.threads,
        elapsed_seconds: 0.0,
    })
}

impl Folder {
    /// Finishes every file; the rows each holds.
    pub fn close(&mut self, job: &Job<'_>, dir: &Path) -> Result<Rows, Error> {
        let mut rows = Rows::default();
        for (file, s) in job.files.iter().zip(self.sinks.iter_mut()) {
            let n = s.finish().map_err(job.io(dir, s.file_name()))?;
            rows.set(*file, n);
        }
        Ok(rows)
    }
}
