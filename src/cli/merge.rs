//! `ideaflow merge`: joins the shard folders of one experiment into the
//! files of a single-machine run.

use std::path::PathBuf;

use clap::Args;

use super::Outcome;
use super::session::{Session, rows_text};
use ideaflow::output::CsvFile;

/// Options of `ideaflow merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shard folders (any order).
    #[arg(required = true, num_args = 1..)]
    pub shards: Vec<PathBuf>,
    /// Output folder for the merged files.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Merge the complete shards even if some are missing or incomplete
    /// (the manifest then says complete: false and lists them).
    #[arg(long)]
    pub partial: bool,
    /// Replace results already in the output folder.
    #[arg(long)]
    pub force: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Merges the shards and says what was merged (unless `--quiet`).
pub fn run(args: MergeArgs, session: &Session) -> anyhow::Result<Outcome> {
    let opts = ideaflow::merge::MergeOptions {
        out_dir: args.out,
        force: args.force,
        partial: args.partial,
        command_line: session.command_line().to_vec(),
    };
    let report = ideaflow::merge::merge(&args.shards, &opts)?;
    if !session.quiet() {
        let missing = if report.missing.is_empty() {
            String::new()
        } else {
            format!(
                "; missing shards {} (manifest.json says complete: false)",
                ideaflow::slurm::ranges(&report.missing)
            )
        };
        eprintln!(
            "merged {} of {} shards: {} of {} runs -> {}/ ({}){missing}",
            report.merged.len(),
            report.shards,
            report.runs,
            report.runs_total,
            report.out_dir.display(),
            rows_text(&report.rows, &[CsvFile::Runs, CsvFile::Summary]),
        );
    }
    Ok(Outcome::Success)
}
