//! Options shared by several subcommands: the seed, replicates and steps
//! replacing a scenario's, and how progress is shown.

use clap::Args;

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
