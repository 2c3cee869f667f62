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
mod merged;
mod rows;
mod write;

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::output::{Rows, Staging};

use manifest::Input;
pub use manifest::{MAX_MANIFEST_BYTES, MAX_SHARDS};
use rows::ShardFiles;

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
    let mut files = write::open_shards(&input.plan, &input.shards)?;
    let made = MadeDirs::before(&opts.out_dir);
    let result = write(&mut input, &mut files, opts);
    if result.is_err() {
        made.remove();
    }
    result
}

/// Writes the merged folder (staged, renamed at the end): every run's
/// rows, each shard's files checked to their end, then the manifest.
fn write(
    input: &mut Input,
    files: &mut [ShardFiles],
    opts: &MergeOptions,
) -> Result<MergeReport, Error> {
    let mut staging = Staging::prepare(&opts.out_dir, opts.force)?;
    let mut outputs = write::Outputs::create(&mut staging, &input.plan)?;
    let merged_runs = write::copy_runs(&mut input.plan, files, &mut outputs)?;
    let rows = outputs.finish()?;
    merged::write_manifest(&mut staging, input, opts, &rows, merged_runs)?;
    staging.commit()?;
    Ok(MergeReport {
        out_dir: opts.out_dir.clone(),
        shards: input.plan.count,
        merged: input.shards.iter().map(|s| s.index).collect(),
        missing: std::mem::take(&mut input.missing),
        runs: merged_runs,
        runs_total: input.plan.runs,
        rows,
    })
}
