//! Progress reporting. The engine reports through [`Progress`]; the binary
//! chooses how (`--progress auto|bar|log|none`: a bar when stderr is a
//! terminal, log lines when it is not, such as in a Slurm log or under
//! nohup), so the library never inspects the terminal.

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// Receives progress of a sweep.
pub trait Progress {
    /// The sweep of `label` (the scenario's name) starts with `total` runs.
    fn start(&self, _label: &str, _total: u64) {}
    /// `n` more runs were written.
    fn advance(&self, _n: u64) {}
    /// The sweep is over.
    fn finish(&self) {}
}

/// Reports nothing.
#[derive(Debug, Default)]
pub struct Silent;

impl Progress for Silent {}

/// Longest label shown before the bar (so the line fits 80 columns).
const LABEL_WIDTH: usize = 24;

/// `label` cut to `LABEL_WIDTH` characters.
fn short(label: &str) -> String {
    if label.chars().count() <= LABEL_WIDTH {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(LABEL_WIDTH - 1).collect();
        s.push('…');
        s
    }
}

/// A progress bar on stderr: the scenario, runs done of total, runs per
/// second, time left; as wide as the terminal, never wrapping.
#[derive(Debug)]
pub struct Bar(ProgressBar);

impl Bar {
    /// A bar drawn on stderr.
    pub fn stderr() -> Bar {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{prefix} {wide_bar:.cyan/blue} {human_pos}/{human_len} {rate:.dim} {eta} left",
        )
        .map(|s| {
            s.with_key(
                "rate",
                |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.1}/s", state.per_sec());
                },
            )
        })
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        Bar(bar)
    }
}

impl Progress for Bar {
    fn start(&self, label: &str, total: u64) {
        self.0.set_prefix(short(label));
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

/// Progress as log lines, for a stderr that is not a terminal (a Slurm
/// log, nohup, a CI log): a line every `interval` while the sweep runs
/// (runs done of total, rate, time left) and one when it ends. A sweep
/// shorter than the interval writes nothing, so short runs stay quiet in
/// pipes and CI.
pub struct Log<W: Write + Send> {
    out: Mutex<LogState<W>>,
    interval: Duration,
}

struct LogState<W> {
    out: W,
    label: String,
    total: u64,
    done: u64,
    started: Instant,
    last: Instant,
    /// Whether a line was written for this sweep.
    spoke: bool,
}

impl Log<std::io::Stderr> {
    /// Log lines on stderr every `interval`.
    pub fn stderr(interval: Duration) -> Self {
        Log::to(std::io::stderr(), interval)
    }
}

impl<W: Write + Send> Log<W> {
    /// Log lines written to `out` every `interval`.
    pub fn to(out: W, interval: Duration) -> Self {
        let now = Instant::now();
        Log {
            out: Mutex::new(LogState {
                out,
                label: String::new(),
                total: 0,
                done: 0,
                started: now,
                last: now,
                spoke: false,
            }),
            interval,
        }
    }

    /// What was written (for tests).
    pub fn into_inner(self) -> W {
        self.out.into_inner().unwrap_or_else(|e| e.into_inner()).out
    }
}

impl<W> LogState<W> {
    /// "name: 1,234 of 10,000 runs (12.3 %), 45.6 runs/s, 1m 2s elapsed,
    /// 3m 4s left".
    fn line(&self) -> String {
        let elapsed = self.started.elapsed().as_secs_f64();
        let rate = if elapsed > 0.0 {
            self.done as f64 / elapsed
        } else {
            0.0
        };
        let share = if self.total > 0 {
            100.0 * self.done as f64 / self.total as f64
        } else {
            100.0
        };
        let left = if rate > 0.0 {
            format!(
                ", {} left",
                duration(self.total.saturating_sub(self.done) as f64 / rate)
            )
        } else {
            String::new()
        };
        format!(
            "{}: {} of {} runs ({share:.1} %), {rate:.1} runs/s, {} elapsed{left}",
            self.label,
            self.done,
            self.total,
            duration(elapsed)
        )
    }
}

/// A duration in seconds as `1h 2m 3s` (whole seconds).
fn duration(seconds: f64) -> String {
    let s = if seconds.is_finite() {
        seconds.round().max(0.0) as u64
    } else {
        0
    };
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m {s}s"),
        (h, m, s) => format!("{h}h {m}m {s}s"),
    }
}

impl<W: Write + Send> Progress for Log<W> {
    fn start(&self, label: &str, total: u64) {
        let Ok(mut s) = self.out.lock() else { return };
        let now = Instant::now();
        s.label = label.to_string();
        s.total = total;
        s.done = 0;
        s.started = now;
        s.last = now;
        s.spoke = false;
    }

    fn advance(&self, n: u64) {
        let Ok(mut s) = self.out.lock() else { return };
        s.done += n;
        if n > 0 && s.last.elapsed() >= self.interval && s.done < s.total {
            s.last = Instant::now();
            s.spoke = true;
            let text = s.line();
            let _ = writeln!(s.out, "{text}");
        }
    }

    fn finish(&self) {
        let Ok(mut s) = self.out.lock() else { return };
        if s.spoke || s.started.elapsed() >= self.interval {
            let text = s.line();
            let _ = writeln!(s.out, "{text}");
            let _ = s.out.flush();
        }
    }
}

/// Labels another reporter's sweeps, e.g. `kaizen (2 of 4)` for the second
/// of four scenarios of a comparison.
pub struct Labelled<'a> {
    /// Where progress goes.
    pub inner: &'a dyn Progress,
    /// Added after the scenario's name.
    pub suffix: String,
}

impl Progress for Labelled<'_> {
    fn start(&self, label: &str, total: u64) {
        self.inner.start(&format!("{label}{}", self.suffix), total);
    }

    fn advance(&self, n: u64) {
        self.inner.advance(n);
    }

    fn finish(&self) {
        self.inner.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_say_runs_done_rate_and_time_left() {
        let log = Log::to(Vec::new(), Duration::ZERO);
        log.start("kaizen", 4);
        log.advance(1);
        log.advance(2);
        log.advance(1);
        log.finish();
        let text = String::from_utf8(log.into_inner()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("kaizen: 1 of 4 runs (25.0 %), "),
            "{text}"
        );
        assert!(
            lines[0].contains("runs/s") && lines[0].contains("elapsed"),
            "{text}"
        );
        assert!(
            lines[1].starts_with("kaizen: 3 of 4 runs (75.0 %)"),
            "{text}"
        );
        // No line for the last run but the final one.
        assert_eq!(lines.len(), 3, "{text}");
        assert!(
            lines[2].starts_with("kaizen: 4 of 4 runs (100.0 %)"),
            "{text}"
        );
    }

    #[test]
    fn log_lines_are_spaced_by_the_interval() {
        let log = Log::to(Vec::new(), Duration::from_secs(3600));
        log.start("s", 1000);
        for _ in 0..1000 {
            log.advance(1);
        }
        log.finish();
        // Shorter than the interval: quiet.
        let text = String::from_utf8(log.into_inner()).unwrap();
        assert_eq!(text, "");
    }

    #[test]
    fn durations_read_as_hours_minutes_seconds() {
        assert_eq!(duration(0.4), "0s");
        assert_eq!(duration(61.0), "1m 1s");
        assert_eq!(duration(3725.0), "1h 2m 5s");
        assert_eq!(duration(f64::INFINITY), "0s");
    }

    #[test]
    fn long_labels_are_cut() {
        assert_eq!(short("baseline"), "baseline");
        assert_eq!(short(&"x".repeat(40)).chars().count(), LABEL_WIDTH);
    }
}
