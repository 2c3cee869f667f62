//! Metric definitions: the columns a model writes, how each aggregates
//! over the steps of an output row and how it is formatted.

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
