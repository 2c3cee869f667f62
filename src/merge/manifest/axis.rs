//! The sweep axes of the experiment the shards describe: each swept
//! parameter's values as the CSV files write them, read from the manifest
//! and checked against the rows.

use serde_json::Value;

use crate::scenario::schema::{Field, Kind};
use crate::scenario::value::format_f64;

use super::describe;

/// A swept parameter's values, as the CSV files write them.
#[derive(Debug)]
pub(in crate::merge) enum Values {
    /// Integers (written in decimal).
    Int(Vec<i64>),
    /// Reals, written in shortest round-trip form. serde_json's default
    /// parser is up to two units in the last place off for about 30 % of
    /// doubles (measured over 2 x 10^7 random ones; 1e-30 is one off), so
    /// the first row of a value may differ from the manifest's by up to
    /// [`FLOAT_ULPS`] (and then fixes it for every other row);
    /// `confirmed` marks values already seen in a row.
    Float {
        values: Vec<f64>,
        confirmed: Vec<bool>,
    },
    /// Strings, booleans (0/1) and lists, already formatted.
    Text(Vec<String>),
}

/// One swept parameter.
#[derive(Debug)]
pub(in crate::merge) struct Axis {
    /// Dotted path (the column name).
    pub path: &'static str,
    /// Its values in order.
    pub values: Values,
    /// Points between two consecutive values of this axis (the last axis
    /// varies fastest).
    pub stride: u64,
}

impl Axis {
    /// Its number of values.
    pub fn len(&self) -> usize {
        match &self.values {
            Values::Int(v) => v.len(),
            Values::Float { values, .. } => values.len(),
            Values::Text(v) => v.len(),
        }
    }

    /// The index of this axis's value at sweep point `point`.
    pub fn index_at(&self, point: u64) -> usize {
        ((point / self.stride) % self.len() as u64) as usize
    }

    /// Checks a CSV field against value `i`; the expected text when it
    /// does not match.
    pub fn check(&mut self, i: usize, field: &[u8]) -> Result<(), String> {
        match &mut self.values {
            Values::Int(v) => {
                let mut b = itoa::Buffer::new();
                let want = b.format(v[i]);
                if field == want.as_bytes() {
                    Ok(())
                } else {
                    Err(want.to_string())
                }
            }
            Values::Text(v) => {
                if field == v[i].as_bytes() {
                    Ok(())
                } else {
                    Err(v[i].clone())
                }
            }
            Values::Float { values, confirmed } => {
                let mut b = ryu::Buffer::new();
                let text = b.format_finite(values[i]);
                let want = text.strip_suffix(".0").unwrap_or(text);
                if field == want.as_bytes() {
                    confirmed[i] = true;
                    return Ok(());
                }
                let want = want.to_string();
                if !confirmed[i] {
                    let got = std::str::from_utf8(field)
                        .ok()
                        .and_then(|s| s.parse::<f64>().ok())
                        .filter(|x| x.is_finite() && format_f64(*x).as_bytes() == field);
                    if let Some(x) = got
                        && ulps_apart(x, values[i]) <= FLOAT_ULPS
                    {
                        values[i] = x;
                        confirmed[i] = true;
                        return Ok(());
                    }
                }
                Err(want)
            }
        }
    }

    /// The longest value as text.
    pub fn widest(&self) -> usize {
        match &self.values {
            Values::Int(_) => 20,
            Values::Float { .. } => 24,
            Values::Text(v) => v.iter().map(String::len).max().unwrap_or(0),
        }
    }
}

/// How far a swept real in a row may be from the manifest's value, in
/// units in the last place (twice serde_json's largest error).
const FLOAT_ULPS: u64 = 4;

/// How far apart two finite doubles of the same sign are, in units in
/// the last place (u64::MAX for different signs).
fn ulps_apart(a: f64, b: f64) -> u64 {
    if a.is_sign_negative() != b.is_sign_negative() {
        // +0 and -0 are the same number.
        return if a.abs().to_bits() == 0 && b.abs().to_bits() == 0 {
            0
        } else {
            u64::MAX
        };
    }
    a.to_bits().abs_diff(b.to_bits())
}

/// Reads the values of a sweep axis of `field`; the problem otherwise.
pub(in crate::merge) fn axis_values(field: &Field, values: &[Value]) -> Result<Values, String> {
    let what = || match field.kind {
        Kind::Int { min, max } => format!("integers from {min} to {max}"),
        Kind::Float { .. } => format!("numbers {}", field.expected()),
        Kind::Choice(options) => format!("one of {}", options.join(", ")),
        Kind::Bool => "true or false".into(),
        Kind::Text => "strings".into(),
        Kind::IntList { min, max } => format!("lists of integers from {min} to {max}"),
        Kind::Metrics => "nothing (it cannot be swept)".into(),
    };
    let wrong = |i: usize, v: &Value| {
        format!(
            "values[{i}]: expected {}, found {}",
            what(),
            describe(Some(v))
        )
    };
    match field.kind {
        Kind::Int { .. } => values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_i64()
                    .filter(|&x| field.kind.in_range(x as f64))
                    .ok_or_else(|| wrong(i, v))
            })
            .collect::<Result<_, _>>()
            .map(Values::Int),
        Kind::Float { .. } => {
            let values: Vec<f64> = values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.as_f64()
                        .filter(|x| x.is_finite() && field.kind.in_range(*x))
                        .ok_or_else(|| wrong(i, v))
                })
                .collect::<Result<_, _>>()?;
            Ok(Values::Float {
                confirmed: vec![false; values.len()],
                values,
            })
        }
        Kind::Choice(options) => values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str()
                    .filter(|s| options.contains(s))
                    .map(str::to_string)
                    .ok_or_else(|| wrong(i, v))
            })
            .collect::<Result<_, _>>()
            .map(Values::Text),
        Kind::Bool => values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_bool()
                    .map(|b| u8::from(b).to_string())
                    .ok_or_else(|| wrong(i, v))
            })
            .collect::<Result<_, _>>()
            .map(Values::Text),
        Kind::Text => values
            .iter()
            .enumerate()
            .map(|(i, v)| v.as_str().map(str::to_string).ok_or_else(|| wrong(i, v)))
            .collect::<Result<_, _>>()
            .map(Values::Text),
        Kind::IntList { .. } => values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let items = v.as_array().ok_or_else(|| wrong(i, v))?;
                items
                    .iter()
                    .map(|x| {
                        x.as_i64()
                            .filter(|&n| field.kind.in_range(n as f64))
                            .map(|n| n.to_string())
                            .ok_or_else(|| wrong(i, v))
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(|l| l.join(" "))
            })
            .collect::<Result<_, _>>()
            .map(Values::Text),
        Kind::Metrics => Err("expected a parameter that can be swept".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulps_between_neighbours() {
        let x = 0.1f64;
        assert_eq!(ulps_apart(x, x), 0);
        assert_eq!(ulps_apart(x, f64::from_bits(x.to_bits() + 1)), 1);
        assert_eq!(ulps_apart(0.0, -0.0), 0);
        assert_eq!(ulps_apart(1.0, -1.0), u64::MAX);
    }

    #[test]
    fn a_float_axis_accepts_its_value_within_a_few_ulps_once() {
        let mut a = Axis {
            path: "bass.q",
            values: Values::Float {
                values: vec![0.1],
                confirmed: vec![false],
            },
            stride: 1,
        };
        let near = f64::from_bits(0.1f64.to_bits() + 1);
        let text = format_f64(near);
        assert!(a.check(0, text.as_bytes()).is_ok());
        // Fixed from now on.
        assert!(a.check(0, b"0.1").is_err());
        assert!(a.check(0, text.as_bytes()).is_ok());
        assert!(a.check(0, b"0.10").is_err());
        let mut b = Axis {
            path: "bass.q",
            values: Values::Float {
                values: vec![0.1],
                confirmed: vec![false],
            },
            stride: 1,
        };
        let far = format_f64(f64::from_bits(0.1f64.to_bits() + 5));
        assert_eq!(b.check(0, far.as_bytes()), Err("0.1".to_string()));
    }
}
