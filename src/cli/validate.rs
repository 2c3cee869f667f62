//! `ideaflow validate`: checks scenario files without running them and
//! says what each would run and write.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use ideaflow::engine::estimate;
use ideaflow::scenario::{self, Experiment, LoadError, Overrides};

use super::Outcome;
use super::session::default_out_dir;

/// Options of `ideaflow validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario files.
    #[arg(required = true, num_args = 1..)]
    pub scenarios: Vec<PathBuf>,
}

/// Checks every file, reporting every problem in each (on stderr) and
/// what each valid one would produce (on stdout); bad input when a file
/// has problems.
///
/// Every file is checked even when stdout is closed: the outcome says
/// whether all of them are valid.
pub fn run(args: &ValidateArgs) -> Outcome {
    let mut failed = false;
    let mut stdout = std::io::stdout().lock();
    for path in &args.scenarios {
        match scenario::load(path, &Overrides::default()) {
            Ok(exp) => {
                let _ = writeln!(stdout, "{}", report(path, &exp));
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
        Outcome::BadInput
    } else {
        Outcome::Success
    }
}

/// What a valid scenario would run and write, and the warning of the
/// guard when it would not fit.
fn report(path: &Path, exp: &Experiment) -> String {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let est = estimate::estimate(exp, threads);
    let files: Vec<String> = est
        .files
        .iter()
        .map(|(name, rows, bytes)| format!("{name} {rows} rows ~{}", estimate::human_bytes(*bytes)))
        .collect();
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    let mut text = format!(
        "ok: {}: model {}, {} point{} x {} replicate{} = {} runs; {}; output ~{}, memory ~{} on {threads} threads",
        path.display(),
        exp.model.name(),
        exp.points(),
        plural(exp.points()),
        exp.replicates,
        plural(exp.replicates),
        exp.runs(),
        files.join(", "),
        estimate::human_bytes(est.output_bytes()),
        estimate::human_bytes(est.memory),
    );
    if let Err(e) = estimate::guard(&est, 1.0, &default_out_dir(&exp.name)) {
        let warning = e.to_string().replace('\n', "\n   ");
        text.push_str(&format!("\n   warning: {warning}"));
    }
    text
}
