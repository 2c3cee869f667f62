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
    /// Join the shard folders of one experiment (`run --shard I/N`) into
    /// the files a single-machine run writes, byte for byte.
    Merge(MergeArgs),
    /// Run a sweep on a Slurm cluster: write a job array of shards and a
    /// merge job that depends on it (and submit them with --submit).
    Slurm(SlurmArgs),
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

/// Options replacing a scenario's seed, replicates or steps.
#[derive(Debug, Clone, Copy, Args)]
pub struct OverrideArgs {
    /// Base seed, replacing the scenario's `seed`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Replicates per sweep point, replacing the scenario's `replicates`.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub replicates: Option<u64>,
    /// Steps per run, replacing the scenario's `steps`.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub steps: Option<u64>,
}

impl OverrideArgs {
    /// The library's overrides.
    pub fn to_overrides(self) -> ideaflow::scenario::Overrides {
        ideaflow::scenario::Overrides {
            seed: self.seed,
            replicates: self.replicates,
            steps: self.steps,
        }
    }

    /// The same options as command-line words (for generated commands).
    pub fn to_args(self) -> Vec<String> {
        let mut words = Vec::new();
        for (flag, v) in [
            ("--seed", self.seed),
            ("--replicates", self.replicates),
            ("--steps", self.steps),
        ] {
            if let Some(v) = v {
                words.push(flag.to_string());
                words.push(v.to_string());
            }
        }
        words
    }
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
    /// Seed, replicates and steps replacing the scenario's.
    #[command(flatten)]
    pub overrides: OverrideArgs,
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
    #[arg(long, value_name = "ID", conflicts_with = "shard")]
    pub only_run: Option<u64>,
    /// Run only shard I of N (0-based): the runs whose index modulo N is
    /// I, written to their own folder [default:
    /// output/<scenario name>-shard-I-of-N/]; `ideaflow merge` joins the
    /// shards into the files of a single-machine run.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<ideaflow::engine::Shard>,
    /// Run even if the estimated output exceeds the free disk space, or
    /// the estimated memory exceeds the machine's.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Seconds between checkpoints, from which --resume continues even
    /// after a hard kill; 0: only when interrupted.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub checkpoint_every: u64,
    /// How progress is shown.
    #[command(flatten)]
    pub progress: ProgressArgs,
    /// Print nothing but errors (no progress, no summary).
    #[arg(long, short)]
    pub quiet: bool,
}

/// How progress is shown (`--progress`).
#[derive(Debug, Args)]
pub struct ProgressArgs {
    /// Progress on stderr: auto (a bar when stderr is a terminal, log
    /// lines of runs done, rate and time left every --progress-every
    /// seconds when it is not), bar, log or none.
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto)]
    pub progress: ProgressMode,
    /// Seconds between progress log lines.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub progress_every: u64,
}

/// `--progress` (the values are explained in its help, so the help stays
/// in the short layout).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    // A bar on a terminal, log lines otherwise.
    Auto,
    // A bar.
    Bar,
    // Log lines.
    Log,
    // Nothing.
    None,
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
    /// Continue an interrupted comparison in its folder: finished scenarios
    /// are kept (checked against the scenario files), interrupted ones
    /// resumed, missing ones run; then compare.csv is written.
    #[arg(long, conflicts_with = "force")]
    pub resume: bool,
    /// How progress is shown.
    #[command(flatten)]
    pub progress: ProgressArgs,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

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

/// Options of `ideaflow slurm`.
#[derive(Debug, Args)]
pub struct SlurmArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Number of shards: array tasks, each running every N-th run.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub shards: u64,
    /// Output folder [default: output/<scenario name>/]: shards go to
    /// shards/shard-I/, scripts and logs to slurm/, merged files here.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Slurm partition.
    #[arg(long)]
    pub partition: Option<String>,
    /// Time limit per task (HH:MM:SS or D-HH:MM:SS).
    #[arg(long)]
    pub time: Option<String>,
    /// CPUs per task (ideaflow's --threads inside the task).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub cpus_per_task: u32,
    /// Memory per task (e.g. 4G).
    #[arg(long)]
    pub mem: Option<String>,
    /// Seed, replicates and steps replacing the scenario's.
    #[command(flatten)]
    pub overrides: OverrideArgs,
    /// The ideaflow program the jobs run [default: this one]; it must be
    /// reachable at this path from the compute nodes.
    #[arg(long, value_name = "PATH")]
    pub program: Option<PathBuf>,
    /// Submit with sbatch (only the shards not complete yet) and print the
    /// job ids.
    #[arg(long)]
    pub submit: bool,
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
