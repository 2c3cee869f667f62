//! Scenario files: reading, validating and expanding them into an
//! [`Experiment`] (every sweep point's parameters, seeds and output options).
//!
//! Validation walks the spanned TOML table against the schema first and
//! collects every problem (unknown keys, wrong types, values out of range,
//! bad sweeps, inconsistent combinations) before anything is deserialised,
//! so a user fixes a file in one pass.

//!
//! Where each part lives: [`read`] runs the stages of [`parse`] in order;
//! `walk` checks a file's keys against the schema; `values` one value
//! against its field; `entries` the models' repeated tables
//! (`[[interventions]]`); `sweep_keys` reads `[sweep]` and [`sweep`]
//! expands it into points; `cross` runs the models' cross-field checks
//! over the sweep; [`name`] is the rule for scenario names; [`diagnostic`]
//! renders problems; [`show`] writes a scenario back with every default.
//! The reader knows no particular model: models declare their fields,
//! checks and repeated tables (`crate::model::ModelKind`).

mod cross;
pub mod diagnostic;
mod entries;
pub mod name;
mod read;
pub mod schema;
pub mod show;
pub mod sweep;
mod sweep_keys;
mod syntax;
mod values;
mod walk;

pub use crate::param::set as params;
pub use crate::param::value;
pub use cross::MAX_CHECKED_COMBINATIONS;

use std::path::{Path, PathBuf};

use crate::model::{MetricDef, ModelKind};
use crate::param::{Field, ParamSet, Value};
use diagnostic::Diagnostics;
use sweep::Axis;

/// Values from the command line that replace the file's.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// Replaces `seed`.
    pub seed: Option<u64>,
    /// Replaces `replicates`.
    pub replicates: Option<u64>,
    /// Replaces `steps`.
    pub steps: Option<u64>,
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read scenario file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file was read but has problems.
    #[error("{0}")]
    Invalid(Diagnostics),
}

/// A validated scenario, expanded into sweep points: what runs.
#[derive(Clone, Debug)]
pub struct Experiment {
    /// The scenario file.
    pub path: PathBuf,
    /// The file's text, as read.
    pub text: String,
    /// Scenario name (default: the file stem).
    pub name: String,
    /// The model that runs.
    pub model: ModelKind,
    /// Replicates per sweep point.
    pub replicates: u64,
    /// Base seed.
    pub seed: u64,
    /// Output row interval.
    pub every: u64,
    /// Whether timeseries.csv is written.
    pub timeseries: bool,
    /// Whether teams.csv is written.
    pub teams: bool,
    /// Indices (into the model's metrics) of the metrics written.
    pub metrics: Vec<usize>,
    /// Every parameter of the model at its file or default value.
    pub base: ParamSet,
    /// Swept parameters, first varying slowest.
    pub axes: Vec<Axis>,
    /// Paths of the fields the file sets explicitly.
    pub set_in_file: Vec<&'static str>,
    /// The fields of each entry of the model's repeated tables (the
    /// climate model's `[[interventions]]`), in order.
    pub intervention_fields: Vec<Vec<&'static Field>>,
    /// The base scenario this one extends: its path and text.
    pub extends: Option<(PathBuf, String)>,
}

impl Experiment {
    /// Number of sweep points.
    pub fn points(&self) -> u64 {
        sweep::point_count(&self.axes).unwrap_or(u64::MAX)
    }

    /// Number of runs (points x replicates).
    pub fn runs(&self) -> u64 {
        self.points().saturating_mul(self.replicates)
    }

    /// The parameters of sweep point `point`.
    pub fn point(&self, point: u64) -> ParamSet {
        sweep::point_params(&self.base, &self.axes, point)
    }

    /// The swept values of sweep point `point`, in axis order.
    pub fn point_values(&self, point: u64) -> Vec<&Value> {
        sweep::point_indices(&self.axes, point)
            .into_iter()
            .zip(&self.axes)
            .map(|(i, a)| &a.values[i])
            .collect()
    }

    /// The metric definitions written, in column order.
    pub fn metric_defs(&self) -> Vec<&'static MetricDef> {
        let all = self.model.metrics();
        self.metrics.iter().map(|&i| &all[i]).collect()
    }

    /// Steps simulated at a sweep point.
    pub fn steps_at(&self, params: &ParamSet) -> u64 {
        params.u64("steps")
    }

    /// Output rows per run for a run of `steps` steps.
    pub fn rows_per_run(&self, steps: u64) -> u64 {
        // As many as output_steps yields, counted without iterating.
        let every = self.every.max(1);
        steps / every + 1 + u64::from(!steps.is_multiple_of(every))
    }

    /// Total timeseries rows over all runs (0 when timeseries are off).
    pub fn timeseries_rows(&self) -> u64 {
        if !self.timeseries {
            return 0;
        }
        self.rows_by_point().saturating_mul(self.replicates)
    }

    /// Total summary rows (one per point, output step and metric).
    pub fn summary_rows(&self) -> u64 {
        self.rows_by_point()
            .saturating_mul(self.metrics.len() as u64)
    }

    /// Sum over points of rows per run: each value of a swept `steps` is
    /// the same share of the points (no loop over the points).
    fn rows_by_point(&self) -> u64 {
        match self.axes.iter().find(|a| a.path() == "steps") {
            None => self
                .rows_per_run(self.base.u64("steps"))
                .saturating_mul(self.points()),
            Some(axis) => {
                let share = self.points() / axis.values.len().max(1) as u64;
                axis.values
                    .iter()
                    .map(|v| {
                        let steps = v.as_i64().unwrap_or(0).max(0) as u64;
                        self.rows_per_run(steps).saturating_mul(share)
                    })
                    .fold(0u64, u64::saturating_add)
            }
        }
    }
}

/// The steps for which rows are written: 0, k, 2k, ... and the last.
pub fn output_steps(steps: u64, every: u64) -> impl Iterator<Item = u64> {
    let every = every.max(1);
    let regular = (0..=steps / every).map(move |i| i * every);
    let last = if !steps.is_multiple_of(every) {
        Some(steps)
    } else {
        None
    };
    regular.chain(last)
}

/// Reads and validates a scenario file.
pub fn load(path: &Path, overrides: &Overrides) -> Result<Experiment, LoadError> {
    let text = crate::files::read_input_text(path, crate::files::MAX_SCENARIO_BYTES).map_err(
        |source| LoadError::Read {
            path: path.to_path_buf(),
            source,
        },
    )?;
    parse(path, &text, overrides).map_err(LoadError::Invalid)
}

/// Validates scenario text; `path` names the file in messages and gives
/// the default name. Every problem is collected before any is reported
/// (the stages are in [`read::parse`]).
pub fn parse(path: &Path, text: &str, overrides: &Overrides) -> Result<Experiment, Diagnostics> {
    read::parse(path, text, overrides)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_per_run_counts_the_output_steps() {
        let mut exp = parse(
            Path::new("t.toml"),
            "model = \"march\"\n",
            &Overrides::default(),
        )
        .unwrap();
        for every in [1, 2, 3, 7, 10] {
            exp.every = every;
            for steps in 0..40 {
                assert_eq!(
                    exp.rows_per_run(steps),
                    output_steps(steps, every).count() as u64,
                    "steps {steps}, every {every}"
                );
            }
        }
    }
}
