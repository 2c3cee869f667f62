//! The `ideaflow` command: parses the command line, calls the library, and
//! decides the exit code (0 success, 1 runtime failure, 2 bad input).

mod cli;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use cli::{Cli, Command, CompareArgs, RunArgs};
use ideaflow::engine::{self, progress};
use ideaflow::scenario::{self, LoadError, Overrides};

/// Exit code for bad input (scenario, options, existing output).
const EXIT_BAD_INPUT: u8 = 2;
/// Exit code for failures at run time (I/O, a failed run).
const EXIT_FAILURE: u8 = 1;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            let code = match err.downcast_ref::<ideaflow::Error>() {
                Some(e) if e.is_bad_input() => EXIT_BAD_INPUT,
                _ => EXIT_FAILURE,
            };
            match err.downcast_ref::<ideaflow::Error>() {
                // Diagnostics carry their own "error:" headlines.
                Some(ideaflow::Error::Load(LoadError::Invalid(d))) => eprintln!("{d}"),
                _ => eprintln!("error: {err:#}"),
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
        Command::Plot(args) => {
            let written = ideaflow::plot::plot_dir(&args.dir, &args.metrics)?;
            for p in written {
                println!("{}", p.display());
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
    let overrides = Overrides {
        seed: args.seed,
        replicates: args.replicates,
        steps: args.steps,
    };
    let exp = scenario::load(&args.scenario, &overrides).map_err(ideaflow::Error::from)?;
    let out_dir = args.out.unwrap_or_else(|| default_out_dir(&exp.name));
    let bar;
    let silent = progress::Silent;
    let reporter: &dyn progress::Progress = if !args.quiet && std::io::stderr().is_terminal() {
        bar = progress::Bar::stderr();
        &bar
    } else {
        &silent
    };
    let opts = engine::RunOptions {
        out_dir,
        threads: args.threads.map_or(0, |t| t as usize),
        force: args.force,
        command_line: std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        progress: reporter,
    };
    let report = engine::run(&exp, &opts)?;
    if !args.quiet {
        let mut files = Vec::new();
        if let Some(n) = report.rows.timeseries {
            files.push(format!("timeseries.csv {n} rows"));
        }
        files.push(format!("runs.csv {} rows", report.rows.runs));
        files.push(format!("summary.csv {} rows", report.rows.summary));
        eprintln!(
            "{}: {} runs on {} threads in {:.2} s -> {}/ ({})",
            exp.name,
            report.runs,
            report.threads,
            report.elapsed_seconds,
            report.out_dir.display(),
            files.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn compare(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let stem = args
        .baseline
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "baseline".into());
    let out_dir = args
        .out
        .unwrap_or_else(|| default_out_dir(&format!("compare-{stem}")));
    let bar;
    let silent = progress::Silent;
    let reporter: &dyn progress::Progress = if !args.quiet && std::io::stderr().is_terminal() {
        bar = progress::Bar::stderr();
        &bar
    } else {
        &silent
    };
    let opts = ideaflow::compare::CompareOptions {
        out_dir,
        replicates: args.replicates,
        steps: args.steps,
        threads: args.threads.map_or(0, |t| t as usize),
        force: args.force,
        command_line: std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        progress: reporter,
    };
    let report = ideaflow::compare::compare(&args.baseline, &args.variants, &opts)?;
    if !args.quiet {
        let mut stdout = std::io::stdout().lock();
        ideaflow::compare::render_table(&report, &mut stdout)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `output/<name>/`, with path separators in the name replaced.
fn default_out_dir(name: &str) -> PathBuf {
    let safe: String = name
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | '\0') {
                '_'
            } else {
                c
            }
        })
        .collect();
    Path::new("output").join(safe)
}

fn validate(paths: &[PathBuf]) -> ExitCode {
    let mut failed = false;
    let mut stdout = std::io::stdout().lock();
    for path in paths {
        match scenario::load(path, &Overrides::default()) {
            Ok(exp) => {
                let ts = if exp.timeseries {
                    exp.timeseries_rows().to_string()
                } else {
                    "off".to_string()
                };
                let _ = writeln!(
                    stdout,
                    "ok: {}: model {}, {} point{} x {} replicate{} = {} runs; rows: timeseries.csv {ts}, runs.csv {}, summary.csv {}",
                    path.display(),
                    exp.model.name(),
                    exp.points(),
                    if exp.points() == 1 { "" } else { "s" },
                    exp.replicates,
                    if exp.replicates == 1 { "" } else { "s" },
                    exp.runs(),
                    exp.runs(),
                    exp.summary_rows()
                );
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
