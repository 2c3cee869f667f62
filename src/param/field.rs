//! The schema's vocabulary: a field (one key of a scenario file) with its
//! type, range, default and documentation. Models declare their fields
//! with these; the scenario reader checks files against them.

use crate::param::value::Value;

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
    crate::param::value::format_f64(x)
}
