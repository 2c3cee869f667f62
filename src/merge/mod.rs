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
//!
//! Merge trusts nothing it reads (docs/reliability.md, "merge"): every
//! manifest field it uses is checked before the output folder is made
//! ([`manifest`]), and every row is checked against what can be
//! recomputed from the manifest while it is copied ([`rows`]): its run,
//! point, replicate and seed, its step, its swept values, its width and the
//! form of its values. An error names the shard's file and line; the
//! output folder is then left as it was (or not made at all).

mod manifest;
mod rows;

use std::path::{Path, PathBuf};

use serde::ser::{SerializeMap, SerializeSeq};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::output::manifest::{self as out_manifest, Rows};
use crate::output::summary::SummaryCsv;
use crate::output::{RunRecord, Sink, Staging, runs, teams, timeseries};

use manifest::{Input, Plan};
pub use manifest::{MAX_MANIFEST_BYTES, MAX_SHARDS};
use rows::{RunIds, RunRows, ShardFile, ShardFiles};

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

/// Folders that did not exist before a merge, deepest first: removed
/// (when still empty) if the merge fails.
struct MadeDirs(Vec<PathBuf>);

impl MadeDirs {
    fn before(dir: &Path) -> MadeDirs {
        let mut made = Vec::new();
        let mut d = Some(dir);
        while let Some(p) = d {
            if p.as_os_str().is_empty() || std::fs::symlink_metadata(p).is_ok() {
                break;
            }
            made.push(p.to_path_buf());
            d = p.parent();
        }
        MadeDirs(made)
    }

    fn remove(&self) {
        for d in &self.0 {
            if std::fs::remove_dir(d).is_err() {
                break;
            }
        }
    }
}

/// Merges the shard folders `dirs` into `opts.out_dir`.
///
/// Everything the manifests say is checked, and every file's header and
/// end, before the output folder is made; the rows are checked as they
/// are copied. On any error nothing is left behind: the files written so
/// far are removed, and so is the output folder if this merge made it.
pub fn merge(dirs: &[PathBuf], opts: &MergeOptions) -> Result<MergeReport, Error> {
    let mut input = manifest::collect(dirs, opts.partial)?;
    let mut files = open_files(&input)?;
    let made = MadeDirs::before(&opts.out_dir);
    let result = write(&mut input, &mut files, opts);
    if result.is_err() {
        made.remove();
    }
    result
}

/// Opens every complete shard's files, checking their headers.
fn open_files(input: &Input) -> Result<Vec<ShardFiles>, Error> {
    let plan = &input.plan;
    let ts_header = timeseries::header(&plan.layout);
    let runs_header = runs::header(&plan.layout);
    let teams_header = teams::header(&plan.layout);
    input
        .shards
        .iter()
        .map(|s| {
            let open = |name: &str, header: &[String]| {
                ShardFile::open(&s.dir, name, header, plan.max_record)
            };
            Ok(ShardFiles {
                index: s.index,
                ts: open("timeseries.csv", &ts_header)?,
                runs: open("runs.csv", &runs_header)?,
                teams: if plan.teams {
                    Some(open("teams.csv", &teams_header)?)
                } else {
                    None
                },
                last_run: None,
            })
        })
        .collect()
}

/// Writes the merged folder (staged, renamed at the end).
fn write(
    input: &mut Input,
    files: &mut [ShardFiles],
    opts: &MergeOptions,
) -> Result<MergeReport, Error> {
    let plan = &mut input.plan;
    let mut staging = Staging::prepare(&opts.out_dir, opts.force)?;
    let dir = opts.out_dir.clone();
    let io = |name: &str| {
        let path = dir.join(name);
        move |e: std::io::Error| Error::io(path, e)
    };
    let e = |name: &'static str| {
        let path = dir.join(name);
        move |err: csv::Error| Error::io(path, std::io::Error::other(err))
    };
    let writer = |staging: &mut Staging, name: &'static str| -> Result<_, Error> {
        let w = staging.create(name)?;
        Ok(csv::WriterBuilder::new().has_headers(false).from_writer(w))
    };
    let mut ts_out = if plan.write_timeseries {
        Some(writer(&mut staging, "timeseries.csv")?)
    } else {
        None
    };
    let mut teams_out = if plan.teams {
        Some(writer(&mut staging, "teams.csv")?)
    } else {
        None
    };
    let mut runs_out = writer(&mut staging, "runs.csv")?;
    let mut summary = SummaryCsv::new(staging.create("summary.csv")?, &plan.layout, true)
        .map_err(io("summary.csv"))?;
    // The headers, as checked against the manifest (every shard has them).
    if let Some(first) = files.first() {
        if let Some(w) = &mut ts_out {
            w.write_byte_record(&first.ts.header)
                .map_err(|x| e("timeseries.csv")(x))?;
        }
        if let (Some(w), Some(t)) = (&mut teams_out, &first.teams) {
            w.write_byte_record(&t.header)
                .map_err(|x| e("teams.csv")(x))?;
        }
        runs_out
            .write_byte_record(&first.runs.header)
            .map_err(|x| e("runs.csv")(x))?;
    }

    // Runs in order: round r holds run r * count + i of each shard i.
    let mut rows = Rows::default();
    let mut run_rows = RunRows::default();
    let mut rec = RunRecord::default();
    let mut fmt = crate::output::format::NumFmt::new();
    let mut merged_runs = 0u64;
    let count = plan.count;
    for round in 0u64.. {
        let mut any = false;
        for s in files.iter_mut() {
            let Some(run) = round
                .checked_mul(count)
                .and_then(|r| r.checked_add(s.index))
                .filter(|&r| r < plan.runs)
            else {
                continue;
            };
            any = true;
            let id = RunIds::of(plan, run);
            rows::read_run(plan, s, &id, &mut fmt, &mut run_rows)?;
            runs_out
                .write_byte_record(&run_rows.runs)
                .map_err(|x| e("runs.csv")(x))?;
            rows.runs += 1;
            if let Some(w) = &mut teams_out {
                for r in run_rows.teams.as_slice() {
                    w.write_byte_record(r).map_err(|x| e("teams.csv")(x))?;
                }
                *rows.teams.get_or_insert(0) += run_rows.teams.as_slice().len() as u64;
            }
            rec.point = id.point;
            std::mem::swap(&mut rec.swept, &mut run_rows.swept);
            std::mem::swap(&mut rec.steps, &mut run_rows.steps);
            std::mem::swap(&mut rec.rows, &mut run_rows.values);
            summary.write_run(&rec).map_err(|x| io("summary.csv")(x))?;
            if let Some(w) = &mut ts_out {
                for r in run_rows.ts.as_slice() {
                    w.write_byte_record(r).map_err(|x| e("timeseries.csv")(x))?;
                }
                *rows.timeseries.get_or_insert(0) += run_rows.ts.as_slice().len() as u64;
            }
            merged_runs += 1;
        }
        if !any {
            break;
        }
    }
    for s in files.iter() {
        s.ts.check_done(s.last_run)?;
        s.runs.check_done(s.last_run)?;
        if let Some(t) = &s.teams {
            t.check_done(s.last_run)?;
        }
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
    let mut m = std::mem::take(&mut input.reference);
    m.remove("shard");
    m.remove("stopped");
    m.remove("sessions");
    m.insert(
        "command_line".into(),
        Value::from(opts.command_line.clone()),
    );
    m.insert("runs".into(), Value::from(plan.runs));
    m.insert("runs_written".into(), Value::from(merged_runs));
    m.insert("complete".into(), Value::Bool(input.missing.is_empty()));
    m.insert("started".into(), Value::from(input.started.clone()));
    m.insert(
        "finished".into(),
        Value::from(out_manifest::timestamp(std::time::SystemTime::now())),
    );
    m.insert("elapsed_seconds".into(), Value::from(input.elapsed));
    m.insert(
        "rows".into(),
        serde_json::to_value(&rows).unwrap_or_default(),
    );
    m.insert(
        "merged".into(),
        serde_json::json!({
            "shards": count,
            "missing": input.missing,
            "from": input.shards.iter().map(|s| serde_json::json!({
                "shard": s.index,
                "path": s.dir.display().to_string(),
                "runs": s.runs,
                "threads": s.threads,
                "elapsed_seconds": s.elapsed_seconds,
            })).collect::<Vec<_>>(),
        }),
    );
    let out = ManifestOut {
        map: &m,
        points: PointParameters {
            plan,
            listed: input.list_points,
            manifest: &m,
        },
    };
    let mut w = staging.create("manifest.json")?;
    serde_json::to_writer_pretty(&mut w, &out)
        .map_err(|err| Error::io(dir.join("manifest.json"), err.into()))?;
    std::io::Write::write_all(&mut w, b"\n").map_err(io("manifest.json"))?;
    std::io::Write::flush(&mut w).map_err(io("manifest.json"))?;
    drop(w);
    staging.commit()?;
    Ok(MergeReport {
        out_dir: opts.out_dir.clone(),
        shards: count,
        merged: input.shards.iter().map(|s| s.index).collect(),
        missing: std::mem::take(&mut input.missing),
        runs: merged_runs,
        runs_total: plan.runs,
        rows,
    })
}

/// The merged manifest: `map` with `point_parameters` in its place (keys
/// in order), written one point at a time.
struct ManifestOut<'a> {
    map: &'a Map<String, Value>,
    points: PointParameters<'a>,
}

impl serde::Serialize for ManifestOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        const KEY: &str = "point_parameters";
        let mut m = s.serialize_map(Some(self.map.len() + 1))?;
        let mut pending = true;
        for (k, v) in self.map {
            if pending && k.as_str() > KEY {
                m.serialize_entry(KEY, &self.points)?;
                pending = false;
            }
            m.serialize_entry(k, v)?;
        }
        if pending {
            m.serialize_entry(KEY, &self.points)?;
        }
        m.end()
    }
}

/// Every point's parameters, as the engine lists them (null above
/// `MAX_LISTED_POINTS` points): the base parameters with the point's
/// swept values.
struct PointParameters<'a> {
    plan: &'a Plan,
    listed: bool,
    /// The manifest holding `base_parameters` and `sweep`.
    manifest: &'a Map<String, Value>,
}

impl serde::Serialize for PointParameters<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !self.listed {
            return s.serialize_none();
        }
        let plan = self.plan;
        let base = self
            .manifest
            .get("base_parameters")
            .and_then(Value::as_object);
        let sweep: Vec<&[Value]> = (0..plan.axes.len())
            .map(|k| {
                self.manifest
                    .get("sweep")
                    .and_then(|a| a.get(k))
                    .and_then(|a| a.get("values"))
                    .and_then(Value::as_array)
                    .map_or(&[][..], Vec::as_slice)
            })
            .collect();
        let mut seq = s.serialize_seq(usize::try_from(plan.points).ok())?;
        for p in 0..plan.points {
            let mut params = base.cloned().unwrap_or_default();
            for (axis, values) in plan.axes.iter().zip(&sweep) {
                if let Some(v) = values.get(axis.index_at(p)) {
                    params.insert(axis.path.to_string(), v.clone());
                }
            }
            let mut point = Map::new();
            point.insert("parameters".into(), Value::Object(params));
            point.insert("point_id".into(), Value::from(p));
            seq.serialize_element(&Value::Object(point))?;
        }
        seq.end()
    }
}
