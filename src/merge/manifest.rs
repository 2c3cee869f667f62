//! Reading and checking the shards' manifests, before anything is written:
//! every field merge uses is checked for its type and range, the shards
//! must describe the same experiment, and the experiment they describe
//! becomes a [`Plan`] that says what every row of every shard must hold.
//!
//! A manifest is read as a stream with `point_parameters` skipped (it can
//! be hundreds of megabytes for a large sweep, and merge writes it again
//! from the base parameters and the sweep); the rest is limited to
//! [`MAX_MANIFEST_BYTES`]. serde_json refuses nesting deeper than 128.

use std::cell::Cell;
use std::fmt::Write as _;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::engine::Shard;
use crate::error::Error;
use crate::model::climate::interventions as iv;
use crate::model::{MetricDef, ModelKind};
use crate::output::{Layout, MANIFEST_FILE, RESUME_FILE, Switches};
use crate::scenario::schema::{self, Field, Kind};
use crate::scenario::value::format_f64;

pub use crate::engine::MAX_SHARDS;

/// Most bytes of a manifest outside its `point_parameters` (what merge
/// keeps in memory). A sweep axis of the largest size the scenario loader
/// allows (10^7 values) takes about 320 MB.
pub const MAX_MANIFEST_BYTES: u64 = 1 << 30;

pub(super) fn bad(msg: impl Into<String>) -> Error {
    Error::Merge(msg.into())
}

/// A JSON value as a message shows it.
pub(super) fn describe(v: Option<&Value>) -> String {
    match v {
        None => "nothing (the field is missing)".into(),
        Some(Value::Null) => "null".into(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => format!("\"{}\"", shorten(s)),
        Some(Value::Array(a)) => format!("an array of {} items", a.len()),
        Some(Value::Object(_)) => "an object".into(),
    }
}

/// At most 60 characters of `s`, control characters escaped.
pub(super) fn shorten(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == 60 {
            out.push_str("...");
            break;
        }
        if c.is_control() {
            let _ = write!(out, "{}", c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Reading.

/// Most levels of nesting in `point_parameters` (serde_json skips it
/// without recursing, but keeps a byte per level; what it parses is
/// limited to 128 levels).
const MAX_SKIPPED_DEPTH: u32 = 128;

/// Counts the bytes read outside `point_parameters`, and the nesting of
/// what is skipped.
struct Budget {
    limit: u64,
    kept: Cell<u64>,
    skipping: Cell<bool>,
    depth: Cell<u32>,
    in_string: Cell<bool>,
    escape: Cell<bool>,
}

impl Budget {
    /// Follows the nesting of skipped bytes; false when too deep.
    fn skip(&self, bytes: &[u8]) -> bool {
        let (mut depth, mut in_string, mut escape) =
            (self.depth.get(), self.in_string.get(), self.escape.get());
        for &b in bytes {
            if in_string {
                if escape {
                    escape = false;
                } else if b == b'\\' {
                    escape = true;
                } else if b == b'"' {
                    in_string = false;
                }
            } else {
                match b {
                    b'"' => in_string = true,
                    b'[' | b'{' => {
                        depth += 1;
                        if depth > MAX_SKIPPED_DEPTH {
                            return false;
                        }
                    }
                    b']' | b'}' => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
        }
        self.depth.set(depth);
        self.in_string.set(in_string);
        self.escape.set(escape);
        true
    }
}

/// Why a manifest is refused while it is read.
#[derive(Debug)]
enum TooBig {
    Large(u64),
    Deep,
}

impl std::fmt::Display for TooBig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TooBig::Large(limit) => write!(
                f,
                "over {limit} bytes outside `point_parameters` (ideaflow writes far less)"
            ),
            TooBig::Deep => write!(
                f,
                "`point_parameters` nested deeper than {MAX_SKIPPED_DEPTH} levels (ideaflow writes 3)"
            ),
        }
    }
}

impl std::error::Error for TooBig {}

struct Counted<R> {
    inner: R,
    budget: Rc<Budget>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let b = &self.budget;
        if b.skipping.get() {
            if !b.skip(&buf[..n]) {
                return Err(std::io::Error::other(TooBig::Deep));
            }
        } else {
            let kept = b.kept.get() + n as u64;
            b.kept.set(kept);
            if kept > b.limit {
                return Err(std::io::Error::other(TooBig::Large(b.limit)));
            }
        }
        Ok(n)
    }
}

/// A JSON value like serde_json's, but with every object's keys distinct
/// (serde_json keeps the last of two equal keys: a manifest with two
/// would say two things).
struct Strict;

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = a.next_element_seed(Strict)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = a.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(serde::de::Error::custom(format!(
                    "the key `{}` appears twice",
                    shorten(&key)
                )));
            }
            let v = a.next_value_seed(Strict)?;
            map.insert(key, v);
        }
        Ok(Value::Object(map))
    }
}

/// The top-level object, `point_parameters` skipped.
struct Top(Rc<Budget>);

impl<'de> DeserializeSeed<'de> for Top {
    type Value = Map<String, Value>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Top {
    type Value = Map<String, Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a manifest (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = a.next_key::<String>()? {
            if map.contains_key(&key) || (key == "point_parameters" && self.0.skipping.get()) {
                return Err(serde::de::Error::custom(format!(
                    "the key `{}` appears twice",
                    shorten(&key)
                )));
            }
            if key == "point_parameters" {
                self.0.depth.set(0);
                self.0.in_string.set(false);
                self.0.escape.set(false);
                self.0.skipping.set(true);
                let skipped = a.next_value::<IgnoredAny>();
                self.0.skipping.set(false);
                skipped?;
                // Remember it was there (for the duplicate check).
                map.insert(key, Value::Null);
            } else {
                let v = a.next_value_seed(Strict)?;
                map.insert(key, v);
            }
        }
        map.remove("point_parameters");
        Ok(map)
    }
}

/// Reads `dir/manifest.json` (None when there is none).
fn read_manifest(dir: &Path) -> Result<Option<Map<String, Value>>, String> {
    read_manifest_limited(dir, MAX_MANIFEST_BYTES)
}

/// [`read_manifest`] with `limit` bytes outside `point_parameters`.
fn read_manifest_limited(dir: &Path, limit: u64) -> Result<Option<Map<String, Value>>, String> {
    let path = dir.join(MANIFEST_FILE);
    let meta = match std::fs::metadata(&path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: cannot read it: {e}", path.display())),
    };
    if !meta.is_file() {
        return Err(format!(
            "{}: not a regular file (a manifest is a file ideaflow wrote)",
            path.display()
        ));
    }
    let file = std::fs::File::open(&path)
        .map_err(|e| format!("{}: cannot read it: {e}", path.display()))?;
    let budget = Rc::new(Budget {
        limit,
        kept: Cell::new(0),
        skipping: Cell::new(false),
        depth: Cell::new(0),
        in_string: Cell::new(false),
        escape: Cell::new(false),
    });
    let reader = Counted {
        inner: BufReader::with_capacity(1 << 16, file),
        budget: Rc::clone(&budget),
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let parsed = Top(budget).deserialize(&mut de).and_then(|m| {
        de.end()?;
        Ok(m)
    });
    parsed.map(Some).map_err(|e| {
        let too_big = std::error::Error::source(&e)
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<TooBig>());
        match too_big {
            Some(why) => format!("{}: not a valid manifest: {why}", path.display()),
            None => format!("{}: not a valid manifest: {e}", path.display()),
        }
    })
}

// ---------------------------------------------------------------------------
// Fields.

/// Problems found in one manifest, each naming the file and the field.
struct Fields<'a> {
    file: String,
    m: &'a Map<String, Value>,
    problems: &'a mut Vec<String>,
}

impl<'a> Fields<'a> {
    fn get(&self, ptr: &str) -> Option<&'a Value> {
        pointer(self.m, ptr)
    }

    fn problem(&mut self, field: &str, expected: &str, found: Option<&Value>) {
        let found = describe(found);
        self.problems.push(format!(
            "{}: {field}: expected {expected}, found {found}",
            self.file
        ));
    }

    /// An integer in `min..=max` at `ptr` (a `/`-separated path).
    fn uint(&mut self, ptr: &str, min: u64, max: u64) -> Option<u64> {
        let v = self.get(ptr);
        match v.and_then(Value::as_u64) {
            Some(x) if (min..=max).contains(&x) => Some(x),
            _ => {
                let expected = if max == u64::MAX {
                    format!("an integer >= {min}")
                } else {
                    format!("an integer from {min} to {max}")
                };
                let v = v.cloned();
                self.problem(&ptr.replace('/', "."), &expected, v.as_ref());
                None
            }
        }
    }

    fn boolean(&mut self, ptr: &str) -> Option<bool> {
        let v = self.get(ptr);
        match v.and_then(Value::as_bool) {
            Some(b) => Some(b),
            None => {
                let v = v.cloned();
                self.problem(&ptr.replace('/', "."), "true or false", v.as_ref());
                None
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The experiment.

/// A swept parameter's values, as the CSV files write them.
#[derive(Debug)]
pub(super) enum Values {
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
pub(super) struct Axis {
    /// Dotted path (the column name).
    pub path: &'static str,
    /// Its values in order.
    pub values: Values,
    /// Points between two consecutive values of this axis (the last axis
    /// varies fastest).
    pub stride: u64,
}

impl Axis {
    fn len(&self) -> usize {
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
    fn widest(&self) -> usize {
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

/// The steps simulated at each point.
#[derive(Debug)]
pub(super) enum Steps {
    /// The same at every point.
    Fixed(u64),
    /// Swept: the axis with this index.
    Swept(usize),
}

/// The experiment the shards describe, checked.
#[derive(Debug)]
pub(super) struct Plan {
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

/// The schema field a sweep path names, if it can be swept: a parameter
/// of the model, or `interventions.<index or name>.<key>` of an
/// intervention the base parameters declare (the column keeps the form
/// the scenario's `[sweep]` used).
fn swept_field(model: ModelKind, path: &str, base: &Map<String, Value>) -> Option<&'static Field> {
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
fn check_base(file: &str, model: ModelKind, base: &Map<String, Value>, problems: &mut Vec<String>) {
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

/// Reads the values of a sweep axis of `field`; the problem otherwise.
fn axis_values(field: &Field, values: &[Value]) -> Result<Values, String> {
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

/// Checks the experiment fields of `m` (the same in every shard) and
/// makes the plan. `count` is the checked shard count.
fn plan_of(
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
    let model = match f.get("scenario/model").and_then(Value::as_str) {
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
    };
    let seed = f.uint("seed", 0, u64::MAX);
    let replicates = f.uint("replicates", 1, u64::MAX);
    let points = f.uint("points", 1, u64::MAX);
    let every = f.uint("every", 1, u64::MAX);
    let runs = match (points, replicates) {
        (Some(p), Some(r)) => match p.checked_mul(r) {
            Some(n) => Some(n),
            None => {
                f.problems.push(format!(
                    "{file}: points x replicates: expected at most {} runs, found {p} x {r}",
                    u64::MAX
                ));
                None
            }
        },
        _ => None,
    };
    let base = match f.get("base_parameters") {
        Some(Value::Object(b)) => Some(b),
        other => {
            let other = other.cloned();
            f.problem("base_parameters", "an object", other.as_ref());
            None
        }
    };
    if let (Some(model), Some(base)) = (model, base) {
        check_base(file, model, base, f.problems);
    }
    let (write_timeseries, teams) = match base {
        Some(b) => {
            let mut g = |key: &str| match b.get(key) {
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
            };
            (g("output.timeseries"), g("output.teams"))
        }
        None => (None, None),
    };

    // Metrics: the model's, in its order, each once.
    let mut metrics: Vec<&'static MetricDef> = Vec::new();
    if let Some(model) = model {
        let all = model.metrics();
        match f.get("metrics") {
            Some(Value::Array(names)) if !names.is_empty() => {
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
                            "{file}: metrics[{i}]: expected the model's metrics in its order, each once, found {} after {}",
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
            }
            other => {
                let other = other.cloned();
                f.problem("metrics", "a list of metric names", other.as_ref());
            }
        }
    }

    // The sweep.
    let mut axes: Vec<Axis> = Vec::new();
    let mut sweep_ok = true;
    match f.get("sweep") {
        Some(Value::Array(list)) => {
            for (k, a) in list.iter().enumerate() {
                let path = a.get("path").and_then(Value::as_str);
                let values = a.get("values").and_then(Value::as_array);
                let (Some(path), Some(values), Some(model), Some(base)) =
                    (path, values, model, base)
                else {
                    if path.is_none() || values.is_none() {
                        f.problems.push(format!(
                            "{file}: sweep[{k}]: expected {{\"path\": \"...\", \"values\": [...]}}, found {}",
                            describe(Some(a))
                        ));
                    }
                    sweep_ok = false;
                    continue;
                };
                let Some(field) = swept_field(model, path, base) else {
                    f.problems.push(format!(
                        "{file}: sweep[{k}].path: expected a parameter of model {} that can be swept, found \"{}\"",
                        model.name(),
                        shorten(path)
                    ));
                    sweep_ok = false;
                    continue;
                };
                if axes.iter().any(|x| x.path == field.path) {
                    f.problems.push(format!(
                        "{file}: sweep[{k}].path: expected each parameter swept once, found \"{}\" again",
                        field.path
                    ));
                    sweep_ok = false;
                    continue;
                }
                if values.is_empty() {
                    f.problems.push(format!(
                        "{file}: sweep[{k}].values: expected at least one value, found none"
                    ));
                    sweep_ok = false;
                    continue;
                }
                match axis_values(field, values) {
                    Ok(values) => axes.push(Axis {
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
                        sweep_ok = false;
                    }
                }
            }
        }
        other => {
            let other = other.cloned();
            f.problem("sweep", "a list of swept parameters", other.as_ref());
            sweep_ok = false;
        }
    }
    if sweep_ok && let Some(points) = points {
        // Strides, last axis fastest; their product is the point count.
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
                "{file}: points: expected {} (the product of the sweep's value counts {}), found {points}",
                if ok { stride.to_string() } else { "more than 2^64".into() },
                if lens.is_empty() { "(no sweep)".to_string() } else { lens.join(" x ") }
            ));
        }
    }

    // Steps: swept, or the base parameters'.
    let steps = match axes.iter().position(|a| a.path == "steps") {
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
    };

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

// ---------------------------------------------------------------------------
// The shards.

/// Fields that must agree between shards, by path.
const SAME: &[(&str, &str)] = &[
    ("program/name", "program"),
    ("program/version", "program version"),
    ("program/git_commit", "program build (git commit)"),
    ("scenario/model", "model"),
    ("scenario/text", "scenario file text"),
    ("scenario/extends", "base scenario (extends)"),
    ("seed", "seed"),
    ("replicates", "replicates"),
    ("points", "sweep points"),
    ("every", "output interval"),
    ("metrics", "metrics"),
    ("base_parameters", "parameters"),
    ("sweep", "sweep"),
    ("shard/count", "number of shards"),
];

fn pointer<'a>(m: &'a Map<String, Value>, ptr: &str) -> Option<&'a Value> {
    let mut parts = ptr.split('/');
    let first = parts.next()?;
    parts.try_fold(m.get(first)?, |v, p| v.get(p))
}

/// A complete shard, checked.
#[derive(Debug)]
pub(super) struct ShardIn {
    /// Its folder, as given.
    pub dir: PathBuf,
    /// Its index.
    pub index: u64,
    /// Fields copied into the merged manifest's `merged.from`.
    pub runs: Value,
    pub threads: Value,
    pub elapsed_seconds: Value,
}

/// The checked input of a merge.
#[derive(Debug)]
pub(super) struct Input {
    /// The experiment.
    pub plan: Plan,
    /// The manifest the merged one is made from (the first shard's,
    /// without `point_parameters`).
    pub reference: Map<String, Value>,
    /// Whether `point_parameters` are listed (as the engine does up to
    /// `MAX_LISTED_POINTS` points).
    pub list_points: bool,
    /// The complete shards, by index.
    pub shards: Vec<ShardIn>,
    /// Shard indices missing or incomplete (only with `--partial`).
    pub missing: Vec<u64>,
    /// The earliest start time of a shard.
    pub started: String,
    /// The longest time a shard took.
    pub elapsed: f64,
}

/// "0, 2, 5-9".
fn ranges(xs: &[u64]) -> String {
    let mut out = Vec::new();
    let mut i = 0;
    while i < xs.len() {
        let mut j = i;
        while j + 1 < xs.len() && xs[j + 1] == xs[j] + 1 {
            j += 1;
        }
        match j - i {
            0 => out.push(xs[i].to_string()),
            1 => {
                out.push(xs[i].to_string());
                out.push(xs[j].to_string());
            }
            _ => out.push(format!("{}-{}", xs[i], xs[j])),
        }
        i = j + 1;
    }
    out.join(", ")
}

/// Reads and checks the shard folders.
pub(super) fn collect(dirs: &[PathBuf], partial: bool) -> Result<Input, Error> {
    if dirs.is_empty() {
        return Err(bad("no shard folders given"));
    }
    let mut problems = Vec::new();
    let mut reference: Option<(PathBuf, Map<String, Value>)> = None;
    let mut count: Option<u64> = None;
    // (index, dir, manifest fields kept) of each complete shard.
    let mut complete: Vec<(u64, PathBuf, Map<String, Value>)> = Vec::new();
    let mut incomplete: Vec<(u64, String)> = Vec::new();
    let mut started: Option<String> = None;
    let mut elapsed = 0.0f64;
    for dir in dirs {
        let file = dir.join(MANIFEST_FILE).display().to_string();
        let m = match read_manifest(dir) {
            Ok(Some(m)) => m,
            Ok(None) => {
                if dir.join(RESUME_FILE).exists() {
                    problems.push(format!(
                        "{}: an interrupted shard (resume.json, no manifest.json); resume it with `ideaflow run SCENARIO --shard I/N --out {} --resume`",
                        dir.display(),
                        dir.display()
                    ));
                } else {
                    problems.push(format!(
                        "{}: no manifest.json (not an ideaflow output folder, or a shard that never started)",
                        dir.display()
                    ));
                }
                continue;
            }
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let before = problems.len();
        let mut f = Fields {
            file: file.clone(),
            m: &m,
            problems: &mut problems,
        };
        match f.get("shard") {
            None | Some(Value::Null) => {
                f.problems.push(format!(
                    "{}: not a shard (written without --shard)",
                    dir.display()
                ));
                continue;
            }
            Some(Value::Object(_)) => {}
            Some(other) => {
                let other = other.clone();
                f.problem(
                    "shard",
                    "an object {\"index\": I, \"count\": N}",
                    Some(&other),
                );
                continue;
            }
        }
        let n = f.uint("shard/count", 1, MAX_SHARDS);
        let index = match n {
            Some(n) => f.uint("shard/index", 0, n - 1),
            None => {
                let v = f.get("shard/index");
                if v.and_then(Value::as_u64).is_none() {
                    let v = v.cloned();
                    f.problem("shard.index", "an integer >= 0", v.as_ref());
                }
                None
            }
        };
        if let Some(v) = f.get("only_run").filter(|v| !v.is_null()) {
            let v = v.clone();
            f.problem(
                "only_run",
                "null (a shard of the whole experiment, not one run)",
                Some(&v),
            );
        }
        let is_complete = f.boolean("complete");
        let runs = f.uint("runs", 0, u64::MAX);
        let written = f.uint("runs_written", 0, u64::MAX);
        if is_complete == Some(true) {
            match f.get("started") {
                Some(Value::String(s)) => {
                    if started.as_ref().is_none_or(|t| s < t) {
                        started = Some(s.clone());
                    }
                }
                other => {
                    let other = other.cloned();
                    f.problem("started", "a time (a string)", other.as_ref());
                }
            }
            match f.get("elapsed_seconds").and_then(Value::as_f64) {
                Some(x) if x >= 0.0 => elapsed = elapsed.max(x),
                _ => {
                    let v = f.get("elapsed_seconds").cloned();
                    f.problem("elapsed_seconds", "a number >= 0", v.as_ref());
                }
            }
            if f.get("threads")
                .and_then(Value::as_u64)
                .is_none_or(|t| t == 0)
            {
                let v = f.get("threads").cloned();
                f.problem("threads", "an integer >= 1", v.as_ref());
            }
        }

        // The same experiment as the first shard's?
        match &reference {
            None => {}
            Some((first, r)) => {
                let mut differ = Vec::new();
                for (ptr, what) in SAME {
                    let (a, b) = (pointer(r, ptr), pointer(&m, ptr));
                    if a != b {
                        differ.push(match (a, b) {
                            (Some(Value::Number(x)), Some(Value::Number(y))) => {
                                format!("{what} ({x} vs {y})")
                            }
                            (Some(Value::String(x)), Some(Value::String(y)))
                                if x.len() < 60 && y.len() < 60 =>
                            {
                                format!("{what} ({x} vs {y})")
                            }
                            _ => what.to_string(),
                        });
                    }
                }
                if !differ.is_empty() {
                    problems.push(format!(
                        "{} and {} are not shards of the same experiment: they differ in {}",
                        first.display(),
                        dir.display(),
                        differ.join(", ")
                    ));
                }
            }
        }
        if problems.len() == before {
            match (index, is_complete) {
                (Some(index), Some(true)) => complete.push((index, dir.clone(), keep(&m))),
                (Some(index), Some(false)) => {
                    incomplete.push((index, incomplete_message(dir, index, written, runs)))
                }
                _ => {}
            }
        }
        if reference.is_none() {
            count = n;
            reference = Some((dir.clone(), m));
        }
    }
    if !problems.is_empty() {
        return Err(bad(problems.join("\n")));
    }
    let (Some((first, reference)), Some(count)) = (reference, count) else {
        return Err(bad("no shard folders given"));
    };
    if complete.is_empty() {
        return Err(bad(incomplete
            .into_iter()
            .map(|(_, m)| m)
            .collect::<Vec<_>>()
            .join("\n")));
    }
    let first_file = first.join(MANIFEST_FILE).display().to_string();
    let Some(plan) = plan_of(&first_file, &reference, count, &mut problems) else {
        return Err(bad(problems.join("\n")));
    };

    // Each complete shard holds its runs, each index once.
    complete.sort_by_key(|s| s.0);
    for w in complete.windows(2) {
        if w[0].0 == w[1].0 {
            problems.push(format!(
                "shard {} is given twice: {} and {}",
                w[0].0,
                w[0].1.display(),
                w[1].1.display()
            ));
        }
    }
    for (i, _) in &incomplete {
        if complete.binary_search_by_key(i, |s| s.0).is_ok() {
            problems.push(format!("shard {i} is given twice (one of them incomplete)"));
        }
    }
    let mut shards = Vec::with_capacity(complete.len());
    for (index, dir, m) in complete {
        let want = Shard { index, count }.runs(plan.runs);
        let file = dir.join(MANIFEST_FILE).display().to_string();
        for key in ["runs", "runs_written"] {
            let found = m.get(key).and_then(Value::as_u64);
            if found != Some(want) {
                problems.push(format!(
                    "{file}: {key}: expected {want} (the runs of shard {index} of {count} in an experiment of {} runs), found {}",
                    plan.runs,
                    describe(m.get(key))
                ));
            }
        }
        shards.push(ShardIn {
            dir,
            index,
            runs: m.get("runs").cloned().unwrap_or_default(),
            threads: m.get("threads").cloned().unwrap_or_default(),
            elapsed_seconds: m.get("elapsed_seconds").cloned().unwrap_or_default(),
        });
    }
    if !problems.is_empty() {
        return Err(bad(problems.join("\n")));
    }
    let mut missing = Vec::new();
    let mut given = shards.iter().map(|s| s.index).peekable();
    for i in 0..count {
        if given.peek() == Some(&i) {
            given.next();
        } else {
            missing.push(i);
        }
    }
    if !missing.is_empty() && !partial {
        let mut msg = format!(
            "missing shard{} {} of {count}",
            if missing.len() == 1 { "" } else { "s" },
            ranges(&missing)
        );
        for (_, m) in &incomplete {
            msg.push('\n');
            msg.push_str(m);
        }
        msg.push_str("\npass --partial to merge the shards that are complete");
        return Err(bad(msg));
    }
    let list_points = plan.points <= crate::output::manifest::MAX_LISTED_POINTS;
    Ok(Input {
        plan,
        reference,
        list_points,
        shards,
        missing,
        started: started.unwrap_or_default(),
        elapsed,
    })
}

/// What is kept of a complete shard's manifest besides its index.
fn keep(m: &Map<String, Value>) -> Map<String, Value> {
    ["runs", "runs_written", "threads", "elapsed_seconds"]
        .iter()
        .filter_map(|k| m.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect()
}

fn incomplete_message(dir: &Path, index: u64, written: Option<u64>, runs: Option<u64>) -> String {
    let n = |x: Option<u64>| x.map_or("?".to_string(), |x| x.to_string());
    format!(
        "{}: shard {index} is incomplete ({} of {} runs written); resume it with `ideaflow run SCENARIO --shard {index}/N --out {} --resume`",
        dir.display(),
        n(written),
        n(runs),
        dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_is_limited_outside_point_parameters_and_in_depth() {
        let dir = tempfile::tempdir().unwrap();
        let write = |text: &str| std::fs::write(dir.path().join("manifest.json"), text).unwrap();
        let big = format!(
            "{{\"point_parameters\": [\"{}\"], \"seed\": 1}}",
            "x".repeat(5000)
        );
        write(&big);
        let m = read_manifest_limited(dir.path(), 100).unwrap().unwrap();
        assert_eq!(m.get("seed"), Some(&Value::from(1)));
        assert!(m.get("point_parameters").is_none());
        write(&format!("{{\"seed\": \"{}\"}}", "x".repeat(5000)));
        let e = read_manifest_limited(dir.path(), 100).unwrap_err();
        assert!(
            e.contains("over 100 bytes outside `point_parameters`"),
            "{e}"
        );
        // Brackets inside strings do not count; real nesting does.
        write("{\"point_parameters\": [\"[[[[\\\"[[\", {\"a\": [1]}], \"seed\": 2}");
        let m = read_manifest_limited(dir.path(), 100).unwrap().unwrap();
        assert_eq!(m.get("seed"), Some(&Value::from(2)));
        write(&format!(
            "{{\"point_parameters\": {}{}}}",
            "[".repeat(129),
            "]".repeat(129)
        ));
        let e = read_manifest_limited(dir.path(), 100).unwrap_err();
        assert!(e.contains("nested deeper than 128"), "{e}");
    }

    #[test]
    fn ranges_compress_consecutive_indices() {
        assert_eq!(ranges(&[2]), "2");
        assert_eq!(ranges(&[0, 2, 3, 5, 6, 7, 9]), "0, 2, 3, 5-7, 9");
    }

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
