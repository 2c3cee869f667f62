//! The resume state of an interrupted experiment (`resume.json` in its
//! output folder): which experiment it is, how many runs are written, and
//! the exact state of every output file at that run boundary.
//!
//! `ideaflow run --resume` checks that the experiment is the same one
//! (same build, same resolved parameters, seed, replicates and outputs),
//! truncates the files to the recorded lengths (anything written after the
//! checkpoint is discarded), restores the writers' state and continues with
//! the next run. Every run depends only on (seed, point, replicate) and the
//! writers continue from their exact state, so the finished files are
//! byte-identical to those of an uninterrupted experiment.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;
use crate::output::{FileState, MANIFEST_FILE, RESUME_FILE};
use crate::scenario::Experiment;

/// Version of the resume file's layout.
const FORMAT: u32 = 1;

/// What `resume.json` holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ResumeState {
    /// Layout version.
    pub format: u32,
    /// What must be equal for the experiment to be continued.
    pub experiment: BTreeMap<String, Value>,
    /// Runs in the experiment (or in the `--only-run` selection).
    pub runs_total: u64,
    /// Runs written, in order from the first.
    pub runs_done: u64,
    /// The files at the checkpoint.
    pub files: Vec<FileState>,
    /// When the first session started (RFC 3339).
    pub started: String,
    /// Wall-clock seconds of the earlier sessions.
    pub elapsed_seconds: f64,
    /// Sessions so far (1 + times resumed).
    pub sessions: u32,
}

/// The identity of an experiment: everything that determines the output
/// files' bytes (the build, every parameter at its file or default value,
/// which includes seed, replicates, steps and the output options, the
/// sweep, and the `--only-run` or `--shard` selection).
pub fn fingerprint(
    exp: &Experiment,
    only_run: Option<u64>,
    shard: Option<super::Shard>,
) -> BTreeMap<String, Value> {
    let mut m = BTreeMap::new();
    let program = crate::output::manifest::Program::current();
    m.insert(
        "program".into(),
        Value::from(format!(
            "ideaflow {} (commit {})",
            program.version, program.git_commit
        )),
    );
    m.insert("parameters".into(), exp.base.to_json());
    m.insert(
        "sweep".into(),
        Value::Array(
            exp.axes
                .iter()
                .map(|a| {
                    serde_json::json!({
                        "path": a.column(),
                        "values": a.values.iter().map(|v| v.to_json()).collect::<Vec<_>>(),
                    })
                })
                .collect(),
        ),
    );
    m.insert("only_run".into(), only_run.map_or(Value::Null, Value::from));
    m.insert(
        "shard".into(),
        shard.map_or(Value::Null, |s| serde_json::to_value(s).unwrap_or_default()),
    );
    m
}

/// What `--resume` found in the output folder.
pub enum Found {
    /// An interrupted experiment.
    Interrupted(ResumeState),
    /// A complete one: its manifest.
    Complete(Value),
}

/// The fingerprint of the experiment a complete manifest describes (the
/// keys a manifest records; see [`fingerprint`]).
pub fn manifest_fingerprint(m: &Value) -> BTreeMap<String, Value> {
    let mut f = BTreeMap::new();
    let get = |k: &str| m.get(k).cloned().unwrap_or(Value::Null);
    // The build, written as `fingerprint` writes it.
    let program = m.get("program");
    let field = |k: &str| {
        program
            .and_then(|p| p.get(k))
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    };
    f.insert(
        "program".into(),
        Value::from(format!(
            "ideaflow {} (commit {})",
            field("version"),
            field("git_commit")
        )),
    );
    f.insert("parameters".into(), get("base_parameters"));
    f.insert("sweep".into(), get("sweep"));
    f.insert("only_run".into(), get("only_run"));
    f.insert("shard".into(), get("shard"));
    f
}

/// Reads a state file of ideaflow's (a regular file under the size limit;
/// a link is not followed).
fn read_state(path: &Path) -> Result<String, Error> {
    let input = |message: String| Error::Input {
        path: path.to_path_buf(),
        message,
    };
    crate::files::check_not_link(path).map_err(|e| input(e.to_string()))?;
    crate::files::read_input_text(path, crate::files::MAX_STATE_BYTES)
        .map_err(|e| input(e.to_string()))
}

/// Reads the resume state of `dir`.
pub fn read(dir: &Path) -> Result<Found, Error> {
    let path = dir.join(RESUME_FILE);
    if !dir.is_dir() {
        return Err(Error::NothingToResume {
            path: dir.to_path_buf(),
            reason: "the folder does not exist".into(),
        });
    }
    if !path.exists() {
        let manifest = dir.join(MANIFEST_FILE);
        if manifest.exists() {
            let text = read_state(&manifest)?;
            if let Ok(m) = serde_json::from_str::<Value>(&text)
                && m.get("complete") == Some(&Value::Bool(true))
            {
                return Ok(Found::Complete(m));
            }
        }
        return Err(Error::NothingToResume {
            path: dir.to_path_buf(),
            reason: "it holds no interrupted run (no resume.json)".into(),
        });
    }
    let text = read_state(&path)?;
    let state: ResumeState = serde_json::from_str(&text).map_err(|e| Error::ResumeState {
        path: path.clone(),
        message: format!("not a valid resume file: {e}"),
    })?;
    if state.format != FORMAT {
        return Err(Error::ResumeState {
            path,
            message: format!(
                "written in layout {} but this build reads layout {FORMAT}",
                state.format
            ),
        });
    }
    if state.runs_done > state.runs_total {
        return Err(Error::ResumeState {
            path,
            message: format!(
                "it records {} of {} runs done",
                state.runs_done, state.runs_total
            ),
        });
    }
    Ok(Found::Interrupted(state))
}

/// Checks that the experiment recorded as `then` is the one with
/// fingerprint `now` (keys missing from `then` are not compared).
pub fn check(
    dir: &Path,
    then: &BTreeMap<String, Value>,
    now: &BTreeMap<String, Value>,
) -> Result<(), Error> {
    let mut differences = Vec::new();
    for key in then.keys() {
        let was = then.get(key).unwrap_or(&Value::Null);
        let is = now.get(key).unwrap_or(&Value::Null);
        diff(key, was, is, &mut differences);
    }
    if differences.is_empty() {
        return Ok(());
    }
    const SHOWN: usize = 8;
    if differences.len() > SHOWN {
        let more = differences.len() - SHOWN;
        differences.truncate(SHOWN);
        differences.push(format!("... and {more} more"));
    }
    Err(Error::ResumeMismatch {
        path: dir.to_path_buf(),
        differences,
    })
}

/// Lists the leaves where `was` and `is` differ, by dotted path.
fn diff(path: &str, was: &Value, is: &Value, out: &mut Vec<String>) {
    match (was, is) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let (x, y) = (
                    a.get(k).unwrap_or(&Value::Null),
                    b.get(k).unwrap_or(&Value::Null),
                );
                diff(&format!("{path}.{k}"), x, y, out);
            }
        }
        _ if was != is => {
            let show = |v: &Value| {
                let s = v.to_string();
                if s.chars().count() > 60 {
                    format!("{}...", s.chars().take(57).collect::<String>())
                } else {
                    s
                }
            };
            out.push(format!("{path}: was {}, now {}", show(was), show(is)));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_listed_by_path() {
        let a = serde_json::json!({"bass": {"p": 0.03, "q": 0.38}, "steps": 10});
        let b = serde_json::json!({"bass": {"p": 0.03, "q": 0.5}, "steps": 10});
        let mut out = Vec::new();
        diff("parameters", &a, &b, &mut out);
        assert_eq!(out, vec!["parameters.bass.q: was 0.38, now 0.5"]);
    }
}
