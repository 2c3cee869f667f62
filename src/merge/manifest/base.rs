//! The base parameters a shard's manifest lists, checked against the
//! model's schema (and each declared intervention's), and the schema field
//! a sweep path names.

use serde_json::{Map, Value};

use crate::model::ModelKind;
use crate::model::climate::interventions as iv;
use crate::scenario::schema::{self, Field, Kind};

use super::{describe, shorten};

/// The schema field a sweep path names, if it can be swept: a parameter
/// of the model, or `interventions.<index or name>.<key>` of an
/// intervention the base parameters declare (the column keeps the form
/// the scenario's `[sweep]` used).
pub(in crate::merge) fn swept_field(
    model: ModelKind,
    path: &str,
    base: &Map<String, Value>,
) -> Option<&'static Field> {
    if let Some(f) = schema::field(model, path) {
        return f.sweepable.then_some(f);
    }
    let rest = path.strip_prefix("interventions.")?;
    let (who, key) = rest.split_once('.')?;
    let index: usize = match who.parse::<usize>() {
        Ok(i) if i.to_string() == who => i,
        Ok(_) => return None,
        // By name: the intervention whose `name` it is (names are unique).
        Err(_) => {
            (0..)
                .map_while(|i| {
                    base.get(&format!("interventions.{i}.kind"))
                        .map(|_| (i, base.get(&format!("interventions.{i}.name"))))
                })
                .find(|(_, name)| name.and_then(Value::as_str) == Some(who))?
                .0
        }
    };
    let kind = base.get(&format!("interventions.{index}.kind"))?.as_str()?;
    let spec = iv::spec(kind)?;
    let template = iv::COMMON
        .iter()
        .chain(spec.fields.iter())
        .find(|f| f.path == key && f.sweepable)?;
    Some(iv::instance_field(index, template))
}

/// Whether `v` is a value of `kind` (as the scenario loader reads it).
fn of_kind(kind: Kind, v: &Value) -> bool {
    let int = |v: &Value| v.as_i64().filter(|&x| kind.in_range(x as f64));
    match kind {
        Kind::Int { .. } => int(v).is_some(),
        Kind::Float { .. } => v
            .as_f64()
            .is_some_and(|x| x.is_finite() && kind.in_range(x)),
        Kind::Choice(options) => v.as_str().is_some_and(|s| options.contains(&s)),
        Kind::Bool => v.is_boolean(),
        Kind::Text => v.is_string(),
        Kind::Metrics => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
        Kind::IntList { .. } => v
            .as_array()
            .is_some_and(|a| a.iter().all(|x| int(x).is_some())),
    }
}

/// Checks that `base` holds every parameter of the model (and of each
/// intervention it declares), each of its kind, and nothing else.
pub(in crate::merge) fn check_base(
    file: &str,
    model: ModelKind,
    base: &Map<String, Value>,
    problems: &mut Vec<String>,
) {
    let mut expected: Vec<(String, Kind)> = schema::fields_for(model)
        .map(|f| (f.path.to_string(), f.kind))
        .collect();
    for index in 0usize.. {
        let key = format!("interventions.{index}.kind");
        let Some(kind) = base.get(&key) else {
            break;
        };
        match kind.as_str().and_then(iv::spec) {
            Some(spec) => expected.extend(
                iv::COMMON
                    .iter()
                    .chain(spec.fields.iter())
                    .map(|f| (format!("interventions.{index}.{}", f.path), f.kind)),
            ),
            None => {
                expected.push((key, iv::COMMON[0].kind));
                break;
            }
        }
    }
    for (path, kind) in &expected {
        let v = base.get(path);
        if !v.is_some_and(|v| of_kind(*kind, v)) {
            problems.push(format!(
                "{file}: base_parameters.{path}: expected {}, found {}",
                kind.expected(),
                describe(v)
            ));
        }
    }
    let known: std::collections::HashSet<&str> = expected.iter().map(|(p, _)| p.as_str()).collect();
    let unknown: Vec<&String> = base
        .keys()
        .filter(|k| !known.contains(k.as_str()))
        .collect();
    if !unknown.is_empty() {
        problems.push(format!(
            "{file}: base_parameters: expected the parameters of model {}, found {} more: {}",
            model.name(),
            unknown.len(),
            unknown
                .iter()
                .take(5)
                .map(|k| format!("`{}`", shorten(k)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
}
