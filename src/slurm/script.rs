//! The text of the three scripts: `shards.sbatch` (the job array),
//! `merge.sbatch` (the merge job) and `submit.sh` (submits the shards not
//! complete and the merge). User text is quoted by [`shell_word`] or
//! [`comment_text`]; `#SBATCH` lines hold only checked values.

use std::path::Path;

use super::SlurmOptions;
use super::quote::{comment_text, path_word, shell_word};

/// What the three scripts are made of.
pub(super) struct Parts<'a> {
    /// The comment line naming the program and the scenario.
    header: String,
    /// The job name.
    job: String,
    /// The `#SBATCH` lines every job has (partition, time, memory).
    common: String,
    /// The `#SBATCH --output` lines of the shards and of the merge (empty
    /// when the log folder's path cannot be written there).
    shard_log: String,
    merge_log: String,
    /// The run options, each a shell word after a space.
    run_args: String,
    /// Shards.
    n: u64,
    cpus: u32,
    /// The program, the scenario and the output folder as text.
    program: &'a str,
    scenario: &'a str,
    out_dir: &'a str,
    /// The scripts' folder and the logs' folder.
    dir: &'a Path,
    logs: &'a Path,
}

impl<'a> Parts<'a> {
    /// The parts of the scripts of `o`, written into `dir` with logs in
    /// `logs`; `program`, `scenario` and `out_dir` are the checked text
    /// of those paths.
    pub fn new(
        o: &SlurmOptions,
        (program, scenario, out_dir): (&'a str, &'a str, &'a str),
        dir: &'a Path,
        logs: &'a Path,
    ) -> Parts<'a> {
        let build = crate::output::manifest::Program::current();
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
        // #SBATCH lines cannot quote: the directive is left out unless the
        // folder's path is made of characters that mean nothing to sbatch or
        // to the shell (no `%` either: Slurm would read it as a pattern).
        // submit.sh and --submit always pass the log paths on the command
        // line too.
        let logs_text = logs.to_string_lossy();
        let plain_logs = logs_text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/+-".contains(c));
        let directive = |file: &str| {
            if plain_logs {
                format!("#SBATCH --output={logs_text}/{file}\n")
            } else {
                String::new()
            }
        };
        Parts {
            header: format!(
                "# Written by ideaflow {} (commit {}) for scenario {}.\n",
                comment_text(build.version),
                comment_text(build.git_commit),
                comment_text(scenario)
            ),
            job: job_name(&o.name),
            common,
            shard_log: directive("shard-%a.log"),
            merge_log: directive("merge.log"),
            run_args: o
                .run_args
                .iter()
                .map(|a| format!(" {}", shell_word(a)))
                .collect(),
            n: o.shards,
            cpus: o.cpus_per_task,
            program,
            scenario,
            out_dir,
            dir,
            logs,
        }
    }

    /// `shards.sbatch`: array task I runs shard I into shards/shard-I/,
    /// resuming what a re-queued task left.
    pub fn shards(&self) -> String {
        let Parts {
            header,
            job,
            common,
            shard_log,
            run_args,
            n,
            ..
        } = self;
        let out = comment_text(self.out_dir);
        format!(
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
            last = n - 1,
            cpus = self.cpus,
            prog = shell_word(self.program),
            scenario = shell_word(self.scenario),
            outq = shell_word(self.out_dir),
        )
    }

    /// `merge.sbatch`: merges every shard into the output folder.
    pub fn merge(&self) -> String {
        let Parts {
            header,
            job,
            common,
            merge_log,
            n,
            ..
        } = self;
        let out = comment_text(self.out_dir);
        format!(
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
            last = n - 1,
            prog = shell_word(self.program),
            outq = shell_word(self.out_dir),
        )
    }

    /// `submit.sh`: submits the shards not complete yet and the merge,
    /// which starts when all of them have succeeded.
    pub fn submit(&self) -> String {
        let Parts { header, n, .. } = self;
        format!(
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
printf 'follow with: squeue --me; logs in %s/\n' "$LOGS"
"#,
            here = path_word(self.dir),
            outq = shell_word(self.out_dir),
            logsq = path_word(self.logs),
            last = n - 1,
        )
    }
}

/// The jobs' name: `ideaflow-` and the scenario's name, with every
/// character sbatch or a shell could read otherwise replaced by `_`.
fn job_name(name: &str) -> String {
    let safe: String = name
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
}
