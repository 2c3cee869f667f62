//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use ideaflow::engine::{self, run::RunId};
use ideaflow::output::RunRecord;
use ideaflow::scenario::{self, Experiment, Overrides};

/// The `ideaflow` binary.
pub fn ideaflow() -> Command {
    Command::cargo_bin("ideaflow").expect("binary built")
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scenario bundled in scenarios/.
pub fn bundled(name: &str) -> PathBuf {
    root().join("scenarios").join(name)
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write scenario");
    p
}

/// Parses scenario text (panicking with the diagnostics when invalid).
pub fn experiment(text: &str) -> Experiment {
    scenario::parse(Path::new("test.toml"), text, &Overrides::default())
        .unwrap_or_else(|d| panic!("{d}"))
}

/// Runs every replicate of point 0 in memory.
pub fn simulate_point(exp: &Experiment, point: u64) -> Vec<RunRecord> {
    let layout = engine::layout(exp);
    (0..exp.replicates)
        .map(|r| engine::run::simulate(exp, &layout, RunId::of(exp, point * exp.replicates + r)))
        .collect()
}

/// Column `name` of a run record's rows, by metric name.
pub fn column(exp: &Experiment, rec: &RunRecord, name: &str) -> Vec<f64> {
    let defs = exp.metric_defs();
    let k = defs
        .iter()
        .position(|m| m.name == name)
        .expect("metric exists");
    rec.rows.chunks(defs.len()).map(|row| row[k]).collect()
}

/// Mean and standard error of the mean.
pub fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// Reads a CSV file into (header, rows).
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).expect("open csv");
    let header = r
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = r
        .records()
        .map(|rec| rec.expect("record").iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}
