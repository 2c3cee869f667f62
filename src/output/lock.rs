//! The lock of an output folder ([`FolderLock`]): held by the process
//! writing there, so that a second one stops at once, and the journal of
//! the temporary files that process makes, so that the next one removes a
//! killed process's leftovers and nothing else.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::files;

use super::registry::{OTHER_FILES, PARTIAL_SUFFIX, RESULT_FILES, TMP_SUFFIX};

/// The lock file of an output folder, present while a process writes there.
pub const LOCK_FILE: &str = ".ideaflow.lock";

/// The empty file made to find out that a folder is writable.
pub(super) const WRITE_TEST: &str = ".ideaflow-write-test";

/// An exclusive lock on an output folder, held by the process writing its
/// files (run, resume, merge, compare), so that a second process started on
/// the same folder stops at once instead of removing or overwriting the
/// first one's files. The operating system releases the lock when the
/// process ends in any way, even killed; the lock file is removed when the
/// lock is dropped.
///
/// The lock file is also the folder's journal: before ideaflow creates a
/// temporary file there (`runs.csv.partial`, `resume.json.tmp`, ...) it
/// records the name in the lock file, so the next process that takes the
/// lock knows which leftovers a killed process made, and removes those
/// only. A file it has no record of is never removed or replaced.
#[derive(Debug)]
pub struct FolderLock {
    file: File,
    path: PathBuf,
    /// Temporary files recorded (by this process, or left by a killed one).
    pub(super) journal: Vec<String>,
    /// The entries a killed process left (a subset of `journal`).
    pub(super) left: Vec<String>,
}

impl FolderLock {
    /// Takes the lock of `dir` (which must exist), or says which process
    /// holds it. A link planted as the lock file is refused, never written
    /// through.
    pub fn acquire(dir: &Path) -> Result<FolderLock, Error> {
        let path = dir.join(LOCK_FILE);
        let unwritable = |source| Error::OutputUnwritable {
            path: dir.to_path_buf(),
            source,
        };
        // Bounded: each round ends unless the lock file vanished between
        // opening and locking it (its holder finished), which can happen
        // only as often as processes finish.
        for _ in 0..1000 {
            let mut file = match files::create_new(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    files::open_existing(&path).map_err(|e| foreign_or(&path, e, unwritable))?
                }
                Err(e) => return Err(unwritable(e)),
            };
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    let mut text = String::new();
                    let _ = (&file).take(4096).read_to_string(&mut text);
                    let pid = text.lines().next().and_then(|l| l.trim().parse().ok());
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
            let here = std::fs::symlink_metadata(&path);
            if !file
                .metadata()
                .is_ok_and(|m| here.is_ok_and(|h| files::same_file(&m, &h)))
            {
                continue;
            }
            // What a killed process recorded: names of ideaflow's own
            // temporary files only (anything else in the file is ignored).
            let mut text = String::new();
            let _ = file.seek(SeekFrom::Start(0));
            let _ = (&mut file).take(64 * 1024).read_to_string(&mut text);
            let mut left: Vec<String> = Vec::new();
            for name in text.lines().skip(1) {
                if is_temporary_name(name) && !left.iter().any(|l| l == name) {
                    left.push(name.to_string());
                }
            }
            let mut lock = FolderLock {
                file,
                path,
                journal: left.clone(),
                left,
            };
            lock.save().map_err(|e| Error::io(&lock.path, e))?;
            return Ok(lock);
        }
        Err(Error::OutputBusy {
            path: dir.to_path_buf(),
            pid: None,
        })
    }

    /// Rewrites the lock file: this process's pid, then the journal.
    fn save(&mut self) -> std::io::Result<()> {
        let mut text = std::process::id().to_string();
        text.push('\n');
        for name in &self.journal {
            text.push_str(name);
            text.push('\n');
        }
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(text.as_bytes())
    }

    /// Records that this process is about to create the temporary file
    /// `name` in the folder.
    pub(super) fn record(&mut self, name: &str) -> Result<(), Error> {
        if !self.journal.iter().any(|n| n == name) {
            self.journal.push(name.to_string());
            self.save().map_err(|e| Error::io(&self.path, e))?;
        }
        Ok(())
    }

    /// Forgets temporary files that no longer exist (renamed or removed).
    pub(super) fn forget(&mut self, names: &[String]) -> Result<(), Error> {
        let before = self.journal.len();
        self.journal.retain(|n| !names.contains(n));
        self.left.retain(|n| !names.contains(n));
        if self.journal.len() != before {
            self.save().map_err(|e| Error::io(&self.path, e))?;
        }
        Ok(())
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        // Removed while still locked (the file closes after this), so that
        // no other process can lock the file and then see it vanish.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether `name` is one of the temporary files ideaflow makes in an
/// output folder (what a lock file's journal may list).
fn is_temporary_name(name: &str) -> bool {
    if name == WRITE_TEST {
        return true;
    }
    let Some(base) = name
        .strip_suffix(PARTIAL_SUFFIX)
        .or_else(|| name.strip_suffix(TMP_SUFFIX))
    else {
        return false;
    };
    RESULT_FILES.contains(&base) || OTHER_FILES.contains(&base)
}

/// An error for a path that exists but is not ideaflow's to open (a link,
/// a folder), or else `other`.
pub(super) fn foreign_or(
    path: &Path,
    e: std::io::Error,
    other: impl FnOnce(std::io::Error) -> Error,
) -> Error {
    if e.kind() == std::io::ErrorKind::InvalidInput {
        Error::Foreign {
            path: path.to_path_buf(),
            what: e.to_string(),
        }
    } else {
        other(e)
    }
}
