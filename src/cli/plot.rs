//! `ideaflow plot`: draws the charts of an output folder and prints the
//! paths of the files written.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::Outcome;

/// Options of `ideaflow plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// An output folder of `ideaflow run` or `ideaflow compare`.
    pub dir: PathBuf,
    /// A metric to draw (repeat for more) [default: a set of key metrics].
    #[arg(long = "metric", short)]
    pub metrics: Vec<String>,
}

/// Draws the charts; prints one path per chart on stdout.
pub fn run(args: PlotArgs) -> anyhow::Result<Outcome> {
    let written = ideaflow::plot::plot_dir(&args.dir, &args.metrics)?;
    let mut stdout = std::io::stdout().lock();
    for p in written {
        writeln!(stdout, "{}", p.display())?;
    }
    stdout.flush()?;
    Ok(Outcome::Success)
}
