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
//!
//! User text (paths, run options) reaches a script only as a shell word
//! quoted by [`shell_word`] (assigned once to a variable, then used as
//! `"$VAR"`), or on a comment line through [`comment_text`], which keeps
//! it on that line. `#SBATCH` lines cannot quote: their values are
//! checked, or the directive is left out. Each script is written to a new
//! temporary file beside it and renamed over its name, so a link planted
//! there is replaced, never followed.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::error::Error;
use crate::output::{MANIFEST_FILE, RESUME_FILE};

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

/// `s` as one word of a POSIX shell command: as it is when every
/// character is one no shell treats specially, otherwise in single
/// quotes with each `'` written as `'\''`. Between single quotes every
/// character stands for itself (newlines, `$`, backticks, `\`, `"`), so
/// the word is `s` for every string without NUL, and no argument, path or
/// environment value can hold NUL.
pub fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-+./:,@%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A path as one shell word (lossily for a path that is not UTF-8, which
/// [`write_scripts`] refuses).
fn path_word(p: &Path) -> String {
    shell_word(&p.to_string_lossy())
}

/// `s` as text that stays on one comment line: `\` and control characters
/// (newline, carriage return, tab, escape, ...) and the Unicode line and
/// paragraph separators are written as Rust escapes (`\\`, `\n`, `\r`,
/// `\u{1b}`).
pub fn comment_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '\\' || c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
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

/// What a file system entry is, for messages.
fn kind(m: &std::fs::Metadata) -> &'static str {
    let t = m.file_type();
    if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a folder"
    } else if t.is_file() {
        "a file"
    } else {
        "neither a file nor a folder"
    }
}

/// Creates the folder `dir` (its parent exists) or accepts the folder
/// there; refuses a symbolic link or anything else in its place.
fn real_dir(dir: &Path) -> Result<(), Error> {
    if let Err(e) = std::fs::create_dir(dir)
        && e.kind() != ErrorKind::AlreadyExists
    {
        return Err(Error::OutputUnwritable {
            path: dir.to_path_buf(),
            source: e,
        });
    }
    let m = std::fs::symlink_metadata(dir).map_err(|e| Error::io(dir, e))?;
    if m.file_type().is_dir() {
        Ok(())
    } else {
        Err(bad(format!(
            "{} is {}: expected a folder (or nothing) there for the Slurm scripts; remove it or choose another --out",
            dir.display(),
            kind(&m)
        )))
    }
}

/// Refuses a path that holds anything but a regular file (a symbolic
/// link, a folder, a FIFO, a device).
fn replaceable(path: &Path) -> Result<(), Error> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_file() => Ok(()),
        Ok(m) => Err(bad(format!(
            "{} is {}: expected a script written by ideaflow (or nothing) there; remove it or choose another --out",
            path.display(),
            kind(&m)
        ))),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Writes an executable script to a new temporary file in its folder
/// (`create_new`: never through a link, never over an existing file) and
/// renames it over `path`, which must be a regular file or absent.
fn write_script(path: &Path, text: &str) -> Result<(), Error> {
    replaceable(path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(".{name}.{}-{attempt}.tmp", std::process::id()));
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o755);
        }
        match opts.open(&tmp) {
            Ok(f) => break (tmp, f),
            // Someone else's file: leave it, take another name.
            Err(e) if e.kind() == ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(Error::io(&tmp, e)),
        }
    };
    let written = (|| -> std::io::Result<()> {
        file.write_all(text.as_bytes())?;
        #[cfg(unix)]
        {
            // The mode given to open is reduced by the umask.
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o755))?;
        }
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
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
    let scenario = script_text("the scenario file", &o.scenario)?;
    let out_dir = script_text("--out", &o.out_dir)?;
    let program_path = script_text("--program", &o.program)?;
    if let Some(a) = o.run_args.iter().find(|a| a.contains('\0')) {
        return Err(bad(format!(
            "run options: expected text without NUL, found {a:?}"
        )));
    }
    check_existing_shards(&o.out_dir, o.shards)?;

    let dir = o.out_dir.join("slurm");
    let logs = dir.join("logs");
    std::fs::create_dir_all(&o.out_dir).map_err(|e| Error::OutputUnwritable {
        path: o.out_dir.clone(),
        source: e,
    })?;
    real_dir(&dir)?;
    real_dir(&logs)?;
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
        .map(|a| format!(" {}", shell_word(a)))
        .collect();
    let n = o.shards;
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
    let (shard_log, merge_log) = (directive("shard-%a.log"), directive("merge.log"));
    let header = format!(
        "# Written by ideaflow {} (commit {}) for scenario {}.\n",
        comment_text(program.version),
        comment_text(program.git_commit),
        comment_text(scenario)
    );
    let out = comment_text(out_dir);

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
        last = n - 1,
        cpus = o.cpus_per_task,
        prog = shell_word(program_path),
        scenario = shell_word(scenario),
        outq = shell_word(out_dir),
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
        last = n - 1,
        prog = shell_word(program_path),
        outq = shell_word(out_dir),
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
printf 'follow with: squeue --me; logs in %s/\n' "$LOGS"
"#,
        here = path_word(&dir),
        outq = shell_word(out_dir),
        logsq = path_word(&logs),
        last = n - 1,
    );
    let paths = Scripts {
        shards: dir.join("shards.sbatch"),
        merge: dir.join("merge.sbatch"),
        submit: dir.join("submit.sh"),
        logs,
    };
    // Nothing is written when one of the three is in the way.
    for path in [&paths.shards, &paths.merge, &paths.submit] {
        replaceable(path)?;
    }
    for (path, text) in [
        (&paths.shards, shards),
        (&paths.merge, merge),
        (&paths.submit, submit),
    ] {
        write_script(path, &text)?;
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

/// The shards whose folder holds a complete result.
pub fn complete_shards(out: &Path, n: u64) -> Vec<u64> {
    (0..n)
        .filter(|&i| {
            crate::files::read_input_text(
                &shard_dir(out, i).join(MANIFEST_FILE),
                crate::files::MAX_STATE_BYTES,
            )
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

    /// Text a shell must take literally: command substitution, quotes of
    /// both kinds, escapes, separators, globs, expansions, line breaks.
    const HOSTILE: &[&str] = &[
        "",
        "plain/path-1.0_x+y:z,w@h%a",
        "x$(touch PWNED)",
        "`touch PWNED`",
        "a;touch PWNED;b",
        "it's",
        "'",
        "''",
        "'\\''",
        "\"$(touch PWNED)\"",
        "back\\slash\\",
        "line\nbreak\n$(touch PWNED)\n",
        "cr\rtab\tesc\u{1b}[31m",
        "$HOME ${HOME} $((1+1)) $'\\n'",
        "* ? [a] {a,b} ~ ~root !! #not-a-comment",
        "-n",
        "a=b",
        "x | touch PWNED & touch PWNED > PWNED < /dev/null",
        "sp ace\u{a0}nbsp\u{2028}ls",
        "\u{e9}t\u{e9} \u{1F600}",
    ];

    #[test]
    fn a_shell_word_is_read_back_as_the_same_text_by_a_real_shell() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        for shell in ["sh", "bash"] {
            for s in HOSTILE {
                let word = shell_word(s);
                let out = Command::new(shell)
                    .arg("-c")
                    .arg(format!("printf '%s' {word}"))
                    .current_dir(dir)
                    .output()
                    .unwrap();
                assert!(out.status.success(), "{shell}: {word}");
                assert_eq!(String::from_utf8_lossy(&out.stdout), *s, "{shell}: {word}");
            }
        }
        let left: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        assert!(left.is_empty(), "a word ran a command: {left:?}");
    }

    #[test]
    fn a_shell_word_is_one_word_for_every_string() {
        for s in HOSTILE {
            assert_eq!(
                shlex::split(&shell_word(s)),
                Some(vec![s.to_string()]),
                "{s:?}"
            );
        }
        // Every character from U+0001 to U+02FF, and each next to a quote.
        for c in (1u32..0x300).filter_map(char::from_u32) {
            for s in [c.to_string(), format!("'{c}'"), format!("a{c}'b")] {
                assert_eq!(
                    shlex::split(&shell_word(&s)),
                    Some(vec![s.clone()]),
                    "{s:?}"
                );
            }
        }
        assert_eq!(shell_word("/scratch/me/fig1"), "/scratch/me/fig1");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn comment_text_stays_on_one_line() {
        for s in HOSTILE {
            let c = comment_text(s);
            assert!(
                !c.chars()
                    .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')),
                "{c:?}"
            );
        }
        assert_eq!(comment_text("a\nb\\n\r"), r"a\nb\\n\r");
        assert_eq!(comment_text("/home/me/fig 1.toml"), "/home/me/fig 1.toml");
    }
}
