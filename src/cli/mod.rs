//! The command side: the clap definitions and one file per subcommand
//! (its arguments and its handler), sharing one [`Session`]. `main.rs`
//! parses the command line, calls [`run`] and turns its outcome into the
//! exit code.

mod compare;
mod completions;
mod merge;
mod options;
mod plot;
mod run;
mod session;
mod show;
mod slurm;
mod validate;

use clap::{Parser, Subcommand};

pub use session::Session;

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
    Run(run::RunArgs),
    /// Compare variants with a baseline: every scenario runs with the
    /// baseline's seed and replicates (common random numbers); prints the
    /// paired effect on every metric with its 95 % interval and writes
    /// compare.csv and each scenario's outputs.
    Compare(compare::CompareArgs),
    /// Join the shard folders of one experiment (`run --shard I/N`) into
    /// the files a single-machine run writes, byte for byte.
    Merge(merge::MergeArgs),
    /// Run a sweep on a Slurm cluster: write a job array of shards and a
    /// merge job that depends on it (and submit them with --submit).
    Slurm(slurm::SlurmArgs),
    /// Draw SVG charts of an output folder (a run or a comparison): each
    /// metric's mean and 95 % band over time, one line per sweep point or
    /// scenario, and for a comparison an effect chart.
    Plot(plot::PlotArgs),
    /// Check scenario files without running them: reports every problem in
    /// every file, and the runs and rows each would produce.
    Validate(validate::ValidateArgs),
    /// Print a scenario with every default filled in and every key
    /// documented.
    Show(show::ShowArgs),
    /// Print a shell completion script.
    Completions(completions::CompletionsArgs),
}

impl Command {
    /// The command's `--progress` options, if it has them, and whether it
    /// was asked to be `--quiet`.
    fn display(&self) -> (Option<&options::ProgressArgs>, bool) {
        match self {
            Command::Run(a) => (Some(&a.progress), a.quiet),
            Command::Compare(a) => (Some(&a.progress), a.quiet),
            Command::Merge(a) => (None, a.quiet),
            Command::Slurm(_)
            | Command::Plot(_)
            | Command::Validate(_)
            | Command::Show(_)
            | Command::Completions(_) => (None, false),
        }
    }
}

/// How a command that did not fail ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It did what was asked.
    Success,
    /// It reported bad input itself (`validate`: a file with problems).
    BadInput,
}

/// Runs `command` in `session`.
pub fn run(command: Command, session: &Session) -> anyhow::Result<Outcome> {
    match command {
        Command::Run(args) => run::run(args, session),
        Command::Compare(args) => compare::run(args, session),
        Command::Merge(args) => merge::run(args, session),
        Command::Slurm(args) => slurm::run(args),
        Command::Plot(args) => plot::run(args),
        Command::Validate(args) => Ok(validate::run(&args)),
        Command::Show(args) => show::run(&args),
        Command::Completions(args) => completions::run(&args),
    }
}
