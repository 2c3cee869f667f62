//! One value against its field: its type and range, with a message saying
//! what was expected and what was found.

use toml::Spanned;
use toml::de::DeValue;

use super::diagnostic::Collector;
use super::schema;
use super::walk::{Set, describe, quote_list};
use crate::param::{Field, Kind, MetricDef, Value};

/// An integer as TOML wrote it (any radix), if it fits in i64.
pub(super) fn read_int(v: &DeValue<'_>) -> Option<i64> {
    let i = v.as_integer()?;
    i64::from_str_radix(i.as_str(), i.radix()).ok()
}

/// A number (integer or float) as a real.
pub(super) fn read_number(v: &DeValue<'_>) -> Option<f64> {
    match v {
        DeValue::Integer(_) => read_int(v).map(|i| i as f64),
        DeValue::Float(x) => x.as_str().parse::<f64>().ok(),
        _ => None,
    }
}

/// Checks one value against its field; reports and returns None when wrong.
pub(super) fn check_value(
    c: &mut Collector,
    field: &'static Field,
    value: &Spanned<DeValue<'_>>,
) -> Option<Value> {
    let span = Some(value.span());
    let v = value.get_ref();
    let expected = field.expected();
    match field.kind {
        Kind::Int { .. } => match v {
            DeValue::Integer(_) => match read_int(v) {
                Some(i) if field.kind.in_range(i as f64) => Some(Value::Int(i)),
                _ => {
                    c.expected(span, field.path, &expected, &describe(v));
                    None
                }
            },
            _ => {
                c.expected(span, field.path, &expected, &describe(v));
                None
            }
        },
        Kind::Float { .. } => match read_number(v) {
            Some(x) if x.is_finite() && field.kind.in_range(x) => Some(Value::Float(x)),
            _ => {
                c.expected(span, field.path, &expected, &describe(v));
                None
            }
        },
        Kind::Choice(options) => match v.as_str() {
            Some(s) if options.contains(&s) => Some(Value::Str(s.to_string())),
            Some(s) => {
                let hint = schema::suggestions(s, options.iter().copied());
                let help =
                    (!hint.is_empty()).then(|| format!("did you mean {}?", quote_list(&hint)));
                c.push(
                    span,
                    Some(field.path),
                    format!("expected {expected}, found \"{s}\""),
                    help,
                );
                None
            }
            None => {
                c.expected(span, field.path, &expected, &describe(v));
                None
            }
        },
        Kind::Bool => match v.as_bool() {
            Some(b) => Some(Value::Bool(b)),
            None => {
                c.expected(span, field.path, &expected, &describe(v));
                None
            }
        },
        Kind::Text => match v.as_str() {
            Some(s) if !s.trim().is_empty() => Some(Value::Str(s.to_string())),
            Some(_) => {
                c.expected(span, field.path, "a non-empty string", "an empty string");
                None
            }
            None => {
                c.expected(span, field.path, &expected, &describe(v));
                None
            }
        },
        Kind::Metrics => match v.as_array() {
            Some(items) => {
                let mut names = Vec::new();
                let mut ok = true;
                for item in items.iter() {
                    match item.get_ref().as_str() {
                        Some(s) => names.push(s.to_string()),
                        None => {
                            c.expected(
                                Some(item.span()),
                                field.path,
                                "a metric name (a string)",
                                &describe(item.get_ref()),
                            );
                            ok = false;
                        }
                    }
                }
                ok.then_some(Value::StrList(names))
            }
            None => {
                c.expected(span, field.path, &expected, &describe(v));
                None
            }
        },
        Kind::IntList { .. } => match v.as_array() {
            Some(items) => {
                let mut values = Vec::new();
                let mut ok = true;
                for item in items.iter() {
                    match read_int(item.get_ref()) {
                        Some(i) if item.get_ref().is_integer() && field.kind.in_range(i as f64) => {
                            values.push(i)
                        }
                        _ => {
                            c.expected(
                                Some(item.span()),
                                field.path,
                                &expected,
                                &describe(item.get_ref()),
                            );
                            ok = false;
                        }
                    }
                }
                ok.then_some(Value::IntList(values))
            }
            None => {
                c.expected(span, field.path, &expected, &describe(v));
                None
            }
        },
    }
}

/// Checks `[output] metrics` against the model's metric names; returns
/// indices into the model's metrics, in the model's order.
pub(super) fn check_metrics(c: &mut Collector, s: &Set, defs: &[MetricDef]) -> Vec<usize> {
    let names: Vec<&str> = defs
        .iter()
        .map(|m| if m.hidden { "" } else { m.name })
        .collect();
    let Value::StrList(list) = &s.value else {
        return Vec::new();
    };
    if list.is_empty() {
        c.expected(
            Some(s.span.clone()),
            "output.metrics",
            "at least one metric name",
            "an empty list",
        );
    }
    let mut out = Vec::new();
    for m in list {
        match names.iter().position(|n| !n.is_empty() && n == m) {
            Some(i) if out.contains(&i) => c.push(
                Some(s.span.clone()),
                Some("output.metrics"),
                format!("expected each metric once, found \"{m}\" twice"),
                None,
            ),
            Some(i) => out.push(i),
            None => {
                let visible: Vec<&str> = names.iter().copied().filter(|n| !n.is_empty()).collect();
                let hint = schema::suggestions(m, visible.iter().copied());
                let help = if hint.is_empty() {
                    format!("the metrics are: {}", visible.join(", "))
                } else {
                    format!("did you mean {}?", quote_list(&hint))
                };
                c.push(
                    Some(s.span.clone()),
                    Some("output.metrics"),
                    format!("expected a metric of this model, found \"{m}\""),
                    Some(help),
                );
            }
        }
    }
    out.sort_unstable();
    out
}
