//! `ideaflow slurm`: a sweep as a Slurm job array of shards plus a merge
//! job that depends on it.
//!
//! Writes into `<out>/slurm/`: `shards.sbatch` (array task I runs
//! `ideaflow run --shard I/N` into `<out>/shards/shard-I/`, resuming what a
//! re-queued or re-submitted task left), `merge.sbatch` (`ideaflow merge`
//! of every shard into `<out>/`), and `submit.sh`, which submits the
//! shards not yet complete and the merge with `--dependency=afterok` and
//! `--kill-on-invalid-dep=yes`. `--submit` does what submit.sh does
//! ([`submit`]). Slurm does the scheduling; ideaflow only writes and
//! submits scripts.
//!
//! User text (paths, run options) reaches a script only as a shell word
//! quoted by [`shell_word`] (assigned once to a variable, then used as
//! `"$VAR"`), or on a comment line through [`comment_text`], which keeps
//! it on that line ([`quote`]). `#SBATCH` lines cannot quote: their values
//! are checked, or the directive is left out ([`script`]). Each script is
//! written to a new temporary file beside it and renamed over its name,
//! so a link planted there is replaced, never followed ([`files`]).

mod files;
mod quote;
mod script;
mod submit;

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::Error;
use crate::output::{MANIFEST_FILE, RESUME_FILE};

use quote::path_word;
pub use quote::{comment_text, shell_word};
pub use submit::{complete_shards, submit};

/// What to generate.
#[derive(Clone, Debug)]
pub struct SlurmOptions {
    /// The scenario file (made absolute).
    pub scenario: PathBuf,
    /// The scenario's name (job names).
    pub name: String,
    /// Number of shards (array tasks).
    pub shards: u64,
    /// Output folder of the experiment (made absolute).
    pub out_dir: PathBuf,
    /// `--partition`.
    pub partition: Option<String>,
    /// `--time` per task.
    pub time: Option<String>,
    /// `--cpus-per-task` (also ideaflow's `--threads`).
    pub cpus_per_task: u32,
    /// `--mem` per task.
    pub mem: Option<String>,
    /// Options passed on to `ideaflow run` (`--seed`, `--replicates`,
    /// `--steps`).
    pub run_args: Vec<String>,
    /// The ideaflow program the jobs run (must be reachable from the
    /// compute nodes).
    pub program: PathBuf,
}

/// Scripts written.
#[derive(Clone, Debug)]
pub struct Scripts {
    /// The job array.
    pub shards: PathBuf,
    /// The merge job.
    pub merge: PathBuf,
    /// The submission script.
    pub submit: PathBuf,
    /// Where the jobs' logs go.
    pub logs: PathBuf,
}

impl Scripts {
    /// The command that submits the jobs (`sh` and submit.sh's path as a
    /// shell word), for a hint.
    pub fn submit_command(&self) -> String {
        format!("sh {}", path_word(&self.submit))
    }
}

/// Jobs submitted.
#[derive(Clone, Debug)]
pub struct Submitted {
    /// The array job and the shards it runs (None when all were complete).
    pub array: Option<(String, Vec<u64>)>,
    /// The merge job.
    pub merge: String,
}

fn bad(msg: String) -> Error {
    Error::SlurmOptions(msg)
}

fn failed(msg: String) -> Error {
    Error::Slurm(msg)
}

/// Checks a value written into an `#SBATCH` line.
fn check_value(what: &str, v: &str, ok: impl Fn(char) -> bool, example: &str) -> Result<(), Error> {
    if v.is_empty() || !v.chars().all(ok) {
        return Err(bad(format!(
            "--{what}: expected something like {example}, found `{v}`"
        )));
    }
    Ok(())
}

/// A path given to `slurm`, as the text the scripts hold: refused when it
/// is not UTF-8 (a lossy copy would name another file) or holds NUL.
fn script_text<'a>(what: &str, p: &'a Path) -> Result<&'a str, Error> {
    match p.to_str() {
        Some(s) if !s.contains('\0') => Ok(s),
        _ => Err(bad(format!(
            "{what}: expected a path that is valid UTF-8 without NUL (it is written into shell scripts), found {:?}",
            p.as_os_str()
        ))),
    }
}

/// The shard folder of shard `i`.
pub fn shard_dir(out: &Path, i: u64) -> PathBuf {
    out.join("shards").join(format!("shard-{i}"))
}

/// "0-3,5,7-9".
pub fn ranges(xs: &[u64]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < xs.len() {
        let mut j = i;
        while j + 1 < xs.len() && xs[j + 1] == xs[j] + 1 {
            j += 1;
        }
        out.push(if i == j {
            xs[i].to_string()
        } else {
            format!("{}-{}", xs[i], xs[j])
        });
        i = j + 1;
    }
    out.join(",")
}

/// Writes the scripts.
pub fn write_scripts(o: &SlurmOptions) -> Result<Scripts, Error> {
    let text = check_options(o)?;
    check_existing_shards(&o.out_dir, o.shards)?;
    let dir = o.out_dir.join("slurm");
    let logs = dir.join("logs");
    std::fs::create_dir_all(&o.out_dir).map_err(|e| Error::OutputUnwritable {
        path: o.out_dir.clone(),
        source: e,
    })?;
    files::real_dir(&dir)?;
    files::real_dir(&logs)?;
    let parts = script::Parts::new(o, text, &dir, &logs);
    let paths = Scripts {
        shards: dir.join("shards.sbatch"),
        merge: dir.join("merge.sbatch"),
        submit: dir.join("submit.sh"),
        logs: logs.clone(),
    };
    // Nothing is written when one of the three is in the way.
    for path in [&paths.shards, &paths.merge, &paths.submit] {
        files::replaceable(path)?;
    }
    for (path, text) in [
        (&paths.shards, parts.shards()),
        (&paths.merge, parts.merge()),
        (&paths.submit, parts.submit()),
    ] {
        files::write_script(path, &text)?;
    }
    Ok(paths)
}

/// Checks the options written into the scripts; the text of the program,
/// the scenario and the output folder.
fn check_options(o: &SlurmOptions) -> Result<(&str, &str, &str), Error> {
    if o.shards == 0 {
        return Err(bad("--shards: expected at least 1".into()));
    }
    if let Some(p) = &o.partition {
        check_value(
            "partition",
            p,
            |c| c.is_ascii_alphanumeric() || "_-.,".contains(c),
            "`compute` or `short,long`",
        )?;
    }
    if let Some(t) = &o.time {
        check_value(
            "time",
            t,
            |c| c.is_ascii_digit() || ":-".contains(c),
            "`02:00:00` or `1-12:00:00`",
        )?;
    }
    if let Some(m) = &o.mem {
        check_value("mem", m, |c| c.is_ascii_alphanumeric(), "`4G` or `4000M`")?;
    }
    let scenario = script_text("the scenario file", &o.scenario)?;
    let out_dir = script_text("--out", &o.out_dir)?;
    let program_path = script_text("--program", &o.program)?;
    if let Some(a) = o.run_args.iter().find(|a| a.contains('\0')) {
        return Err(bad(format!(
            "run options: expected text without NUL, found {a:?}"
        )));
    }
    Ok((program_path, scenario, out_dir))
}

/// Refuses an output folder holding shards cut for another shard count.
fn check_existing_shards(out: &Path, n: u64) -> Result<(), Error> {
    let Ok(entries) = std::fs::read_dir(out.join("shards")) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let dir = entry.path();
        let count = [MANIFEST_FILE, RESUME_FILE]
            .iter()
            .filter_map(|f| {
                crate::files::read_input_text(&dir.join(f), crate::files::MAX_STATE_BYTES).ok()
            })
            .filter_map(|t| serde_json::from_str::<Value>(&t).ok())
            .find_map(|v| {
                v.pointer("/shard/count")
                    .or_else(|| v.pointer("/experiment/shard/count"))
                    .and_then(Value::as_u64)
            });
        if let Some(c) = count
            && c != n
        {
            return Err(bad(format!(
                "{} holds a shard of {c} shards, not {n}: use the same --shards, another --out, or remove {}",
                dir.display(),
                out.join("shards").display()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_lists_are_compressed_to_ranges() {
        assert_eq!(ranges(&[0, 1, 2, 3]), "0-3");
        assert_eq!(ranges(&[0, 2, 3, 4, 7, 9, 10]), "0,2-4,7,9-10");
        assert_eq!(ranges(&[5]), "5");
    }
}
