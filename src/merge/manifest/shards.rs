//! Reading and checking the shard folders: each manifest's fields, the
//! shards describing the same experiment, each complete shard holding its
//! runs, each index once, and none missing (unless `--partial`).

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::engine::Shard;
use crate::error::Error;
use crate::output::{MANIFEST_FILE, RESUME_FILE};

use super::fields::Fields;
use super::plan::{Plan, plan_of};
use super::read::read_manifest;
use super::{MAX_SHARDS, bad, describe, pointer};

/// Fields that must agree between shards, by path.
const SAME: &[(&str, &str)] = &[
    ("program/name", "program"),
    ("program/version", "program version"),
    ("program/git_commit", "program build (git commit)"),
    ("scenario/model", "model"),
    ("scenario/text", "scenario file text"),
    ("scenario/extends", "base scenario (extends)"),
    ("seed", "seed"),
    ("replicates", "replicates"),
    ("points", "sweep points"),
    ("every", "output interval"),
    ("metrics", "metrics"),
    ("base_parameters", "parameters"),
    ("sweep", "sweep"),
    ("shard/count", "number of shards"),
];

/// A complete shard, checked.
#[derive(Debug)]
pub(in crate::merge) struct ShardIn {
    /// Its folder, as given.
    pub dir: PathBuf,
    /// Its index.
    pub index: u64,
    /// Fields copied into the merged manifest's `merged.from`.
    pub runs: Value,
    pub threads: Value,
    pub elapsed_seconds: Value,
}

/// The checked input of a merge.
#[derive(Debug)]
pub(in crate::merge) struct Input {
    /// The experiment.
    pub plan: Plan,
    /// The manifest the merged one is made from (the first shard's,
    /// without `point_parameters`).
    pub reference: Map<String, Value>,
    /// Whether `point_parameters` are listed (as the engine does up to
    /// `MAX_LISTED_POINTS` points).
    pub list_points: bool,
    /// The complete shards, by index.
    pub shards: Vec<ShardIn>,
    /// Shard indices missing or incomplete (only with `--partial`).
    pub missing: Vec<u64>,
    /// The earliest start time of a shard.
    pub started: String,
    /// The longest time a shard took.
    pub elapsed: f64,
}

/// "0, 2, 5-9".
fn ranges(xs: &[u64]) -> String {
    let mut out = Vec::new();
    let mut i = 0;
    while i < xs.len() {
        let mut j = i;
        while j + 1 < xs.len() && xs[j + 1] == xs[j] + 1 {
            j += 1;
        }
        match j - i {
            0 => out.push(xs[i].to_string()),
            1 => {
                out.push(xs[i].to_string());
                out.push(xs[j].to_string());
            }
            _ => out.push(format!("{}-{}", xs[i], xs[j])),
        }
        i = j + 1;
    }
    out.join(", ")
}

/// Reads and checks the shard folders.
pub(in crate::merge) fn collect(dirs: &[PathBuf], partial: bool) -> Result<Input, Error> {
    if dirs.is_empty() {
        return Err(bad("no shard folders given"));
    }
    let mut survey = Survey::default();
    for dir in dirs {
        survey.read(dir);
    }
    let Survey {
        mut problems,
        reference,
        count,
        complete,
        incomplete,
        started,
        elapsed,
    } = survey;
    if !problems.is_empty() {
        return Err(bad(problems.join("\n")));
    }
    let (Some((first, reference)), Some(count)) = (reference, count) else {
        return Err(bad("no shard folders given"));
    };
    if complete.is_empty() {
        return Err(bad(incomplete
            .into_iter()
            .map(|(_, m)| m)
            .collect::<Vec<_>>()
            .join("\n")));
    }
    let first_file = first.join(MANIFEST_FILE).display().to_string();
    let Some(plan) = plan_of(&first_file, &reference, count, &mut problems) else {
        return Err(bad(problems.join("\n")));
    };
    let shards = check_complete(&plan, count, complete, &incomplete, &mut problems);
    if !problems.is_empty() {
        return Err(bad(problems.join("\n")));
    }
    let missing = missing(&shards, count);
    if !missing.is_empty() && !partial {
        return Err(bad(missing_message(&missing, count, &incomplete)));
    }
    let list_points = plan.points <= crate::output::manifest::MAX_LISTED_POINTS;
    Ok(Input {
        plan,
        reference,
        list_points,
        shards,
        missing,
        started: started.unwrap_or_default(),
        elapsed,
    })
}

/// What the manifests of the folders say, as they are read one by one.
#[derive(Default)]
struct Survey {
    /// Every problem found, in the order found.
    problems: Vec<String>,
    /// The first shard's folder and manifest: the experiment the others
    /// must describe.
    reference: Option<(PathBuf, Map<String, Value>)>,
    /// Its shard count.
    count: Option<u64>,
    /// (index, dir, manifest fields kept) of each complete shard.
    complete: Vec<(u64, PathBuf, Map<String, Value>)>,
    /// (index, what to do) of each incomplete shard.
    incomplete: Vec<(u64, String)>,
    /// The earliest start time of a complete shard.
    started: Option<String>,
    /// The longest time a complete shard took.
    elapsed: f64,
}

/// A shard manifest's own fields (each None when it is not valid).
struct ShardFields {
    /// The shard count.
    count: Option<u64>,
    index: Option<u64>,
    complete: Option<bool>,
    runs: Option<u64>,
    written: Option<u64>,
}

impl Survey {
    /// Reads the manifest of `dir`, checks its fields and that it
    /// describes the same experiment as the first shard's, and files the
    /// shard as complete or incomplete when it has no problem.
    fn read(&mut self, dir: &Path) {
        let Some(m) = manifest_of(dir, &mut self.problems) else {
            return;
        };
        let before = self.problems.len();
        let mut f = Fields {
            file: dir.join(MANIFEST_FILE).display().to_string(),
            m: &m,
            problems: &mut self.problems,
        };
        let Some(shard) = shard_fields(&mut f, dir) else {
            return;
        };
        if shard.complete == Some(true) {
            timing(&mut f, &mut self.started, &mut self.elapsed);
        }
        if let Some((first, r)) = &self.reference
            && let Some(problem) = differences(first, r, dir, &m)
        {
            self.problems.push(problem);
        }
        if self.problems.len() == before {
            match (shard.index, shard.complete) {
                (Some(index), Some(true)) => {
                    self.complete.push((index, dir.to_path_buf(), keep(&m)))
                }
                (Some(index), Some(false)) => self.incomplete.push((
                    index,
                    incomplete_message(dir, index, shard.written, shard.runs),
                )),
                _ => {}
            }
        }
        if self.reference.is_none() {
            self.count = shard.count;
            self.reference = Some((dir.to_path_buf(), m));
        }
    }
}

/// The manifest of `dir`, or the problem: none (an interrupted shard, or
/// not an output folder of ideaflow's), or not a valid one.
fn manifest_of(dir: &Path, problems: &mut Vec<String>) -> Option<Map<String, Value>> {
    match read_manifest(dir) {
        Ok(Some(m)) => Some(m),
        Ok(None) => {
            if dir.join(RESUME_FILE).exists() {
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
            None
        }
        Err(e) => {
            problems.push(e);
            None
        }
    }
}

/// The shard's index and count, whether it is complete, and its runs;
/// None when the manifest is not a shard's at all.
fn shard_fields(f: &mut Fields<'_>, dir: &Path) -> Option<ShardFields> {
    match f.get("shard") {
        None | Some(Value::Null) => {
            f.problems.push(format!(
                "{}: not a shard (written without --shard)",
                dir.display()
            ));
            return None;
        }
        Some(Value::Object(_)) => {}
        Some(other) => {
            let other = other.clone();
            f.problem(
                "shard",
                "an object {\"index\": I, \"count\": N}",
                Some(&other),
            );
            return None;
        }
    }
    let count = f.uint("shard/count", 1, MAX_SHARDS);
    let index = match count {
        Some(n) => f.uint("shard/index", 0, n - 1),
        None => {
            let v = f.get("shard/index");
            if v.and_then(Value::as_u64).is_none() {
                let v = v.cloned();
                f.problem("shard.index", "an integer >= 0", v.as_ref());
            }
            None
        }
    };
    if let Some(v) = f.get("only_run").filter(|v| !v.is_null()) {
        let v = v.clone();
        f.problem(
            "only_run",
            "null (a shard of the whole experiment, not one run)",
            Some(&v),
        );
    }
    Some(ShardFields {
        count,
        index,
        complete: f.boolean("complete"),
        runs: f.uint("runs", 0, u64::MAX),
        written: f.uint("runs_written", 0, u64::MAX),
    })
}

/// A complete shard's start, time taken and threads, the earliest start
/// and the longest time kept.
fn timing(f: &mut Fields<'_>, started: &mut Option<String>, elapsed: &mut f64) {
    match f.get("started") {
        Some(Value::String(s)) => {
            if started.as_ref().is_none_or(|t| s < t) {
                *started = Some(s.clone());
            }
        }
        other => {
            let other = other.cloned();
            f.problem("started", "a time (a string)", other.as_ref());
        }
    }
    match f.get("elapsed_seconds").and_then(Value::as_f64) {
        Some(x) if x >= 0.0 => *elapsed = elapsed.max(x),
        _ => {
            let v = f.get("elapsed_seconds").cloned();
            f.problem("elapsed_seconds", "a number >= 0", v.as_ref());
        }
    }
    if f.get("threads")
        .and_then(Value::as_u64)
        .is_none_or(|t| t == 0)
    {
        let v = f.get("threads").cloned();
        f.problem("threads", "an integer >= 1", v.as_ref());
    }
}

/// The problem when the manifest `m` of `dir` does not describe the same
/// experiment as `r`, the first shard's (from `first`).
fn differences(
    first: &Path,
    r: &Map<String, Value>,
    dir: &Path,
    m: &Map<String, Value>,
) -> Option<String> {
    let mut differ = Vec::new();
    for (ptr, what) in SAME {
        let (a, b) = (pointer(r, ptr), pointer(m, ptr));
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
    (!differ.is_empty()).then(|| {
        format!(
            "{} and {} are not shards of the same experiment: they differ in {}",
            first.display(),
            dir.display(),
            differ.join(", ")
        )
    })
}

/// Checks that each complete shard is given once and holds the runs of
/// its index; the shards, by index.
fn check_complete(
    plan: &Plan,
    count: u64,
    mut complete: Vec<(u64, PathBuf, Map<String, Value>)>,
    incomplete: &[(u64, String)],
    problems: &mut Vec<String>,
) -> Vec<ShardIn> {
    complete.sort_by_key(|s| s.0);
    for w in complete.windows(2) {
        if w[0].0 == w[1].0 {
            problems.push(format!(
                "shard {} is given twice: {} and {}",
                w[0].0,
                w[0].1.display(),
                w[1].1.display()
            ));
        }
    }
    for (i, _) in incomplete {
        if complete.binary_search_by_key(i, |s| s.0).is_ok() {
            problems.push(format!("shard {i} is given twice (one of them incomplete)"));
        }
    }
    let mut shards = Vec::with_capacity(complete.len());
    for (index, dir, m) in complete {
        let want = Shard { index, count }.runs(plan.runs);
        let file = dir.join(MANIFEST_FILE).display().to_string();
        for key in ["runs", "runs_written"] {
            let found = m.get(key).and_then(Value::as_u64);
            if found != Some(want) {
                problems.push(format!(
                    "{file}: {key}: expected {want} (the runs of shard {index} of {count} in an experiment of {} runs), found {}",
                    plan.runs,
                    describe(m.get(key))
                ));
            }
        }
        shards.push(ShardIn {
            dir,
            index,
            runs: m.get("runs").cloned().unwrap_or_default(),
            threads: m.get("threads").cloned().unwrap_or_default(),
            elapsed_seconds: m.get("elapsed_seconds").cloned().unwrap_or_default(),
        });
    }
    shards
}

/// The shard indices below `count` that are not among `shards` (sorted
/// by index).
fn missing(shards: &[ShardIn], count: u64) -> Vec<u64> {
    let mut missing = Vec::new();
    let mut given = shards.iter().map(|s| s.index).peekable();
    for i in 0..count {
        if given.peek() == Some(&i) {
            given.next();
        } else {
            missing.push(i);
        }
    }
    missing
}

/// The error of a merge with shards missing (without `--partial`).
fn missing_message(missing: &[u64], count: u64, incomplete: &[(u64, String)]) -> String {
    let mut msg = format!(
        "missing shard{} {} of {count}",
        if missing.len() == 1 { "" } else { "s" },
        ranges(missing)
    );
    for (_, m) in incomplete {
        msg.push('\n');
        msg.push_str(m);
    }
    msg.push_str("\npass --partial to merge the shards that are complete");
    msg
}

/// What is kept of a complete shard's manifest besides its index.
fn keep(m: &Map<String, Value>) -> Map<String, Value> {
    ["runs", "runs_written", "threads", "elapsed_seconds"]
        .iter()
        .filter_map(|k| m.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect()
}

fn incomplete_message(dir: &Path, index: u64, written: Option<u64>, runs: Option<u64>) -> String {
    let n = |x: Option<u64>| x.map_or("?".to_string(), |x| x.to_string());
    format!(
        "{}: shard {index} is incomplete ({} of {} runs written); resume it with `ideaflow run SCENARIO --shard {index}/N --out {} --resume`",
        dir.display(),
        n(written),
        n(runs),
        dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_compress_consecutive_indices() {
        assert_eq!(ranges(&[2]), "2");
        assert_eq!(ranges(&[0, 2, 3, 5, 6, 7, 9]), "0, 2, 3, 5-7, 9");
    }
}
