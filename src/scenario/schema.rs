//! The scenario schema: every key a scenario file may contain, its type,
//! default, allowed range and documentation.
//!
//! One table drives validation (unknown keys, types, ranges), sweeps (a sweep
//! key is valid when it names a field here), `ideaflow show` (every default
//! filled in, with its documentation) and the reference in docs/scenario.md.
//! Model-specific fields live beside their model (e.g. `model::bass::FIELDS`)
//! and are gathered by [`fields_for`].

pub use crate::param::{Bound, Default, Field, Kind};

use crate::model::ModelKind;

/// The names of the models, as written in `model = "..."`.
pub const MODEL_NAMES: &[&str] = &["climate", "march", "bass"];

/// Keys shared by every model.
pub const COMMON_FIELDS: &[Field] = &[
    Field {
        path: "name",
        kind: Kind::Text,
        default: Default::FileStem,
        doc: "Name of the scenario; the default output folder is output/<name>/ (no path separators or control characters)",
        sweepable: false,
    },
    Field {
        path: "extends",
        kind: Kind::Text,
        default: Default::Str(""),
        doc: "A base scenario (path relative to this file) whose keys are defaults for this one",
        sweepable: false,
    },
    Field::choice(
        "model",
        MODEL_NAMES,
        "climate",
        "Which model runs: climate, march or bass",
    )
    .fixed(),
    Field::int(
        "steps",
        1,
        100_000_000,
        100,
        "Number of steps simulated after step 0 (the initial state)",
    ),
    Field::int(
        "replicates",
        1,
        1_000_000_000,
        10,
        "Independent runs per sweep point",
    )
    .fixed(),
    Field::int(
        "seed",
        0,
        i64::MAX,
        1,
        "Base seed; each run's seed derives from (seed, point, replicate)",
    )
    .fixed(),
    Field::int(
        "output.every",
        1,
        i64::MAX,
        1,
        "Write rows for steps 0, k, 2k, ... and the last; counts are summed since the previous row",
    )
    .fixed(),
    Field::boolean(
        "output.timeseries",
        true,
        "Write timeseries.csv (switch off for huge sweeps)",
    )
    .fixed(),
    Field::boolean(
        "output.teams",
        false,
        "Write teams.csv: per run, output step and team, the team's climate and idea flow (climate model)",
    )
    .fixed(),
    Field {
        path: "output.metrics",
        kind: Kind::Metrics,
        default: Default::AllMetrics,
        doc: "Metrics written to the CSV files (default: all of the model's metrics)",
        sweepable: false,
    },
];

/// Every field of a scenario for the given model: common ones, then the
/// model's own.
pub fn fields_for(model: ModelKind) -> impl Iterator<Item = &'static Field> {
    COMMON_FIELDS.iter().chain(model.fields().iter())
}

/// Every field of every model (to recognise a key that belongs to another
/// model's table).
pub fn all_fields() -> impl Iterator<Item = &'static Field> {
    COMMON_FIELDS
        .iter()
        .chain(ModelKind::ALL.iter().flat_map(|m| m.fields().iter()))
}

/// Looks a field up by its dotted path, among the given model's fields.
pub fn field(model: ModelKind, path: &str) -> Option<&'static Field> {
    fields_for(model).find(|f| f.path == path)
}

/// Whether `path` names a table that contains fields (e.g. `bass`,
/// `output`) for any model.
pub fn is_table(path: &str) -> bool {
    all_fields().any(|f| {
        f.path.len() > path.len()
            && f.path.starts_with(path)
            && f.path.as_bytes()[path.len()] == b'.'
    })
}

/// The model owning a table path (`bass` -> Bass), if any.
pub fn model_of_section(section: &str) -> Option<ModelKind> {
    let top = section.split('.').next().unwrap_or(section);
    ModelKind::ALL.iter().copied().find(|m| m.name() == top)
}

/// Up to three known names closest to `word`, for "did you mean" hints.
pub fn suggestions<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut scored: Vec<(f64, &str)> = candidates
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(s, _)| *s > 0.8)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}
