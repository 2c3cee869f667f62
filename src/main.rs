//! The `ideaflow` command: parses the command line, calls the library, and
//! decides the exit code (0 success, 1 runtime failure, 2 bad input).

mod cli;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, Ordering};

use clap::{CommandFactory, Parser};

use cli::{Cli, Command, CompareArgs, MergeArgs, RunArgs, SlurmArgs};
use ideaflow::engine::{self, progress};
use ideaflow::scenario::{self, LoadError, Overrides};

/// Exit code for bad input (scenario, options, existing output).
const EXIT_BAD_INPUT: u8 = 2;
/// Exit code for failures at run time (I/O, a failed run).
const EXIT_FAILURE: u8 = 1;

/// Stop requests from signals, for the experiment running.
static CANCEL: engine::Cancel = engine::Cancel::new();
/// A line printed after the error message: how to resume or re-run.
static HINT: OnceLock<String> = OnceLock::new();
/// The last signal received (0: none).
static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// SIGINT and SIGTERM: the first stops claiming runs and lets those in
/// flight finish, the second drops them, the third exits at once (the last
/// checkpoint stays for --resume).
#[cfg(unix)]
fn handle_signals() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    std::thread::spawn(move || {
        for (n, sig) in signals.forever().enumerate() {
            SIGNAL.store(sig, Ordering::SeqCst);
            match n {
                0 => {
                    CANCEL.stop();
                    eprintln!(
                        "\nstopping: finishing the runs in flight and writing every finished run (interrupt again to drop the runs in flight)"
                    );
                }
                1 => {
                    CANCEL.abort();
                    eprintln!("\nstopping: dropping the runs in flight");
                }
                _ => std::process::exit(128 + sig),
            }
        }
    });
}

#[cfg(not(unix))]
fn handle_signals() {}

/// The exit code after an interruption: 128 + the signal, as shells do.
fn interrupted_code() -> u8 {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => 130,
        s => u8::try_from(128 + s).unwrap_or(130),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            let code = match err.downcast_ref::<ideaflow::Error>() {
                Some(ideaflow::Error::Interrupted { .. }) => interrupted_code(),
                Some(e) if e.is_bad_input() => EXIT_BAD_INPUT,
                _ => EXIT_FAILURE,
            };
            match err.downcast_ref::<ideaflow::Error>() {
                // Diagnostics carry their own "error:" headlines.
                Some(ideaflow::Error::Load(LoadError::Invalid(d))) => eprintln!("{d}"),
                _ => eprintln!("error: {err:#}"),
            }
            if let Some(hint) = HINT.get() {
                eprintln!("{hint}");
            }
            ExitCode::from(code)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run_scenario(args),
        Command::Compare(args) => compare(args),
        Command::Merge(args) => merge(args),
        Command::Slurm(args) => slurm(args),
        Command::Plot(args) => {
            let written = ideaflow::plot::plot_dir(&args.dir, &args.metrics)?;
            let mut stdout = std::io::stdout().lock();
            for p in written {
                writeln!(stdout, "{}", p.display())?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate { scenarios } => Ok(validate(&scenarios)),
        Command::Show { scenario } => show(&scenario),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "ideaflow",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn run_scenario(args: RunArgs) -> anyhow::Result<ExitCode> {
    let overrides = args.overrides.to_overrides();
    let exp = scenario::load(&args.scenario, &overrides).map_err(ideaflow::Error::from)?;
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
    let reporter = reporter(&args.progress, args.quiet);
    let opts = engine::RunOptions {
        out_dir: out_dir.clone(),
        threads: args.threads.map_or(0, |t| t as usize),
        force: args.force,
        resume: args.resume,
        only_run: args.only_run,
        shard: args.shard,
        yes: args.yes,
        checkpoint_every: std::time::Duration::from_secs(args.checkpoint_every),
        command_line: std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        progress: reporter.as_ref(),
        cancel: &CANCEL,
        fail_run: None,
    };
    handle_signals();
    let report = match engine::run(&exp, &opts) {
        Ok(report) => report,
        Err(e) => {
            let hint = match &e {
                ideaflow::Error::Interrupted { .. } => Some(format!(
                    "resume with: {}",
                    rerun(&args, &out_dir, &["--resume"])
                )),
                ideaflow::Error::RunFailed { run_id, .. } => Some(format!(
                    "re-run it alone with: {}",
                    rerun(
                        &args,
                        &default_out_dir(&format!("{}-run{run_id}", exp.name)),
                        &["--only-run", &run_id.to_string()]
                    )
                )),
                _ => None,
            };
            if let Some(h) = hint {
                let _ = HINT.set(h);
            }
            return Err(e.into());
        }
    };
    if let Some(t) = args.threads
        && t as usize > report.threads
    {
        eprintln!(
            "note: --threads {t} is more than ideaflow starts on this machine; ran on {} threads (results do not depend on the count)",
            report.threads
        );
    }
    if !args.quiet {
        let mut files = Vec::new();
        if let Some(n) = report.rows.timeseries {
            files.push(format!("timeseries.csv {n} rows"));
        }
        files.push(format!("runs.csv {} rows", report.rows.runs));
        files.push(format!("summary.csv {} rows", report.rows.summary));
        let runs = match report.resumed_from {
            0 => format!("{} runs", report.runs),
            r => format!("{} runs ({r} from earlier sessions)", report.runs),
        };
        if report.resumed_from == report.runs {
            eprintln!(
                "{}: already complete in {}/ ({}); nothing to do",
                exp.name,
                report.out_dir.display(),
                files.join(", ")
            );
        } else {
            eprintln!(
                "{}: {runs} on {} threads in {:.2} s -> {}/ ({})",
                exp.name,
                report.threads,
                report.elapsed_seconds,
                report.out_dir.display(),
                files.join(", ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The command that runs the same experiment again into `out`, with
/// `extra` options (for the hints after an interruption or a failure).
fn rerun(args: &RunArgs, out: &Path, extra: &[&str]) -> String {
    let mut words: Vec<String> = vec![program_name(), "run".into()];
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
    shlex::try_join(words.iter().map(String::as_str)).unwrap_or_else(|_| words.join(" "))
}

/// The program as it was started, for commands in hints: `ideaflow` when
/// found on the PATH, else the path given (`target/release/ideaflow` under
/// `cargo run`), so the hint runs as it is from the same folder.
fn program_name() -> String {
    std::env::args_os()
        .next()
        .map(|a| a.to_string_lossy().into_owned())
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| "ideaflow".into())
}

fn compare(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let out_dir = match args.out {
        Some(out) => out,
        None => {
            // Named after the baseline's (checked) scenario name.
            let base = scenario::load(&args.baseline, &Overrides::default())
                .map_err(ideaflow::Error::from)?;
            default_out_dir(&format!("compare-{}", base.name))
        }
    };
    let reporter = reporter(&args.progress, args.quiet);
    let opts = ideaflow::compare::CompareOptions {
        out_dir,
        replicates: args.replicates,
        steps: args.steps,
        threads: args.threads.map_or(0, |t| t as usize),
        force: args.force,
        resume: args.resume,
        command_line: std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        progress: reporter.as_ref(),
        cancel: &CANCEL,
    };
    handle_signals();
    let report = match ideaflow::compare::compare(&args.baseline, &args.variants, &opts) {
        Ok(report) => report,
        Err(e) => {
            if let ideaflow::Error::Interrupted { .. } = e {
                // The same command, without --force, with --resume.
                let mut words: Vec<String> = std::env::args_os()
                    .skip(1)
                    .map(|w| w.to_string_lossy().into_owned())
                    .filter(|w| w != "--force" && w != "--resume")
                    .collect();
                words.insert(0, program_name());
                words.push("--resume".into());
                let command = shlex::try_join(words.iter().map(String::as_str))
                    .unwrap_or_else(|_| words.join(" "));
                let _ = HINT.set(format!("continue the comparison with: {command}"));
            }
            return Err(e.into());
        }
    };
    if !args.quiet {
        let mut stdout = std::io::stdout().lock();
        ideaflow::compare::render_table(&report, &mut stdout)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn slurm(args: SlurmArgs) -> anyhow::Result<ExitCode> {
    let overrides = args.overrides.to_overrides();
    // Checks the scenario now rather than in every task.
    let exp = scenario::load(&args.scenario, &overrides).map_err(ideaflow::Error::from)?;
    let absolute = |p: &Path| -> anyhow::Result<PathBuf> { Ok(std::path::absolute(p)?) };
    let out_dir = absolute(
        &args
            .out
            .clone()
            .unwrap_or_else(|| default_out_dir(&exp.name)),
    )?;
    let run_args = args.overrides.to_args();
    let program = match &args.program {
        Some(p) => absolute(p)?,
        None => std::env::current_exe()?,
    };
    let opts = ideaflow::slurm::SlurmOptions {
        scenario: absolute(&args.scenario)?,
        name: exp.name.clone(),
        shards: args.shards,
        out_dir: out_dir.clone(),
        partition: args.partition,
        time: args.time,
        cpus_per_task: args.cpus_per_task,
        mem: args.mem,
        run_args,
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
    if !args.submit {
        println!("{}", scripts.shards.display());
        println!("{}", scripts.merge.display());
        println!("{}", scripts.submit.display());
        eprintln!("submit with: {}", scripts.submit_command());
        return Ok(ExitCode::SUCCESS);
    }
    let jobs = ideaflow::slurm::submit(&opts, &scripts)?;
    match &jobs.array {
        Some((id, todo)) => println!(
            "shards {} of {}: job array {id}\nmerge: job {} (starts when every shard has succeeded; cancelled if one fails)",
            ideaflow::slurm::ranges(todo),
            args.shards,
            jobs.merge
        ),
        None => println!("every shard is complete\nmerge: job {}", jobs.merge),
    }
    let ids = match &jobs.array {
        Some((id, _)) => format!("{id},{}", jobs.merge),
        None => jobs.merge.clone(),
    };
    println!(
        "follow with: squeue -j {ids}; logs in {}/; results in {}/",
        scripts.logs.display(),
        out_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn merge(args: MergeArgs) -> anyhow::Result<ExitCode> {
    let opts = ideaflow::merge::MergeOptions {
        out_dir: args.out,
        force: args.force,
        partial: args.partial,
        command_line: std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
    };
    let report = ideaflow::merge::merge(&args.shards, &opts)?;
    if !args.quiet {
        let missing = if report.missing.is_empty() {
            String::new()
        } else {
            format!(
                "; missing shards {} (manifest.json says complete: false)",
                ideaflow::slurm::ranges(&report.missing)
            )
        };
        eprintln!(
            "merged {} of {} shards: {} of {} runs -> {}/ (runs.csv {} rows, summary.csv {} rows){missing}",
            report.merged.len(),
            report.shards,
            report.runs,
            report.runs_total,
            report.out_dir.display(),
            report.rows.runs,
            report.rows.summary,
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Where progress goes, per `--progress` (and `--quiet`).
fn reporter(args: &cli::ProgressArgs, quiet: bool) -> Box<dyn progress::Progress> {
    use cli::ProgressMode;
    let mode = match args.progress {
        _ if quiet => ProgressMode::None,
        ProgressMode::Auto if std::io::stderr().is_terminal() => ProgressMode::Bar,
        ProgressMode::Auto => ProgressMode::Log,
        m => m,
    };
    match mode {
        ProgressMode::Bar => Box::new(progress::Bar::stderr()),
        ProgressMode::Log => Box::new(progress::Log::stderr(std::time::Duration::from_secs(
            args.progress_every,
        ))),
        _ => Box::new(progress::Silent),
    }
}

/// `output/<name>/` (scenario names are checked to be one folder name).
fn default_out_dir(name: &str) -> PathBuf {
    Path::new("output").join(name)
}

fn validate(paths: &[PathBuf]) -> ExitCode {
    let mut failed = false;
    let mut stdout = std::io::stdout().lock();
    for path in paths {
        match scenario::load(path, &Overrides::default()) {
            Ok(exp) => {
                let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
                let est = engine::estimate::estimate(&exp, threads);
                let files: Vec<String> = est
                    .files
                    .iter()
                    .map(|(name, rows, bytes)| {
                        format!(
                            "{name} {rows} rows ~{}",
                            engine::estimate::human_bytes(*bytes)
                        )
                    })
                    .collect();
                let _ = writeln!(
                    stdout,
                    "ok: {}: model {}, {} point{} x {} replicate{} = {} runs; {}; output ~{}, memory ~{} on {threads} threads",
                    path.display(),
                    exp.model.name(),
                    exp.points(),
                    if exp.points() == 1 { "" } else { "s" },
                    exp.replicates,
                    if exp.replicates == 1 { "" } else { "s" },
                    exp.runs(),
                    files.join(", "),
                    engine::estimate::human_bytes(est.output_bytes()),
                    engine::estimate::human_bytes(est.memory),
                );
                let big = engine::estimate::guard(&est, 1.0, &default_out_dir(&exp.name));
                if let Err(e) = big {
                    let text = e.to_string().replace('\n', "\n   ");
                    let _ = writeln!(stdout, "   warning: {text}");
                }
            }
            Err(LoadError::Invalid(d)) => {
                failed = true;
                eprintln!("{d}\n");
            }
            Err(e) => {
                failed = true;
                eprintln!("error: {:#}\n", anyhow::Error::new(e));
            }
        }
    }
    if failed {
        ExitCode::from(EXIT_BAD_INPUT)
    } else {
        ExitCode::SUCCESS
    }
}

fn show(path: &Path) -> anyhow::Result<ExitCode> {
    let exp = scenario::load(path, &Overrides::default()).map_err(ideaflow::Error::from)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(scenario::show::to_toml(&exp).as_bytes())?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}
