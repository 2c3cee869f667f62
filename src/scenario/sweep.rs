//! `[sweep]`: which parameters vary, and the values they take.
//!
//! A key names a parameter of the schema by its dotted path, whether or not
//! the file sets it. Its value is a list of values, or an inclusive range:
//! `{ from, to, steps = n }` gives n evenly spaced values including both
//! ends; `{ from, to, by }` gives round((to - from) / by) + 1 values
//! from + i * by, rounded to 12 significant digits, and is an error when `by`
//! does not divide the range (docs/scenario.md, "[sweep]"). Several keys form the
//! Cartesian product, the first key varying slowest.

use crate::scenario::params::ParamSet;
use crate::scenario::schema::{Field, Kind};
use crate::scenario::value::{Value, format_f64, round_sig12};

/// The most values one sweep key may produce.
pub const MAX_AXIS_VALUES: usize = 10_000_000;

/// The most sweep points a scenario may have.
pub const MAX_POINTS: u64 = 1_000_000_000_000;

/// One swept parameter and its values.
#[derive(Clone, Debug)]
pub struct Axis {
    /// The field swept.
    pub field: &'static Field,
    /// Its values, in order.
    pub values: Vec<Value>,
    /// Where the key is in the file.
    pub span: std::ops::Range<usize>,
    /// The key as written in `[sweep]`: the CSV column name (a named
    /// intervention's key stays `interventions.<name>.<key>`; by index,
    /// `interventions.<index>.<key>`).
    pub column: &'static str,
}

impl Axis {
    /// The dotted path of the swept field: its key among the parameters
    /// (`interventions.<index>.<key>` for an intervention's).
    pub fn path(&self) -> &'static str {
        self.field.path
    }

    /// The CSV column name: the key as written in `[sweep]`.
    pub fn column(&self) -> &'static str {
        self.column
    }
}

/// A column name for a sweep key, as `&'static str` like the schema's
/// paths. Each distinct name is stored once for the process, so memory
/// grows only with the distinct intervention names ever swept.
pub fn intern(name: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(|| Mutex::new(HashSet::new()))
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    match names.get(name) {
        Some(&n) => n,
        None => {
            let n: &'static str = Box::leak(name.to_string().into_boxed_str());
            names.insert(n);
            n
        }
    }
}

/// A range specification `{ from, to, steps | by }` with its numbers read.
#[derive(Clone, Copy, Debug)]
pub struct RangeSpec {
    /// First value.
    pub from: f64,
    /// Last value (inclusive).
    pub to: f64,
    /// Number of values, when given as `steps`.
    pub steps: Option<i64>,
    /// Increment, when given as `by`.
    pub by: Option<f64>,
}

/// Expands a range into values for `field`, or says what is wrong.
pub fn expand_range(field: &Field, r: RangeSpec) -> Result<Vec<Value>, String> {
    for (name, x) in [("from", Some(r.from)), ("to", Some(r.to)), ("by", r.by)] {
        if let Some(x) = x
            && !x.is_finite()
        {
            return Err(format!(
                "expected `{name}` to be a finite number, found {name} = {x}"
            ));
        }
    }
    let raw: Vec<f64> = match (r.steps, r.by) {
        (Some(_), Some(_)) => {
            return Err("expected either `steps` or `by` in a range, found both".into());
        }
        (None, None) => {
            return Err(
                "expected `steps = n` or `by = increment` in a range, found neither".into(),
            );
        }
        (Some(n), None) => {
            if n < 1 {
                return Err(format!(
                    "expected steps >= 1 (the number of values), found steps = {n}: the range is empty"
                ));
            }
            if r.from > r.to {
                return Err(reversed(r));
            }
            if n == 1 {
                if r.to > r.from {
                    return Err(format!(
                        "expected steps >= 2 for a range from {} to {} (steps counts the values, both ends included), found steps = 1",
                        format_f64(r.from),
                        format_f64(r.to)
                    ));
                }
                vec![r.from]
            } else {
                if n as usize > MAX_AXIS_VALUES {
                    return Err(format!(
                        "expected at most {MAX_AXIS_VALUES} values, found steps = {n}"
                    ));
                }
                let width = r.to - r.from;
                (0..n)
                    .map(|i| {
                        if i == n - 1 {
                            r.to
                        } else {
                            round_sig12(r.from + width * i as f64 / (n - 1) as f64)
                        }
                    })
                    .collect()
            }
        }
        (None, Some(by)) => {
            if by <= 0.0 {
                return Err(format!("expected by > 0, found by = {}", format_f64(by)));
            }
            if r.from > r.to {
                return Err(reversed(r));
            }
            let ratio = (r.to - r.from) / by;
            let count = ratio.round();
            let end = r.from + count * by;
            let scale = r.to.abs().max(r.from.abs()).max(f64::MIN_POSITIVE);
            if (ratio - count).abs() > 1e-9 * ratio.abs().max(1.0)
                || (end - r.to).abs() > 1e-9 * scale
            {
                return Err(format!(
                    "expected `by` to divide the range, found by = {} which does not divide {} .. {} into whole steps (it makes {} steps)",
                    format_f64(by),
                    format_f64(r.from),
                    format_f64(r.to),
                    if ratio.is_finite() {
                        format_f64(round_sig12(ratio))
                    } else {
                        "too many".to_string()
                    }
                ));
            }
            if count + 1.0 > MAX_AXIS_VALUES as f64 {
                return Err(format!(
                    "expected at most {MAX_AXIS_VALUES} values, found {count} + 1"
                ));
            }
            let count = count as i64;
            (0..=count)
                .map(|i| round_sig12(r.from + by * i as f64))
                .collect()
        }
    };
    let mut values = Vec::with_capacity(raw.len());
    for x in raw {
        let v = match field.kind {
            Kind::Int { .. } => {
                if (x - x.round()).abs() > 1e-9 {
                    return Err(format!(
                        "expected whole numbers for the integer parameter `{}`, but the range gives {}",
                        field.path,
                        format_f64(x)
                    ));
                }
                Value::Int(x.round() as i64)
            }
            _ => Value::Float(x),
        };
        if !field.kind.in_range(x) {
            return Err(format!(
                "expected every value to be {}, but the range gives {}",
                field.expected(),
                v
            ));
        }
        values.push(v);
    }
    Ok(values)
}

fn reversed(r: RangeSpec) -> String {
    format!(
        "expected from <= to, found a reversed range from {} to {}",
        format_f64(r.from),
        format_f64(r.to)
    )
}

/// Number of points of the Cartesian product (None if it overflows).
pub fn point_count(axes: &[Axis]) -> Option<u64> {
    axes.iter()
        .try_fold(1u64, |acc, a| acc.checked_mul(a.values.len() as u64))
}

/// The index into each axis's values of sweep point `point` (last axis
/// varying fastest).
pub fn point_indices(axes: &[Axis], point: u64) -> Vec<usize> {
    let mut rem = point;
    let mut idx = vec![0usize; axes.len()];
    for (slot, axis) in idx.iter_mut().zip(axes).rev() {
        let len = axis.values.len() as u64;
        *slot = (rem % len) as usize;
        rem /= len;
    }
    idx
}

/// The parameters of sweep point `point`: `base` with each axis's value set.
pub fn point_params(base: &ParamSet, axes: &[Axis], point: u64) -> ParamSet {
    let mut ps = base.clone();
    for (axis, i) in axes.iter().zip(point_indices(axes, point)) {
        ps.set(axis.path(), axis.values[i].clone());
    }
    ps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::schema::Bound;

    const P: Field = Field::float("bass.p", Bound::Incl(0.0), Bound::Open, 0.03, "");
    const N: Field = Field::int("bass.agents", 1, 1000, 10, "");

    fn floats(v: &[Value]) -> Vec<String> {
        v.iter().map(Value::to_field).collect()
    }

    #[test]
    fn steps_include_both_ends() {
        let v = expand_range(
            &P,
            RangeSpec {
                from: 0.01,
                to: 0.05,
                steps: Some(5),
                by: None,
            },
        )
        .unwrap();
        assert_eq!(floats(&v), ["0.01", "0.02", "0.03", "0.04", "0.05"]);
    }

    #[test]
    fn by_is_rounded_to_12_digits() {
        let v = expand_range(
            &P,
            RangeSpec {
                from: 0.1,
                to: 0.9,
                steps: None,
                by: Some(0.1),
            },
        )
        .unwrap();
        assert_eq!(
            floats(&v),
            [
                "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9"
            ]
        );
    }

    #[test]
    fn by_must_divide_the_range() {
        let e = expand_range(
            &P,
            RangeSpec {
                from: 0.0,
                to: 1.0,
                steps: None,
                by: Some(0.3),
            },
        )
        .unwrap_err();
        assert!(e.contains("does not divide"), "{e}");
    }

    #[test]
    fn a_step_larger_than_the_range_does_not_divide_it() {
        let e = expand_range(
            &P,
            RangeSpec {
                from: 0.1,
                to: 0.5,
                steps: None,
                by: Some(1e300),
            },
        )
        .unwrap_err();
        assert!(e.contains("does not divide"), "{e}");
        let e = expand_range(
            &P,
            RangeSpec {
                from: 0.1,
                to: 0.5,
                steps: None,
                by: Some(f64::NAN),
            },
        )
        .unwrap_err();
        assert!(e.contains("finite"), "{e}");
        let ok = expand_range(
            &P,
            RangeSpec {
                from: 0.5,
                to: 0.5,
                steps: None,
                by: Some(0.1),
            },
        )
        .unwrap();
        assert_eq!(ok.len(), 1);
    }

    #[test]
    fn reversed_and_empty_ranges_are_errors() {
        let e = expand_range(
            &P,
            RangeSpec {
                from: 0.5,
                to: 0.1,
                steps: Some(3),
                by: None,
            },
        )
        .unwrap_err();
        assert!(e.contains("reversed"), "{e}");
        let e = expand_range(
            &P,
            RangeSpec {
                from: 0.1,
                to: 0.5,
                steps: Some(0),
                by: None,
            },
        )
        .unwrap_err();
        assert!(e.contains("empty"), "{e}");
    }

    #[test]
    fn integer_ranges_must_give_integers_in_range() {
        let v = expand_range(
            &N,
            RangeSpec {
                from: 10.0,
                to: 50.0,
                steps: None,
                by: Some(10.0),
            },
        )
        .unwrap();
        assert_eq!(
            v,
            vec![
                Value::Int(10),
                Value::Int(20),
                Value::Int(30),
                Value::Int(40),
                Value::Int(50)
            ]
        );
        assert!(
            expand_range(
                &N,
                RangeSpec {
                    from: 1.0,
                    to: 2.0,
                    steps: Some(3),
                    by: None
                }
            )
            .is_err()
        );
        assert!(
            expand_range(
                &N,
                RangeSpec {
                    from: 0.0,
                    to: 20.0,
                    steps: Some(3),
                    by: None
                }
            )
            .is_err()
        );
    }

    #[test]
    fn points_enumerate_the_product_last_axis_fastest() {
        let a = Axis {
            field: &P,
            values: vec![Value::Float(0.1), Value::Float(0.2)],
            span: 0..0,
            column: "p",
        };
        let b = Axis {
            field: &N,
            values: vec![Value::Int(1), Value::Int(2), Value::Int(3)],
            span: 0..0,
            column: "n",
        };
        let axes = vec![a, b];
        assert_eq!(point_count(&axes), Some(6));
        assert_eq!(point_indices(&axes, 0), vec![0, 0]);
        assert_eq!(point_indices(&axes, 1), vec![0, 1]);
        assert_eq!(point_indices(&axes, 3), vec![1, 0]);
        assert_eq!(point_indices(&axes, 5), vec![1, 2]);
    }
}
