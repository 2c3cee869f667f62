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

use crate::scenario::params::ParamSet;
use crate::scenario::schema::Field;

/// How a metric aggregates over the steps between two output rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agg {
    /// Events during a step; a row holds the sum since the previous row, and
    /// runs.csv also gets `<metric>_total` over the whole run.
    Count,
    /// A state; a row holds the value at its step.
    Level,
    /// A ratio of two count metrics (by name), computed over the steps
    /// since the previous row (empty when the denominator is 0); runs.csv
    /// also gets `<metric>_total`, the ratio of the run totals.
    Ratio {
        /// Numerator metric.
        num: &'static str,
        /// Denominator metric.
        den: &'static str,
    },
}

impl Agg {
    /// Whether runs.csv gets a `<metric>_total` column.
    pub fn has_total(self) -> bool {
        !matches!(self, Agg::Level)
    }
}

/// How a metric's value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fmt {
    /// An integer.
    Int,
    /// A real number (shortest round-trip form; empty when undefined).
    Float,
    /// 0 or 1.
    Bool,
}

/// One metric of a model: a column of the output.
#[derive(Clone, Copy, Debug)]
pub struct MetricDef {
    /// Column name (snake_case, stable).
    pub name: &'static str,
    /// Count or level.
    pub agg: Agg,
    /// How values are written.
    pub fmt: Fmt,
    /// What it measures.
    pub doc: &'static str,
    /// Computed (e.g. as a ratio's numerator) but never written.
    pub hidden: bool,
}

impl MetricDef {
    /// A count of events, written as an integer.
    pub const fn count(name: &'static str, doc: &'static str) -> Self {
        MetricDef {
            name,
            agg: Agg::Count,
            fmt: Fmt::Int,
            doc,
            hidden: false,
        }
    }

    /// A count used only inside ratios; never written.
    pub const fn hidden_count(name: &'static str, doc: &'static str) -> Self {
        MetricDef {
            name,
            agg: Agg::Count,
            fmt: Fmt::Int,
            doc,
            hidden: true,
        }
    }

    /// A state variable.
    pub const fn level(name: &'static str, fmt: Fmt, doc: &'static str) -> Self {
        MetricDef {
            name,
            agg: Agg::Level,
            fmt,
            doc,
            hidden: false,
        }
    }

    /// A ratio of two counts over the steps of a row.
    pub const fn ratio(
        name: &'static str,
        num: &'static str,
        den: &'static str,
        doc: &'static str,
    ) -> Self {
        MetricDef {
            name,
            agg: Agg::Ratio { num, den },
            fmt: Fmt::Float,
            doc,
            hidden: false,
        }
    }
}

/// A problem with a combination of parameters (e.g. degree >= agents),
/// found after every field was checked on its own.
#[derive(Clone, Debug, PartialEq)]
pub struct Issue {
    /// The fields involved; the first one that the file sets is where the
    /// error points.
    pub fields: Vec<&'static str>,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// One cross-field check of a model.
pub struct Check {
    /// The fields whose values the check depends on (and nothing else:
    /// tests check it).
    pub reads: Vec<&'static str>,
    /// The check: the problems found at one set of parameters.
    pub run: Box<CheckFn>,
}

/// What a cross-field check does: the problems at one set of parameters.
pub type CheckFn = dyn Fn(&ParamSet) -> Vec<Issue> + Send + Sync;

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check").field("reads", &self.reads).finish()
    }
}

impl Check {
    /// A check of fixed fields.
    pub fn new(reads: &[&'static str], run: fn(&ParamSet) -> Vec<Issue>) -> Check {
        Check {
            reads: reads.to_vec(),
            run: Box::new(run),
        }
    }
}

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
