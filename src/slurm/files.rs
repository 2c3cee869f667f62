//! Writing the scripts safely: their folders made or accepted only as
//! real folders, each script written to a new temporary file beside it
//! and renamed over its name, so a link planted there is replaced, never
//! followed.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::path::Path;

use crate::error::Error;

use super::bad;

/// What a file system entry is, for messages.
fn kind(m: &std::fs::Metadata) -> &'static str {
    let t = m.file_type();
    if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a folder"
    } else if t.is_file() {
        "a file"
    } else {
        "neither a file nor a folder"
    }
}

/// Creates the folder `dir` (its parent exists) or accepts the folder
/// there; refuses a symbolic link or anything else in its place.
pub(super) fn real_dir(dir: &Path) -> Result<(), Error> {
    if let Err(e) = std::fs::create_dir(dir)
        && e.kind() != ErrorKind::AlreadyExists
    {
        return Err(Error::OutputUnwritable {
            path: dir.to_path_buf(),
            source: e,
        });
    }
    let m = std::fs::symlink_metadata(dir).map_err(|e| Error::io(dir, e))?;
    if m.file_type().is_dir() {
        Ok(())
    } else {
        Err(bad(format!(
            "{} is {}: expected a folder (or nothing) there for the Slurm scripts; remove it or choose another --out",
            dir.display(),
            kind(&m)
        )))
    }
}

/// Refuses a path that holds anything but a regular file (a symbolic
/// link, a folder, a FIFO, a device).
pub(super) fn replaceable(path: &Path) -> Result<(), Error> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_file() => Ok(()),
        Ok(m) => Err(bad(format!(
            "{} is {}: expected a script written by ideaflow (or nothing) there; remove it or choose another --out",
            path.display(),
            kind(&m)
        ))),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Writes an executable script to a new temporary file in its folder
/// (`create_new`: never through a link, never over an existing file) and
/// renames it over `path`, which must be a regular file or absent.
pub(super) fn write_script(path: &Path, text: &str) -> Result<(), Error> {
    replaceable(path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(".{name}.{}-{attempt}.tmp", std::process::id()));
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o755);
        }
        match opts.open(&tmp) {
            Ok(f) => break (tmp, f),
            // Someone else's file: leave it, take another name.
            Err(e) if e.kind() == ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(Error::io(&tmp, e)),
        }
    };
    let written = (|| -> std::io::Result<()> {
        file.write_all(text.as_bytes())?;
        #[cfg(unix)]
        {
            // The mode given to open is reduced by the umask.
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o755))?;
        }
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}
