//! Command-line definitions (clap derive). Only definitions live here;
//! `main.rs` turns them into library calls.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("IDEAFLOW_GIT_COMMIT"),
    ")"
);

/// Fast, reproducible agent-based simulation of the innovation climate of
/// organisations.
#[derive(Debug, Parser)]
#[command(name = "ideaflow", version = VERSION, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario: every sweep point x replicate, in parallel; writes
    /// timeseries.csv, runs.csv, summary.csv and manifest.json.
    Run(RunArgs),
    /// Compare variants with a baseline: every scenario runs with the
    /// baseline's seed and replicates (common random numbers); prints the
    /// paired effect on every metric with its 95 % interval and writes
    /// compare.csv and each scenario's outputs.
    Compare(CompareArgs),
    /// Draw SVG charts of an output folder (a run or a comparison): each
    /// metric's mean and 95 % band over time, one line per sweep point or
    /// scenario, and for a comparison an effect chart.
    Plot(PlotArgs),
    /// Check scenario files without running them: reports every problem in
    /// every file, and the runs and rows each would produce.
    Validate {
        /// Scenario files.
        #[arg(required = true, num_args = 1..)]
        scenarios: Vec<PathBuf>,
    },
    /// Print a scenario with every default filled in and every key
    /// documented.
    Show {
        /// Scenario file.
        scenario: PathBuf,
    },
    /// Print a shell completion script.
    Completions {
        /// Shell to generate completions for.
        shell: clap_complete::Shell,
    },
}

/// Options of `ideaflow run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Output folder [default: output/<scenario name>/].
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Worker threads [default: one per core]; results do not depend on it.
    #[arg(long, short = 'j', value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub threads: Option<u32>,
    /// Base seed, replacing the scenario's `seed`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Replicates per sweep point, replacing the scenario's `replicates`.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub replicates: Option<u64>,
    /// Steps per run, replacing the scenario's `steps`.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub steps: Option<u64>,
    /// Replace results (or an interrupted run) already in the output
    /// folder.
    #[arg(long, conflicts_with = "resume")]
    pub force: bool,
    /// Continue the interrupted run in the output folder: completed runs
    /// are kept and the finished files are identical to an uninterrupted
    /// run's. Give the same scenario and options as the first time.
    #[arg(long)]
    pub resume: bool,
    /// Run only the run with this id (a failed run, to reproduce it
    /// alone); written to output/<scenario name>-run<ID>/ unless --out.
    #[arg(long, value_name = "ID")]
    pub only_run: Option<u64>,
    /// Run even if the estimated output exceeds the free disk space or the
    /// estimated memory the machine's.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Seconds between checkpoints, from which --resume continues even
    /// after a hard kill; 0: only when interrupted.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub checkpoint_every: u64,
    /// Print nothing but errors (no progress bar, no summary).
    #[arg(long, short)]
    pub quiet: bool,
}

/// Options of `ideaflow compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The baseline scenario.
    pub baseline: PathBuf,
    /// One or more variants.
    #[arg(required = true, num_args = 1..)]
    pub variants: Vec<PathBuf>,
    /// Output folder [default: output/compare-<baseline name>/].
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Replicates for every scenario [default: the baseline's].
    #[arg(long, value_parser = clap::value_parser!(u64).range(2..))]
    pub replicates: Option<u64>,
    /// Steps for every scenario [default: each file's; they must agree].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub steps: Option<u64>,
    /// Worker threads [default: one per core]; results do not depend on it.
    #[arg(long, short = 'j', value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub threads: Option<u32>,
    /// Replace results already in the output folder.
    #[arg(long)]
    pub force: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Options of `ideaflow plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// An output folder of `ideaflow run` or `ideaflow compare`.
    pub dir: PathBuf,
    /// A metric to draw (repeat for more) [default: a set of key metrics].
    #[arg(long = "metric", short)]
    pub metrics: Vec<String>,
}
