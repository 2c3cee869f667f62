//! Scenario files: reading, validating and expanding them into an
//! [`Experiment`] (every sweep point's parameters, seeds and output options).
//!
//! Validation walks the spanned TOML table against the schema first and
//! collects every problem (unknown keys, wrong types, values out of range,
//! bad sweeps, inconsistent combinations) before anything is deserialised,
//! so a user fixes a file in one pass.

pub mod diagnostic;
pub mod name;
pub mod schema;
pub mod show;
pub mod sweep;
mod syntax;

pub use crate::param::set as params;
pub use crate::param::value;

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::model::{Issue, MetricDef, ModelKind};
use diagnostic::{Collector, Diagnostics};
use params::ParamSet;
use schema::{Field, Kind};
use sweep::{Axis, RangeSpec};
use value::Value;

/// Values from the command line that replace the file's.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// Replaces `seed`.
    pub seed: Option<u64>,
    /// Replaces `replicates`.
    pub replicates: Option<u64>,
    /// Replaces `steps`.
    pub steps: Option<u64>,
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read scenario file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file was read but has problems.
    #[error("{0}")]
    Invalid(Diagnostics),
}

/// A validated scenario, expanded into sweep points: what runs.
#[derive(Clone, Debug)]
pub struct Experiment {
    /// The scenario file.
    pub path: PathBuf,
    /// The file's text, as read.
    pub text: String,
    /// Scenario name (default: the file stem).
    pub name: String,
    /// The model that runs.
    pub model: ModelKind,
    /// Replicates per sweep point.
    pub replicates: u64,
    /// Base seed.
    pub seed: u64,
    /// Output row interval.
    pub every: u64,
    /// Whether timeseries.csv is written.
    pub timeseries: bool,
    /// Whether teams.csv is written.
    pub teams: bool,
    /// Indices (into the model's metrics) of the metrics written.
    pub metrics: Vec<usize>,
    /// Every parameter of the model at its file or default value.
    pub base: ParamSet,
    /// Swept parameters, first varying slowest.
    pub axes: Vec<Axis>,
    /// Paths of the fields the file sets explicitly.
    pub set_in_file: Vec<&'static str>,
    /// The fields of each `[[interventions]]` entry (climate model).
    pub intervention_fields: Vec<Vec<&'static Field>>,
    /// The base scenario this one extends: its path and text.
    pub extends: Option<(PathBuf, String)>,
}

impl Experiment {
    /// Number of sweep points.
    pub fn points(&self) -> u64 {
        sweep::point_count(&self.axes).unwrap_or(u64::MAX)
    }

    /// Number of runs (points x replicates).
    pub fn runs(&self) -> u64 {
        self.points().saturating_mul(self.replicates)
    }

    /// The parameters of sweep point `point`.
    pub fn point(&self, point: u64) -> ParamSet {
        sweep::point_params(&self.base, &self.axes, point)
    }

    /// The swept values of sweep point `point`, in axis order.
    pub fn point_values(&self, point: u64) -> Vec<&Value> {
        sweep::point_indices(&self.axes, point)
            .into_iter()
            .zip(&self.axes)
            .map(|(i, a)| &a.values[i])
            .collect()
    }

    /// The metric definitions written, in column order.
    pub fn metric_defs(&self) -> Vec<&'static MetricDef> {
        let all = self.model.metrics();
        self.metrics.iter().map(|&i| &all[i]).collect()
    }

    /// Steps simulated at a sweep point.
    pub fn steps_at(&self, params: &ParamSet) -> u64 {
        params.u64("steps")
    }

    /// Output rows per run for a run of `steps` steps.
    pub fn rows_per_run(&self, steps: u64) -> u64 {
        // As many as output_steps yields, counted without iterating.
        let every = self.every.max(1);
        steps / every + 1 + u64::from(!steps.is_multiple_of(every))
    }

    /// Total timeseries rows over all runs (0 when timeseries are off).
    pub fn timeseries_rows(&self) -> u64 {
        if !self.timeseries {
            return 0;
        }
        self.rows_by_point().saturating_mul(self.replicates)
    }

    /// Total summary rows (one per point, output step and metric).
    pub fn summary_rows(&self) -> u64 {
        self.rows_by_point()
            .saturating_mul(self.metrics.len() as u64)
    }

    /// Sum over points of rows per run: each value of a swept `steps` is
    /// the same share of the points (no loop over the points).
    fn rows_by_point(&self) -> u64 {
        match self.axes.iter().find(|a| a.path() == "steps") {
            None => self
                .rows_per_run(self.base.u64("steps"))
                .saturating_mul(self.points()),
            Some(axis) => {
                let share = self.points() / axis.values.len().max(1) as u64;
                axis.values
                    .iter()
                    .map(|v| {
                        let steps = v.as_i64().unwrap_or(0).max(0) as u64;
                        self.rows_per_run(steps).saturating_mul(share)
                    })
                    .fold(0u64, u64::saturating_add)
            }
        }
    }
}

/// The steps for which rows are written: 0, k, 2k, ... and the last.
pub fn output_steps(steps: u64, every: u64) -> impl Iterator<Item = u64> {
    let every = every.max(1);
    let regular = (0..=steps / every).map(move |i| i * every);
    let last = if !steps.is_multiple_of(every) {
        Some(steps)
    } else {
        None
    };
    regular.chain(last)
}

/// Reads and validates a scenario file.
pub fn load(path: &Path, overrides: &Overrides) -> Result<Experiment, LoadError> {
    let text = crate::files::read_input_text(path, crate::files::MAX_SCENARIO_BYTES).map_err(
        |source| LoadError::Read {
            path: path.to_path_buf(),
            source,
        },
    )?;
    parse(path, &text, overrides).map_err(LoadError::Invalid)
}

/// Validates scenario text; `path` names the file in messages and gives
/// the default name.
pub fn parse(path: &Path, text: &str, overrides: &Overrides) -> Result<Experiment, Diagnostics> {
    let mut c = Collector::new(path, text);
    let (doc, parse_errors) = DeTable::parse_recoverable(text);
    syntax::report(&mut c, text, &parse_errors);
    if !parse_errors.is_empty() {
        return Err(Diagnostics(c.items));
    }
    // A base scenario (`extends`): its keys are defaults for this file's.
    let base_file = match doc.get_ref().get("extends") {
        None => None,
        Some(v) => match v.get_ref().as_str() {
            Some(rel) => {
                let base_path = path.parent().unwrap_or(Path::new("")).join(rel);
                match crate::files::read_input_text(&base_path, crate::files::MAX_SCENARIO_BYTES) {
                    Ok(t) => Some((base_path, t, v.span())),
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
                        return Err(Diagnostics(c.items));
                    }
                }
            }
            None => None, // reported by the walk (wrong type)
        },
    };
    let base_parsed = base_file
        .as_ref()
        .map(|(p, t, span)| (p, t, span.clone(), DeTable::parse_recoverable(t)));
    let mut base_walk = None;
    if let Some((base_path, base_text, _, (base_doc, base_errors))) = &base_parsed {
        let mut bc = Collector::new(base_path, base_text);
        syntax::report(&mut bc, base_text, base_errors);
        if !base_errors.is_empty() {
            c.items.extend(bc.items);
            return Err(Diagnostics(c.items));
        }
        let mut w = Walk {
            c: bc,
            set: Vec::new(),
            sweep: None,
            interventions: None,
        };
        w.table(base_doc.get_ref(), "");
        if let Some(v) = base_doc.get_ref().get("extends") {
            w.c.push(
                Some(v.span()),
                Some("extends"),
                "expected a base scenario without `extends` of its own (one level only), found one"
                    .into(),
                None,
            );
        }
        base_walk = Some(w);
    }
    let mut walk = Walk {
        c,
        set: Vec::new(),
        sweep: None,
        interventions: None,
    };
    walk.table(doc.get_ref(), "");
    let Walk {
        mut c,
        mut set,
        sweep,
        interventions,
    } = walk;
    let extends_span = base_parsed.as_ref().map(|b| b.2.clone());
    let mut base_interventions = None;
    if let Some(w) = base_walk {
        let Walk {
            c: bc,
            set: base_set,
            interventions: bi,
            ..
        } = w;
        c.items.extend(bc.items);
        for mut b in base_set {
            // The name is never inherited: it defaults to this file's stem.
            if b.field.path != "name" && !set.iter().any(|s| s.field.path == b.field.path) {
                b.from_base = true;
                set.push(b);
            }
        }
        base_interventions = bi;
    }

    // The name, from the file's `name` key or else from its file name,
    // becomes a folder name: both obey the same rules.
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

    // The model decides which tables and keys are allowed.
    let model = match set.iter().find(|s| s.field.path == "model") {
        Some(s) => ModelKind::from_name(s.value.as_str().unwrap_or_default()),
        None if doc.get_ref().get("model").is_some() => None, // present but invalid: reported
        None => Some(ModelKind::Climate),
    };
    let Some(model) = model else {
        return Err(Diagnostics(c.items)); // unknown model name, already reported
    };
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
    let mut wrong_tables = Vec::new();
    for s in &set {
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
                Some(format!("remove the [{}] table or set model = \"{}\"", owner.name(), owner.name())),
            );
        }
    }

    let mut decls = Vec::new();
    if let (Some((_, value)), Some((base_path, base_text, ..))) = (base_interventions, &base_parsed)
        && model == ModelKind::Climate
    {
        let mut bc = Collector::new(base_path, base_text);
        let mut base_set = Vec::new();
        decls = walk_interventions(&mut bc, &mut base_set, value, &[]);
        c.items.extend(bc.items);
        set.extend(base_set.into_iter().map(|mut b| {
            b.from_base = true;
            b
        }));
    }
    let own_decls = match interventions {
        Some((_, value)) if model == ModelKind::Climate => {
            walk_interventions(&mut c, &mut set, value, &decls)
        }
        Some((key_span, _)) => {
            c.push(
                Some(key_span),
                Some("interventions"),
                format!(
                    "expected no [[interventions]] for model \"{}\" (they apply to the climate model), found some",
                    model.name()
                ),
                None,
            );
            Vec::new()
        }
        None => Vec::new(),
    };
    decls.extend(own_decls);

    let metric_names: Vec<&str> = model
        .metrics()
        .iter()
        .filter(|m| !m.hidden)
        .map(|m| m.name)
        .collect();
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
    let metrics = match set.iter().find(|s| s.field.path == "output.metrics") {
        None => model
            .metrics()
            .iter()
            .enumerate()
            .filter(|(_, m)| !m.hidden)
            .map(|(i, _)| i)
            .collect(),
        Some(s) => check_metrics(&mut c, s, model.metrics()),
    };

    let axes = match &sweep {
        Some(sw) => parse_sweep(&mut c, model, sw, &decls),
        None => Vec::new(),
    };
    if sweep::point_count(&axes).is_none_or(|n| n > sweep::MAX_POINTS) {
        c.push(
            sweep.as_ref().map(|s| s.span()),
            Some("sweep"),
            format!(
                "expected at most {} sweep points, found more",
                sweep::MAX_POINTS
            ),
            None,
        );
    }

    // Resolve every field of the model.
    let stem = file_stem(path);
    // The first value set for each field (by path: fields are unique per
    // path), found in constant time.
    let mut by_path: rustc_hash::FxHashMap<&str, &Value> = rustc_hash::FxHashMap::default();
    for s in &set {
        by_path.entry(s.field.path).or_insert(&s.value);
    }
    let mut base = ParamSet::new();
    for f in schema::fields_for(model).chain(decls.iter().flat_map(|d| d.fields.iter().copied())) {
        let v = match by_path.get(f.path) {
            Some(v) => (*v).clone(),
            None => f.default_value(&stem, &metric_names),
        };
        base.set(f.path, v);
    }
    let mut apply = |path: &'static str, v: Option<u64>, c: &mut Collector| {
        if let Some(v) = v {
            if let Some(a) = axes.iter().find(|a| a.path() == path) {
                c.push(
                    Some(a.span.clone()),
                    Some(path),
                    format!("expected `{path}` not to be swept when --{path} is given, found it in [sweep]"),
                    None,
                );
            }
            let field = schema::COMMON_FIELDS.iter().find(|f| f.path == path);
            match (i64::try_from(v), field) {
                (Ok(i), Some(f)) if f.kind.in_range(i as f64) => base.set(path, Value::Int(i)),
                (_, Some(f)) => c.push(
                    None,
                    Some(path),
                    format!("expected --{path} to be {}, found {v}", f.expected()),
                    None,
                ),
                _ => {}
            }
        }
    };
    apply("seed", overrides.seed, &mut c);
    apply("replicates", overrides.replicates, &mut c);
    apply("steps", overrides.steps, &mut c);

    if c.has_errors() {
        return Err(Diagnostics(c.items));
    }

    // Checks across fields, at every sweep point. The same problem at many
    // points is reported once, with the first point and the count.
    let (found, unchecked) = if model.implemented() {
        check_points(model, &base, &axes)
    } else {
        (Vec::new(), Vec::new())
    };
    for f in &found {
        report_issue(&mut c, f, &set, &axes, extends_span.clone());
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
    if c.has_errors() {
        return Err(Diagnostics(c.items));
    }

    let set_in_file = set.iter().map(|s| s.field.path).collect();
    Ok(Experiment {
        path: path.to_path_buf(),
        text: text.to_string(),
        name: base.str("name").to_string(),
        model,
        replicates: base.u64("replicates"),
        seed: base.u64("seed"),
        every: base.u64("output.every"),
        timeseries: base.bool("output.timeseries"),
        teams: base.bool("output.teams"),
        metrics,
        base,
        axes,
        set_in_file,
        intervention_fields: decls.into_iter().map(|d| d.fields).collect(),
        extends: base_file.map(|(p, t, _)| (p, t)),
    })
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

/// One `[[interventions]]` entry: its fields (paths
/// `interventions.<index>.<key>`) and its optional name.
struct Decl {
    name: Option<String>,
    fields: Vec<&'static Field>,
}

/// Checks an intervention's name, which sweep keys use as
/// `interventions.<name>.<key>`: one word, not a number (that would read as
/// an index), not the name of an earlier intervention.
fn check_intervention_name(name: &str, earlier: &[Decl], mine: &[Decl]) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    if name.contains('.') || name.chars().any(char::is_whitespace) {
        return Some(format!(
            "expected a name without dots or spaces (sweep keys read interventions.<name>.<key>), found {name:?}"
        ));
    }
    if name.bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!(
            "expected a name that is not a number (interventions.{name}.<key> names intervention number {name}), found {name:?}"
        ));
    }
    if earlier
        .iter()
        .chain(mine)
        .any(|d| d.name.as_deref() == Some(name))
    {
        return Some(format!(
            "expected each intervention's name once (sweep keys would be ambiguous), found {name:?} a second time"
        ));
    }
    None
}

/// Checks every `[[interventions]]` entry against the keys of its kind,
/// recording the values it sets.
fn walk_interventions(
    c: &mut Collector,
    set: &mut Vec<Set>,
    value: &Spanned<DeValue<'_>>,
    earlier: &[Decl],
) -> Vec<Decl> {
    let first = earlier.len();
    use crate::model::climate::interventions as iv;
    let Some(items) = value.get_ref().as_array() else {
        c.expected(
            Some(value.span()),
            "interventions",
            "an array of tables [[interventions]]",
            &describe(value.get_ref()),
        );
        return Vec::new();
    };
    let mut decls = Vec::new();
    for (local, item) in items.iter().enumerate() {
        let index = first + local;
        let Some(table) = item.get_ref().as_table() else {
            c.expected(
                Some(item.span()),
                "interventions",
                "a table [[interventions]]",
                &describe(item.get_ref()),
            );
            continue;
        };
        let kind_field = iv::instance_field(index, &iv::COMMON[0]);
        let kind = match table.get("kind") {
            None => {
                c.push(
                    Some(item.span()),
                    Some(kind_field.path),
                    format!(
                        "expected `kind = \"...\"` in [[interventions]] number {}, found none",
                        index + 1
                    ),
                    Some(format!("kinds: {}", iv::KIND_NAMES.join(", "))),
                );
                continue;
            }
            Some(k) => match check_value(c, kind_field, k) {
                Some(Value::Str(name)) => match iv::spec(&name) {
                    Some(spec) => {
                        set.push(Set {
                            field: kind_field,
                            value: Value::Str(name),
                            span: k.span(),
                            from_base: false,
                        });
                        spec
                    }
                    None => continue,
                },
                _ => continue,
            },
        };
        let fields = iv::instance_fields(index, kind);
        let prefix = format!("interventions.{index}");
        let mut name = None;
        walk_intervention_table(c, set, table, &prefix, &fields, kind.name, &mut name);
        if let Some(n) = &name
            && let Some(problem) = check_intervention_name(n, earlier, &decls)
        {
            let span = table.get("name").map(|v| v.span());
            c.push(span, Some(&format!("{prefix}.name")), problem, None);
        }
        decls.push(Decl { name, fields });
    }
    decls
}

fn walk_intervention_table(
    c: &mut Collector,
    set: &mut Vec<Set>,
    table: &DeTable<'_>,
    prefix: &str,
    fields: &[&'static Field],
    kind: &str,
    name: &mut Option<String>,
) {
    for (key, value) in table.iter() {
        let path = join(prefix, key.get_ref());
        if path.ends_with(".kind") && path.matches('.').count() == 2 {
            continue;
        }
        if let Some(&f) = fields.iter().find(|f| f.path == path) {
            if let Some(v) = check_value(c, f, value) {
                if path.ends_with(".name")
                    && let Value::Str(n) = &v
                {
                    *name = Some(n.clone());
                }
                set.push(Set {
                    field: f,
                    value: v,
                    span: value.span(),
                    from_base: false,
                });
            }
        } else if fields
            .iter()
            .any(|f| f.path.starts_with(&format!("{path}.")))
        {
            match value.get_ref().as_table() {
                Some(t) => walk_intervention_table(c, set, t, &path, fields, kind, name),
                None => c.expected(
                    Some(value.span()),
                    &path,
                    &format!("a table `{}`", key.get_ref()),
                    &describe(value.get_ref()),
                ),
            }
        } else {
            let keys: Vec<&str> = fields
                .iter()
                .filter_map(|f| {
                    f.path
                        .strip_prefix(prefix)
                        .and_then(|r| r.strip_prefix('.'))
                })
                .map(|r| r.split('.').next().unwrap_or(r))
                .collect();
            let hint = schema::suggestions(key.get_ref(), keys.iter().copied());
            let help = if hint.is_empty() {
                format!("keys of a {kind} intervention: {}", keys.join(", "))
            } else {
                format!("did you mean {}?", quote_list(&hint))
            };
            c.push(
                Some(key.span()),
                Some(&path),
                format!(
                    "expected a key of a `{kind}` intervention, found unknown key `{}`",
                    key_text(key.get_ref())
                ),
                Some(help),
            );
        }
    }
}

/// A field the file sets, with its value and where it is.
struct Set {
    field: &'static Field,
    value: Value,
    span: Range<usize>,
    /// Set in the base scenario (`extends`), not in this file.
    from_base: bool,
}

struct Walk<'a, 'i> {
    c: Collector,
    set: Vec<Set>,
    sweep: Option<&'a Spanned<DeValue<'i>>>,
    interventions: Option<(Range<usize>, &'a Spanned<DeValue<'i>>)>,
}

fn join(prefix: &str, key: &str) -> String {
    let key = key_text(key);
    if prefix.is_empty() {
        key
    } else {
        format!("{prefix}.{key}")
    }
}

/// A key as shown in messages: the empty key (`"" = 1`, valid TOML) as
/// `""`, so that it is not rendered as nothing.
fn key_text(key: &str) -> String {
    if key.is_empty() {
        "\"\"".to_string()
    } else {
        key.to_string()
    }
}

impl<'a, 'i> Walk<'a, 'i> {
    fn table(&mut self, table: &'a DeTable<'i>, prefix: &str) {
        for (key, value) in table.iter() {
            let path = join(prefix, key.get_ref());
            if key.get_ref().contains('.') {
                // A quoted key such as "bass.p" is one literal key in TOML,
                // not a path: accepting it would let two spellings of the
                // same parameter disagree silently.
                let (table_name, leaf) = key
                    .get_ref()
                    .rsplit_once('.')
                    .unwrap_or(("", key.get_ref()));
                let help = (!leaf.is_empty() && !table_name.is_empty()).then(|| {
                    format!(
                        "write `{leaf} = ...` under [{}] (quoted dotted paths are only for [sweep])",
                        join(prefix, table_name)
                    )
                });
                self.c.push(
                    Some(key.span()),
                    Some(&path),
                    format!(
                        "expected a plain key, found the quoted dotted key \"{}\"",
                        key.get_ref()
                    ),
                    help,
                );
                continue;
            }
            if prefix.is_empty() && key.get_ref() == "interventions" {
                self.interventions = Some((key.span(), value));
                continue;
            }
            if prefix.is_empty() && key.get_ref() == "sweep" {
                if value.get_ref().as_table().is_some() {
                    self.sweep = Some(value);
                } else {
                    self.c.expected(
                        Some(value.span()),
                        "sweep",
                        "a table [sweep]",
                        &describe(value.get_ref()),
                    );
                }
                continue;
            }
            if let Some(field) = schema::all_fields().find(|f| f.path == path) {
                if let Some(v) = check_value(&mut self.c, field, value) {
                    self.set.push(Set {
                        field,
                        value: v,
                        span: value.span(),
                        from_base: false,
                    });
                }
            } else if schema::is_table(&path) {
                match value.get_ref().as_table() {
                    Some(t) => self.table(t, &path),
                    None => self.c.expected(
                        Some(value.span()),
                        &path,
                        &format!("a table [{path}]"),
                        &describe(value.get_ref()),
                    ),
                }
            } else {
                let candidates = sibling_names(prefix);
                let hint = schema::suggestions(key.get_ref(), candidates.iter().copied());
                let help = if hint.is_empty() {
                    Some(format!("known keys here: {}", candidates.join(", ")))
                } else {
                    Some(format!("did you mean {}?", quote_list(&hint)))
                };
                let place = if prefix.is_empty() {
                    "at the top level".to_string()
                } else {
                    format!("in [{prefix}]")
                };
                self.c.push(
                    Some(key.span()),
                    Some(&path),
                    format!(
                        "expected a known key {place}, found unknown key `{}`",
                        key_text(key.get_ref())
                    ),
                    help,
                );
            }
        }
    }
}

/// Keys and sub-tables that may appear in the table at `prefix`.
fn sibling_names(prefix: &str) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for f in schema::all_fields() {
        let rest = if prefix.is_empty() {
            Some(f.path)
        } else {
            f.path
                .strip_prefix(prefix)
                .and_then(|r| r.strip_prefix('.'))
        };
        if let Some(rest) = rest {
            let first = rest.split('.').next().unwrap_or(rest);
            if !names.contains(&first) {
                names.push(first);
            }
        }
    }
    if prefix.is_empty() {
        names.push("sweep");
    }
    names
}

fn quote_list(names: &[&str]) -> String {
    let q: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    q.join(" or ")
}

/// How a TOML value is described in "found ...".
fn describe(v: &DeValue<'_>) -> String {
    match v {
        DeValue::String(s) => format!("the string \"{s}\""),
        DeValue::Integer(i) => format!("the integer {i}"),
        DeValue::Float(x) => format!("the number {x}"),
        DeValue::Boolean(b) => format!("{b}"),
        DeValue::Datetime(d) => format!("the date {d}"),
        DeValue::Array(_) => "a list".to_string(),
        DeValue::Table(_) => "a table".to_string(),
    }
}

fn read_int(v: &DeValue<'_>) -> Option<i64> {
    let i = v.as_integer()?;
    i64::from_str_radix(i.as_str(), i.radix()).ok()
}

fn read_number(v: &DeValue<'_>) -> Option<f64> {
    match v {
        DeValue::Integer(_) => read_int(v).map(|i| i as f64),
        DeValue::Float(x) => x.as_str().parse::<f64>().ok(),
        _ => None,
    }
}

/// Checks one value against its field; reports and returns None when wrong.
fn check_value(
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
fn check_metrics(c: &mut Collector, s: &Set, defs: &[MetricDef]) -> Vec<usize> {
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

/// Reads `[sweep]` into axes, reporting every problem.
fn parse_sweep(
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

/// The field an intervention sweep key names: `interventions.<index or
/// name>.<key>`.
fn intervention_field(path: &str, decls: &[Decl]) -> Option<&'static Field> {
    let rest = path.strip_prefix("interventions.")?;
    let (who, key) = rest.split_once('.')?;
    let decl = match who.parse::<usize>() {
        Ok(i) => decls.get(i)?,
        Err(_) => decls.iter().find(|d| d.name.as_deref() == Some(who))?,
    };
    let suffix = format!(".{key}");
    decl.fields.iter().copied().find(|f| {
        f.path.ends_with(&suffix) && f.path.matches('.').count() == key.matches('.').count() + 2
    })
}

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
            .or_else(|| intervention_field(&path, decls));
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

/// A cross-field problem, the first sweep point where it occurs and how
/// many points have it.
#[derive(Debug, PartialEq)]
struct PointIssue {
    issue: Issue,
    first: u64,
    count: u64,
}

/// Most combinations of swept values one cross-field check is run on
/// (about a second of checking for the slowest check).
pub const MAX_CHECKED_COMBINATIONS: u64 = 200_000;

/// The model's cross-field issues over every sweep point: each distinct
/// issue with its first point and how many points have it (at most 50
/// distinct issues). Each check ([`ModelKind::checks`]) is run on every
/// combination of the swept values of the fields it reads, the other axes
/// held at their first value: points that differ only in other fields get
/// the same issues from it, so each issue found counts once for each of
/// their combinations. (A sweep of 10^12 points is as many checks as the
/// largest product of the axes one check reads.) A check whose axes have
/// more than [`MAX_CHECKED_COMBINATIONS`] combinations is not run; the
/// second list names it, with its axes and their count.
fn check_points(
    model: ModelKind,
    base: &ParamSet,
    axes: &[Axis],
) -> (Vec<PointIssue>, Vec<(Vec<&'static str>, u128)>) {
    let mut found: Vec<PointIssue> = Vec::new();
    let mut too_many = Vec::new();
    let Some(points) = sweep::point_count(axes) else {
        return (found, too_many);
    };
    // Point 0's parameters, changed in place for each combination.
    let mut ps = sweep::point_params(base, axes, 0);
    for check in model.checks(base) {
        let relevant: Vec<usize> = (0..axes.len())
            .filter(|&i| check.reads.contains(&axes[i].path()))
            .collect();
        let combos: u128 = relevant
            .iter()
            .map(|&i| axes[i].values.len() as u128)
            .product();
        if combos > MAX_CHECKED_COMBINATIONS as u128 {
            too_many.push((relevant.iter().map(|&i| axes[i].path()).collect(), combos));
            continue;
        }
        let repeat = points / combos as u64;
        for sub in 0..combos as u64 {
            // The full point with the relevant axes' digits of `sub` (last
            // axis fastest, as in the sweep) and the others at 0.
            let (mut rem, mut point) = (sub, 0u64);
            for &i in relevant.iter().rev() {
                let len = axes[i].values.len() as u64;
                let digit = rem % len;
                rem /= len;
                point += digit
                    * axes[i + 1..]
                        .iter()
                        .map(|a| a.values.len() as u64)
                        .product::<u64>();
                ps.set(axes[i].path(), axes[i].values[digit as usize].clone());
            }
            for issue in (check.run)(&ps) {
                match found.iter_mut().find(|f| f.issue == issue) {
                    Some(f) => f.count += repeat,
                    None => found.push(PointIssue {
                        issue,
                        first: point,
                        count: repeat,
                    }),
                }
            }
            if found.len() >= 50 {
                return (found, too_many);
            }
        }
        for &i in &relevant {
            ps.set(axes[i].path(), axes[i].values[0].clone());
        }
    }
    (found, too_many)
}

/// Points a cross-field issue at the first involved field the user touched
/// (swept or set), naming the sweep point when a swept value causes it.
fn report_issue(
    c: &mut Collector,
    found: &PointIssue,
    set: &[Set],
    axes: &[Axis],
    extends_span: Option<Range<usize>>,
) {
    let issue = &found.issue;
    let span = issue.fields.iter().find_map(|p| {
        axes.iter()
            .find(|a| a.path() == *p)
            .map(|a| a.span.clone())
            .or_else(|| {
                set.iter().find(|s| s.field.path == *p).map(|s| {
                    if s.from_base {
                        extends_span.clone().unwrap_or(0..0)
                    } else {
                        s.span.clone()
                    }
                })
            })
    });
    let mut message = issue.message.clone();
    let idx = sweep::point_indices(axes, found.first);
    let vals: Vec<String> = axes
        .iter()
        .zip(idx)
        .filter(|(a, _)| issue.fields.contains(&a.path()))
        .map(|(a, i)| format!("{} = {}", a.column(), a.values[i]))
        .collect();
    if !vals.is_empty() {
        let many = if found.count > 1 {
            format!(" and {} more", found.count - 1)
        } else {
            String::new()
        };
        message = format!(
            "{message} (at sweep point {}{many}: {})",
            found.first,
            vals.join(", ")
        );
    }
    // A problem among defaults only has no place in the file: the message
    // names the file and the fields, never a made-up line 1.
    c.push(span, issue.fields.first().copied(), message, None);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses a valid sweep, then adds values to its axes that make some
    /// points invalid (a scenario with them would not parse).
    fn sweep_with_bad_values(
        text: &str,
        add: &[(&str, Value)],
    ) -> (ModelKind, ParamSet, Vec<Axis>) {
        let exp = parse(Path::new("t.toml"), text, &Overrides::default()).expect("valid sweep");
        let mut axes = exp.axes;
        for (path, v) in add {
            let axis = axes.iter_mut().find(|a| a.path() == *path).expect("swept");
            axis.values.push(v.clone());
        }
        (exp.model, exp.base, axes)
    }

    /// Every check on every point: the reference that [`check_points`]
    /// must agree with.
    fn check_every_point(model: ModelKind, base: &ParamSet, axes: &[Axis]) -> Vec<PointIssue> {
        let mut found: Vec<PointIssue> = Vec::new();
        for point in 0..sweep::point_count(axes).unwrap() {
            for issue in model.check(&sweep::point_params(base, axes, point)) {
                match found.iter_mut().find(|f| f.issue == issue) {
                    Some(f) => f.count += 1,
                    None => found.push(PointIssue {
                        issue,
                        first: point,
                        count: 1,
                    }),
                }
            }
        }
        found.sort_by(|a, b| a.issue.message.cmp(&b.issue.message));
        found
    }

    /// Running each check only on the axes it reads finds the same issues,
    /// first points and counts as running every check on every point (so
    /// each check's `reads` lists every field it depends on).
    #[test]
    fn checking_only_the_axes_checks_read_matches_checking_every_point() {
        let cases = [
            // Bass: agents = 5 is below the degree of a ring or small world
            // (at every p and dt), initial_adopters = 60 above agents = 50,
            // an odd degree on a ring.
            sweep_with_bad_values(
                r#"model = "bass"
[sweep]
"bass.p" = [0.01, 0.02, 0.03]
"bass.agents" = [50, 500]
"bass.dt" = [0.1, 1.0]
"bass.initial_adopters" = [0, 10]
"bass.network" = ["ring", "complete", "small_world"]
"bass.degree" = [4, 10]
"#,
                &[
                    ("bass.agents", Value::Int(5)),
                    ("bass.initial_adopters", Value::Int(60)),
                    ("bass.degree", Value::Int(7)),
                ],
            ),
            // March: fast learners above individuals, swept with p1 and p2.
            sweep_with_bad_values(
                r#"model = "march"
[sweep]
"march.p1" = [0.1, 0.5, 0.9]
"march.fast_learners" = [0, 5]
"march.individuals" = [10, 50]
"march.p2" = [0.2, 0.8]
"#,
                &[("march.fast_learners", Value::Int(20))],
            ),
            // Climate: team sizes out of their bounds (only when drawn),
            // a beta sd too large for its mean, success rates the wrong way
            // round, an intervention after the last step or targeting a
            // department that does not exist, until before at.
            sweep_with_bad_values(
                r#"steps = 6
[climate]
burn_in = 0
[climate.organisation]
departments = 2
[[interventions]]
kind = "rewards"
name = "r"
at = 2
target.departments = [1]
[[interventions]]
kind = "layoff"
name = "l"
at = 1
[sweep]
"climate.voice.beta0" = [-1.0, -0.5]
"climate.organisation.team_size_distribution" = ["fixed", "uniform"]
"climate.organisation.team_size" = [6, 8]
"climate.organisation.team_size_max" = [12, 20]
"climate.employees.psych_safety_sd" = [0.1, 0.2]
"climate.employees.distribution" = ["beta", "truncated_normal"]
"climate.experiment.success_bad" = [0.1, 0.2]
"climate.organisation.departments" = [2, 3]
"interventions.r.at" = [2, 3]
"interventions.l.until" = [-1, 4]
"steps" = [6, 8]
"#,
                &[
                    ("climate.organisation.team_size", Value::Int(30)),
                    ("climate.employees.psych_safety_sd", Value::Float(0.6)),
                    ("climate.experiment.success_bad", Value::Float(0.99)),
                    ("climate.organisation.departments", Value::Int(1)),
                    ("interventions.0.at", Value::Int(7)),
                    ("interventions.1.until", Value::Int(0)),
                ],
            ),
        ];
        for (model, base, axes) in cases {
            let (mut fast, unchecked) = check_points(model, &base, &axes);
            assert!(unchecked.is_empty());
            fast.sort_by(|a, b| a.issue.message.cmp(&b.issue.message));
            let all = check_every_point(model, &base, &axes);
            // Issues found at several points each (so counts are tested).
            assert!(all.iter().any(|f| f.count > 1), "{all:?}");
            assert_eq!(fast, all);
            if model == ModelKind::Climate {
                // Every climate check found something.
                assert!(all.len() >= 6, "{all:#?}");
            }
        }
    }

    /// A check whose swept axes have too many combinations is named, not
    /// run; one whose axes are few is run however large the sweep.
    #[test]
    fn checks_are_bounded_by_the_combinations_of_the_axes_they_read() {
        let text = r#"model = "bass"
[sweep]
"bass.agents" = { from = 1000, to = 1999, steps = 1000 }
"bass.degree" = { from = 2, to = 2000, by = 2 }
"bass.p" = { from = 0.01, to = 0.02, steps = 1000 }
"bass.q" = { from = 0.1, to = 0.5, steps = 1000 }
"#;
        let d = parse(Path::new("t.toml"), text, &Overrides::default()).unwrap_err();
        let text = d.to_string();
        assert!(
            text.contains("bass.agents, bass.degree") && text.contains("found 1000000"),
            "{text}"
        );
        assert_eq!(d.len(), 1, "{text}");
    }

    #[test]
    fn rows_per_run_counts_the_output_steps() {
        let mut exp = parse(
            Path::new("t.toml"),
            "model = \"march\"\n",
            &Overrides::default(),
        )
        .unwrap();
        for every in [1, 2, 3, 7, 10] {
            exp.every = every;
            for steps in 0..40 {
                assert_eq!(
                    exp.rows_per_run(steps),
                    output_steps(steps, every).count() as u64,
                    "steps {steps}, every {every}"
                );
            }
        }
    }
}
