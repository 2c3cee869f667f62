//! Number formatting for CSV: integers with itoa, reals in shortest
//! round-trip form with ryu, booleans as 0/1, undefined values empty (never
//! `NaN` text, which R and pandas would read as strings or need options for).

use crate::model::Fmt;

/// Reusable buffers for formatting numbers without allocating.
#[derive(Default)]
pub struct NumFmt {
    ryu: ryu::Buffer,
    itoa: itoa::Buffer,
}

impl NumFmt {
    /// A formatter.
    pub fn new() -> Self {
        NumFmt::default()
    }

    /// A metric value as text.
    #[inline]
    pub fn metric(&mut self, v: f64, fmt: Fmt) -> &str {
        if !v.is_finite() {
            return "";
        }
        match fmt {
            Fmt::Int => self.itoa.format(v as i64),
            Fmt::Bool => {
                if v != 0.0 {
                    "1"
                } else {
                    "0"
                }
            }
            Fmt::Float => self.float(v),
        }
    }

    /// A real number as text (empty when not finite).
    #[inline]
    pub fn float(&mut self, v: f64) -> &str {
        if !v.is_finite() {
            return "";
        }
        let s = self.ryu.format_finite(v);
        s.strip_suffix(".0").unwrap_or(s)
    }

    /// An unsigned integer as text.
    #[inline]
    pub fn uint(&mut self, v: u64) -> &str {
        self.itoa.format(v)
    }
}

/// Typical width of a metric value as text, for estimates. Integer
/// counts are mostly a few digits; reals are written in shortest
/// round-trip form, typically 4 to 19 characters.
pub fn typical_width(fmt: Fmt) -> u64 {
    match fmt {
        Fmt::Int => 3,
        Fmt::Bool => 1,
        Fmt::Float => 16,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undefined_is_empty_and_integers_have_no_point() {
        let mut f = NumFmt::new();
        assert_eq!(f.metric(f64::NAN, Fmt::Float), "");
        assert_eq!(f.metric(12.0, Fmt::Int), "12");
        assert_eq!(f.metric(1.0, Fmt::Bool), "1");
        assert_eq!(f.metric(0.25, Fmt::Float), "0.25");
        assert_eq!(f.metric(1.0, Fmt::Float), "1");
    }
}
