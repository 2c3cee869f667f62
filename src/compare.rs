//! `ideaflow compare BASELINE VARIANT...`: what a change does, with honest
//! uncertainty.
//!
//! Every scenario runs with the baseline's seed and the same replicates, so
//! replicate r of each scenario starts from the same organisation and the
//! same random streams (common random numbers; the keyed streams of
//! `crate::rng` keep mechanisms that a variant does not touch aligned).
//! For each variant and metric the paired differences variant_r -
//! baseline_r give the effect: its mean, 95 % interval (Student's t on the
//! paired differences) and the relative change against the baseline mean,
//! for run totals (counts and ratios) and for end values (every metric).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::engine::{self, RunOptions, progress::Progress};
use crate::error::Error;
use crate::output::stats::{TQuantiles, Welford};
use crate::output::{COMPARE_FILE, CsvFile, MANIFEST_FILE, RESUME_FILE};
use crate::scenario::{self, Experiment, Overrides};

/// How to compare.
pub struct CompareOptions<'a> {
    /// Output folder (one subfolder per scenario, plus compare.csv).
    pub out_dir: PathBuf,
    /// Replicates for every scenario (default: the baseline's).
    pub replicates: Option<u64>,
    /// Steps for every scenario (default: each file's; they must agree).
    pub steps: Option<u64>,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Replace results already in the output folder.
    pub force: bool,
    /// Continue an interrupted comparison: each scenario's folder that
    /// holds an interrupted or a finished run of it is resumed (a finished
    /// one is only checked); the others are run.
    pub resume: bool,
    /// The command line, recorded in the manifests.
    pub command_line: Vec<String>,
    /// Where progress goes.
    pub progress: &'a dyn Progress,
    /// Asks the comparison to stop early (signals).
    pub cancel: &'a engine::Cancel,
}

/// One effect: a variant against the baseline on one metric and measure.
#[derive(Clone, Debug, PartialEq)]
pub struct Effect {
    /// The variant's scenario name.
    pub variant: String,
    /// The metric.
    pub metric: String,
    /// "total" (over the run) or "end" (value at the last step).
    pub measure: &'static str,
    /// Paired replicates.
    pub n: u64,
    /// Baseline mean.
    pub baseline: f64,
    /// Variant mean.
    pub variant_mean: f64,
    /// Mean paired difference (variant - baseline).
    pub difference: f64,
    /// 95 % interval of the difference.
    pub ci95_low: f64,
    /// 95 % interval of the difference.
    pub ci95_high: f64,
    /// difference / baseline mean (NaN when the baseline mean is 0).
    pub relative: f64,
}

/// The result of a comparison.
#[derive(Clone, Debug)]
pub struct CompareReport {
    /// Output folder.
    pub out_dir: PathBuf,
    /// Scenario names, baseline first.
    pub names: Vec<String>,
    /// Every effect, by variant, metric and measure.
    pub effects: Vec<Effect>,
}

fn load(path: &Path, overrides: &Overrides) -> Result<Experiment, Error> {
    scenario::load(path, overrides).map_err(Error::from)
}

/// Runs the baseline and every variant with common random numbers, writes
/// their outputs and compare.csv, and returns the effects.
pub fn compare(
    baseline: &Path,
    variants: &[PathBuf],
    opts: &CompareOptions<'_>,
) -> Result<CompareReport, Error> {
    let exps = load_all(baseline, variants, opts)?;
    // Checks the folder and holds its lock until compare.csv is written;
    // each scenario gets a subfolder (with a lock of its own).
    // A compare.csv of an earlier comparison is ideaflow's: its header.
    let header = COLUMNS.join(",");
    let is_ours = |head: &[u8]| head.starts_with(header.as_bytes());
    let mut folder = crate::output::Staging::prepare_owning(
        &opts.out_dir,
        opts.force,
        &[(COMPARE_FILE, &is_ours)],
    )?;
    let tables = run_all(&exps, opts)?;
    let effects = effects(&exps, &tables);
    write_effects(&mut folder, &effects)?;
    Ok(CompareReport {
        out_dir: opts.out_dir.clone(),
        names: exps.iter().map(|e| e.name.clone()).collect(),
        effects,
    })
}

/// The baseline and the variants, each with the baseline's seed and
/// replicates (and the steps asked for), checked to be comparable.
fn load_all(
    baseline: &Path,
    variants: &[PathBuf],
    opts: &CompareOptions<'_>,
) -> Result<Vec<Experiment>, Error> {
    let first = load(
        baseline,
        &Overrides {
            replicates: opts.replicates,
            steps: opts.steps,
            ..Overrides::default()
        },
    )?;
    let shared = Overrides {
        seed: Some(first.seed),
        replicates: Some(first.replicates),
        steps: opts.steps,
    };
    let mut exps = vec![load(baseline, &shared)?];
    for v in variants {
        exps.push(load(v, &shared)?);
    }
    check_comparable(&exps)?;
    Ok(exps)
}

/// Runs every scenario into its subfolder (resuming or checking what an
/// interrupted comparison left, with `--resume`); their runs.csv.
fn run_all(exps: &[Experiment], opts: &CompareOptions<'_>) -> Result<Vec<Runs>, Error> {
    let mut tables = Vec::new();
    for (i, exp) in exps.iter().enumerate() {
        let dir = opts.out_dir.join(&exp.name);
        let progress = crate::engine::progress::Labelled {
            inner: opts.progress,
            suffix: format!(" ({} of {})", i + 1, exps.len()),
        };
        let started = dir.join(RESUME_FILE).exists() || dir.join(MANIFEST_FILE).exists();
        let run_opts = RunOptions {
            threads: opts.threads,
            force: opts.force,
            resume: opts.resume && started,
            command_line: opts.command_line.clone(),
            progress: &progress,
            cancel: opts.cancel,
            ..RunOptions::new(dir.clone())
        };
        engine::run(exp, &run_opts)?;
        tables.push(read_runs(&dir.join(CsvFile::Runs.name()))?);
    }
    Ok(tables)
}

/// Every variant's effect on every metric (run totals and end values),
/// from the paired replicates of its runs.csv and the baseline's.
fn effects(exps: &[Experiment], tables: &[Runs]) -> Vec<Effect> {
    let mut effects = Vec::new();
    let mut t = TQuantiles::new();
    let base = &tables[0];
    for (exp, table) in exps.iter().zip(tables).skip(1) {
        for (col, name) in base.columns.iter().enumerate().skip(base.first_metric) {
            let Some(vcol) = table.columns.iter().position(|c| c == name) else {
                continue;
            };
            let (metric, measure) = match name.strip_suffix("_total") {
                Some(m) if base.columns.iter().any(|c| c == m) => (m.to_string(), "total"),
                _ => (name.clone(), "end"),
            };
            let (b, v, d) = paired(base, col, table, vcol);
            let (lo, hi) = t.ci95(&d);
            let relative = if b.mean().abs() > 0.0 {
                d.mean() / b.mean()
            } else {
                f64::NAN
            };
            effects.push(Effect {
                variant: exp.name.clone(),
                metric,
                measure,
                n: d.n(),
                baseline: b.mean(),
                variant_mean: v.mean(),
                difference: d.mean(),
                ci95_low: lo,
                ci95_high: hi,
                relative,
            });
        }
    }
    effects
}

/// The baseline's column `col` and the variant's `vcol`, replicate by
/// replicate where both are defined: their statistics and those of the
/// differences (variant - baseline).
fn paired(base: &Runs, col: usize, variant: &Runs, vcol: usize) -> (Welford, Welford, Welford) {
    let (mut b, mut v, mut d) = (Welford::default(), Welford::default(), Welford::default());
    for (rb, rv) in base.rows.iter().zip(&variant.rows) {
        let (x, y) = (rb[col], rv[vcol]);
        if x.is_finite() && y.is_finite() {
            b.push(x);
            v.push(y);
            d.push(y - x);
        }
    }
    (b, v, d)
}

/// Scenarios can be compared when they run the same model for the same
/// steps, have one sweep point each, and distinct names.
fn check_comparable(exps: &[Experiment]) -> Result<(), Error> {
    let base = &exps[0];
    let mut problems = Vec::new();
    for e in exps {
        if e.points() != 1 {
            problems.push(format!(
                "{}: expected a scenario without [sweep] (compare pairs single scenarios), found {} sweep points",
                e.path.display(),
                e.points()
            ));
        }
        if e.model != base.model {
            problems.push(format!(
                "{}: expected model \"{}\" like the baseline, found \"{}\"",
                e.path.display(),
                base.model.name(),
                e.model.name()
            ));
        }
        if e.base.u64("steps") != base.base.u64("steps") {
            problems.push(format!(
                "{}: expected steps = {} like the baseline, found {} (or pass --steps)",
                e.path.display(),
                base.base.u64("steps"),
                e.base.u64("steps")
            ));
        }
    }
    for (i, e) in exps.iter().enumerate() {
        if exps[..i].iter().any(|o| o.name == e.name) {
            problems.push(format!(
                "{}: expected a scenario name different from the others', found \"{}\" twice",
                e.path.display(),
                e.name
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Compare(problems.join("\n")))
    }
}

/// runs.csv as numbers.
struct Runs {
    columns: Vec<String>,
    first_metric: usize,
    rows: Vec<Vec<f64>>,
}

fn read_runs(path: &Path) -> Result<Runs, Error> {
    let bad = |e: csv::Error| Error::io(path, std::io::Error::other(e.to_string()));
    let mut r = csv::Reader::from_path(path).map_err(bad)?;
    let columns: Vec<String> = r
        .headers()
        .map_err(bad)?
        .iter()
        .map(str::to_string)
        .collect();
    // run_id, point_id, replicate, seed, then metrics (no swept columns:
    // compared scenarios have no sweep).
    let first_metric = 4;
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(bad)?;
        rows.push(
            rec.iter()
                .map(|f| f.parse::<f64>().unwrap_or(f64::NAN))
                .collect(),
        );
    }
    Ok(Runs {
        columns,
        first_metric,
        rows,
    })
}

/// The header of compare.csv.
const COLUMNS: [&str; 10] = [
    "variant",
    "metric",
    "measure",
    "n",
    "baseline_mean",
    "variant_mean",
    "difference",
    "ci95_low",
    "ci95_high",
    "relative_change",
];

/// compare.csv: one row per variant, metric and measure. Statistics are
/// written to 12 significant digits (a mean of 57.55 is written as
/// `57.55`, not as its binary remainder `57.550000000000004`).
fn write_effects(folder: &mut crate::output::Staging, effects: &[Effect]) -> Result<(), Error> {
    let path = folder.dir().join(COMPARE_FILE);
    let e2 = |e: csv::Error| Error::io(&path, std::io::Error::other(e.to_string()));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS).map_err(e2)?;
    let fmt = |x: f64| crate::scenario::value::format_f64(crate::scenario::value::round_sig12(x));
    for e in effects {
        w.write_record([
            e.variant.clone(),
            e.metric.clone(),
            e.measure.to_string(),
            e.n.to_string(),
            fmt(e.baseline),
            fmt(e.variant_mean),
            fmt(e.difference),
            fmt(e.ci95_low),
            fmt(e.ci95_high),
            fmt(e.relative),
        ])
        .map_err(e2)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::io(&path, std::io::Error::other(e.to_string())))?;
    folder.write_atomic(COMPARE_FILE, &bytes)
}

/// The effects as a readable table: for each variant, each metric's run
/// total (counts and ratios) or end value (levels), with its 95 % interval
/// and relative change; effects whose interval excludes 0 are marked.
pub fn render_table(report: &CompareReport, out: &mut impl Write) -> std::io::Result<()> {
    let base = report.names.first().cloned().unwrap_or_default();
    for variant in report.names.iter().skip(1) {
        writeln!(
            out,
            "\n{variant} vs {base} (paired by replicate; * = 95 % interval excludes 0)"
        )?;
        writeln!(
            out,
            "{:<26} {:>5} {:>12} {:>12} {:>12} {:>25} {:>9}",
            "metric", "", "baseline", "variant", "difference", "95 % interval", "change"
        )?;
        let rows = report.effects.iter().filter(|e| &e.variant == variant);
        let has_total = |m: &str| {
            report
                .effects
                .iter()
                .any(|e| e.metric == m && e.measure == "total")
        };
        for e in rows.filter(|e| e.measure == "total" || !has_total(&e.metric)) {
            let star = if e.ci95_low > 0.0 || e.ci95_high < 0.0 {
                "*"
            } else {
                " "
            };
            let rel = if e.relative.is_finite() {
                format!("{:+.1} %", 100.0 * e.relative)
            } else {
                String::new()
            };
            writeln!(
                out,
                "{:<26} {:>5} {:>12} {:>12} {:>11}{} {:>25} {:>9}",
                e.metric,
                e.measure,
                short(e.baseline),
                short(e.variant_mean),
                short(e.difference),
                star,
                format!("[{}, {}]", short(e.ci95_low), short(e.ci95_high)),
                rel
            )?;
        }
    }
    writeln!(
        out,
        "\nall effects (totals and end values): {}",
        report.out_dir.join(COMPARE_FILE).display()
    )
}

fn short(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let a = x.abs();
    if a >= 1000.0 || a == 0.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.3}")
    }
}
