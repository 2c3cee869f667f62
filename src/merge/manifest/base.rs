//! The base parameters a shard's manifest lists, checked against the
//! model's schema (and each declared intervention's), and the schema field
//! a sweep path names.

use serde_json::{Map, Value};

use crate::model::ModelKind;
use crate::param::RepeatedTable;
use crate::scenario::schema::{self, Field, Kind};

use super::{describe, shorten};

/// The schema field a sweep path names, if it can be swept: a parameter
/// of the model, or `<table>.<index or name>.<key>` of an entry of one of
/// the model's repeated tables (`[[interventions]]`) that the base
/// parameters declare (the column keeps the form the scenario's `[sweep]`
/// used).
pub(in crate::merge) fn swept_field(
    model: ModelKind,
    path: &str,
    base: &Map<String, Value>,
) -> Option<&'static Field> {
    if let Some(f) = schema::field(model, path) {
        return f.sweepable.then_some(f);
    }
    let (table, rest) = path.split_once('.')?;
    let t = model.repeated_tables().iter().find(|t| t.key == table)?;
    let (who, key) = rest.split_once('.')?;
    let index: usize = match who.parse::<usize>() {
        Ok(i) if i.to_string() == who => i,
        Ok(_) => return None,
        // By name: the entry whose name it is (names are unique).
        Err(_) => {
            (0..)
                .map_while(|i| {
                    base.get(&format!("{}.{i}.{}", t.key, t.kind_key))
                        .map(|_| (i, base.get(&format!("{}.{i}.{}", t.key, t.name_key))))
                })
                .find(|(_, name)| name.and_then(Value::as_str) == Some(who))?
                .0
        }
    };
    let full = format!("{}.{index}.{key}", t.key);
    entry_fields(t, base, index)?
        .into_iter()
        .find(|f| f.path == full && f.sweepable)
}

/// The fields of entry `index` of table `t`, of the kind the base
/// parameters give it (None without an entry there, or of an unknown
/// kind).
fn entry_fields(
    t: &RepeatedTable,
    base: &Map<String, Value>,
    index: usize,
) -> Option<Vec<&'static Field>> {
    let kind = base
        .get(&format!("{}.{index}.{}", t.key, t.kind_key))?
        .as_str()?;
    (t.fields)(index, kind)
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
    for t in model.repeated_tables() {
        for index in 0usize.. {
            let key = format!("{}.{index}.{}", t.key, t.kind_key);
            if !base.contains_key(&key) {
                break;
            }
            match entry_fields(t, base, index) {
                Some(fields) => {
                    expected.extend(fields.iter().map(|f| (f.path.to_string(), f.kind)));
                }
                None => {
                    expected.push((key, (t.kind_field)(index).kind));
                    break;
                }
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
