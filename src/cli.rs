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
    /// Replace results already in the output folder.
    #[arg(long)]
    pub force: bool,
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
