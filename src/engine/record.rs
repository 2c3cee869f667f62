//! What the engine records of an experiment in `manifest.json`: the
//! program, the scenario as read, the parameters of every point, how far
//! the experiment got and the rows of every file.

use std::time::SystemTime;

use crate::error::Error;
use crate::output::manifest::{
    self, Manifest, PointParams, Program, Rows, ScenarioInfo, SweepAxis,
};
use crate::output::{MANIFEST_FILE, Staging};
use crate::scenario::Experiment;

use super::RunOptions;

/// The swept parameters of a point as `path = value` pairs.
pub(super) fn point_parameters(exp: &Experiment, point: u64) -> String {
    exp.axes
        .iter()
        .zip(exp.point_values(point))
        .map(|(a, v)| format!("{} = {}", a.column(), v.to_json()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How far an experiment got.
pub(super) struct Progress {
    /// Runs written, by every session.
    pub done: u64,
    /// Runs selected.
    pub total: u64,
    /// Sessions that wrote the files.
    pub session: u32,
    /// Why it stopped early, if it did.
    pub stopped: Option<String>,
}

/// The manifest of `exp` run with `opts` on `threads` workers, started
/// at `started` and `elapsed` seconds long over every session.
pub(super) fn manifest(
    exp: &Experiment,
    opts: &RunOptions<'_>,
    threads: usize,
    started: &str,
    elapsed: f64,
    rows: Rows,
    progress: Progress,
) -> Manifest {
    let points = exp.points();
    let point_parameters = (points <= manifest::MAX_LISTED_POINTS).then(|| {
        (0..points)
            .map(|p| PointParams {
                point_id: p,
                parameters: exp.point(p).to_json(),
            })
            .collect()
    });
    Manifest {
        program: Program::current(),
        command_line: opts.command_line.clone(),
        scenario: ScenarioInfo {
            path: exp.path.display().to_string(),
            name: exp.name.clone(),
            model: exp.model.name(),
            text: exp.text.clone(),
            extends: exp.extends.as_ref().map(|(p, t)| manifest::BaseInfo {
                path: p.display().to_string(),
                text: t.clone(),
            }),
        },
        seed: exp.seed,
        replicates: exp.replicates,
        points,
        runs: progress.total,
        threads,
        started: started.to_string(),
        finished: manifest::timestamp(SystemTime::now()),
        elapsed_seconds: elapsed,
        complete: progress.stopped.is_none(),
        runs_written: progress.done,
        stopped: progress.stopped,
        sessions: progress.session,
        only_run: opts.only_run,
        shard: opts.shard.map(|s| manifest::ShardInfo {
            index: s.index,
            count: s.count,
        }),
        every: exp.every,
        metrics: exp.metric_defs().iter().map(|m| m.name).collect(),
        rows,
        base_parameters: exp.base.to_json(),
        sweep: exp
            .axes
            .iter()
            .map(|a| SweepAxis {
                path: a.column(),
                values: a.values.iter().map(|v| v.to_json()).collect(),
            })
            .collect(),
        point_parameters,
    }
}

/// Writes `m` as `manifest.json` into `staging` (renamed with the other
/// files when the staging is committed).
pub(super) fn write(staging: &mut Staging, m: &Manifest) -> Result<(), Error> {
    let path = staging.dir().join(MANIFEST_FILE);
    let io = |e: std::io::Error| Error::io(&path, e);
    let mut w = staging.create(MANIFEST_FILE)?;
    serde_json::to_writer_pretty(&mut w, m).map_err(|e| io(e.into()))?;
    std::io::Write::write_all(&mut w, b"\n").map_err(io)?;
    std::io::Write::flush(&mut w).map_err(io)
}
