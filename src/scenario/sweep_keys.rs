//! `[sweep]` read into axes: each key must name a parameter of the model
//! (or of an entry of its repeated tables, by index or by name) that can
//! be swept, once; its values a list or a range (`{ from, to, steps }` or
//! `{ from, to, by }`, expanded by `sweep::expand_range`).

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diagnostic::Collector;
use super::entries::{Decl, field_of_sweep_key};
use super::schema;
use super::sweep::{self, Axis, RangeSpec};
use super::values::{check_value, read_int, read_number};
use super::walk::{describe, join, key_text, quote_list};
use crate::model::ModelKind;
use crate::param::{Field, Value};

/// Reads `[sweep]` into axes, reporting every problem.
pub(super) fn parse_sweep(
    c: &mut Collector,
    model: ModelKind,
    sweep: &Spanned<DeValue<'_>>,
    decls: &[Decl],
) -> Vec<Axis> {
    let mut axes = Vec::new();
    if let Some(t) = sweep.get_ref().as_table() {
        sweep_table(c, model, t, "", &mut axes, decls);
    }
    axes
}

/// Reads the sweep keys of `table` (at `prefix`).
fn sweep_table(
    c: &mut Collector,
    model: ModelKind,
    table: &DeTable<'_>,
    prefix: &str,
    axes: &mut Vec<Axis>,
    decls: &[Decl],
) {
    for (key, value) in table.iter() {
        let path = join(prefix, key.get_ref());
        let field = schema::all_fields()
            .find(|f| f.path == path)
            .or_else(|| field_of_sweep_key(&path, decls));
        match field {
            Some(f) => {
                if let Some(owner) = schema::model_of_section(f.section())
                    && owner != model
                {
                    c.push(
                        Some(key.span()),
                        Some(&path),
                        format!(
                            "expected a sweep key naming a parameter of model \"{}\", found `{path}` of model \"{}\"",
                            model.name(),
                            owner.name()
                        ),
                        None,
                    );
                    continue;
                }
                if !f.sweepable {
                    c.push(
                        Some(key.span()),
                        Some(&path),
                        format!("expected a parameter that can be swept, found `{path}`, which cannot"),
                        Some("set it once at the top of the file; seeds and replicates are handled by the engine".into()),
                    );
                    continue;
                }
                if axes.iter().any(|a: &Axis| a.path() == f.path) {
                    c.push(
                        Some(key.span()),
                        Some(&path),
                        "expected each parameter swept once, found it twice".into(),
                        None,
                    );
                    continue;
                }
                if let Some(values) = axis_values(c, f, value) {
                    axes.push(Axis {
                        field: f,
                        values,
                        span: key.span(),
                        column: if path == f.path {
                            f.path
                        } else {
                            sweep::intern(&path)
                        },
                    });
                }
            }
            None if schema::is_table(&path) && value.get_ref().as_table().is_some() => {
                if let Some(t) = value.get_ref().as_table() {
                    sweep_table(c, model, t, &path, axes, decls);
                }
            }
            None => {
                let sweepable: Vec<&str> = schema::fields_for(model)
                    .chain(decls.iter().flat_map(|d| d.fields.iter().copied()))
                    .filter(|f| f.sweepable)
                    .map(|f| f.path)
                    .collect();
                let hint = schema::suggestions(&path, sweepable.iter().copied());
                let help = if hint.is_empty() {
                    format!("parameters that can be swept: {}", sweepable.join(", "))
                } else {
                    format!("did you mean {}?", quote_list(&hint))
                };
                c.push(
                    Some(key.span()),
                    Some(&path),
                    format!("expected a sweep key naming a parameter (a dotted path such as \"bass.q\"), found `{path}`, which names none"),
                    Some(help),
                );
            }
        }
    }
}

/// The values of one sweep key: a list, or a range.
fn axis_values(
    c: &mut Collector,
    f: &'static Field,
    value: &Spanned<DeValue<'_>>,
) -> Option<Vec<Value>> {
    let v = value.get_ref();
    match v {
        DeValue::Array(items) => {
            if items.is_empty() {
                c.expected(
                    Some(value.span()),
                    f.path,
                    "a non-empty list of values",
                    "an empty list",
                );
                return None;
            }
            let mut out = Vec::new();
            let before = c.items.len();
            for item in items.iter() {
                if let Some(x) = check_value(c, f, item) {
                    out.push(x);
                }
            }
            (c.items.len() == before).then_some(out)
        }
        DeValue::Table(t) if f.kind.is_numeric() => {
            let mut spec = RangeSpec {
                from: f64::NAN,
                to: f64::NAN,
                steps: None,
                by: None,
            };
            let (mut has_from, mut has_to) = (false, false);
            let mut ok = true;
            for (k, item) in t.iter() {
                let num = read_number(item.get_ref());
                match (&**k.get_ref(), num) {
                    ("from", Some(x)) => (spec.from, has_from) = (x, true),
                    ("to", Some(x)) => (spec.to, has_to) = (x, true),
                    ("by", Some(x)) => spec.by = Some(x),
                    ("steps", _)
                        if item.get_ref().is_integer() && read_int(item.get_ref()).is_none() =>
                    {
                        c.expected(
                            Some(item.span()),
                            f.path,
                            "steps = an integer (the number of values)",
                            "an integer too large to read",
                        );
                        ok = false;
                    }
                    ("steps", _) => match read_int(item.get_ref()) {
                        Some(n) => spec.steps = Some(n),
                        None => {
                            c.expected(
                                Some(item.span()),
                                f.path,
                                "steps = an integer (the number of values)",
                                &describe(item.get_ref()),
                            );
                            ok = false;
                        }
                    },
                    ("from" | "to" | "by", None) => {
                        c.expected(
                            Some(item.span()),
                            f.path,
                            &format!("{} = a number", k.get_ref()),
                            &describe(item.get_ref()),
                        );
                        ok = false;
                    }
                    (other, _) => {
                        c.push(
                            Some(k.span()),
                            Some(f.path),
                            format!(
                                "expected a range key (from, to, steps, by), found `{}`",
                                key_text(other)
                            ),
                            None,
                        );
                        ok = false;
                    }
                }
            }
            if !ok {
                return None;
            }
            if !has_from || !has_to {
                let missing = match (has_from, has_to) {
                    (false, false) => "neither",
                    (false, true) => "no `from`",
                    _ => "no `to`",
                };
                c.expected(
                    Some(value.span()),
                    f.path,
                    "a range with both `from` and `to`",
                    &format!("a range with {missing}"),
                );
                return None;
            }
            match sweep::expand_range(f, spec) {
                Ok(values) => Some(values),
                Err(msg) => {
                    c.push(Some(value.span()), Some(f.path), msg, None);
                    None
                }
            }
        }
        _ => {
            let expected = if f.kind.is_numeric() {
                "a list of values, or a range { from, to, steps } or { from, to, by }"
            } else {
                "a list of values"
            };
            c.expected(Some(value.span()), f.path, expected, &describe(v));
            None
        }
    }
}
