//! The stages of reading a scenario, in order: the TOML, the base scenario
//! (`extends`), the walk of both against the schema, the name, the model,
//! the repeated tables' entries, the outputs, the sweep, every parameter
//! resolved, the command line's overrides, and the checks across fields.
//! Each stage records its problems and the reading goes on where it can,
//! so that a user sees every problem of a file at once.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::cross::{MAX_CHECKED_COMBINATIONS, check_points, report_issue};
use super::diagnostic::{Collector, Diagnostics};
use super::entries::{self, Decl};
use super::sweep::{self, Axis};
use super::sweep_keys::parse_sweep;
use super::values::check_metrics;
use super::walk::{Set, Walk};
use super::{Experiment, Overrides, name, schema, syntax};
use crate::model::ModelKind;
use crate::param::{ParamSet, Value};

/// A base scenario named by `extends`: its path, its text, and where the
/// `extends` value is in the file that names it.
struct Base {
    path: PathBuf,
    text: String,
    span: Range<usize>,
}

/// Reads scenario text into an experiment (see the module's stages).
pub(super) fn parse(
    path: &Path,
    text: &str,
    overrides: &Overrides,
) -> Result<Experiment, Diagnostics> {
    let mut c = Collector::new(path, text);
    let doc = toml_table(&mut c, text).ok_or_else(|| Diagnostics(std::mem::take(&mut c.items)))?;
    let base =
        read_base(&mut c, path, &doc).map_err(|()| Diagnostics(std::mem::take(&mut c.items)))?;
    let base_doc = match &base {
        Some(b) => {
            let mut bc = Collector::new(&b.path, &b.text);
            let doc = toml_table(&mut bc, &b.text);
            c.items.extend(bc.items);
            Some(doc.ok_or_else(|| Diagnostics(std::mem::take(&mut c.items)))?)
        }
        None => None,
    };
    let base_walk = base
        .as_ref()
        .zip(base_doc.as_ref())
        .map(|(b, d)| walk_base(b, d));
    let mut walk = Walk::new(c);
    walk.table(doc.get_ref(), "");
    let Walk {
        mut c,
        mut set,
        sweep,
        repeated,
    } = walk;
    let base_repeated = match base_walk {
        Some(w) => inherit(&mut c, &mut set, w),
        None => Vec::new(),
    };
    check_name(&mut c, path, &set);
    let model = resolve_model(&mut c, &doc, &set)
        .ok_or_else(|| Diagnostics(std::mem::take(&mut c.items)))?;
    check_tables(&mut c, model, &set);
    let decls = read_entries(
        &mut c,
        model,
        &mut set,
        base.as_ref(),
        &base_repeated,
        &repeated,
    );
    let metrics = check_outputs(&mut c, model, &set);
    let axes = read_sweep(&mut c, model, sweep, &decls);
    let mut params = resolve(path, model, &set, &decls);
    apply_overrides(&mut c, &mut params, &axes, overrides);
    if c.has_errors() {
        return Err(Diagnostics(c.items));
    }
    let extends_span = base.as_ref().map(|b| b.span.clone());
    check_across(&mut c, model, &params, &axes, &set, extends_span);
    if c.has_errors() {
        return Err(Diagnostics(c.items));
    }
    Ok(Experiment {
        path: path.to_path_buf(),
        text: text.to_string(),
        name: params.str("name").to_string(),
        model,
        replicates: params.u64("replicates"),
        seed: params.u64("seed"),
        every: params.u64("output.every"),
        timeseries: params.bool("output.timeseries"),
        teams: params.bool("output.teams"),
        metrics,
        axes,
        set_in_file: set.iter().map(|s| s.field.path).collect(),
        intervention_fields: decls.into_iter().map(|d| d.fields).collect(),
        extends: base.map(|b| (b.path, b.text)),
        base: params,
    })
}

/// The file's TOML table, or None when it is malformed (reported).
fn toml_table<'i>(c: &mut Collector, text: &'i str) -> Option<Spanned<DeTable<'i>>> {
    let (doc, errors) = DeTable::parse_recoverable(text);
    syntax::report(c, text, &errors);
    errors.is_empty().then_some(doc)
}

/// The base scenario `extends` names (relative to this file), read; an
/// unreadable one is reported (Err). A value of the wrong type is left for
/// the walk to report.
fn read_base(
    c: &mut Collector,
    path: &Path,
    doc: &Spanned<DeTable<'_>>,
) -> Result<Option<Base>, ()> {
    let Some(v) = doc.get_ref().get("extends") else {
        return Ok(None);
    };
    let Some(rel) = v.get_ref().as_str() else {
        return Ok(None);
    };
    let base_path = path.parent().unwrap_or(Path::new("")).join(rel);
    match crate::files::read_input_text(&base_path, crate::files::MAX_SCENARIO_BYTES) {
        Ok(text) => Ok(Some(Base {
            path: base_path,
            text,
            span: v.span(),
        })),
        Err(e) => {
            c.push(
                Some(v.span()),
                Some("extends"),
                format!(
                    "expected a readable base scenario, found {} ({e})",
                    base_path.display()
                ),
                None,
            );
            Err(())
        }
    }
}

/// The walk of the base scenario's table (its problems in its own file).
fn walk_base<'a, 'i>(base: &Base, doc: &'a Spanned<DeTable<'i>>) -> Walk<'a, 'i> {
    let mut w = Walk::new(Collector::new(&base.path, &base.text));
    w.table(doc.get_ref(), "");
    if let Some(v) = doc.get_ref().get("extends") {
        w.c.push(
            Some(v.span()),
            Some("extends"),
            "expected a base scenario without `extends` of its own (one level only), found one"
                .into(),
            None,
        );
    }
    w
}

/// The base scenario's values become defaults of this file's (what this
/// file sets wins; the name is never inherited); returns the base's
/// repeated tables.
fn inherit<'a, 'i>(
    c: &mut Collector,
    set: &mut Vec<Set>,
    base: Walk<'a, 'i>,
) -> Vec<(&'static str, Range<usize>, &'a Spanned<DeValue<'i>>)> {
    c.items.extend(base.c.items);
    let mine: std::collections::HashSet<&str> = set.iter().map(|s| s.field.path).collect();
    for mut b in base.set {
        // The name is never inherited: it defaults to this file's stem.
        if b.field.path != "name" && !mine.contains(b.field.path) {
            b.from_base = true;
            set.push(b);
        }
    }
    base.repeated
}

/// The name, from the file's `name` key or else from its file name,
/// becomes a folder name: both obey the same rules ([`name::check`]).
fn check_name(c: &mut Collector, path: &Path, set: &[Set]) {
    match set.iter().find(|s| s.field.path == "name") {
        Some(n) => {
            if let Value::Str(name) = &n.value
                && let Err(why) = name::check(name)
            {
                c.push(
                    Some(n.span.clone()),
                    Some("name"),
                    format!("expected {}, found {name:?}: {why}", name::EXPECTED),
                    Some(format!(
                        "the name becomes the output folder output/<name>/: {}",
                        name::RULES
                    )),
                );
            }
        }
        None => {
            let stem = file_stem(path);
            if let Err(why) = name::check(&stem) {
                c.push(
                    None,
                    Some("name"),
                    format!(
                        "expected {} (without `name`, the file name gives the scenario's name), found the file name's stem {stem:?}: {why}",
                        name::EXPECTED
                    ),
                    Some(format!(
                        "set `name = \"...\"` at the top of the file, or rename the file; {}",
                        name::RULES
                    )),
                );
            }
        }
    }
}

/// The model the file names (or the default), which decides which tables
/// and keys are allowed; None when it names none (already reported).
fn resolve_model(c: &mut Collector, doc: &Spanned<DeTable<'_>>, set: &[Set]) -> Option<ModelKind> {
    let model = match set.iter().find(|s| s.field.path == "model") {
        Some(s) => ModelKind::from_name(s.value.as_str().unwrap_or_default()),
        None if doc.get_ref().get("model").is_some() => None, // present but invalid: reported
        None => Some(ModelKind::DEFAULT),
    }?;
    if !model.implemented() {
        let span = set
            .iter()
            .find(|s| s.field.path == "model")
            .map(|s| s.span.clone());
        let how = if span.is_some() {
            ""
        } else {
            " (the default when `model` is not set)"
        };
        c.push(
            span.or(Some(0..0)),
            Some("model"),
            format!(
                "expected a model this version of ideaflow can run ({}), found \"{}\"{how}",
                implemented_models(),
                model.name()
            ),
            Some(format!(
                "the {} model is not implemented yet; set model to {}",
                model.name(),
                implemented_models()
            )),
        );
    }
    Some(model)
}

/// Tables of another model than the scenario's are errors (once each).
fn check_tables(c: &mut Collector, model: ModelKind, set: &[Set]) {
    let mut wrong_tables = Vec::new();
    for s in set {
        if let Some(owner) = schema::model_of_section(s.field.section())
            && owner != model
            && !wrong_tables.contains(&owner)
        {
            wrong_tables.push(owner);
            c.push(
                Some(s.span.clone()),
                Some(s.field.path),
                format!(
                    "expected only tables of model \"{}\", found a [{}] table (it belongs to model \"{}\")",
                    model.name(),
                    owner.name(),
                    owner.name()
                ),
                Some(format!(
                    "remove the [{}] table or set model = \"{}\"",
                    owner.name(),
                    owner.name()
                )),
            );
        }
    }
}

/// The entries of the model's repeated tables: the base scenario's first
/// (reported in its file), then this file's. A repeated table of another
/// model is an error.
fn read_entries<'a, 'i>(
    c: &mut Collector,
    model: ModelKind,
    set: &mut Vec<Set>,
    base: Option<&Base>,
    base_repeated: &[(&'static str, Range<usize>, &'a Spanned<DeValue<'i>>)],
    repeated: &[(&'static str, Range<usize>, &'a Spanned<DeValue<'i>>)],
) -> Vec<Decl> {
    let mut decls = Vec::new();
    if let Some(b) = base {
        let mut bc = Collector::new(&b.path, &b.text);
        let mut base_set = Vec::new();
        for (key, _, value) in base_repeated {
            if let Some(t) = model.repeated_tables().iter().find(|t| t.key == *key) {
                let found = entries::walk(t, &mut bc, &mut base_set, value, &decls);
                decls.extend(found);
            }
        }
        c.items.extend(bc.items);
        set.extend(base_set.into_iter().map(|mut s| {
            s.from_base = true;
            s
        }));
    }
    for (key, key_span, value) in repeated {
        match model.repeated_tables().iter().find(|t| t.key == *key) {
            Some(t) => {
                let found = entries::walk(t, c, set, value, &decls);
                decls.extend(found);
            }
            None => {
                let owner = ModelKind::ALL
                    .iter()
                    .find(|m| m.repeated_tables().iter().any(|t| t.key == *key))
                    .map_or("another", |m| m.name());
                c.push(
                    Some(key_span.clone()),
                    Some(key),
                    format!(
                        "expected no [[{key}]] for model \"{}\" (they apply to the {owner} model), found some",
                        model.name()
                    ),
                    None,
                );
            }
        }
    }
    decls
}

/// `[output]`: teams only for a model with teams; the metrics written
/// (indices into the model's metrics, in its order).
fn check_outputs(c: &mut Collector, model: ModelKind, set: &[Set]) -> Vec<usize> {
    if let Some(s) = set.iter().find(|s| s.field.path == "output.teams")
        && s.value.as_bool() == Some(true)
        && model.team_columns().is_empty()
    {
        c.push(
            Some(s.span.clone()),
            Some("output.teams"),
            format!(
                "expected teams = false for model \"{}\", which has no teams, found true",
                model.name()
            ),
            None,
        );
    }
    match set.iter().find(|s| s.field.path == "output.metrics") {
        None => model
            .metrics()
            .iter()
            .enumerate()
            .filter(|(_, m)| !m.hidden)
            .map(|(i, _)| i)
            .collect(),
        Some(s) => check_metrics(c, s, model.metrics()),
    }
}

/// `[sweep]` read into axes, with at most [`sweep::MAX_POINTS`] points.
fn read_sweep(
    c: &mut Collector,
    model: ModelKind,
    sweep: Option<&Spanned<DeValue<'_>>>,
    decls: &[Decl],
) -> Vec<Axis> {
    let axes = match sweep {
        Some(sw) => parse_sweep(c, model, sw, decls),
        None => Vec::new(),
    };
    if sweep::point_count(&axes).is_none_or(|n| n > sweep::MAX_POINTS) {
        c.push(
            sweep.map(|s| s.span()),
            Some("sweep"),
            format!(
                "expected at most {} sweep points, found more",
                sweep::MAX_POINTS
            ),
            None,
        );
    }
    axes
}

/// Every field of the model (and of its entries) at its file, base or
/// default value.
fn resolve(path: &Path, model: ModelKind, set: &[Set], decls: &[Decl]) -> ParamSet {
    let metric_names: Vec<&str> = model
        .metrics()
        .iter()
        .filter(|m| !m.hidden)
        .map(|m| m.name)
        .collect();
    let stem = file_stem(path);
    // The first value set for each field (by path: fields are unique per
    // path), found in constant time.
    let mut by_path: rustc_hash::FxHashMap<&str, &Value> = rustc_hash::FxHashMap::default();
    for s in set {
        by_path.entry(s.field.path).or_insert(&s.value);
    }
    let mut params = ParamSet::new();
    for f in schema::fields_for(model).chain(decls.iter().flat_map(|d| d.fields.iter().copied())) {
        let v = match by_path.get(f.path) {
            Some(v) => (*v).clone(),
            None => f.default_value(&stem, &metric_names),
        };
        params.set(f.path, v);
    }
    params
}

/// `--seed`, `--replicates` and `--steps` replace the file's values (and
/// may not be swept at the same time).
fn apply_overrides(c: &mut Collector, params: &mut ParamSet, axes: &[Axis], overrides: &Overrides) {
    let mut apply = |path: &'static str, v: Option<u64>, c: &mut Collector| {
        let Some(v) = v else { return };
        if let Some(a) = axes.iter().find(|a| a.path() == path) {
            c.push(
                Some(a.span.clone()),
                Some(path),
                format!(
                    "expected `{path}` not to be swept when --{path} is given, found it in [sweep]"
                ),
                None,
            );
        }
        let field = schema::COMMON_FIELDS.iter().find(|f| f.path == path);
        match (i64::try_from(v), field) {
            (Ok(i), Some(f)) if f.kind.in_range(i as f64) => params.set(path, Value::Int(i)),
            (_, Some(f)) => c.push(
                None,
                Some(path),
                format!("expected --{path} to be {}, found {v}", f.expected()),
                None,
            ),
            _ => {}
        }
    };
    apply("seed", overrides.seed, c);
    apply("replicates", overrides.replicates, c);
    apply("steps", overrides.steps, c);
}

/// Checks across fields at every sweep point: the same problem at many
/// points is reported once, with the first point and the count; a check
/// with too many combinations to run is named.
fn check_across(
    c: &mut Collector,
    model: ModelKind,
    params: &ParamSet,
    axes: &[Axis],
    set: &[Set],
    extends_span: Option<Range<usize>>,
) {
    let (found, unchecked) = if model.implemented() {
        check_points(model, params, axes)
    } else {
        (Vec::new(), Vec::new())
    };
    for f in &found {
        report_issue(c, f, set, axes, extends_span.clone());
    }
    for (paths, combos) in &unchecked {
        let span = axes
            .iter()
            .find(|a| paths.contains(&a.path()))
            .map(|a| a.span.clone());
        c.push(
            span,
            paths.first().copied(),
            format!(
                "expected at most {MAX_CHECKED_COMBINATIONS} combinations of the swept values of {} (a check of the model reads them together), found {combos}",
                paths.join(", ")
            ),
            Some("sweep fewer values of these parameters, or split the sweep into several scenario files".into()),
        );
    }
}

/// The file name without its extension: the default scenario name.
fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn implemented_models() -> String {
    let names: Vec<String> = ModelKind::ALL
        .iter()
        .filter(|m| m.implemented())
        .map(|m| format!("\"{}\"", m.name()))
        .collect();
    names.join(" or ")
}
