//! `manifest.json`: what was run, by which program, how, and when — enough
//! to reproduce every number in the CSV files.

use serde::Serialize;

pub use super::registry::Rows;

/// Most points whose resolved parameters are listed one by one; larger
/// sweeps are described by the base parameters and the sweep axes (which
/// determine every point).
pub const MAX_LISTED_POINTS: u64 = 100_000;

/// The program that wrote the outputs.
#[derive(Clone, Debug, Serialize)]
pub struct Program {
    /// Always "ideaflow".
    pub name: &'static str,
    /// Crate version.
    pub version: &'static str,
    /// Git commit of the build ("unknown" outside a git checkout).
    pub git_commit: &'static str,
}

impl Program {
    /// This build.
    pub fn current() -> Program {
        Program {
            name: "ideaflow",
            version: env!("CARGO_PKG_VERSION"),
            git_commit: crate::GIT_COMMIT,
        }
    }
}

/// The scenario as read.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioInfo {
    /// Path given on the command line.
    pub path: String,
    /// Scenario name.
    pub name: String,
    /// Model.
    pub model: &'static str,
    /// The file's text, verbatim.
    pub text: String,
    /// The base scenario it extends, if any.
    pub extends: Option<BaseInfo>,
}

/// A base scenario (`extends`).
#[derive(Clone, Debug, Serialize)]
pub struct BaseInfo {
    /// Its path.
    pub path: String,
    /// Its text, verbatim.
    pub text: String,
}

/// One swept parameter.
#[derive(Clone, Debug, Serialize)]
pub struct SweepAxis {
    /// Dotted path.
    pub path: &'static str,
    /// Values in order.
    pub values: Vec<serde_json::Value>,
}

/// One sweep point's parameters.
#[derive(Clone, Debug, Serialize)]
pub struct PointParams {
    /// Point index.
    pub point_id: u64,
    /// Every parameter of the model at this point.
    pub parameters: serde_json::Value,
}

/// The shard a manifest describes: shard `index` of `count` (the runs
/// whose index modulo `count` is `index`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ShardInfo {
    /// 0-based shard index.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

/// The manifest.
#[derive(Clone, Debug, Serialize)]
pub struct Manifest {
    /// Program and build.
    pub program: Program,
    /// The command line, as given.
    pub command_line: Vec<String>,
    /// The scenario.
    pub scenario: ScenarioInfo,
    /// Base seed.
    pub seed: u64,
    /// Replicates per point.
    pub replicates: u64,
    /// Sweep points.
    pub points: u64,
    /// Runs written by this command when complete (the experiment's, 1
    /// with `--only-run`, the shard's with `--shard`).
    pub runs: u64,
    /// Runs written (equal to `runs` when complete).
    pub runs_written: u64,
    /// Why the experiment stopped early (absent when complete).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// Sessions that wrote the files (more than 1 after `--resume`).
    pub sessions: u32,
    /// The one run written, with `--only-run`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only_run: Option<u64>,
    /// The shard written, with `--shard` (`ideaflow merge` joins shards).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardInfo>,
    /// Worker threads used.
    pub threads: usize,
    /// Start time (RFC 3339, UTC).
    pub started: String,
    /// End time (RFC 3339, UTC).
    pub finished: String,
    /// Wall-clock duration in seconds.
    pub elapsed_seconds: f64,
    /// Whether every run finished and was written; when false,
    /// `resume.json` beside it lets `ideaflow run --resume` continue.
    pub complete: bool,
    /// Output row interval.
    pub every: u64,
    /// Metrics written.
    pub metrics: Vec<&'static str>,
    /// Rows written.
    pub rows: Rows,
    /// Parameters shared by all points (file values and defaults).
    pub base_parameters: serde_json::Value,
    /// Swept parameters and their values.
    pub sweep: Vec<SweepAxis>,
    /// Every point's resolved parameters (omitted above MAX_LISTED_POINTS).
    pub point_parameters: Option<Vec<PointParams>>,
}

/// Formats a time as RFC 3339 in UTC, to the second.
pub fn timestamp(t: std::time::SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}
