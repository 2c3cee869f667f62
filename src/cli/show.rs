//! `ideaflow show`: prints a scenario with every default filled in.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use ideaflow::scenario::{self, Overrides};

use super::Outcome;

/// Options of `ideaflow show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Scenario file.
    pub scenario: PathBuf,
}

/// Prints the scenario as TOML on stdout.
pub fn run(args: &ShowArgs) -> anyhow::Result<Outcome> {
    let exp =
        scenario::load(&args.scenario, &Overrides::default()).map_err(ideaflow::Error::from)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(scenario::show::to_toml(&exp).as_bytes())?;
    stdout.flush()?;
    Ok(Outcome::Success)
}
