//! `ideaflow slurm`: writes (and with `--submit` submits) the Slurm job
//! array of shards and the merge job of a sweep.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use ideaflow::scenario;
use ideaflow::slurm::{Scripts, SlurmOptions, Submitted};

use super::Outcome;
use super::options::OverrideArgs;
use super::session::default_out_dir;

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

/// Writes the scripts and prints their paths, or submits them and prints
/// the job ids.
pub fn run(args: SlurmArgs) -> anyhow::Result<Outcome> {
    // Checks the scenario now rather than in every task.
    let exp = scenario::load(&args.scenario, &args.overrides.to_overrides())
        .map_err(ideaflow::Error::from)?;
    let absolute = |p: &Path| -> anyhow::Result<PathBuf> { Ok(std::path::absolute(p)?) };
    let out_dir = absolute(
        &args
            .out
            .clone()
            .unwrap_or_else(|| default_out_dir(&exp.name)),
    )?;
    let program = match &args.program {
        Some(p) => absolute(p)?,
        None => std::env::current_exe()?,
    };
    let opts = SlurmOptions {
        scenario: absolute(&args.scenario)?,
        name: exp.name.clone(),
        shards: args.shards,
        out_dir: out_dir.clone(),
        partition: args.partition,
        time: args.time,
        cpus_per_task: args.cpus_per_task,
        mem: args.mem,
        run_args: args.overrides.to_args(),
        program,
    };
    let scripts = ideaflow::slurm::write_scripts(&opts)?;
    let runs = exp.runs();
    eprintln!(
        "{}: {runs} runs in {} shards of about {} runs; scripts in {}/",
        exp.name,
        args.shards,
        runs.div_ceil(args.shards),
        scripts.submit.parent().unwrap_or(Path::new(".")).display()
    );
    if args.shards > runs {
        eprintln!(
            "note: {} of the shards hold no run (more shards than runs)",
            args.shards - runs
        );
    }
    let mut stdout = std::io::stdout().lock();
    if !args.submit {
        writeln!(stdout, "{}", scripts.shards.display())?;
        writeln!(stdout, "{}", scripts.merge.display())?;
        writeln!(stdout, "{}", scripts.submit.display())?;
        eprintln!("submit with: {}", scripts.submit_command());
        return Ok(Outcome::Success);
    }
    let jobs = ideaflow::slurm::submit(&opts, &scripts)?;
    print_jobs(&mut stdout, &jobs, &scripts, args.shards, &out_dir)?;
    Ok(Outcome::Success)
}

/// The jobs submitted and where to follow them.
fn print_jobs(
    out: &mut impl Write,
    jobs: &Submitted,
    scripts: &Scripts,
    shards: u64,
    out_dir: &Path,
) -> std::io::Result<()> {
    match &jobs.array {
        Some((id, todo)) => writeln!(
            out,
            "shards {} of {}: job array {id}\nmerge: job {} (starts when every shard has succeeded; cancelled if one fails)",
            ideaflow::slurm::ranges(todo),
            shards,
            jobs.merge
        )?,
        None => writeln!(out, "every shard is complete\nmerge: job {}", jobs.merge)?,
    }
    let ids = match &jobs.array {
        Some((id, _)) => format!("{id},{}", jobs.merge),
        None => jobs.merge.clone(),
    };
    writeln!(
        out,
        "follow with: squeue -j {ids}; logs in {}/; results in {}/",
        scripts.logs.display(),
        out_dir.display()
    )?;
    out.flush()
}
