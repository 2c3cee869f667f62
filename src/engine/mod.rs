//! Running an experiment: every (sweep point, replicate) in parallel on a
//! rayon pool, outputs written in (point, replicate, step) order as runs
//! finish, with memory bounded independently of the number of runs.

pub mod pool;
pub mod progress;
pub mod run;

use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use crate::error::Error;
use crate::output::manifest::{
    self, Manifest, PointParams, Program, Rows, ScenarioInfo, SweepAxis,
};
use crate::output::runs::RunsCsv;
use crate::output::summary::SummaryCsv;
use crate::output::teams::TeamsCsv;
use crate::output::timeseries::TimeseriesCsv;
use crate::output::{Layout, Sink, Staging};
use crate::scenario::Experiment;
use progress::Progress;
use run::RunId;

/// How to run an experiment.
pub struct RunOptions<'a> {
    /// Output folder.
    pub out_dir: PathBuf,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Replace results already in the output folder.
    pub force: bool,
    /// The command line, recorded in the manifest.
    pub command_line: Vec<String>,
    /// Where progress goes.
    pub progress: &'a dyn Progress,
}

/// What a finished experiment produced.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// Output folder.
    pub out_dir: PathBuf,
    /// Runs completed.
    pub runs: u64,
    /// Rows written per file.
    pub rows: Rows,
    /// Worker threads used.
    pub threads: usize,
    /// Wall-clock seconds.
    pub elapsed_seconds: f64,
}

/// Results held in memory at once, per worker thread.
const WINDOW_PER_THREAD: usize = 16;

/// The CSV column layout of an experiment.
pub fn layout(exp: &Experiment) -> Layout {
    Layout {
        swept: exp.axes.iter().map(|a| a.path()).collect(),
        metrics: exp.metric_defs(),
        run_columns: exp.model.run_columns().to_vec(),
        team_columns: if exp.teams {
            exp.model.team_columns().iter().collect()
        } else {
            Vec::new()
        },
    }
}

/// Runs every run of `exp` and writes the output folder.
pub fn run(exp: &Experiment, opts: &RunOptions<'_>) -> Result<RunReport, Error> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.threads
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("ideaflow-worker-{i}"))
        .build()
        .map_err(|e| Error::Threads {
            threads,
            message: e.to_string(),
        })?;

    let mut staging = Staging::prepare(&opts.out_dir, opts.force)?;
    let layout = layout(exp);
    let dir = staging.dir().to_path_buf();
    let io = |name: &str| {
        let path = dir.join(name);
        move |e: std::io::Error| Error::io(path, e)
    };
    let mut sinks: Vec<Box<dyn Sink>> = Vec::new();
    if exp.timeseries {
        let w = staging.create("timeseries.csv")?;
        sinks.push(Box::new(
            TimeseriesCsv::new(w, &layout).map_err(io("timeseries.csv"))?,
        ));
    }
    if exp.teams {
        let w = staging.create("teams.csv")?;
        sinks.push(Box::new(
            TeamsCsv::new(w, &layout).map_err(io("teams.csv"))?,
        ));
    }
    let w = staging.create("runs.csv")?;
    sinks.push(Box::new(RunsCsv::new(w, &layout).map_err(io("runs.csv"))?));
    let w = staging.create("summary.csv")?;
    sinks.push(Box::new(
        SummaryCsv::new(w, &layout).map_err(io("summary.csv"))?,
    ));

    let total = exp.runs();
    opts.progress.start(total);
    // Small runs are claimed in batches so that a run of a few
    // microseconds does not pay a hand-over between threads.
    let batch = (total / (threads as u64 * 64)).clamp(1, 32);
    let result = pool::ordered_batched(
        &pool,
        total,
        WINDOW_PER_THREAD * threads,
        batch,
        run::PointCache::default,
        |cache, i| run::simulate_cached(exp, &layout, RunId::of(exp, i), cache),
        |_, rec| {
            for s in sinks.iter_mut() {
                s.write_run(&rec).map_err(io(s.file_name()))?;
            }
            opts.progress.advance(1);
            Ok::<(), Error>(())
        },
    );
    opts.progress.finish();
    match result {
        Ok(()) => {}
        Err(pool::Stop::Consumer(e)) => return Err(e),
        Err(pool::Stop::Panic(i, message)) => {
            let id = RunId::of(exp, i);
            return Err(Error::RunFailed {
                run_id: id.run_id,
                point: id.point,
                replicate: id.replicate,
                seed: id.seed,
                message,
            });
        }
    }

    let mut rows = Rows::default();
    for s in sinks.iter_mut() {
        let n = s.finish().map_err(io(s.file_name()))?;
        match s.file_name() {
            "timeseries.csv" => rows.timeseries = Some(n),
            "teams.csv" => rows.teams = Some(n),
            "runs.csv" => rows.runs = n,
            _ => rows.summary = n,
        }
    }
    drop(sinks);

    let elapsed = clock.elapsed().as_secs_f64();
    let m = build_manifest(exp, opts, threads, started, elapsed, rows.clone());
    let mut w = staging.create("manifest.json")?;
    serde_json::to_writer_pretty(&mut w, &m)
        .map_err(|e| Error::io(dir.join("manifest.json"), e.into()))?;
    std::io::Write::write_all(&mut w, b"\n").map_err(io("manifest.json"))?;
    std::io::Write::flush(&mut w).map_err(io("manifest.json"))?;
    drop(w);
    staging.commit()?;
    Ok(RunReport {
        out_dir: opts.out_dir.clone(),
        runs: total,
        rows,
        threads,
        elapsed_seconds: elapsed,
    })
}

fn build_manifest(
    exp: &Experiment,
    opts: &RunOptions<'_>,
    threads: usize,
    started: SystemTime,
    elapsed: f64,
    rows: Rows,
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
        runs: exp.runs(),
        threads,
        started: manifest::timestamp(started),
        finished: manifest::timestamp(SystemTime::now()),
        elapsed_seconds: elapsed,
        complete: true,
        every: exp.every,
        metrics: exp.metric_defs().iter().map(|m| m.name).collect(),
        rows,
        base_parameters: exp.base.to_json(),
        sweep: exp
            .axes
            .iter()
            .map(|a| SweepAxis {
                path: a.path(),
                values: a.values.iter().map(|v| v.to_json()).collect(),
            })
            .collect(),
        point_parameters,
    }
}
