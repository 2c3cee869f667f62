//! Progress reporting. The engine reports through [`Progress`]; the binary
//! decides whether a terminal bar is shown (stderr is a terminal and
//! `--quiet` was not given), so the library never inspects the terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// Receives progress of a sweep.
pub trait Progress {
    /// The sweep starts with `total` runs.
    fn start(&self, _total: u64) {}
    /// `n` more runs were written.
    fn advance(&self, _n: u64) {}
    /// The sweep is over.
    fn finish(&self) {}
}

/// Reports nothing.
#[derive(Debug, Default)]
pub struct Silent;

impl Progress for Silent {}

/// A progress bar on stderr: runs done of total, runs per second, time left.
#[derive(Debug)]
pub struct Bar(ProgressBar);

impl Bar {
    /// A bar drawn on stderr.
    pub fn stderr() -> Bar {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{bar:30.cyan/blue} {human_pos}/{human_len} runs  {rate:.dim}  {elapsed_precise} elapsed, {eta} left",
        )
        .map(|s| {
            s.with_key("rate", |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.1} runs/s", state.per_sec());
            })
        })
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        Bar(bar)
    }
}

impl Progress for Bar {
    fn start(&self, total: u64) {
        self.0.set_length(total);
        self.0.reset();
    }

    fn advance(&self, n: u64) {
        self.0.inc(n);
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}
