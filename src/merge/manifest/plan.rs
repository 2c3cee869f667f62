//! [`Plan`]: the experiment the shards describe, checked: what every row
//! of every shard must hold.

use serde_json::{Map, Value};

use crate::model::{MetricDef, ModelKind};
use crate::output::{Layout, Switches};

use super::axis::{Axis, Values, axis_values};
use super::base::{check_base, swept_field};
use super::fields::Fields;
use super::{describe, shorten};

/// The steps simulated at each point.
#[derive(Debug)]
pub(in crate::merge) enum Steps {
    /// The same at every point.
    Fixed(u64),
    /// Swept: the axis with this index.
    Swept(usize),
}

/// The experiment the shards describe, checked.
#[derive(Debug)]
pub(in crate::merge) struct Plan {
    /// Base seed.
    pub seed: u64,
    /// Replicates per point.
    pub replicates: u64,
    /// Sweep points.
    pub points: u64,
    /// Runs of the experiment.
    pub runs: u64,
    /// Shards.
    pub count: u64,
    /// Output row interval.
    pub every: u64,
    /// Columns (with the team columns when teams.csv is written).
    pub layout: Layout,
    /// Swept parameters, in column order.
    pub axes: Vec<Axis>,
    /// Steps per point.
    pub steps: Steps,
    /// The experiment's output switches: the files of the merged folder
    /// (a shard's are [`Switches::of_shard`]).
    pub switches: Switches,
    /// Longest CSV record accepted, in bytes.
    pub max_record: u64,
}

impl Plan {
    /// Steps simulated at `point`.
    pub fn steps_at(&self, point: u64) -> u64 {
        match self.steps {
            Steps::Fixed(s) => s,
            Steps::Swept(k) => {
                let axis = &self.axes[k];
                match &axis.values {
                    // Checked to be >= 0 when the plan was made.
                    Values::Int(v) => v[axis.index_at(point)].max(0) as u64,
                    _ => 0,
                }
            }
        }
    }
}

/// Checks the experiment fields of `m` (the same in every shard) and
/// makes the plan. `count` is the checked shard count. Every problem is
/// recorded (in the order of the fields) before giving up.
pub(super) fn plan_of(
    file: &str,
    m: &Map<String, Value>,
    count: u64,
    problems: &mut Vec<String>,
) -> Option<Plan> {
    let before = problems.len();
    let mut f = Fields {
        file: file.to_string(),
        m,
        problems,
    };
    let model = model_of(&mut f);
    let seed = f.uint("seed", 0, u64::MAX);
    let replicates = f.uint("replicates", 1, u64::MAX);
    let points = f.uint("points", 1, u64::MAX);
    let every = f.uint("every", 1, u64::MAX);
    let runs = runs_of(&mut f, points, replicates);
    let base = base_of(&mut f, model);
    let (write_timeseries, teams) = match base {
        Some(b) => (
            output_switch(&mut f, b, "output.timeseries"),
            output_switch(&mut f, b, "output.teams"),
        ),
        None => (None, None),
    };
    let metrics = model.map_or_else(Vec::new, |model| metrics_of(&mut f, model));
    let axes = sweep_of(&mut f, model, base, points);
    let steps = steps_of(&mut f, &axes, base);
    if f.problems.len() > before {
        return None;
    }
    let (
        Some(model),
        Some(seed),
        Some(replicates),
        Some(points),
        Some(runs),
        Some(every),
        Some(write_timeseries),
        Some(teams),
        Some(steps),
    ) = (
        model,
        seed,
        replicates,
        points,
        runs,
        every,
        write_timeseries,
        teams,
        steps,
    )
    else {
        return None;
    };
    let layout = Layout {
        swept: axes.iter().map(|a| a.path).collect(),
        metrics,
        run_columns: model.run_columns().to_vec(),
        team_columns: if teams {
            model.team_columns().iter().collect()
        } else {
            Vec::new()
        },
    };
    // A row of ideaflow's is at most a few kilobytes: numbers, and the
    // swept values (quoted at worst twice their length).
    let max_record = (1 << 20) + axes.iter().map(|a| 2 * a.widest() as u64 + 3).sum::<u64>();
    Some(Plan {
        seed,
        replicates,
        points,
        runs,
        count,
        every,
        layout,
        axes,
        steps,
        switches: Switches {
            timeseries: write_timeseries,
            teams,
        },
        max_record,
    })
}

/// The model the scenario ran.
fn model_of(f: &mut Fields<'_>) -> Option<ModelKind> {
    match f.get("scenario/model").and_then(Value::as_str) {
        Some(name) if ModelKind::from_name(name).is_some() => ModelKind::from_name(name),
        _ => {
            let names: Vec<&str> = ModelKind::ALL.iter().map(|k| k.name()).collect();
            let v = f.get("scenario/model").cloned();
            f.problem(
                "scenario.model",
                &format!("one of {}", names.join(", ")),
                v.as_ref(),
            );
            None
        }
    }
}

/// The runs of the experiment: points x replicates, if it fits.
fn runs_of(f: &mut Fields<'_>, points: Option<u64>, replicates: Option<u64>) -> Option<u64> {
    let (p, r) = (points?, replicates?);
    let n = p.checked_mul(r);
    if n.is_none() {
        f.problems.push(format!(
            "{}: points x replicates: expected at most {} runs, found {p} x {r}",
            f.file,
            u64::MAX
        ));
    }
    n
}

/// The base parameters, checked against the model's schema.
fn base_of<'a>(f: &mut Fields<'a>, model: Option<ModelKind>) -> Option<&'a Map<String, Value>> {
    let base = match f.get("base_parameters") {
        Some(Value::Object(b)) => Some(b),
        other => {
            let other = other.cloned();
            f.problem("base_parameters", "an object", other.as_ref());
            None
        }
    };
    if let (Some(model), Some(base)) = (model, base) {
        check_base(&f.file, model, base, f.problems);
    }
    base
}

/// An `[output]` switch of the base parameters (`output.timeseries`,
/// `output.teams`).
fn output_switch(f: &mut Fields<'_>, base: &Map<String, Value>, key: &str) -> Option<bool> {
    match base.get(key) {
        Some(Value::Bool(x)) => Some(*x),
        other => {
            let other = other.cloned();
            f.problem(
                &format!("base_parameters.{key}"),
                "true or false",
                other.as_ref(),
            );
            None
        }
    }
}

/// The metrics written: the model's, in its order, each once.
fn metrics_of(f: &mut Fields<'_>, model: ModelKind) -> Vec<&'static MetricDef> {
    let mut metrics: Vec<&'static MetricDef> = Vec::new();
    let all = model.metrics();
    let names = match f.get("metrics") {
        Some(Value::Array(names)) if !names.is_empty() => names,
        other => {
            let other = other.cloned();
            f.problem("metrics", "a list of metric names", other.as_ref());
            return metrics;
        }
    };
    let mut last = None;
    for (i, name) in names.iter().enumerate() {
        let found = name
            .as_str()
            .and_then(|n| all.iter().position(|d| d.name == n && !d.hidden));
        match found {
            Some(k) if last.is_none_or(|l| k > l) => {
                metrics.push(&all[k]);
                last = Some(k);
            }
            Some(_) => f.problems.push(format!(
                "{}: metrics[{i}]: expected the model's metrics in its order, each once, found {} after {}",
                f.file,
                describe(Some(name)),
                metrics.last().map_or("", |d| d.name)
            )),
            None => {
                f.problem(
                    &format!("metrics[{i}]"),
                    &format!("a metric of model {}", model.name()),
                    Some(name),
                );
            }
        }
    }
    metrics
}

/// The sweep's axes (those that could be read), with their strides
/// when the sweep is sound.
fn sweep_of(
    f: &mut Fields<'_>,
    model: Option<ModelKind>,
    base: Option<&Map<String, Value>>,
    points: Option<u64>,
) -> Vec<Axis> {
    let mut axes: Vec<Axis> = Vec::new();
    let list = match f.get("sweep") {
        Some(Value::Array(list)) => list,
        other => {
            let other = other.cloned();
            f.problem("sweep", "a list of swept parameters", other.as_ref());
            return axes;
        }
    };
    let mut sweep_ok = true;
    for (k, a) in list.iter().enumerate() {
        match axis_of(f, k, a, model, base, &axes) {
            Some(axis) => axes.push(axis),
            None => sweep_ok = false,
        }
    }
    if sweep_ok && let Some(points) = points {
        set_strides(f, &mut axes, points);
    }
    axes
}

/// Sweep axis `k`, `a`, if it names a parameter that can be swept, not
/// swept before, with values of its kind.
fn axis_of(
    f: &mut Fields<'_>,
    k: usize,
    a: &Value,
    model: Option<ModelKind>,
    base: Option<&Map<String, Value>>,
    before: &[Axis],
) -> Option<Axis> {
    let file = f.file.clone();
    let path = a.get("path").and_then(Value::as_str);
    let values = a.get("values").and_then(Value::as_array);
    let (Some(path), Some(values), Some(model), Some(base)) = (path, values, model, base) else {
        if path.is_none() || values.is_none() {
            f.problems.push(format!(
                "{file}: sweep[{k}]: expected {{\"path\": \"...\", \"values\": [...]}}, found {}",
                describe(Some(a))
            ));
        }
        return None;
    };
    let Some(field) = swept_field(model, path, base) else {
        f.problems.push(format!(
            "{file}: sweep[{k}].path: expected a parameter of model {} that can be swept, found \"{}\"",
            model.name(),
            shorten(path)
        ));
        return None;
    };
    if before.iter().any(|x| x.path == field.path) {
        f.problems.push(format!(
            "{file}: sweep[{k}].path: expected each parameter swept once, found \"{}\" again",
            field.path
        ));
        return None;
    }
    if values.is_empty() {
        f.problems.push(format!(
            "{file}: sweep[{k}].values: expected at least one value, found none"
        ));
        return None;
    }
    match axis_values(field, values) {
        Ok(values) => Some(Axis {
            // The column as the scenario's [sweep] wrote it (a
            // named intervention's key keeps its name).
            path: if path == field.path {
                field.path
            } else {
                crate::scenario::sweep::intern(path)
            },
            values,
            stride: 1,
        }),
        Err(e) => {
            f.problems.push(format!("{file}: sweep[{k}].{e}"));
            None
        }
    }
}

/// Sets each axis's stride, the last axis varying fastest; their product
/// must be the point count.
fn set_strides(f: &mut Fields<'_>, axes: &mut [Axis], points: u64) {
    let mut stride = 1u64;
    let mut ok = true;
    for axis in axes.iter_mut().rev() {
        axis.stride = stride;
        match stride.checked_mul(axis.len() as u64) {
            Some(s) => stride = s,
            None => {
                ok = false;
                break;
            }
        }
    }
    if !ok || stride != points {
        let lens: Vec<String> = axes.iter().map(|a| a.len().to_string()).collect();
        f.problems.push(format!(
            "{}: points: expected {} (the product of the sweep's value counts {}), found {points}",
            f.file,
            if ok {
                stride.to_string()
            } else {
                "more than 2^64".into()
            },
            if lens.is_empty() {
                "(no sweep)".to_string()
            } else {
                lens.join(" x ")
            }
        ));
    }
}

/// The steps simulated: swept, or the base parameters'.
fn steps_of(f: &mut Fields<'_>, axes: &[Axis], base: Option<&Map<String, Value>>) -> Option<Steps> {
    match axes.iter().position(|a| a.path == "steps") {
        Some(k) => Some(Steps::Swept(k)),
        None => match base.map(|b| b.get("steps")) {
            Some(Some(v)) if v.as_u64().is_some() => v.as_u64().map(Steps::Fixed),
            Some(other) => {
                let other = other.cloned();
                f.problem("base_parameters.steps", "an integer >= 0", other.as_ref());
                None
            }
            None => None,
        },
    }
}
