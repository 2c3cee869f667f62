//! The agent models. Each model is a pure function of (parameters, random
//! streams keyed as `crate::rng` explains): no files, threads or printing.
//!
//! A model provides its scenario fields (with defaults and ranges), its
//! metrics, the cross-field checks its parameters need, and a
//! [`Simulation`] that the engine steps and observes.

pub mod bass;
pub mod climate;
pub mod knowledge;
pub mod march;
pub mod network;

pub use crate::param::{Agg, Check, CheckFn, Fmt, Issue, MetricDef};
use crate::param::{Field, ParamSet, RepeatedTable};

/// One run of a model: stepped and observed by the engine.
pub trait Simulation: Send {
    /// Writes the metrics (in the model's metric order) for the current
    /// state. Count metrics, always: the events of the last step (0 before
    /// the first step). Level metrics only when `levels` is true (at output
    /// rows; they may be costly). Ratio slots are computed by the engine.
    fn observe(&self, out: &mut [f64], levels: bool);

    /// Advances from step `step - 1` to step `step` (steps count from 1).
    fn step(&mut self, step: u64);

    /// Whether the run has reached a state it can never leave (e.g. March's
    /// equilibrium). The engine then stops stepping and carries the last
    /// state forward; counts are zero from then on.
    fn finished(&self) -> bool {
        false
    }

    /// Writes the run-level values (the model's `run_columns`) at the end of
    /// the run; NaN for an undefined value.
    fn run_values(&self, _out: &mut [f64]) {}

    /// Appends one row per team (the model's `team_columns`), counts summed
    /// since the previous call, for teams.csv. Called at output rows.
    fn observe_teams(&mut self, _out: &mut Vec<f64>) {}
}

/// The models ideaflow can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModelKind {
    /// The innovation-climate model of an organisation (docs/model.md §3).
    Climate,
    /// March (1991) mutual learning (docs/model.md §2).
    March,
    /// Bass (1969) diffusion on a network (docs/model.md §1).
    Bass,
}

impl ModelKind {
    /// Every model.
    pub const ALL: [ModelKind; 3] = [ModelKind::Climate, ModelKind::March, ModelKind::Bass];

    /// The model of a scenario file that does not set `model`.
    pub const DEFAULT: ModelKind = ModelKind::Climate;

    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Climate => "climate",
            ModelKind::March => "march",
            ModelKind::Bass => "bass",
        }
    }

    /// The model named `name` in a scenario file.
    pub fn from_name(name: &str) -> Option<ModelKind> {
        ModelKind::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Whether this build of ideaflow can run the model.
    pub fn implemented(self) -> bool {
        true
    }

    /// The model's own scenario fields (its table).
    pub fn fields(self) -> &'static [Field] {
        match self {
            ModelKind::Bass => bass::FIELDS,
            ModelKind::March => march::FIELDS,
            ModelKind::Climate => climate::FIELDS,
        }
    }

    /// The model's repeated tables (`[[interventions]]` for the climate
    /// model).
    pub fn repeated_tables(self) -> &'static [RepeatedTable] {
        match self {
            ModelKind::Climate => &[climate::interventions::TABLE],
            ModelKind::Bass | ModelKind::March => &[],
        }
    }

    /// Peak bytes of one run with these parameters, from footprints
    /// measured on this implementation (docs/performance.md).
    pub fn memory_per_run(self, params: &ParamSet) -> u64 {
        match self {
            ModelKind::Bass => bass::memory_per_run(params),
            ModelKind::March => march::memory_per_run(params),
            ModelKind::Climate => climate::estimate::memory_per_run(params),
        }
    }

    /// Teams in a run with these parameters (rows of teams.csv per output
    /// step; 0 for models without teams).
    pub fn team_count(self, params: &ParamSet) -> u64 {
        match self {
            ModelKind::Climate => climate::estimate::teams(params),
            ModelKind::Bass | ModelKind::March => 0,
        }
    }

    /// The model's metrics, in column order.
    pub fn metrics(self) -> &'static [MetricDef] {
        match self {
            ModelKind::Bass => bass::METRICS,
            ModelKind::March => march::METRICS,
            ModelKind::Climate => climate::METRICS,
        }
    }

    /// Run-level columns of runs.csv besides the metrics (e.g. March's
    /// `equilibrium_step`), written as integers.
    pub fn run_columns(self) -> &'static [&'static str] {
        match self {
            ModelKind::March => march::RUN_COLUMNS,
            ModelKind::Bass | ModelKind::Climate => &[],
        }
    }

    /// Columns of teams.csv (`[output] teams = true`); empty for models
    /// without teams.
    pub fn team_columns(self) -> &'static [MetricDef] {
        match self {
            ModelKind::Climate => climate::TEAM_COLUMNS,
            ModelKind::Bass | ModelKind::March => &[],
        }
    }

    /// The model's cross-field checks (combinations of parameters that
    /// single-field ranges cannot check), each with the fields it reads,
    /// for a scenario whose parameters are `base` (which says, for
    /// instance, which interventions there are). Validation enumerates, for
    /// each check, only the swept values of the fields it reads, so a check
    /// costs the number of their combinations, not of the sweep's points.
    pub fn checks(self, base: &ParamSet) -> Vec<Check> {
        match self {
            ModelKind::Bass => bass::checks(),
            ModelKind::March => march::checks(),
            ModelKind::Climate => climate::params::checks(base),
        }
    }

    /// Every cross-field check at once, on one set of parameters.
    pub fn check(self, params: &ParamSet) -> Vec<Issue> {
        self.checks(params)
            .iter()
            .flat_map(|c| (c.run)(params))
            .collect()
    }

    /// Builds one run from validated parameters and its seeds.
    pub fn build(self, params: &ParamSet, seeds: crate::rng::Seeds) -> Box<dyn Simulation> {
        let run_seed = seeds.run;
        match self {
            ModelKind::Bass => Box::new(bass::Bass::new(
                &bass::BassParams::from_params(params),
                run_seed,
            )),
            ModelKind::March => Box::new(march::March::new(
                &march::MarchParams::from_params(params),
                run_seed,
            )),
            ModelKind::Climate => Box::new(climate::Climate::new(
                &climate::ClimateParams::from_params(params),
                seeds,
            )),
        }
    }
}
