//! Submitting the scripts with sbatch, as submit.sh does: the shards not
//! yet complete as a job array, and the merge as a job that depends on it.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::error::Error;
use crate::output::MANIFEST_FILE;

use super::{Scripts, SlurmOptions, Submitted, failed, ranges, shard_dir};

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
