//! What every subcommand shares, built once per invocation: the command
//! line and the program name (for the manifest and for the commands in
//! hints), the progress choice (from `--progress`, `--progress-every` and
//! `--quiet`), the cancellation that signals set, and the hint printed
//! after an error.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Once, OnceLock};
use std::time::Duration;

use ideaflow::engine::{self, progress};
use ideaflow::output::{CsvFile, Rows};

use super::Command;
use super::options::ProgressMode;

/// The context of one invocation of `ideaflow`.
pub struct Session {
    /// The command line, as given (lossily made text).
    command_line: Vec<String>,
    /// Where progress goes: `Auto` resolved, `--quiet` applied.
    progress: ProgressMode,
    /// Seconds between progress log lines.
    progress_every: u64,
    /// `--quiet`.
    quiet: bool,
    /// Stop requests from signals.
    cancel: &'static engine::Cancel,
    /// Starts turning signals into stop requests on `cancel`.
    watch_signals: fn(),
    /// Whether `watch_signals` was called.
    watching: Once,
    /// A line printed after the error message: how to resume or re-run.
    hint: OnceLock<String>,
}

impl Session {
    /// The session of `command`, whose stop requests arrive on `cancel`
    /// once `watch_signals` has been called (by [`Session::cancel`]).
    pub fn new(command: &Command, cancel: &'static engine::Cancel, watch_signals: fn()) -> Session {
        let (progress, quiet) = command.display();
        let (mode, every) =
            progress.map_or((ProgressMode::None, 0), |p| (p.progress, p.progress_every));
        let mode = match mode {
            _ if quiet => ProgressMode::None,
            ProgressMode::Auto if std::io::stderr().is_terminal() => ProgressMode::Bar,
            ProgressMode::Auto => ProgressMode::Log,
            m => m,
        };
        Session {
            command_line: std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            progress: mode,
            progress_every: every,
            quiet,
            cancel,
            watch_signals,
            watching: Once::new(),
            hint: OnceLock::new(),
        }
    }

    /// The command line, recorded in manifests.
    pub fn command_line(&self) -> &[String] {
        &self.command_line
    }

    /// The program as it was started, for commands in hints: `ideaflow`
    /// when found on the PATH, else the path given
    /// (`target/release/ideaflow` under `cargo run`), so the hint runs as
    /// it is from the same folder.
    pub fn program(&self) -> String {
        self.command_line
            .first()
            .filter(|a| !a.is_empty())
            .cloned()
            .unwrap_or_else(|| "ideaflow".into())
    }

    /// Whether the command should print nothing but errors.
    pub fn quiet(&self) -> bool {
        self.quiet
    }

    /// A new reporter of progress, as chosen.
    pub fn progress(&self) -> Box<dyn progress::Progress> {
        match self.progress {
            ProgressMode::Bar => Box::new(progress::Bar::stderr()),
            ProgressMode::Log => Box::new(progress::Log::stderr(Duration::from_secs(
                self.progress_every,
            ))),
            ProgressMode::Auto | ProgressMode::None => Box::new(progress::Silent),
        }
    }

    /// The stop requests of signals, from now on (SIGINT and SIGTERM stop
    /// the work cleanly instead of killing the process).
    pub fn cancel(&self) -> &'static engine::Cancel {
        self.watching.call_once(self.watch_signals);
        self.cancel
    }

    /// Sets the line printed after the error (the first one set stays).
    pub fn set_hint(&self, hint: String) {
        let _ = self.hint.set(hint);
    }

    /// The line to print after the error, if any.
    pub fn hint(&self) -> Option<&str> {
        self.hint.get().map(String::as_str)
    }

    /// `words` as one shell command, each word quoted as needed.
    pub fn shell_command(words: &[String]) -> String {
        shlex::try_join(words.iter().map(String::as_str)).unwrap_or_else(|_| words.join(" "))
    }
}

/// The rows of `files` as a summary line lists them ("runs.csv 8 rows,
/// summary.csv 16 rows"), leaving out those not written.
pub fn rows_text(rows: &Rows, files: &[CsvFile]) -> String {
    files
        .iter()
        .filter_map(|&f| rows.get(f).map(|n| format!("{} {n} rows", f.name())))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `output/<name>/` (scenario names are checked to be one folder name).
pub fn default_out_dir(name: &str) -> PathBuf {
    Path::new("output").join(name)
}
