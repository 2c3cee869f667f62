//! `ideaflow run`: runs a scenario (or one run of it, or one shard) into
//! an output folder, and says how to resume or re-run it when it stops.

use std::path::{Path, PathBuf};

use clap::Args;
use ideaflow::engine::{self, RunReport};
use ideaflow::output::CsvFile;
use ideaflow::scenario::{self, Experiment};

use super::Outcome;
use super::options::{OverrideArgs, ProgressArgs};
use super::session::{Session, default_out_dir, rows_text};

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

/// Runs the experiment; on an interruption or a failed run, leaves the
/// command that continues it (or re-runs the failed run) as the hint.
pub fn run(args: RunArgs, session: &Session) -> anyhow::Result<Outcome> {
    let exp = scenario::load(&args.scenario, &args.overrides.to_overrides())
        .map_err(ideaflow::Error::from)?;
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| match (args.only_run, args.shard) {
            (Some(id), _) => default_out_dir(&format!("{}-run{id}", exp.name)),
            (None, Some(s)) => {
                default_out_dir(&format!("{}-shard-{}-of-{}", exp.name, s.index, s.count))
            }
            (None, None) => default_out_dir(&exp.name),
        });
    let reporter = session.progress();
    let opts = engine::RunOptions {
        out_dir: out_dir.clone(),
        threads: args.threads.map_or(0, |t| t as usize),
        force: args.force,
        resume: args.resume,
        only_run: args.only_run,
        shard: args.shard,
        yes: args.yes,
        checkpoint_every: std::time::Duration::from_secs(args.checkpoint_every),
        command_line: session.command_line().to_vec(),
        progress: reporter.as_ref(),
        cancel: session.cancel(),
        fail_run: None,
    };
    let report = engine::run(&exp, &opts).inspect_err(|e| {
        if let Some(hint) = hint(e, &args, &exp, &out_dir, session) {
            session.set_hint(hint);
        }
    })?;
    if let Some(t) = args.threads
        && t as usize > report.threads
    {
        eprintln!(
            "note: --threads {t} is more than ideaflow starts on this machine; ran on {} threads (results do not depend on the count)",
            report.threads
        );
    }
    if !session.quiet() {
        eprintln!("{}", summary(&exp, &report));
    }
    Ok(Outcome::Success)
}

/// What to do after `e`: resume an interrupted experiment, or re-run a
/// failed run alone.
fn hint(
    e: &ideaflow::Error,
    args: &RunArgs,
    exp: &Experiment,
    out_dir: &Path,
    session: &Session,
) -> Option<String> {
    match e {
        ideaflow::Error::Interrupted { .. } => Some(format!(
            "resume with: {}",
            rerun(args, out_dir, &["--resume"], session)
        )),
        ideaflow::Error::RunFailed { run_id, .. } => Some(format!(
            "re-run it alone with: {}",
            rerun(
                args,
                &default_out_dir(&format!("{}-run{run_id}", exp.name)),
                &["--only-run", &run_id.to_string()],
                session
            )
        )),
        _ => None,
    }
}

/// The line printed after a finished run: runs, threads, time, folder and
/// the rows of each file.
fn summary(exp: &Experiment, report: &RunReport) -> String {
    let files = rows_text(
        &report.rows,
        &[CsvFile::Timeseries, CsvFile::Runs, CsvFile::Summary],
    );
    let runs = match report.resumed_from {
        0 => format!("{} runs", report.runs),
        r => format!("{} runs ({r} from earlier sessions)", report.runs),
    };
    if report.resumed_from == report.runs {
        format!(
            "{}: already complete in {}/ ({}); nothing to do",
            exp.name,
            report.out_dir.display(),
            files
        )
    } else {
        format!(
            "{}: {runs} on {} threads in {:.2} s -> {}/ ({})",
            exp.name,
            report.threads,
            report.elapsed_seconds,
            report.out_dir.display(),
            files
        )
    }
}

/// The command that runs the same experiment again into `out`, with
/// `extra` options (for the hints after an interruption or a failure).
fn rerun(args: &RunArgs, out: &Path, extra: &[&str], session: &Session) -> String {
    let mut words: Vec<String> = vec![session.program(), "run".into()];
    words.push(args.scenario.to_string_lossy().into_owned());
    words.extend(args.overrides.to_args());
    if let Some(shard) = args.shard
        && !extra.contains(&"--only-run")
    {
        words.push("--shard".into());
        words.push(shard.to_string());
    }
    words.push("--out".into());
    words.push(out.to_string_lossy().into_owned());
    words.extend(extra.iter().map(|s| s.to_string()));
    Session::shell_command(&words)
}
