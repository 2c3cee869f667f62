//! `ideaflow merge`: joins the shard folders of one experiment (written
//! with `ideaflow run --shard I/N`) into the files a single machine would
//! have written.
//!
//! Every run depends only on (seed, point, replicate), and shard I holds
//! the runs whose index modulo N is I, so the merged timeseries.csv,
//! teams.csv and runs.csv are the shards' rows taken in run order, and
//! summary.csv is recomputed from every run's time series in the same
//! order and with the same arithmetic as a single-machine run. (Values are
//! written in shortest round-trip form, so reading them back gives the
//! exact numbers.) The CSV files are byte-identical to a single-machine
//! run's; tests/cluster.rs checks it.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::Error;
use crate::model::{MetricDef, ModelKind};
use crate::output::manifest::{self, Rows};
use crate::output::summary::SummaryCsv;
use crate::output::{Layout, RunRecord, Sink, Staging};

/// How to merge.
#[derive(Clone, Debug)]
pub struct MergeOptions {
    /// Output folder.
    pub out_dir: PathBuf,
    /// Replace results already in the output folder.
    pub force: bool,
    /// Merge the complete shards even if some are missing or incomplete.
    pub partial: bool,
    /// The command line, recorded in the manifest.
    pub command_line: Vec<String>,
}

/// What a merge wrote.
#[derive(Clone, Debug)]
pub struct MergeReport {
    /// Output folder.
    pub out_dir: PathBuf,
    /// Shards of the experiment.
    pub shards: u64,
    /// Shards merged.
    pub merged: Vec<u64>,
    /// Shards missing or incomplete (left out with `--partial`).
    pub missing: Vec<u64>,
    /// Runs written.
    pub runs: u64,
    /// Runs in the experiment.
    pub runs_total: u64,
    /// Rows written per file.
    pub rows: Rows,
}

/// One shard folder.
struct ShardIn {
    dir: PathBuf,
    manifest: Value,
    index: u64,
}

fn bad(msg: impl Into<String>) -> Error {
    Error::Merge(msg.into())
}

fn read_manifest(dir: &Path) -> Result<Option<Value>, Error> {
    let path = dir.join("manifest.json");
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| bad(format!("{}: not a valid manifest: {e}", path.display())))
}

/// Fields that must agree between shards, by JSON pointer.
const SAME: &[(&str, &str)] = &[
    ("/program/version", "program version"),
    ("/program/git_commit", "program build (git commit)"),
    ("/scenario/text", "scenario file text"),
    ("/scenario/extends", "base scenario (extends)"),
    ("/seed", "seed"),
    ("/replicates", "replicates"),
    ("/points", "sweep points"),
    ("/every", "output interval"),
    ("/metrics", "metrics"),
    ("/base_parameters", "parameters"),
    ("/sweep", "sweep"),
    ("/shard/count", "number of shards"),
];

/// Reads and checks the shard folders; returns the complete shards in
/// index order, the shard count and the indices missing or incomplete.
fn collect(dirs: &[PathBuf], partial: bool) -> Result<(Vec<ShardIn>, u64, Vec<u64>), Error> {
    if dirs.is_empty() {
        return Err(bad("no shard folders given"));
    }
    let mut problems = Vec::new();
    let mut shards: Vec<ShardIn> = Vec::new();
    let mut incomplete: Vec<(u64, String)> = Vec::new();
    for dir in dirs {
        let Some(m) = read_manifest(dir)? else {
            if dir.join(crate::output::RESUME_FILE).exists() {
                problems.push(format!(
                    "{}: an interrupted shard (resume.json, no manifest.json); resume it with `ideaflow run SCENARIO --shard I/N --out {} --resume`",
                    dir.display(),
                    dir.display()
                ));
            } else {
                problems.push(format!(
                    "{}: no manifest.json (not an ideaflow output folder, or a shard that never started)",
                    dir.display()
                ));
            }
            continue;
        };
        let Some(index) = m.pointer("/shard/index").and_then(Value::as_u64) else {
            problems.push(format!(
                "{}: not a shard (written without --shard)",
                dir.display()
            ));
            continue;
        };
        if m.get("complete") != Some(&Value::Bool(true)) {
            let written = m.get("runs_written").and_then(Value::as_u64).unwrap_or(0);
            let runs = m.get("runs").and_then(Value::as_u64).unwrap_or(0);
            incomplete.push((
                index,
                format!(
                    "{}: shard {index} is incomplete ({written} of {runs} runs written); resume it with `ideaflow run SCENARIO --shard {index}/N --out {} --resume`",
                    dir.display(),
                    dir.display()
                ),
            ));
            continue;
        }
        shards.push(ShardIn {
            dir: dir.clone(),
            manifest: m,
            index,
        });
    }
    if !problems.is_empty() {
        return Err(bad(problems.join("\n")));
    }
    let Some(first) = shards.first().or(None) else {
        return Err(bad(incomplete
            .into_iter()
            .map(|(_, m)| m)
            .collect::<Vec<_>>()
            .join("\n")));
    };
    let count = first
        .manifest
        .pointer("/shard/count")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    for s in &shards[1..] {
        let mut differ = Vec::new();
        for (ptr, what) in SAME {
            let (a, b) = (first.manifest.pointer(ptr), s.manifest.pointer(ptr));
            if a != b {
                differ.push(match (a, b) {
                    (Some(Value::Number(x)), Some(Value::Number(y))) => {
                        format!("{what} ({x} vs {y})")
                    }
                    (Some(Value::String(x)), Some(Value::String(y)))
                        if x.len() < 60 && y.len() < 60 =>
                    {
                        format!("{what} ({x} vs {y})")
                    }
                    _ => what.to_string(),
                });
            }
        }
        if !differ.is_empty() {
            problems.push(format!(
                "{} and {} are not shards of the same experiment: they differ in {}",
                first.dir.display(),
                s.dir.display(),
                differ.join(", ")
            ));
        }
    }
    shards.sort_by_key(|s| s.index);
    for w in shards.windows(2) {
        if w[0].index == w[1].index {
            problems.push(format!(
                "shard {} is given twice: {} and {}",
                w[0].index,
                w[0].dir.display(),
                w[1].dir.display()
            ));
        }
    }
    for (i, _) in &incomplete {
        if shards.iter().any(|s| s.index == *i) {
            problems.push(format!("shard {i} is given twice (one of them incomplete)"));
        }
    }
    if !problems.is_empty() {
        return Err(bad(problems.join("\n")));
    }
    let missing: Vec<u64> = (0..count)
        .filter(|i| !shards.iter().any(|s| s.index == *i))
        .collect();
    if !missing.is_empty() && !partial {
        let mut msg = format!(
            "missing shard{} {} of {count}",
            if missing.len() == 1 { "" } else { "s" },
            list(&missing)
        );
        for (_, m) in &incomplete {
            msg.push('\n');
            msg.push_str(m);
        }
        msg.push_str("\npass --partial to merge the shards that are complete");
        return Err(bad(msg));
    }
    Ok((shards, count, missing))
}

/// "0, 2, 5".
fn list(xs: &[u64]) -> String {
    xs.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
}

/// A shard's CSV file read one record at a time, with one record of
/// look-ahead.
struct ShardFile {
    path: PathBuf,
    reader: csv::Reader<BufReader<File>>,
    next: Option<csv::ByteRecord>,
}

impl ShardFile {
    fn open(path: PathBuf) -> Result<(ShardFile, csv::ByteRecord), Error> {
        let file = File::open(&path).map_err(|e| Error::io(&path, e))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(BufReader::with_capacity(1 << 20, file));
        let header = reader
            .byte_headers()
            .map_err(|e| bad(format!("{}: {e}", path.display())))?
            .clone();
        let mut r = ShardFile {
            path,
            reader,
            next: None,
        };
        r.advance()?;
        Ok((r, header))
    }

    fn advance(&mut self) -> Result<(), Error> {
        let mut rec = csv::ByteRecord::new();
        let more = self
            .reader
            .read_byte_record(&mut rec)
            .map_err(|e| bad(format!("{}: {e}", self.path.display())))?;
        self.next = more.then_some(rec);
        Ok(())
    }

    /// Takes every record of run `run` (the next ones, in order).
    fn take_run(&mut self, run: u64, out: &mut Vec<csv::ByteRecord>) -> Result<(), Error> {
        out.clear();
        while let Some(rec) = &self.next {
            if field_u64(rec, 0) != Some(run) {
                break;
            }
            out.push(self.next.take().unwrap_or_default());
            self.advance()?;
        }
        if out.is_empty() {
            return Err(bad(format!(
                "{}: run {run} is missing (the file was changed after the shard finished)",
                self.path.display()
            )));
        }
        Ok(())
    }

    fn check_done(&self) -> Result<(), Error> {
        match &self.next {
            None => Ok(()),
            Some(rec) => Err(bad(format!(
                "{}: unexpected rows from run {} (the file was changed after the shard finished)",
                self.path.display(),
                String::from_utf8_lossy(rec.get(0).unwrap_or_default())
            ))),
        }
    }
}

fn field_u64(rec: &csv::ByteRecord, i: usize) -> Option<u64> {
    std::str::from_utf8(rec.get(i)?).ok()?.parse().ok()
}

fn field_f64(rec: &csv::ByteRecord, i: usize) -> f64 {
    match rec.get(i) {
        Some(b"") | None => f64::NAN,
        Some(b) => std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(f64::NAN),
    }
}

/// The column layout of the experiment the manifest describes.
fn layout_of(m: &Value) -> Result<Layout, Error> {
    let model = m
        .pointer("/scenario/model")
        .and_then(Value::as_str)
        .and_then(ModelKind::from_name)
        .ok_or_else(|| bad("the manifest names no known model"))?;
    let all = model.metrics();
    let metrics: Vec<&'static MetricDef> = m
        .get("metrics")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("the manifest lists no metrics"))?
        .iter()
        .map(|name| {
            let name = name.as_str().unwrap_or_default();
            all.iter()
                .find(|d| d.name == name)
                .ok_or_else(|| bad(format!("unknown metric `{name}` in the manifest")))
        })
        .collect::<Result<_, _>>()?;
    // Column names live as long as the process: a merge makes a handful.
    let swept: Vec<&'static str> = m
        .get("sweep")
        .and_then(Value::as_array)
        .map(|axes| {
            axes.iter()
                .map(|a| &*a["path"].as_str().unwrap_or_default().to_string().leak())
                .collect()
        })
        .unwrap_or_default();
    Ok(Layout {
        swept,
        metrics,
        run_columns: model.run_columns().to_vec(),
        team_columns: Vec::new(),
    })
}

/// Merges the shard folders `dirs` into `opts.out_dir`.
pub fn merge(dirs: &[PathBuf], opts: &MergeOptions) -> Result<MergeReport, Error> {
    let (shards, count, missing) = collect(dirs, opts.partial)?;
    let m0 = &shards[0].manifest;
    let layout = layout_of(m0)?;
    let replicates = m0.get("replicates").and_then(Value::as_u64).unwrap_or(0);
    let points = m0.get("points").and_then(Value::as_u64).unwrap_or(0);
    let runs_total = points.saturating_mul(replicates);
    let param = |k: &str| m0.pointer(&format!("/base_parameters/{k}")).cloned();
    let want_timeseries = param("output.timeseries") != Some(Value::Bool(false));
    let want_teams = param("output.teams") == Some(Value::Bool(true));

    let mut staging = Staging::prepare(&opts.out_dir, opts.force)?;
    let dir = opts.out_dir.clone();
    let io = |name: &str| {
        let path = dir.join(name);
        move |e: std::io::Error| Error::io(path, e)
    };

    // Open every shard's files and check their headers agree.
    let mut ts_in: Vec<Option<ShardFile>> = (0..count).map(|_| None).collect();
    let mut runs_in: Vec<Option<ShardFile>> = (0..count).map(|_| None).collect();
    let mut teams_in: Vec<Option<ShardFile>> = (0..count).map(|_| None).collect();
    let mut headers: [Option<csv::ByteRecord>; 3] = [None, None, None];
    for s in &shards {
        for (k, (name, slot)) in [
            ("timeseries.csv", &mut ts_in),
            ("runs.csv", &mut runs_in),
            ("teams.csv", &mut teams_in),
        ]
        .into_iter()
        .enumerate()
        {
            if name == "teams.csv" && !want_teams {
                continue;
            }
            let (rows, header) = ShardFile::open(s.dir.join(name))?;
            match &headers[k] {
                Some(h) if *h != header => {
                    return Err(bad(format!(
                        "{}: its columns differ from the other shards'",
                        s.dir.join(name).display()
                    )));
                }
                _ => headers[k] = Some(header),
            }
            slot[s.index as usize] = Some(rows);
        }
    }

    let writer = |staging: &mut Staging, name: &'static str| -> Result<_, Error> {
        let w = staging.create(name)?;
        Ok(csv::WriterBuilder::new().has_headers(false).from_writer(w))
    };
    let mut ts_out = if want_timeseries {
        Some(writer(&mut staging, "timeseries.csv")?)
    } else {
        None
    };
    let mut teams_out = if want_teams {
        Some(writer(&mut staging, "teams.csv")?)
    } else {
        None
    };
    let mut runs_out = writer(&mut staging, "runs.csv")?;
    let mut summary = SummaryCsv::new(staging.create("summary.csv")?, &layout, true)
        .map_err(io("summary.csv"))?;
    let e = |name: &'static str| {
        let path = dir.join(name);
        move |err: csv::Error| Error::io(path, std::io::Error::other(err))
    };
    if let (Some(w), Some(h)) = (&mut ts_out, &headers[0]) {
        w.write_byte_record(h).map_err(e("timeseries.csv"))?;
    }
    if let (Some(w), Some(h)) = (&mut teams_out, &headers[2]) {
        w.write_byte_record(h).map_err(e("teams.csv"))?;
    }
    if let Some(h) = &headers[1] {
        runs_out.write_byte_record(h).map_err(e("runs.csv"))?;
    }

    let swept = layout.swept.len();
    let metrics = layout.metrics.len();
    let mut rows = Rows::default();
    let mut ts_rows = Vec::new();
    let mut team_rows = Vec::new();
    let mut one = Vec::new();
    let mut rec = RunRecord::default();
    let mut merged_runs = 0u64;
    for run in 0..runs_total {
        let s = (run % count) as usize;
        let (Some(ts), Some(rs)) = (&mut ts_in[s], &mut runs_in[s]) else {
            continue; // a missing shard (--partial)
        };
        ts.take_run(run, &mut ts_rows)?;
        rs.take_run(run, &mut one)?;
        runs_out.write_byte_record(&one[0]).map_err(e("runs.csv"))?;
        rows.runs += 1;
        if let Some(t) = &mut teams_in[s] {
            t.take_run(run, &mut team_rows)?;
            if let Some(w) = &mut teams_out {
                for r in &team_rows {
                    w.write_byte_record(r).map_err(e("teams.csv"))?;
                }
                *rows.teams.get_or_insert(0) += team_rows.len() as u64;
            }
        }
        // The run's values, for the summary.
        rec.point = field_u64(&ts_rows[0], 1).unwrap_or(0);
        rec.swept.clear();
        rec.swept.extend((0..swept).map(|k| {
            String::from_utf8_lossy(ts_rows[0].get(5 + k).unwrap_or_default()).into_owned()
        }));
        rec.steps.clear();
        rec.rows.clear();
        for r in &ts_rows {
            if r.len() != 5 + swept + metrics {
                return Err(bad(format!(
                    "{}: run {run} has {} columns, expected {}",
                    shards
                        .iter()
                        .find(|x| x.index as usize == s)
                        .map_or(PathBuf::new(), |x| x.dir.join("timeseries.csv"))
                        .display(),
                    r.len(),
                    5 + swept + metrics
                )));
            }
            rec.steps.push(field_u64(r, 4).unwrap_or(0));
            rec.rows
                .extend((0..metrics).map(|k| field_f64(r, 5 + swept + k)));
        }
        summary.write_run(&rec).map_err(io("summary.csv"))?;
        if let Some(w) = &mut ts_out {
            for r in &ts_rows {
                w.write_byte_record(r).map_err(e("timeseries.csv"))?;
            }
            *rows.timeseries.get_or_insert(0) += ts_rows.len() as u64;
        }
        merged_runs += 1;
    }
    for r in ts_in.iter().chain(&runs_in).chain(&teams_in).flatten() {
        r.check_done()?;
    }
    if let Some(w) = &mut ts_out {
        w.flush().map_err(io("timeseries.csv"))?;
        rows.timeseries.get_or_insert(0);
    }
    if let Some(w) = &mut teams_out {
        w.flush().map_err(io("teams.csv"))?;
        rows.teams.get_or_insert(0);
    }
    runs_out.flush().map_err(io("runs.csv"))?;
    rows.summary = summary.finish().map_err(io("summary.csv"))?;
    drop((ts_out, teams_out, runs_out, summary));

    // The manifest: the shards' description of the experiment, with what
    // this merge wrote.
    let mut m = m0.clone();
    let started = shards
        .iter()
        .filter_map(|s| s.manifest.get("started").and_then(Value::as_str))
        .min()
        .unwrap_or_default()
        .to_string();
    let elapsed = shards
        .iter()
        .filter_map(|s| s.manifest.get("elapsed_seconds").and_then(Value::as_f64))
        .fold(0.0, f64::max);
    if let Some(obj) = m.as_object_mut() {
        obj.remove("shard");
        obj.remove("stopped");
        obj.remove("sessions");
        obj.insert(
            "command_line".into(),
            Value::from(opts.command_line.clone()),
        );
        obj.insert("runs".into(), Value::from(runs_total));
        obj.insert("runs_written".into(), Value::from(merged_runs));
        obj.insert("complete".into(), Value::Bool(missing.is_empty()));
        obj.insert("started".into(), Value::from(started));
        obj.insert(
            "finished".into(),
            Value::from(manifest::timestamp(std::time::SystemTime::now())),
        );
        obj.insert("elapsed_seconds".into(), Value::from(elapsed));
        obj.insert(
            "rows".into(),
            serde_json::to_value(&rows).unwrap_or_default(),
        );
        obj.insert(
            "merged".into(),
            serde_json::json!({
                "shards": count,
                "missing": missing,
                "from": shards.iter().map(|s| serde_json::json!({
                    "shard": s.index,
                    "path": s.dir.display().to_string(),
                    "runs": s.manifest.get("runs"),
                    "threads": s.manifest.get("threads"),
                    "elapsed_seconds": s.manifest.get("elapsed_seconds"),
                })).collect::<Vec<_>>(),
            }),
        );
    }
    let mut w = staging.create("manifest.json")?;
    serde_json::to_writer_pretty(&mut w, &m)
        .map_err(|err| Error::io(dir.join("manifest.json"), err.into()))?;
    std::io::Write::write_all(&mut w, b"\n").map_err(io("manifest.json"))?;
    std::io::Write::flush(&mut w).map_err(io("manifest.json"))?;
    drop(w);
    staging.commit()?;
    Ok(MergeReport {
        out_dir: opts.out_dir.clone(),
        shards: count,
        merged: shards.iter().map(|s| s.index).collect(),
        missing,
        runs: merged_runs,
        runs_total,
        rows,
    })
}
