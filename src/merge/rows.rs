//! A shard's CSV files read one record at a time, and every row checked
//! against the plan: its run, point, replicate and seed, its step, its
//! swept values, its width, and each value in the form ideaflow writes.
//!
//! A record is limited to the plan's `max_record` bytes (counted as the
//! CSV reader pulls them from the file), so a file without line breaks
//! cannot fill the memory; a file must end with a line break (a cut-off
//! last line is refused, not merged).

use std::cell::Cell;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::rc::Rc;

use csv::ByteRecord;

use crate::error::Error;
use crate::model::{Agg, Fmt, MetricDef};
use crate::output::CsvFile;
use crate::output::format::NumFmt;
use crate::rng;
use crate::scenario::output_steps;

use super::manifest::{Plan, bad, shorten};

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
pub(super) struct ShardFile {
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
fn shown(b: &[u8]) -> String {
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
    fn peek(&self) -> Option<(&ByteRecord, u64)> {
        self.next_line.map(|line| (&self.next, line))
    }

    /// Takes the next record into `out` (whose buffers are reused) and
    /// returns its line; `what` says what was expected, for the message
    /// at the end of the file.
    fn take(&mut self, out: &mut ByteRecord, what: impl FnOnce() -> String) -> Result<u64, Error> {
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

/// The files of one complete shard.
pub(super) struct ShardFiles {
    /// Shard index.
    pub index: u64,
    /// timeseries.csv (always written by a shard).
    pub ts: ShardFile,
    /// runs.csv.
    pub runs: ShardFile,
    /// teams.csv, when the experiment writes it.
    pub teams: Option<ShardFile>,
    /// The last run taken.
    pub last_run: Option<u64>,
}

impl ShardFiles {
    /// Checks that every record of every file was taken.
    pub fn check_done(&self) -> Result<(), Error> {
        self.ts.check_done(self.last_run)?;
        self.runs.check_done(self.last_run)?;
        if let Some(t) = &self.teams {
            t.check_done(self.last_run)?;
        }
        Ok(())
    }
}

/// A run's identifiers, recomputed.
pub(super) struct RunIds {
    pub run: u64,
    pub point: u64,
    pub replicate: u64,
    pub seed: u64,
}

impl RunIds {
    pub fn of(plan: &Plan, run: u64) -> RunIds {
        let point = run / plan.replicates;
        let replicate = run % plan.replicates;
        RunIds {
            run,
            point,
            replicate,
            seed: rng::run_seed(plan.seed, point, replicate),
        }
    }
}

fn mismatch(file: &str, line: u64, column: &str, expected: &str, why: &str, found: &[u8]) -> Error {
    bad(format!(
        "{file}:{line}: {column}: expected {expected}{why}, found {}",
        shown(found)
    ))
}

/// Which row of a run is checked (for messages).
#[derive(Clone, Copy)]
enum Row {
    /// timeseries.csv at a step.
    Step(u64),
    /// runs.csv.
    Run,
    /// teams.csv at a step.
    Teams(u64),
}

/// Checks the width, run_id, point_id, replicate, seed and the swept
/// values (from column `swept_at`) of a row.
fn check_ids(
    plan: &mut Plan,
    file: &ShardFile,
    (rec, line): (&ByteRecord, u64),
    id: &RunIds,
    row: Row,
    swept_at: usize,
) -> Result<(), Error> {
    let width = file.header.len();
    if rec.len() != width {
        return Err(bad(format!(
            "{}:{line}: expected {width} columns (as the header), found {}",
            file.name,
            rec.len()
        )));
    }
    let mut b = itoa::Buffer::new();
    let field = |k: usize| rec.get(k).unwrap_or_default();
    let run = id.run;
    for (k, column, want) in [
        (0, "run_id", id.run),
        (1, "point_id", id.point),
        (2, "replicate", id.replicate),
        (3, "seed", id.seed),
    ] {
        let want = b.format(want);
        if field(k) == want.as_bytes() {
            continue;
        }
        let why = match (k, row) {
            (0, Row::Step(step)) => format!(" (the row of run {run} at step {step} comes next)"),
            (0, Row::Run) => format!(" (the row of run {run} comes next)"),
            (0, Row::Teams(step)) => {
                format!(" (the team rows of run {run} at step {step} come next)")
            }
            (1, _) => format!(" (the point of run {run})"),
            _ => format!(" (the {column} of run {run})"),
        };
        return Err(mismatch(&file.name, line, column, want, &why, field(k)));
    }
    for (k, axis) in plan.axes.iter_mut().enumerate() {
        let i = axis.index_at(id.point);
        let got = field(swept_at + k);
        if let Err(want) = axis.check(i, got) {
            return Err(mismatch(
                &file.name,
                line,
                axis.path,
                &want,
                &format!(" (its value at point {})", id.point),
                got,
            ));
        }
    }
    Ok(())
}

/// A value as ideaflow writes it: the number, or the description of what
/// was expected.
fn value(fmt: &mut NumFmt, def: &MetricDef, b: &[u8]) -> Result<f64, &'static str> {
    let count = matches!(def.agg, Agg::Count);
    if b.is_empty() {
        return if count {
            Err("a count (never an empty field)")
        } else {
            Ok(f64::NAN)
        };
    }
    let s = std::str::from_utf8(b).map_err(|_| "a number")?;
    match def.fmt {
        Fmt::Int => {
            let i: i64 = s.parse().map_err(|_| "an integer")?;
            if itoa::Buffer::new().format(i) != s {
                return Err("an integer (as ideaflow writes it)");
            }
            Ok(i as f64)
        }
        Fmt::Bool => match b {
            b"0" => Ok(0.0),
            b"1" => Ok(1.0),
            _ => Err("0 or 1"),
        },
        Fmt::Float => {
            let x: f64 = s
                .parse()
                .ok()
                .filter(|x: &f64| x.is_finite())
                .ok_or("a number or an empty field")?;
            if fmt.float(x) != s {
                return Err("a number in shortest form (as ideaflow writes it)");
            }
            Ok(x)
        }
    }
}

/// Records whose buffers are kept from one run to the next.
#[derive(Default)]
pub(super) struct Records {
    recs: Vec<ByteRecord>,
    len: usize,
}

impl Records {
    fn clear(&mut self) {
        self.len = 0;
    }

    /// A record to read into, after the others.
    fn push(&mut self) -> &mut ByteRecord {
        if self.len == self.recs.len() {
            self.recs.push(ByteRecord::new());
        }
        self.len += 1;
        &mut self.recs[self.len - 1]
    }

    /// The records.
    pub fn as_slice(&self) -> &[ByteRecord] {
        &self.recs[..self.len]
    }
}

/// The rows of one run, checked.
#[derive(Default)]
pub(super) struct RunRows {
    /// timeseries.csv rows.
    pub ts: Records,
    /// The run's runs.csv row.
    pub runs: ByteRecord,
    /// teams.csv rows.
    pub teams: Records,
    /// The output steps.
    pub steps: Vec<u64>,
    /// Row-major metric values of the time series.
    pub values: Vec<f64>,
    /// The swept values as written.
    pub swept: Vec<String>,
    /// Per metric, the sum of its rows (integer counts only).
    sums: Vec<i128>,
}

impl RunRows {
    /// The run's rows of `file`, as read from the shard.
    pub fn rows_of(&self, file: CsvFile) -> &[ByteRecord] {
        match file {
            CsvFile::Timeseries => self.ts.as_slice(),
            CsvFile::Teams => self.teams.as_slice(),
            CsvFile::Runs => std::slice::from_ref(&self.runs),
            // Recomputed from the time series, never read from a shard.
            CsvFile::Summary => &[],
        }
    }
}

/// Reads and checks every row of run `id` from shard `s`.
pub(super) fn read_run(
    plan: &mut Plan,
    s: &mut ShardFiles,
    id: &RunIds,
    fmt: &mut NumFmt,
    out: &mut RunRows,
) -> Result<(), Error> {
    let swept = plan.axes.len();
    let metrics = plan.layout.metrics.clone();
    out.ts.clear();
    out.teams.clear();
    out.steps.clear();
    out.values.clear();
    out.swept.clear();
    out.sums.clear();
    out.sums.resize(metrics.len(), 0);
    let steps = output_steps(plan.steps_at(id.point), plan.every);
    let mut b = itoa::Buffer::new();

    // timeseries.csv: a row per output step.
    let mut ts_last_line = 0;
    for step in steps {
        let run = id.run;
        let first = out.ts.len == 0;
        let rec = out.ts.push();
        let line =
            s.ts.take(rec, || format!("the row of run {run} at step {step}"))?;
        let rec = &*rec;
        check_ids(plan, &s.ts, (rec, line), id, Row::Step(step), 5)?;
        let want = b.format(step);
        let got = rec.get(4).unwrap_or_default();
        if got != want.as_bytes() {
            return Err(mismatch(
                &s.ts.name,
                line,
                "step",
                want,
                &format!(" (the next output step of run {run})"),
                got,
            ));
        }
        for (k, def) in metrics.iter().enumerate() {
            let got = rec.get(5 + swept + k).unwrap_or_default();
            let v = value(fmt, def, got)
                .map_err(|want| mismatch(&s.ts.name, line, def.name, want, "", got))?;
            if matches!(def.agg, Agg::Count) && matches!(def.fmt, Fmt::Int) {
                out.sums[k] += v as i128;
            }
            out.values.push(v);
        }
        if first {
            out.swept.extend(
                (0..swept)
                    .map(|k| String::from_utf8_lossy(rec.get(5 + k).unwrap_or_default()).into()),
            );
        }
        out.steps.push(step);
        ts_last_line = line;
    }

    // runs.csv: one row, agreeing with the time series.
    let run = id.run;
    let line = s
        .runs
        .take(&mut out.runs, || format!("the row of run {run}"))?;
    let rec = &out.runs;
    check_ids(plan, &s.runs, (rec, line), id, Row::Run, 4)?;
    let last = out.ts.as_slice().last();
    let mut col = 4 + swept;
    for (k, def) in metrics.iter().enumerate() {
        let got = rec.get(col).unwrap_or_default();
        value(fmt, def, got)
            .map_err(|want| mismatch(&s.runs.name, line, def.name, want, "", got))?;
        if matches!(def.agg, Agg::Level)
            && let Some(ts) = last
        {
            let want = ts.get(5 + swept + k).unwrap_or_default();
            if got != want {
                return Err(mismatch(
                    &s.runs.name,
                    line,
                    def.name,
                    &shown(want),
                    &format!(
                        " (its value at the last step, {}:{ts_last_line})",
                        s.ts.name
                    ),
                    got,
                ));
            }
        }
        col += 1;
        if def.agg.has_total() {
            let name = || format!("{}_total", def.name);
            let got = rec.get(col).unwrap_or_default();
            let total = value(fmt, def, got)
                .map_err(|want| mismatch(&s.runs.name, line, &name(), want, "", got))?;
            if matches!(def.agg, Agg::Count)
                && matches!(def.fmt, Fmt::Int)
                && total as i128 != out.sums[k]
            {
                return Err(mismatch(
                    &s.runs.name,
                    line,
                    &name(),
                    &out.sums[k].to_string(),
                    &format!(" (the sum of run {run}'s rows in {})", s.ts.name),
                    got,
                ));
            }
            col += 1;
        }
    }
    const RUN_VALUE: MetricDef = MetricDef {
        name: "",
        agg: Agg::Level,
        fmt: Fmt::Int,
        doc: "",
        hidden: false,
    };
    for name in &plan.layout.run_columns {
        let got = rec.get(col).unwrap_or_default();
        value(fmt, &RUN_VALUE, got)
            .map_err(|want| mismatch(&s.runs.name, line, name, want, "", got))?;
        col += 1;
    }

    // teams.csv: the same number of team rows at every output step.
    if let Some(teams) = &mut s.teams {
        read_teams(plan, teams, id, fmt, &out.steps, &mut out.teams)?;
    }
    s.last_run = Some(id.run);
    Ok(())
}

fn read_teams(
    plan: &mut Plan,
    f: &mut ShardFile,
    id: &RunIds,
    fmt: &mut NumFmt,
    steps: &[u64],
    out: &mut Records,
) -> Result<(), Error> {
    let swept = plan.axes.len();
    let cols = plan.layout.team_columns.clone();
    let team_col = cols.iter().position(|c| c.name == "team");
    let run = id.run;
    let mut b = itoa::Buffer::new();
    let run_text = itoa::Buffer::new().format(run).to_string();
    let mut per_step: Option<usize> = None;
    for (k, &step) in steps.iter().enumerate() {
        let step_text = b.format(step).to_string();
        let mut n = 0usize;
        loop {
            match per_step {
                // Every step has as many rows as the first.
                Some(m) if n == m => break,
                Some(_) => {}
                // The first step: its rows are those of this run and step.
                None => {
                    let more = f.peek().is_some_and(|(r, _)| {
                        r.get(0) == Some(run_text.as_bytes())
                            && r.get(4) == Some(step_text.as_bytes())
                    });
                    if !more && (n > 0 || cols.is_empty()) {
                        break;
                    }
                }
            }
            let rec = out.push();
            let line = f.take(rec, || format!("a team row of run {run} at step {step}"))?;
            let rec = &*rec;
            check_ids(plan, f, (rec, line), id, Row::Teams(step), 5)?;
            let got = rec.get(4).unwrap_or_default();
            if got != step_text.as_bytes() {
                let why = match per_step {
                    Some(m) => format!(
                        " (run {run} has {m} team row{} at each output step)",
                        if m == 1 { "" } else { "s" }
                    ),
                    None => format!(" (the first output step of run {run})"),
                };
                return Err(mismatch(&f.name, line, "step", &step_text, &why, got));
            }
            for (c, def) in cols.iter().enumerate() {
                let got = rec.get(5 + swept + c).unwrap_or_default();
                value(fmt, def, got)
                    .map_err(|want| mismatch(&f.name, line, def.name, want, "", got))?;
                if team_col == Some(c) && got != itoa::Buffer::new().format(n).as_bytes() {
                    return Err(mismatch(
                        &f.name,
                        line,
                        def.name,
                        &n.to_string(),
                        " (a step's team rows are in team order)",
                        got,
                    ));
                }
            }
            n += 1;
        }
        if k == 0 {
            per_step = Some(n);
        }
    }
    Ok(())
}
