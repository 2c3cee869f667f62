//! The scenario schema: every key a scenario file may contain, its type,
//! default, allowed range and documentation.
//!
//! One table drives validation (unknown keys, types, ranges), sweeps (a sweep
//! key is valid when it names a field here), `ideaflow show` (every default
//! filled in, with its documentation) and the reference in docs/scenario.md.
//! Model-specific fields live beside their model (e.g. `model::bass::FIELDS`)
//! and are gathered by [`fields_for`].

use crate::model::ModelKind;
use crate::scenario::value::Value;

/// A bound of a real-valued range.
#[derive(Clone, Copy, Debug)]
pub enum Bound {
    /// No bound on this side.
    Open,
    /// The bound itself is allowed.
    Incl(f64),
    /// The bound itself is not allowed.
    Excl(f64),
}

/// The type and range of a field.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// An integer in `min..=max`.
    Int {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// A finite real number between two bounds.
    Float {
        /// Lower bound.
        min: Bound,
        /// Upper bound.
        max: Bound,
    },
    /// One of a fixed set of strings.
    Choice(&'static [&'static str]),
    /// `true` or `false`.
    Bool,
    /// Free text.
    Text,
    /// A list of metric names of the scenario's model.
    Metrics,
    /// A list of integers in `min..=max`.
    IntList {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
}

/// The default of a field.
#[derive(Clone, Copy, Debug)]
pub enum Default {
    /// An integer.
    Int(i64),
    /// A real number.
    Float(f64),
    /// A string.
    Str(&'static str),
    /// A boolean.
    Bool(bool),
    /// The scenario file's name without its extension.
    FileStem,
    /// Every metric of the model.
    AllMetrics,
    /// An empty list.
    EmptyList,
}

/// One key of the scenario schema.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// Dotted path, e.g. `bass.p` (the key `p` of table `[bass]`).
    pub path: &'static str,
    /// Type and range.
    pub kind: Kind,
    /// Value when the file does not set it.
    pub default: Default,
    /// One-line documentation, shown by `ideaflow show`.
    pub doc: &'static str,
    /// Whether `[sweep]` may vary it.
    pub sweepable: bool,
}

impl Field {
    /// An integer field in `min..=max`.
    pub const fn int(
        path: &'static str,
        min: i64,
        max: i64,
        default: i64,
        doc: &'static str,
    ) -> Self {
        Field {
            path,
            kind: Kind::Int { min, max },
            default: Default::Int(default),
            doc,
            sweepable: true,
        }
    }

    /// A real field between two bounds.
    pub const fn float(
        path: &'static str,
        min: Bound,
        max: Bound,
        default: f64,
        doc: &'static str,
    ) -> Self {
        Field {
            path,
            kind: Kind::Float { min, max },
            default: Default::Float(default),
            doc,
            sweepable: true,
        }
    }

    /// A choice among fixed strings.
    pub const fn choice(
        path: &'static str,
        options: &'static [&'static str],
        default: &'static str,
        doc: &'static str,
    ) -> Self {
        Field {
            path,
            kind: Kind::Choice(options),
            default: Default::Str(default),
            doc,
            sweepable: true,
        }
    }

    /// A boolean field.
    pub const fn boolean(path: &'static str, default: bool, doc: &'static str) -> Self {
        Field {
            path,
            kind: Kind::Bool,
            default: Default::Bool(default),
            doc,
            sweepable: true,
        }
    }

    /// The same field, but not sweepable.
    pub const fn fixed(self) -> Self {
        Field {
            sweepable: false,
            ..self
        }
    }

    /// The table this field belongs to (`""` for top-level keys).
    pub fn section(&self) -> &'static str {
        match self.path.rfind('.') {
            Some(i) => &self.path[..i],
            None => "",
        }
    }

    /// The key within its table.
    pub fn key(&self) -> &'static str {
        match self.path.rfind('.') {
            Some(i) => &self.path[i + 1..],
            None => self.path,
        }
    }

    /// The default as a value (file stem and metric list supplied by caller).
    pub fn default_value(&self, file_stem: &str, all_metrics: &[&str]) -> Value {
        match self.default {
            Default::Int(i) => Value::Int(i),
            Default::Float(x) => Value::Float(x),
            Default::Str(s) => Value::Str(s.to_string()),
            Default::Bool(b) => Value::Bool(b),
            Default::FileStem => Value::Str(file_stem.to_string()),
            Default::AllMetrics => {
                Value::StrList(all_metrics.iter().map(|s| s.to_string()).collect())
            }
            Default::EmptyList => Value::IntList(Vec::new()),
        }
    }

    /// What the field accepts, in words: "a number > 0", "one of ...".
    pub fn expected(&self) -> String {
        self.kind.expected()
    }
}

impl Kind {
    /// What the kind accepts, in words.
    pub fn expected(&self) -> String {
        match *self {
            Kind::Int { min, max } => {
                if max == i64::MAX {
                    format!("an integer from {min} to 2^63 - 1")
                } else {
                    format!("an integer from {min} to {max}")
                }
            }
            Kind::Float { min, max } => {
                let lo = match min {
                    Bound::Open => None,
                    Bound::Incl(x) => Some(format!(">= {}", fmt_bound(x))),
                    Bound::Excl(x) => Some(format!("> {}", fmt_bound(x))),
                };
                let hi = match max {
                    Bound::Open => None,
                    Bound::Incl(x) => Some(format!("<= {}", fmt_bound(x))),
                    Bound::Excl(x) => Some(format!("< {}", fmt_bound(x))),
                };
                match (lo, hi, min, max) {
                    (_, _, Bound::Incl(a), Bound::Incl(b)) => {
                        format!("a number from {} to {}", fmt_bound(a), fmt_bound(b))
                    }
                    (Some(l), Some(h), _, _) => format!("a number {l} and {h}"),
                    (Some(l), None, _, _) => format!("a number {l}"),
                    (None, Some(h), _, _) => format!("a number {h}"),
                    (None, None, _, _) => "a number".to_string(),
                }
            }
            Kind::Choice(options) => {
                let list: Vec<String> = options.iter().map(|o| format!("\"{o}\"")).collect();
                format!("one of {}", list.join(", "))
            }
            Kind::Bool => "true or false".to_string(),
            Kind::Text => "a string".to_string(),
            Kind::Metrics => "a list of metric names".to_string(),
            Kind::IntList { min, max } => format!("a list of integers from {min} to {max}"),
        }
    }

    /// Checks a number against the range, returning false when outside.
    pub fn in_range(&self, x: f64) -> bool {
        match *self {
            Kind::Int { min, max } | Kind::IntList { min, max } => {
                x >= min as f64 && x <= max as f64
            }
            Kind::Float { min, max } => {
                let lo = match min {
                    Bound::Open => true,
                    Bound::Incl(b) => x >= b,
                    Bound::Excl(b) => x > b,
                };
                let hi = match max {
                    Bound::Open => true,
                    Bound::Incl(b) => x <= b,
                    Bound::Excl(b) => x < b,
                };
                lo && hi && x.is_finite()
            }
            _ => true,
        }
    }

    /// Whether the kind is numeric (and so may be swept with a range).
    pub fn is_numeric(&self) -> bool {
        matches!(self, Kind::Int { .. } | Kind::Float { .. })
    }
}

fn fmt_bound(x: f64) -> String {
    crate::scenario::value::format_f64(x)
}

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
