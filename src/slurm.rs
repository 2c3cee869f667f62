//! `ideaflow slurm`: a sweep as a Slurm job array of shards plus a merge
//! job that depends on it.
//!
//! Writes into `<out>/slurm/`: `shards.sbatch` (array task I runs
//! `ideaflow run --shard I/N` into `<out>/shards/shard-I/`, resuming what a
//! re-queued or re-submitted task left), `merge.sbatch` (`ideaflow merge`
//! of every shard into `<out>/`), and `submit.sh`, which submits the
//! shards not yet complete and the merge with `--dependency=afterok` and
//! `--kill-on-invalid-dep=yes`. `--submit` does what submit.sh does.
//! Slurm does the scheduling; ideaflow only writes and submits scripts.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::error::Error;

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

fn quote(p: &Path) -> String {
    let s = p.to_string_lossy();
    shlex::try_quote(&s).map_or_else(|_| format!("'{s}'"), |q| q.into_owned())
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
    check_existing_shards(&o.out_dir, o.shards)?;

    let dir = o.out_dir.join("slurm");
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).map_err(|e| Error::OutputUnwritable {
        path: logs.clone(),
        source: e,
    })?;
    let program = crate::output::manifest::Program::current();
    let job = {
        let safe: String = o
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "_-.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("ideaflow-{safe}")
    };
    let mut common = String::new();
    if let Some(p) = &o.partition {
        common.push_str(&format!("#SBATCH --partition={p}\n"));
    }
    if let Some(t) = &o.time {
        common.push_str(&format!("#SBATCH --time={t}\n"));
    }
    if let Some(m) = &o.mem {
        common.push_str(&format!("#SBATCH --mem={m}\n"));
    }
    let run_args: String = o
        .run_args
        .iter()
        .map(|a| {
            format!(
                " {}",
                shlex::try_quote(a).map_or_else(|_| a.clone(), |q| q.into_owned())
            )
        })
        .collect();
    let n = o.shards;
    // #SBATCH lines cannot quote; submit.sh and --submit always pass the
    // log paths on the command line too.
    let directive = |file: &str| {
        let path = logs.join(file).to_string_lossy().into_owned();
        if path.chars().any(char::is_whitespace) {
            String::new()
        } else {
            format!("#SBATCH --output={path}\n")
        }
    };
    let (shard_log, merge_log) = (directive("shard-%a.log"), directive("merge.log"));
    let header = format!(
        "# Written by ideaflow {} (commit {}) for scenario {}.\n",
        program.version,
        program.git_commit,
        o.scenario.display()
    );

    let shards = format!(
        r#"#!/bin/bash
{header}# Array task I runs shard I of {n} into {out}/shards/shard-I/. A task that is
# re-queued (or re-submitted after a failure) resumes where it stopped; a
# complete shard is left as it is. Submit with submit.sh, which also
# queues the merge.
#SBATCH --job-name={job}
#SBATCH --array=0-{last}
#SBATCH --cpus-per-task={cpus}
{common}{shard_log}#SBATCH --open-mode=append
#SBATCH --requeue
set -euo pipefail
IDEAFLOW={prog}
SCENARIO={scenario}
OUT={outq}
SHARD="${{SLURM_ARRAY_TASK_ID:?submit this script with sbatch}}"
DIR="$OUT/shards/shard-$SHARD"
echo "$(date -u +%FT%TZ) shard $SHARD/{n} on $(hostname) (job ${{SLURM_JOB_ID:-?}})"
if [ -e "$DIR/resume.json" ] || [ -e "$DIR/manifest.json" ]; then
    exec "$IDEAFLOW" run "$SCENARIO"{run_args} --shard "$SHARD/{n}" --out "$DIR" --threads "${{SLURM_CPUS_PER_TASK:-1}}" --quiet --resume
else
    exec "$IDEAFLOW" run "$SCENARIO"{run_args} --shard "$SHARD/{n}" --out "$DIR" --threads "${{SLURM_CPUS_PER_TASK:-1}}" --quiet
fi
"#,
        out = o.out_dir.display(),
        last = n - 1,
        cpus = o.cpus_per_task,
        prog = quote(&o.program),
        scenario = quote(&o.scenario),
        outq = quote(&o.out_dir),
    );
    let merge = format!(
        r#"#!/bin/bash
{header}# Merges the {n} shards into {out}/ once every array task has succeeded.
#SBATCH --job-name={job}-merge
#SBATCH --cpus-per-task=1
{common}{merge_log}#SBATCH --open-mode=append
set -euo pipefail
IDEAFLOW={prog}
OUT={outq}
SHARDS=()
for i in $(seq 0 {last}); do SHARDS+=("$OUT/shards/shard-$i"); done
echo "$(date -u +%FT%TZ) merging {n} shards on $(hostname)"
exec "$IDEAFLOW" merge "${{SHARDS[@]}}" --out "$OUT" --force
"#,
        out = o.out_dir.display(),
        last = n - 1,
        prog = quote(&o.program),
        outq = quote(&o.out_dir),
    );
    let submit = format!(
        r#"#!/bin/sh
{header}# Submits the shards that are not complete yet as a job array, and the
# merge as a job that starts when all of them have succeeded (and is
# cancelled if one fails). Safe to run again after failures: complete
# shards are not rerun.
set -eu
HERE={here}
OUT={outq}
LOGS={logsq}
TODO=""
for i in $(seq 0 {last}); do
    m="$OUT/shards/shard-$i/manifest.json"
    if [ -f "$m" ] && grep -q '"complete": true' "$m"; then continue; fi
    TODO="${{TODO:+$TODO,}}$i"
done
if [ -n "$TODO" ]; then
    ARRAY=$(sbatch --parsable --array="$TODO" --output="$LOGS/shard-%a.log" "$HERE/shards.sbatch")
    ARRAY=${{ARRAY%%;*}}
    MERGE=$(sbatch --parsable --dependency="afterok:$ARRAY" --kill-on-invalid-dep=yes --output="$LOGS/merge.log" "$HERE/merge.sbatch")
    echo "shards $TODO: job $ARRAY; merge: job ${{MERGE%%;*}}"
else
    MERGE=$(sbatch --parsable --output="$LOGS/merge.log" "$HERE/merge.sbatch")
    echo "every shard is complete; merge: job ${{MERGE%%;*}}"
fi
echo "follow with: squeue --me; logs in {logs}/"
"#,
        here = quote(&dir),
        outq = quote(&o.out_dir),
        logsq = quote(&logs),
        last = n - 1,
        logs = logs.display(),
    );
    let paths = Scripts {
        shards: dir.join("shards.sbatch"),
        merge: dir.join("merge.sbatch"),
        submit: dir.join("submit.sh"),
        logs,
    };
    for (path, text) in [
        (&paths.shards, shards),
        (&paths.merge, merge),
        (&paths.submit, submit),
    ] {
        std::fs::write(path, text).map_err(|e| Error::io(path, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| Error::io(path, e))?;
        }
    }
    Ok(paths)
}

/// Refuses an output folder holding shards cut for another shard count.
fn check_existing_shards(out: &Path, n: u64) -> Result<(), Error> {
    let Ok(entries) = std::fs::read_dir(out.join("shards")) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let dir = entry.path();
        let count = ["manifest.json", crate::output::RESUME_FILE]
            .iter()
            .filter_map(|f| std::fs::read_to_string(dir.join(f)).ok())
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

/// The shards whose folder holds a complete result.
pub fn complete_shards(out: &Path, n: u64) -> Vec<u64> {
    (0..n)
        .filter(|&i| {
            std::fs::read_to_string(shard_dir(out, i).join("manifest.json"))
                .ok()
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                .is_some_and(|m| m.get("complete") == Some(&Value::Bool(true)))
        })
        .collect()
}

fn sbatch(args: &[&str]) -> Result<String, Error> {
    let out = Command::new("sbatch").args(args).output().map_err(|e| {
        failed(format!(
            "cannot run sbatch ({e}): is this a Slurm login node? The scripts are written; submit them there with their submit.sh"
        ))
    })?;
    if !out.status.success() {
        return Err(failed(format!(
            "sbatch {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    // --parsable prints "jobid" or "jobid;cluster".
    let id = text
        .trim()
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(failed(format!(
            "sbatch printed no job id: `{}`",
            text.trim()
        )));
    }
    Ok(id)
}

/// Submits the shards not yet complete and the merge, as submit.sh does.
pub fn submit(o: &SlurmOptions, scripts: &Scripts) -> Result<Submitted, Error> {
    let done = complete_shards(&o.out_dir, o.shards);
    let todo: Vec<u64> = (0..o.shards).filter(|i| !done.contains(i)).collect();
    let shards = scripts.shards.to_string_lossy().into_owned();
    let merge = scripts.merge.to_string_lossy().into_owned();
    let shard_log = format!("--output={}", scripts.logs.join("shard-%a.log").display());
    let merge_log = format!("--output={}", scripts.logs.join("merge.log").display());
    if todo.is_empty() {
        let id = sbatch(&["--parsable", &merge_log, &merge])?;
        return Ok(Submitted {
            array: None,
            merge: id,
        });
    }
    let array = sbatch(&[
        "--parsable",
        &format!("--array={}", ranges(&todo)),
        &shard_log,
        &shards,
    ])?;
    let merge_id = sbatch(&[
        "--parsable",
        &format!("--dependency=afterok:{array}"),
        "--kill-on-invalid-dep=yes",
        &merge_log,
        &merge,
    ])?;
    Ok(Submitted {
        array: Some((array, todo)),
        merge: merge_id,
    })
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
