//! [`Staging`]: an output folder whose files are written under temporary
//! names and renamed together when the experiment ends, replacing or
//! removing only files that ideaflow wrote and recorded.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::files;

use super::FileState;
use super::lock::{FolderLock, WRITE_TEST, foreign_or};
use super::registry::{
    CsvFile, MANIFEST_FILE, OTHER_FILES, PARTIAL_SUFFIX, RESULT_FILES, RESUME_FILE, TMP_SUFFIX,
};

/// An output folder whose files are written under temporary names and
/// renamed together by [`Staging::commit`]. Dropping it uncommitted removes
/// the temporary files, unless a checkpoint refers to them.
///
/// It replaces or removes only files that ideaflow wrote and recorded: the
/// result files a manifest of ideaflow's lists (by its row counts), an
/// interrupted experiment's files that its `resume.json` lists, the
/// temporary files recorded in the lock file's journal, and what it wrote
/// itself. Anything else under one of ideaflow's names is a user's file:
/// the folder is refused, even with `--force`, naming the file.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    staged: Vec<&'static str>,
    /// Final names this staging may replace or remove.
    owned: Vec<String>,
    discard_on_drop: bool,
    /// Held until the staging is dropped (after its files are removed or
    /// renamed: fields drop after `Drop::drop`).
    lock: FolderLock,
}

/// What ideaflow's own records say about the files in a folder.
#[derive(Debug, Default)]
struct Records {
    /// Final names (result files, manifest.json, resume.json) written by
    /// ideaflow.
    finals: Vec<String>,
    /// Temporary names an interrupted experiment's resume.json lists.
    partials: Vec<String>,
    /// resume.json is there and ideaflow's.
    interrupted: bool,
}

impl Records {
    /// Reads the folder's manifest.json and resume.json, when they are
    /// ideaflow's. A file under one of these names that is not ideaflow's
    /// (not a regular file, or not what ideaflow writes) is a user's.
    fn read(dir: &Path, signed: &[Signed<'_>]) -> Records {
        let mut r = Records::default();
        for (name, is_ours) in signed {
            if is_signed(&dir.join(name), is_ours) {
                r.finals.push(name.to_string());
            }
        }
        let manifest = dir.join(MANIFEST_FILE);
        if let Some(m) = read_own_json(&manifest)
            && m.pointer("/program/name")
                .and_then(serde_json::Value::as_str)
                == Some("ideaflow")
        {
            r.finals.push(MANIFEST_FILE.into());
            let rows = m.get("rows");
            let has = |k: &str| rows.and_then(|r| r.get(k)).is_some_and(|v| !v.is_null());
            for file in CsvFile::ALL {
                if has(file.spec().rows_key) {
                    r.finals.push(file.name().into());
                }
            }
        }
        if let Some(state) = read_own_json(&dir.join(RESUME_FILE))
            && let Some(list) = state.get("files").and_then(serde_json::Value::as_array)
            && state.get("experiment").is_some()
        {
            r.interrupted = true;
            r.finals.push(RESUME_FILE.into());
            for f in list {
                if let Some(name) = f.get("name").and_then(serde_json::Value::as_str)
                    && RESULT_FILES.contains(&name)
                {
                    r.finals.push(name.to_string());
                    r.partials.push(format!("{name}{PARTIAL_SUFFIX}"));
                }
            }
        }
        r
    }
}

/// A file without a manifest and how to recognise it as ideaflow's: its
/// name, and a test of its first bytes.
pub type Signed<'a> = (&'a str, &'a dyn Fn(&[u8]) -> bool);

/// Whether the regular file at `path` starts with what `is_ours` expects.
fn is_signed(path: &Path, is_ours: &dyn Fn(&[u8]) -> bool) -> bool {
    if !files::is_regular(path) {
        return false;
    }
    let mut head = Vec::new();
    match files::open_input(path, u64::MAX) {
        Ok(f) => {
            let _ = f.take(4096).read_to_end(&mut head);
            is_ours(&head)
        }
        Err(_) => false,
    }
}

/// A JSON file of ideaflow's state (manifest, resume state), if it is a
/// regular file (not a link) holding JSON.
fn read_own_json(path: &Path) -> Option<serde_json::Value> {
    if !files::is_regular(path) {
        return None;
    }
    let bytes = files::read_input(path, files::MAX_STATE_BYTES).ok()?;
    serde_json::from_slice(&bytes).ok()
}

impl Staging {
    /// Checks and creates the output folder. A folder that already holds
    /// results, or an interrupted experiment, is refused unless `force`;
    /// files there that ideaflow did not write are refused even then.
    pub fn prepare(dir: &Path, force: bool) -> Result<Staging, Error> {
        Staging::prepare_owning(dir, force, &[])
    }

    /// [`Staging::prepare`] for a folder that also holds files without a
    /// manifest: each `(name, is_ours)` counts the file `name` as
    /// ideaflow's when `is_ours` says its first bytes are what ideaflow
    /// writes there (compare.csv, by its header).
    pub fn prepare_owning(
        dir: &Path,
        force: bool,
        signed: &[Signed<'_>],
    ) -> Result<Staging, Error> {
        let unwritable = |source| Error::OutputUnwritable {
            path: dir.to_path_buf(),
            source,
        };
        check_folder(dir)?;
        let existed = dir.exists();
        if existed && !force {
            // Refuse a folder with results before trying to lock it, so a
            // read-only one gets this message rather than "cannot write";
            // but a folder another process is writing is busy, not
            // interrupted.
            if let Err(e) = Staging::claim(dir, false, &Records::read(dir, signed), &[]) {
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
        let records = Records::read(dir, signed);
        let mut staging = Staging {
            dir: dir.to_path_buf(),
            staged: Vec::new(),
            owned: records.finals.clone(),
            discard_on_drop: true,
            lock,
        };
        let left = staging.lock.left.clone();
        Staging::claim(dir, force, &records, &left)?;
        // Temporary files of an earlier, killed or interrupted, process are
        // never results: remove them (they are recorded as ideaflow's).
        let mut stale: Vec<String> = left;
        if force {
            stale.extend(records.partials.iter().cloned());
            if records.interrupted {
                let resume = dir.join(RESUME_FILE);
                std::fs::remove_file(&resume).map_err(|e| Error::io(&resume, e))?;
                staging.owned.retain(|n| n != RESUME_FILE);
            }
        }
        for name in &stale {
            let path = dir.join(name);
            if files::is_regular(&path) {
                std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            }
        }
        staging.lock.forget(&stale)?;
        // Find out now, before any work, that files can be made there.
        staging.lock.record(WRITE_TEST)?;
        let probe = dir.join(WRITE_TEST);
        files::create_new(&probe).map_err(|e| staging.foreign_or_unwritable(&probe, e))?;
        std::fs::remove_file(&probe).map_err(unwritable)?;
        staging.lock.forget(&[WRITE_TEST.to_string()])?;
        Ok(staging)
    }

    /// An error for a file that could not be created: a user's file under
    /// one of ideaflow's names, or a folder that cannot be written.
    fn foreign_or_unwritable(&self, path: &Path, e: std::io::Error) -> Error {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::Foreign {
                path: path.to_path_buf(),
                what: "it is not a file ideaflow recorded as its own".into(),
            }
        } else {
            Error::OutputUnwritable {
                path: self.dir.clone(),
                source: e,
            }
        }
    }

    /// Refuses a folder holding results or an interrupted experiment,
    /// unless `force`, and a folder holding files under ideaflow's names
    /// that ideaflow did not record (`left`: temporary files the lock's
    /// journal lists), even with `force`.
    fn claim(dir: &Path, force: bool, records: &Records, left: &[String]) -> Result<(), Error> {
        let mut names: Vec<String> = RESULT_FILES.iter().map(|s| s.to_string()).collect();
        names.extend(OTHER_FILES.iter().map(|s| s.to_string()));
        for name in RESULT_FILES.iter().chain(OTHER_FILES) {
            names.push(format!("{name}{PARTIAL_SUFFIX}"));
            names.push(format!("{name}{TMP_SUFFIX}"));
        }
        names.push(WRITE_TEST.to_string());
        for name in &names {
            let path = dir.join(name);
            if !files::exists(&path) {
                continue;
            }
            let ours = records.finals.contains(name)
                || records.partials.contains(name)
                || left.contains(name);
            if !ours {
                return Err(Error::Foreign {
                    path,
                    what: if files::is_regular(&dir.join(name)) {
                        "ideaflow did not write it (no manifest or resume state of ideaflow's lists it)".into()
                    } else {
                        "it is not a regular file (a link or a folder); ideaflow never writes through links".into()
                    },
                });
            }
        }
        if records.interrupted && !force {
            return Err(Error::OutputInterrupted {
                path: dir.to_path_buf(),
            });
        }
        let found: Vec<String> = RESULT_FILES
            .iter()
            .filter(|f| files::exists(&dir.join(f)))
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
        let records = Records::read(dir, &[]);
        let mut staging = Staging {
            dir: dir.to_path_buf(),
            staged: Vec::new(),
            owned: records.finals,
            // The files hold finished runs: never removed on drop.
            discard_on_drop: false,
            lock,
        };
        for name in [
            MANIFEST_FILE.to_string(),
            format!("{MANIFEST_FILE}{PARTIAL_SUFFIX}"),
        ] {
            let path = dir.join(&name);
            if files::exists(&path) {
                if !staging.owned.contains(&name) && !staging.lock.journal.contains(&name) {
                    return Err(Error::Foreign {
                        path,
                        what: "it is not a file ideaflow recorded as its own".into(),
                    });
                }
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
            staging.lock.record(&format!("{name}{PARTIAL_SUFFIX}"))?;
            if files::exists(&fin) {
                files::check_not_link(&fin)
                    .map_err(|e| foreign_or(&fin, e, |e| Error::io(&fin, e)))?;
                std::fs::rename(&fin, &partial).map_err(|e| Error::io(&partial, e))?;
            }
            let file = files::open_existing(&partial).map_err(|e| Error::ResumeState {
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

    /// Fails unless whatever is at the final name `name` may be replaced.
    fn check_replaceable(&self, name: &str) -> Result<(), Error> {
        let path = self.dir.join(name);
        if files::exists(&path) && !self.owned.iter().any(|n| n == name) {
            return Err(Error::Foreign {
                path,
                what: "it is not a file ideaflow recorded as its own".into(),
            });
        }
        Ok(())
    }

    /// Writes `name` atomically (a temporary file, synced, then renamed),
    /// replacing the file there only if it is ideaflow's.
    pub fn write_atomic(&mut self, name: &'static str, bytes: &[u8]) -> Result<(), Error> {
        self.check_replaceable(name)?;
        let tmp_name = format!("{name}{TMP_SUFFIX}");
        let tmp = self.dir.join(&tmp_name);
        let to = self.dir.join(name);
        self.lock.record(&tmp_name)?;
        let mut f = files::create_new(&tmp).map_err(|e| self.foreign_or_unwritable(&tmp, e))?;
        let write = || -> std::io::Result<()> {
            f.write_all(bytes)?;
            f.sync_all()?;
            drop(f);
            std::fs::rename(&tmp, &to)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(&to, e)
        })?;
        if !self.owned.iter().any(|n| n == name) {
            self.owned.push(name.to_string());
        }
        self.lock.forget(&[tmp_name])
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
            let file = files::open_existing(&path).map_err(|e| Error::io(&path, e))?;
            file.set_len(f.bytes).map_err(|e| Error::io(&path, e))?;
        }
        let mut gone = Vec::new();
        for name in &self.staged {
            if !files.iter().any(|f| f.name == *name) {
                let _ = std::fs::remove_file(self.partial(name));
                gone.push(format!("{name}{PARTIAL_SUFFIX}"));
            }
        }
        self.lock.forget(&gone)
    }

    fn partial(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}{PARTIAL_SUFFIX}"))
    }

    /// Creates `<name>.partial` for writing (recorded in the lock's
    /// journal first; never over an existing file).
    pub fn create(&mut self, name: &'static str) -> Result<BufWriter<File>, Error> {
        self.check_replaceable(name)?;
        let path = self.partial(name);
        self.lock.record(&format!("{name}{PARTIAL_SUFFIX}"))?;
        let file = files::create_new(&path).map_err(|e| self.foreign_or_unwritable(&path, e))?;
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
        for name in RESULT_FILES.iter() {
            if !self.staged.contains(name) && self.owned.iter().any(|n| n == name) {
                let stale = self.dir.join(name);
                if files::exists(&stale) {
                    std::fs::remove_file(&stale).map_err(|e| Error::io(&stale, e))?;
                }
            }
        }
        let mut order = self.staged.clone();
        order.sort_by_key(|n| *n == MANIFEST_FILE);
        for name in &order {
            self.check_replaceable(name)?;
        }
        let mut renamed = Vec::new();
        for name in order {
            let from = self.partial(name);
            let to = self.dir.join(name);
            std::fs::rename(&from, &to).map_err(|e| Error::io(&to, e))?;
            renamed.push(format!("{name}{PARTIAL_SUFFIX}"));
        }
        self.discard_on_drop = false;
        self.lock.forget(&renamed)?;
        let resume = self.dir.join(RESUME_FILE);
        if complete && self.owned.iter().any(|n| n == RESUME_FILE) && files::exists(&resume) {
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

/// Refuses an output path that is a link to nothing (creating the folder
/// would fail with a puzzling "File exists") or that is not a folder.
fn check_folder(dir: &Path) -> Result<(), Error> {
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() && !dir.exists() => Err(Error::OutputNotDir {
            path: dir.to_path_buf(),
            what: format!(
                "is a symbolic link to {}, which does not exist",
                std::fs::read_link(dir)
                    .map(|t| t.display().to_string())
                    .unwrap_or_else(|_| "?".into())
            ),
        }),
        Ok(_) if !dir.is_dir() => Err(Error::OutputNotDir {
            path: dir.to_path_buf(),
            what: "exists and is not a folder".into(),
        }),
        _ => Ok(()),
    }
}
