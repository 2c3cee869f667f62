//! `ideaflow compare`: runs a baseline and its variants with common random
//! numbers and prints the table of effects.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use ideaflow::scenario::{self, Overrides};

use super::Outcome;
use super::options::ProgressArgs;
use super::session::{Session, default_out_dir};

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

/// Runs the comparison and prints its table (unless `--quiet`); after an
/// interruption, leaves the command that continues it as the hint.
pub fn run(args: CompareArgs, session: &Session) -> anyhow::Result<Outcome> {
    let out_dir = match args.out {
        Some(out) => out,
        None => {
            // Named after the baseline's (checked) scenario name.
            let base = scenario::load(&args.baseline, &Overrides::default())
                .map_err(ideaflow::Error::from)?;
            default_out_dir(&format!("compare-{}", base.name))
        }
    };
    let reporter = session.progress();
    let opts = ideaflow::compare::CompareOptions {
        out_dir,
        replicates: args.replicates,
        steps: args.steps,
        threads: args.threads.map_or(0, |t| t as usize),
        force: args.force,
        resume: args.resume,
        command_line: session.command_line().to_vec(),
        progress: reporter.as_ref(),
        cancel: session.cancel(),
    };
    let report =
        ideaflow::compare::compare(&args.baseline, &args.variants, &opts).inspect_err(|e| {
            if let ideaflow::Error::Interrupted { .. } = e {
                session.set_hint(format!(
                    "continue the comparison with: {}",
                    resume_command(session)
                ));
            }
        })?;
    if !session.quiet() {
        let mut stdout = std::io::stdout().lock();
        ideaflow::compare::render_table(&report, &mut stdout)?;
        stdout.flush()?;
    }
    Ok(Outcome::Success)
}

/// The same command, without --force, with --resume.
fn resume_command(session: &Session) -> String {
    let mut words: Vec<String> = session
        .command_line()
        .iter()
        .skip(1)
        .filter(|w| *w != "--force" && *w != "--resume")
        .cloned()
        .collect();
    words.insert(0, session.program());
    words.push("--resume".into());
    Session::shell_command(&words)
}
