//! Safe file access: the only way ideaflow reads a file a user names or
//! creates, replaces or removes a file in a folder.
//!
//! - Inputs (scenario files, `extends`, manifests, CSV files given to
//!   `merge` and `plot`) are read only when they are regular files (not a
//!   device such as `/dev/zero`, a FIFO that blocks for ever, or a
//!   folder) and no larger than a limit, so no file can make ideaflow read
//!   without end or run out of memory.
//! - Files are created only with `create_new` (`O_CREAT | O_EXCL`), which
//!   never follows a symbolic link and never truncates a file that is
//!   already there; existing files are opened for writing only after
//!   checking that the path is a regular file and not a link, and that the
//!   file opened is the one checked. A link planted in an output folder is
//!   an error, never a way to write elsewhere.
//! - Replacing a file is a rename of a new file over it (a rename replaces
//!   a link itself, never its target).
//!
//! Which files ideaflow may replace or remove is decided by the callers
//! (`crate::output::Staging` keeps the record); this module only makes
//! every access safe.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Largest scenario file (and base scenario) read: 16 MiB, far beyond any
/// organisation described by hand (10,000 interventions take about 1 MB).
pub const MAX_SCENARIO_BYTES: u64 = 16 << 20;

/// Largest manifest or resume state read: 2 GiB (a manifest lists up to
/// 100,000 points with every parameter).
pub const MAX_STATE_BYTES: u64 = 2 << 30;

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// What a path is, in words, for messages ("a folder", "a FIFO", ...).
fn describe(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a folder";
    }
    if t.is_symlink() {
        return "a symbolic link";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

/// Opens `path` for reading if it is a regular file (following links) of
/// at most `limit` bytes. Checked before opening, so a FIFO or a device is
/// never opened (opening a FIFO blocks until a writer appears).
pub fn open_input(path: &Path, limit: u64) -> io::Result<File> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(invalid(format!(
            "expected a regular file, found {}",
            describe(&meta)
        )));
    }
    if meta.len() > limit {
        return Err(invalid(format!(
            "expected a file of at most {} bytes, found {} bytes",
            limit,
            meta.len()
        )));
    }
    let file = File::open(path)?;
    // The path may have been replaced between the check and the open.
    let opened = file.metadata()?;
    if !opened.is_file() {
        return Err(invalid(format!(
            "expected a regular file, found {}",
            describe(&opened)
        )));
    }
    Ok(file)
}

/// Reads a regular file of at most `limit` bytes (see [`open_input`]); a
/// file that grows past the limit while read is refused too.
pub fn read_input(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let file = open_input(path, limit)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(invalid(format!(
            "expected a file of at most {limit} bytes, found a larger one"
        )));
    }
    Ok(bytes)
}

/// [`read_input`] as UTF-8 text.
pub fn read_input_text(path: &Path, limit: u64) -> io::Result<String> {
    String::from_utf8(read_input(path, limit)?)
        .map_err(|e| invalid(format!("expected UTF-8 text, found invalid bytes ({e})")))
}

/// Creates a new file for writing; fails if anything (a file, a folder, a
/// link, even a dangling one) is at `path`.
pub fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// Whether something (a file, a folder, a link, even a dangling one) is at
/// `path`.
pub fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Whether `path` is a regular file, not reached through a link.
pub fn is_regular(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file())
}

/// Refuses anything at `path` that is not a regular file (a link, a
/// folder, a FIFO); nothing there is fine.
pub fn check_not_link(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_file() => Ok(()),
        Ok(m) => Err(invalid(format!(
            "expected a regular file written by ideaflow, found {}; ideaflow never writes through links",
            describe(&m)
        ))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Opens the existing regular file at `path` for reading and writing,
/// without following a link: the path must be a regular file, and the
/// file opened must be the one checked (so a link swapped in between is
/// caught).
pub fn open_existing(path: &Path) -> io::Result<File> {
    let before = std::fs::symlink_metadata(path)?;
    if !before.file_type().is_file() {
        return Err(invalid(format!(
            "expected a regular file written by ideaflow, found {}; ideaflow never writes through links",
            describe(&before)
        )));
    }
    let file = OpenOptions::new().read(true).write(true).open(path)?;
    if !same_file(&file.metadata()?, &before) {
        return Err(invalid(
            "the file was replaced while it was opened; ideaflow never writes through links".into(),
        ));
    }
    Ok(file)
}

/// Whether two metadata describe the same file.
#[cfg(unix)]
pub fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

/// Whether two metadata describe the same file (without inode numbers:
/// same type, length and modification time).
#[cfg(not(unix))]
pub fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    a.file_type() == b.file_type() && a.len() == b.len() && a.modified().ok() == b.modified().ok()
}

/// A new temporary file in `dir` for the final name `name`: hidden,
/// unique to this process, created with [`create_new`].
pub fn create_temporary(dir: &Path, name: &str) -> io::Result<(File, PathBuf)> {
    let pid = std::process::id();
    let mut last = None;
    // Bounded: a name is only taken by a file this process left after a
    // failure, or by one someone else put there.
    for n in 0..64u32 {
        let path = dir.join(format!(".{name}.{pid}.{n}.tmp"));
        match create_new(&path) {
            Ok(f) => return Ok((f, path)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no temporary name free")))
}

/// Writes `bytes` to `dir/name` atomically: a new temporary file, synced,
/// renamed over the final name. Whatever was at the final name (a file, or
/// a link, which is replaced, not followed) is replaced: the caller decides
/// that it may be. On failure nothing is left behind.
pub fn write_replace(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let (mut f, tmp) = create_temporary(dir, name)?;
    let result = (|| {
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, dir.join(name))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_must_be_regular_files_under_the_limit() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("a.toml");
        std::fs::write(&f, "x = 1\n").unwrap();
        assert_eq!(read_input_text(&f, 100).unwrap(), "x = 1\n");
        let e = read_input(&f, 3).unwrap_err();
        assert!(e.to_string().contains("at most 3 bytes"), "{e}");
        let e = read_input(tmp.path(), 100).unwrap_err();
        assert!(e.to_string().contains("a folder"), "{e}");
        #[cfg(unix)]
        {
            let e = read_input(Path::new("/dev/zero"), 100).unwrap_err();
            assert!(e.to_string().contains("a device"), "{e}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_are_never_written_through() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("target");
        std::fs::write(&target, "keep").unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(create_new(&link).is_err());
        assert!(open_existing(&link).is_err());
        assert!(check_not_link(&link).is_err());
        let dangling = tmp.path().join("dangling");
        std::os::unix::fs::symlink(tmp.path().join("nowhere"), &dangling).unwrap();
        assert!(create_new(&dangling).is_err());
        assert!(!tmp.path().join("nowhere").exists());
        // Replacing the link replaces the link, not its target.
        write_replace(tmp.path(), "link", b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        assert_eq!(std::fs::read_to_string(&link).unwrap(), "new");
        assert!(is_regular(&link));
    }
}
