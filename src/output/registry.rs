//! The files of an output folder, registered once. Each CSV file is one
//! [`CsvFile`] with one [`Spec`]: its name, when an experiment writes it,
//! its header, how its [`Sink`] is made, how its size is estimated, its
//! key in the manifest's `rows`, and how `ideaflow merge` joins it.
//! Everything else (the engine's sinks, the manifest's row counts, the
//! folder's records of what is ideaflow's, the estimate, merge) asks this
//! registry; a new output file is its sink's file plus one entry here.
//!
//! The other names ideaflow writes into an output folder (the manifest,
//! the resume state, compare.csv, the temporary suffixes) are here too.

use std::fs::File;
use std::io::BufWriter;

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, SerializeMap, Serializer};

use super::runs::RunsCsv;
use super::summary::SummaryCsv;
use super::teams::TeamsCsv;
use super::timeseries::TimeseriesCsv;
use super::{Layout, Sink, runs, summary, teams, timeseries};

/// `manifest.json`: what was run, how and when ([`super::manifest`]).
pub const MANIFEST_FILE: &str = "manifest.json";

/// The state of an interrupted experiment, from which `--resume` continues.
pub const RESUME_FILE: &str = "resume.json";

/// The effects of `ideaflow compare`, beside the scenarios' folders.
pub const COMPARE_FILE: &str = "compare.csv";

/// Suffix of files being written.
pub const PARTIAL_SUFFIX: &str = ".partial";

/// Suffix of temporary files written whole and renamed (resume.json,
/// compare.csv).
pub const TMP_SUFFIX: &str = ".tmp";

/// Files ideaflow writes into an output folder as results: the CSV files
/// and the manifest.
pub const RESULT_FILES: [&str; CsvFile::ALL.len() + 1] = {
    let mut names = [MANIFEST_FILE; CsvFile::ALL.len() + 1];
    let mut i = 0;
    while i < CsvFile::ALL.len() {
        names[i] = CsvFile::ALL[i].spec().name;
        i += 1;
    }
    names
};

/// Files ideaflow writes into output folders besides [`RESULT_FILES`]
/// (each may also appear with [`TMP_SUFFIX`] while written).
pub const OTHER_FILES: &[&str] = &[RESUME_FILE, COMPARE_FILE];

/// A CSV file of an experiment's output folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsvFile {
    /// `timeseries.csv`: a row per run and output step.
    Timeseries,
    /// `teams.csv`: a row per run, output step and team.
    Teams,
    /// `runs.csv`: a row per run.
    Runs,
    /// `summary.csv`: a row per sweep point, output step and metric.
    Summary,
}

/// When an experiment writes a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// Always.
    Always,
    /// Unless `[output] timeseries = false` (a shard always does).
    Timeseries,
    /// When `[output] teams = true`.
    Teams,
}

/// How `ideaflow merge` makes a file from the shards' files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Merge {
    /// The shards' rows taken in run order, every row checked.
    Copied,
    /// Recomputed from the merged runs' time series, in run order, with
    /// the arithmetic of a single-machine run (its sink fed the runs).
    Recomputed,
    /// Not written by a merge.
    NotMerged,
}

/// Makes a file's sink on its writer: fresh (the header written) or
/// continuing a checkpoint.
pub type MakeSink = fn(BufWriter<File>, &Layout, bool) -> std::io::Result<Box<dyn Sink>>;

/// Everything ideaflow knows about one CSV file.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// File name in the output folder.
    pub name: &'static str,
    /// When an experiment writes it.
    pub when: When,
    /// Its header for the experiment's columns.
    pub header: fn(&Layout) -> Vec<String>,
    /// Its sink.
    pub sink: MakeSink,
    /// Its rows and bytes, estimated before the experiment starts.
    pub estimate: fn(&Shape, &Layout) -> Size,
    /// Its key in the manifest's `rows`.
    pub rows_key: &'static str,
    /// How merge joins the shards' files.
    pub merge: Merge,
}

const TIMESERIES: Spec = Spec {
    name: "timeseries.csv",
    when: When::Timeseries,
    header: timeseries::header,
    sink: |w, layout, fresh| Ok(Box::new(TimeseriesCsv::new(w, layout, fresh)?)),
    estimate: timeseries::estimate,
    rows_key: "timeseries",
    merge: Merge::Copied,
};

const TEAMS: Spec = Spec {
    name: "teams.csv",
    when: When::Teams,
    header: teams::header,
    sink: |w, layout, fresh| Ok(Box::new(TeamsCsv::new(w, layout, fresh)?)),
    estimate: teams::estimate,
    rows_key: "teams",
    merge: Merge::Copied,
};

const RUNS: Spec = Spec {
    name: "runs.csv",
    when: When::Always,
    header: runs::header,
    sink: |w, layout, fresh| Ok(Box::new(RunsCsv::new(w, layout, fresh)?)),
    estimate: runs::estimate,
    rows_key: "runs",
    merge: Merge::Copied,
};

const SUMMARY: Spec = Spec {
    name: "summary.csv",
    when: When::Always,
    header: summary::header,
    sink: |w, layout, fresh| Ok(Box::new(SummaryCsv::new(w, layout, fresh)?)),
    estimate: summary::estimate,
    rows_key: "summary",
    merge: Merge::Recomputed,
};

impl CsvFile {
    /// Every CSV file, in the order they are written (and listed in the
    /// manifest's `rows`).
    pub const ALL: [CsvFile; 4] = [
        CsvFile::Timeseries,
        CsvFile::Teams,
        CsvFile::Runs,
        CsvFile::Summary,
    ];

    /// The file's entry.
    pub const fn spec(self) -> &'static Spec {
        match self {
            CsvFile::Timeseries => &TIMESERIES,
            CsvFile::Teams => &TEAMS,
            CsvFile::Runs => &RUNS,
            CsvFile::Summary => &SUMMARY,
        }
    }

    /// The file name.
    pub const fn name(self) -> &'static str {
        self.spec().name
    }

    /// The file named `name`.
    pub fn from_name(name: &str) -> Option<CsvFile> {
        CsvFile::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Whether an experiment with `switches` writes the file.
    pub fn written(self, switches: Switches) -> bool {
        match self.spec().when {
            When::Always => true,
            When::Timeseries => switches.timeseries,
            When::Teams => switches.teams,
        }
    }

    /// The files an experiment with `switches` writes, in order.
    pub fn written_by(switches: Switches) -> impl Iterator<Item = CsvFile> {
        CsvFile::ALL
            .into_iter()
            .filter(move |f| f.written(switches))
    }

    /// Makes the file's sink (see [`MakeSink`]).
    pub fn sink(
        self,
        w: BufWriter<File>,
        layout: &Layout,
        fresh: bool,
    ) -> std::io::Result<Box<dyn Sink>> {
        (self.spec().sink)(w, layout, fresh)
    }

    /// Its place in [`CsvFile::ALL`].
    fn index(self) -> usize {
        self as usize
    }
}

/// The experiment's output switches that decide which files it writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Switches {
    /// `[output] timeseries`.
    pub timeseries: bool,
    /// `[output] teams`.
    pub teams: bool,
}

impl Switches {
    /// What a shard of an experiment with these switches writes: always
    /// its time series, from which `ideaflow merge` computes summary.csv
    /// of the whole experiment.
    pub fn of_shard(self) -> Switches {
        Switches {
            timeseries: true,
            ..self
        }
    }
}

/// What an estimate of a file's size starts from: the experiment's rows
/// and the typical widths of the columns every file shares.
#[derive(Clone, Copy, Debug, Default)]
pub struct Shape {
    /// Runs of the experiment.
    pub runs: u64,
    /// Replicates per point.
    pub replicates: u64,
    /// Output rows of one replicate of every point.
    pub rows_per_replicate: u64,
    /// Team rows (output rows x teams) of one replicate of every point.
    pub team_rows_per_replicate: u64,
    /// Most output rows of one run.
    pub max_rows: u64,
    /// Rows of summary.csv.
    pub summary_rows: u64,
    /// Width of run_id, point_id, replicate and seed with their commas.
    pub ids_width: u64,
    /// Width of a point_id.
    pub point_width: u64,
    /// Width of a step with its comma.
    pub step_width: u64,
    /// Width of the swept values with their commas.
    pub swept_width: u64,
}

/// A file's estimated size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Size {
    /// Data rows.
    pub rows: u64,
    /// Bytes.
    pub bytes: u64,
    /// Bytes of one run's rows held in memory, formatted, until written.
    pub held_per_run: u64,
}

/// Data rows written per CSV file, by [`CsvFile`]: absent for a file
/// not written. In the manifest, an object with every file's
/// [`Spec::rows_key`] in [`CsvFile::ALL`] order (null when absent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rows([Option<u64>; CsvFile::ALL.len()]);

impl Default for Rows {
    /// Nothing written yet: 0 rows in every file written always.
    fn default() -> Rows {
        Rows(CsvFile::ALL.map(|f| (f.spec().when == When::Always).then_some(0)))
    }
}

impl Rows {
    /// The rows of `file` (None when it is not written).
    pub fn get(&self, file: CsvFile) -> Option<u64> {
        self.0[file.index()]
    }

    /// Sets the rows of `file`.
    pub fn set(&mut self, file: CsvFile, n: u64) {
        self.0[file.index()] = Some(n);
    }

    /// Adds `n` rows to `file` (written from now on).
    pub fn add(&mut self, file: CsvFile, n: u64) {
        *self.0[file.index()].get_or_insert(0) += n;
    }
}

impl Serialize for Rows {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(CsvFile::ALL.len()))?;
        for f in CsvFile::ALL {
            m.serialize_entry(f.spec().rows_key, &self.get(f))?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Rows {
    /// Reads what [`Rows::serialize`] writes: a count for every file
    /// written always, a count or null (or nothing) for the others.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Rows, D::Error> {
        let map = serde_json::Map::deserialize(d)?;
        let mut rows = Rows([None; CsvFile::ALL.len()]);
        for f in CsvFile::ALL {
            let key = f.spec().rows_key;
            let n = match map.get(key) {
                None | Some(serde_json::Value::Null) => None,
                Some(v) => Some(v.as_u64().ok_or_else(|| {
                    serde::de::Error::custom(format!("rows.{key}: expected a count"))
                })?),
            };
            if n.is_none() && f.spec().when == When::Always {
                return Err(serde::de::Error::custom(format!("missing field `{key}`")));
            }
            rows.0[f.index()] = n;
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_is_listed_once_in_its_place() {
        for (i, f) in CsvFile::ALL.into_iter().enumerate() {
            assert_eq!(f.index(), i);
            assert_eq!(CsvFile::from_name(f.name()), Some(f));
            assert_eq!(RESULT_FILES[i], f.name());
        }
        assert_eq!(RESULT_FILES[CsvFile::ALL.len()], MANIFEST_FILE);
    }

    #[test]
    fn rows_are_written_as_the_manifest_has_always_had_them() {
        let mut rows = Rows::default();
        assert_eq!(
            serde_json::to_string(&rows).unwrap(),
            r#"{"timeseries":null,"teams":null,"runs":0,"summary":0}"#
        );
        rows.set(CsvFile::Runs, 4);
        rows.add(CsvFile::Teams, 3);
        rows.add(CsvFile::Teams, 2);
        let text = serde_json::to_string(&rows).unwrap();
        assert_eq!(
            text,
            r#"{"timeseries":null,"teams":5,"runs":4,"summary":0}"#
        );
        assert_eq!(serde_json::from_str::<Rows>(&text).unwrap(), rows);
        assert!(serde_json::from_str::<Rows>(r#"{"teams":1,"summary":0}"#).is_err());
    }

    #[test]
    fn a_shard_always_writes_its_time_series() {
        let off = Switches {
            timeseries: false,
            teams: true,
        };
        let names = |s| {
            CsvFile::written_by(s)
                .map(CsvFile::name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(off), ["teams.csv", "runs.csv", "summary.csv"]);
        assert_eq!(
            names(off.of_shard()),
            ["timeseries.csv", "teams.csv", "runs.csv", "summary.csv"]
        );
    }
}
