//! The merged folder's manifest: the shards' description of the
//! experiment (the first shard's manifest, checked to agree with the
//! others), with what this merge wrote, and every point's parameters
//! written again one point at a time from the base parameters and the
//! sweep.

use serde::ser::{SerializeMap, SerializeSeq};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::output::manifest as out_manifest;
use crate::output::{MANIFEST_FILE, Rows, Staging};

use super::MergeOptions;
use super::manifest::{Input, Plan};

/// Writes `manifest.json` of the merge into `staging`.
pub(super) fn write_manifest(
    staging: &mut Staging,
    input: &mut Input,
    opts: &MergeOptions,
    rows: &Rows,
    merged_runs: u64,
) -> Result<(), Error> {
    let m = manifest(input, opts, rows, merged_runs);
    let out = ManifestOut {
        map: &m,
        points: PointParameters {
            plan: &input.plan,
            listed: input.list_points,
            manifest: &m,
        },
    };
    let path = staging.dir().join(MANIFEST_FILE);
    let io = |e: std::io::Error| Error::io(&path, e);
    let mut w = staging.create(MANIFEST_FILE)?;
    serde_json::to_writer_pretty(&mut w, &out).map_err(|err| io(err.into()))?;
    std::io::Write::write_all(&mut w, b"\n").map_err(io)?;
    std::io::Write::flush(&mut w).map_err(io)
}

/// The manifest's fields, `point_parameters` aside: the reference
/// manifest (taken out of `input`) without what describes one shard, with
/// what this merge wrote.
fn manifest(
    input: &mut Input,
    opts: &MergeOptions,
    rows: &Rows,
    merged_runs: u64,
) -> Map<String, Value> {
    let mut m = std::mem::take(&mut input.reference);
    m.remove("shard");
    m.remove("stopped");
    m.remove("sessions");
    m.insert(
        "command_line".into(),
        Value::from(opts.command_line.clone()),
    );
    m.insert("runs".into(), Value::from(input.plan.runs));
    m.insert("runs_written".into(), Value::from(merged_runs));
    m.insert("complete".into(), Value::Bool(input.missing.is_empty()));
    m.insert("started".into(), Value::from(input.started.clone()));
    m.insert(
        "finished".into(),
        Value::from(out_manifest::timestamp(std::time::SystemTime::now())),
    );
    m.insert("elapsed_seconds".into(), Value::from(input.elapsed));
    m.insert(
        "rows".into(),
        serde_json::to_value(rows).unwrap_or_default(),
    );
    m.insert(
        "merged".into(),
        serde_json::json!({
            "shards": input.plan.count,
            "missing": input.missing,
            "from": input.shards.iter().map(|s| serde_json::json!({
                "shard": s.index,
                "path": s.dir.display().to_string(),
                "runs": s.runs,
                "threads": s.threads,
                "elapsed_seconds": s.elapsed_seconds,
            })).collect::<Vec<_>>(),
        }),
    );
    m
}

/// The merged manifest: `map` with `point_parameters` in its place (keys
/// in order), written one point at a time.
struct ManifestOut<'a> {
    map: &'a Map<String, Value>,
    points: PointParameters<'a>,
}

impl serde::Serialize for ManifestOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        const KEY: &str = "point_parameters";
        let mut m = s.serialize_map(Some(self.map.len() + 1))?;
        let mut pending = true;
        for (k, v) in self.map {
            if pending && k.as_str() > KEY {
                m.serialize_entry(KEY, &self.points)?;
                pending = false;
            }
            m.serialize_entry(k, v)?;
        }
        if pending {
            m.serialize_entry(KEY, &self.points)?;
        }
        m.end()
    }
}

/// Every point's parameters, as the engine lists them (null above
/// `MAX_LISTED_POINTS` points): the base parameters with the point's
/// swept values.
struct PointParameters<'a> {
    plan: &'a Plan,
    listed: bool,
    /// The manifest holding `base_parameters` and `sweep`.
    manifest: &'a Map<String, Value>,
}

impl serde::Serialize for PointParameters<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !self.listed {
            return s.serialize_none();
        }
        let plan = self.plan;
        let base = self
            .manifest
            .get("base_parameters")
            .and_then(Value::as_object);
        let sweep: Vec<&[Value]> = (0..plan.axes.len())
            .map(|k| {
                self.manifest
                    .get("sweep")
                    .and_then(|a| a.get(k))
                    .and_then(|a| a.get("values"))
                    .and_then(Value::as_array)
                    .map_or(&[][..], Vec::as_slice)
            })
            .collect();
        let mut seq = s.serialize_seq(usize::try_from(plan.points).ok())?;
        for p in 0..plan.points {
            let mut params = base.cloned().unwrap_or_default();
            for (axis, values) in plan.axes.iter().zip(&sweep) {
                if let Some(v) = values.get(axis.index_at(p)) {
                    params.insert(axis.path.to_string(), v.clone());
                }
            }
            let mut point = Map::new();
            point.insert("parameters".into(), Value::Object(params));
            point.insert("point_id".into(), Value::from(p));
            seq.serialize_element(&Value::Object(point))?;
        }
        seq.end()
    }
}
