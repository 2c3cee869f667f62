//! [`ShardFile`]: one CSV file of a shard read one record at a time,
//! with one record of look-ahead. A record is limited to the plan's
//! `max_record` bytes (counted as the CSV reader pulls them from the
//! file), so a file without line breaks cannot fill the memory; a file
//! must end with a line break (a cut-off last line is refused, not
//! merged).

use std::cell::Cell;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::rc::Rc;

use csv::ByteRecord;

use crate::error::Error;

use super::super::manifest::{bad, shorten};

/// The CSV reader's buffer.
const CSV_BUFFER: usize = 1 << 16;

/// The marker of a record over the limit.
#[derive(Debug)]
struct TooLong;

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("record too long")
    }
}

impl std::error::Error for TooLong {}

/// A file that refuses to deliver more than `limit` bytes between two
/// resets of `used` (one per record).
struct Limited {
    file: File,
    used: Rc<Cell<u64>>,
    limit: u64,
}

impl Read for Limited {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        let used = self.used.get() + n as u64;
        self.used.set(used);
        if used > self.limit {
            return Err(std::io::Error::other(TooLong));
        }
        Ok(n)
    }
}

/// One CSV file of a shard, with one record of look-ahead.
pub(in crate::merge) struct ShardFile {
    /// Its path as messages show it.
    pub name: String,
    reader: csv::Reader<Limited>,
    used: Rc<Cell<u64>>,
    max_record: u64,
    /// The header, checked.
    pub header: ByteRecord,
    /// The next record, and its line (None at the end of the file).
    next: ByteRecord,
    next_line: Option<u64>,
    last_line: u64,
}

/// A field as a message shows it.
pub(super) fn shown(b: &[u8]) -> String {
    if b.is_empty() {
        "an empty field".into()
    } else {
        shorten(&String::from_utf8_lossy(b))
    }
}

impl ShardFile {
    /// Opens `dir/name`, checks that it ends with a line break and that
    /// its header is `expected`, and reads its first row.
    pub fn open(
        dir: &Path,
        name: &str,
        expected: &[String],
        max_record: u64,
    ) -> Result<ShardFile, Error> {
        let path = dir.join(name);
        let shown_path = path.display().to_string();
        let meta = std::fs::metadata(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                bad(format!(
                    "{shown_path}: missing (its manifest says the shard is complete)"
                ))
            } else {
                bad(format!("{shown_path}: cannot read it: {e}"))
            }
        })?;
        if !meta.is_file() {
            return Err(bad(format!(
                "{shown_path}: not a regular file (the files of a shard are files ideaflow wrote)"
            )));
        }
        let cannot = |e: std::io::Error| bad(format!("{shown_path}: cannot read it: {e}"));
        let mut file = File::open(&path).map_err(cannot)?;
        if meta.len() == 0 {
            return Err(bad(format!(
                "{shown_path}:1: expected the header line, found an empty file"
            )));
        }
        let mut last = [0u8; 1];
        file.seek(SeekFrom::End(-1)).map_err(cannot)?;
        file.read_exact(&mut last).map_err(cannot)?;
        if last[0] != b'\n' {
            return Err(bad(format!(
                "{shown_path}: its last line is cut off (the file does not end with a line break)"
            )));
        }
        file.seek(SeekFrom::Start(0)).map_err(cannot)?;
        let used = Rc::new(Cell::new(0));
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(CSV_BUFFER)
            .from_reader(Limited {
                file,
                used: Rc::clone(&used),
                limit: max_record + CSV_BUFFER as u64,
            });
        let mut f = ShardFile {
            name: shown_path,
            reader,
            used,
            max_record,
            header: ByteRecord::new(),
            next: ByteRecord::new(),
            next_line: None,
            last_line: 0,
        };
        f.read()?;
        let Some(line) = f.next_line else {
            return Err(bad(format!(
                "{}:1: expected the header line, found no line",
                f.name
            )));
        };
        let header = f.next.clone();
        if header.len() != expected.len() {
            return Err(bad(format!(
                "{}:{line}: expected {} columns ({}), found {}",
                f.name,
                expected.len(),
                shorten(&expected.join(",")),
                header.len()
            )));
        }
        for (k, (got, want)) in header.iter().zip(expected).enumerate() {
            if got != want.as_bytes() {
                return Err(bad(format!(
                    "{}:{line}: column {}: expected `{want}`, found `{}`",
                    f.name,
                    k + 1,
                    shorten(&String::from_utf8_lossy(got))
                )));
            }
        }
        f.header = header;
        f.read()?;
        Ok(f)
    }

    /// Reads the next record (into `next`, reusing its buffers).
    fn read(&mut self) -> Result<(), Error> {
        self.used.set(0);
        self.next_line = None;
        match self.reader.read_byte_record(&mut self.next) {
            Ok(false) => Ok(()),
            Ok(true) => {
                let line = self
                    .next
                    .position()
                    .map_or(self.last_line + 1, |p| p.line());
                self.last_line = line;
                self.next_line = Some(line);
                Ok(())
            }
            Err(e) => {
                let line = e
                    .position()
                    .map_or(self.last_line + 1, |p| p.line().max(self.last_line + 1));
                let too_long = match e.kind() {
                    csv::ErrorKind::Io(io) => io.get_ref().is_some_and(|x| x.is::<TooLong>()),
                    _ => false,
                };
                Err(bad(if too_long {
                    format!(
                        "{}:{line}: expected a row of at most {} bytes, found a longer one",
                        self.name, self.max_record
                    )
                } else if let csv::ErrorKind::Io(io) = e.kind() {
                    format!("{}: cannot read it: {io}", self.name)
                } else {
                    format!("{}:{line}: {e}", self.name)
                }))
            }
        }
    }

    /// The next record without taking it.
    pub(super) fn peek(&self) -> Option<(&ByteRecord, u64)> {
        self.next_line.map(|line| (&self.next, line))
    }

    /// Takes the next record into `out` (whose buffers are reused) and
    /// returns its line; `what` says what was expected, for the message
    /// at the end of the file.
    pub(super) fn take(
        &mut self,
        out: &mut ByteRecord,
        what: impl FnOnce() -> String,
    ) -> Result<u64, Error> {
        let Some(line) = self.next_line else {
            return Err(bad(format!(
                "{}:{}: expected {}, found the end of the file",
                self.name,
                self.last_line + 1,
                what()
            )));
        };
        std::mem::swap(out, &mut self.next);
        self.read()?;
        Ok(line)
    }

    /// Checks that every record was taken.
    pub fn check_done(&self, last_run: Option<u64>) -> Result<(), Error> {
        match self.peek() {
            None => Ok(()),
            Some((rec, line)) => Err(bad(format!(
                "{}:{line}: expected the end of the file ({}), found a row of run {}",
                self.name,
                match last_run {
                    Some(r) => format!("the shard's last run is {r}"),
                    None => "the shard holds no runs".into(),
                },
                shown(rec.get(0).unwrap_or_default())
            ))),
        }
    }
}
