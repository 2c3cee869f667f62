//! The `ideaflow` command: parses the command line, hands it to the
//! subcommand's handler (`cli/`), turns signals into stop requests, and
//! decides the exit code (0 success, 1 runtime failure, 2 bad input).

mod cli;

use std::process::ExitCode;
use std::sync::atomic::{AtomicI32, Ordering};

use clap::Parser;

use cli::{Cli, Outcome, Session};
use ideaflow::engine;
use ideaflow::scenario::LoadError;

/// Exit code for bad input (scenario, options, existing output).
const EXIT_BAD_INPUT: u8 = 2;
/// Exit code for failures at run time (I/O, a failed run).
const EXIT_FAILURE: u8 = 1;

/// Stop requests from signals, for the experiment running.
static CANCEL: engine::Cancel = engine::Cancel::new();
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
    let session = Session::new(&cli.command, &CANCEL, handle_signals);
    match cli::run(cli.command, &session) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::BadInput) => ExitCode::from(EXIT_BAD_INPUT),
        // A closed pipe (`ideaflow show x | head`) is the reader's choice.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            report(&err, session.hint());
            ExitCode::from(exit_code(&err))
        }
    }
}

/// The exit code of a failed command.
fn exit_code(err: &anyhow::Error) -> u8 {
    match err.downcast_ref::<ideaflow::Error>() {
        Some(ideaflow::Error::Interrupted { .. }) => interrupted_code(),
        Some(e) if e.is_bad_input() => EXIT_BAD_INPUT,
        _ => EXIT_FAILURE,
    }
}

/// Prints the whole error chain on stderr, then the hint.
fn report(err: &anyhow::Error, hint: Option<&str>) {
    match err.downcast_ref::<ideaflow::Error>() {
        // Diagnostics carry their own "error:" headlines.
        Some(ideaflow::Error::Load(LoadError::Invalid(d))) => eprintln!("{d}"),
        _ => eprintln!("error: {err:#}"),
    }
    if let Some(hint) = hint {
        eprintln!("{hint}");
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
