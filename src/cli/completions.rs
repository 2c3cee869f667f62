//! `ideaflow completions`: prints a shell completion script generated from
//! the one command-line definition.

use std::io::Write;

use clap::{Args, CommandFactory};

use super::{Cli, Outcome};

/// Options of `ideaflow completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// Shell to generate completions for.
    pub shell: clap_complete::Shell,
}

/// Prints the script on stdout.
pub fn run(args: &CompletionsArgs) -> anyhow::Result<Outcome> {
    // Generated in memory: clap_complete panics on a failed write, and a
    // closed pipe must end the command quietly.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "ideaflow", &mut script);
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&script)?;
    stdout.flush()?;
    Ok(Outcome::Success)
}
