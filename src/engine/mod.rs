//! Running an experiment: every (sweep point, replicate) in parallel on a
//! rayon pool, outputs written in (point, replicate, step) order as runs
//! finish, with memory bounded independently of the number of runs.

pub mod checkpoint;
pub mod estimate;
pub mod pool;
pub mod progress;
pub mod run;

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use crate::error::Error;
use crate::output::manifest::{
    self, Manifest, PointParams, Program, Rows, ScenarioInfo, SweepAxis,
};
use crate::output::{
    CsvFile, FolderLock, Layout, MANIFEST_FILE, RESUME_FILE, Sink, Staging, Switches,
};
use crate::scenario::Experiment;
pub use run::Cancel;
use run::{RunFault, RunId};

/// How to run an experiment.
pub struct RunOptions<'a> {
    /// Output folder.
    pub out_dir: PathBuf,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Replace results already in the output folder.
    pub force: bool,
    /// Continue the interrupted experiment in the output folder.
    pub resume: bool,
    /// Run only the run with this id (to re-run a failed run alone).
    pub only_run: Option<u64>,
    /// Run only one shard of the runs (for a cluster; see [`Shard`]).
    pub shard: Option<Shard>,
    /// Run even if the output would not fit on the disk or the memory
    /// needed exceeds the machine's ([`estimate::guard`]).
    pub yes: bool,
    /// Seconds between checkpoints while running (the state `--resume`
    /// continues from after a hard kill); 0 checkpoints only when stopping.
    pub checkpoint_every: Duration,
    /// The command line, recorded in the manifest.
    pub command_line: Vec<String>,
    /// Where progress goes.
    pub progress: &'a dyn progress::Progress,
    /// Asks the experiment to stop early (signals).
    pub cancel: &'a Cancel,
    /// Test hook: make this run fail, by a panic or with an invalid value.
    #[doc(hidden)]
    pub fail_run: Option<(u64, InjectedFault)>,
}

/// How [`RunOptions::fail_run`] makes a run fail.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub enum InjectedFault {
    /// The run panics.
    Panic,
    /// A count becomes NaN.
    NonFinite,
}

impl<'a> RunOptions<'a> {
    /// Options for writing to `out_dir` with every default: all cores, no
    /// progress, refuse existing results, checkpoint every 30 s, never
    /// cancelled.
    pub fn new(out_dir: impl Into<PathBuf>) -> RunOptions<'static> {
        static NEVER: Cancel = Cancel::new();
        RunOptions {
            out_dir: out_dir.into(),
            threads: 0,
            force: false,
            resume: false,
            only_run: None,
            shard: None,
            yes: false,
            checkpoint_every: DEFAULT_CHECKPOINT,
            command_line: Vec::new(),
            progress: &progress::Silent,
            cancel: &NEVER,
            fail_run: None,
        }
    }
}

/// Most shards an experiment may be split into (far more than a cluster
/// runs at once; Slurm's largest job array is 4,000,001 tasks, its default
/// 1,001); `merge` refuses more.
pub const MAX_SHARDS: u64 = 1_000_000;

/// One of `count` shards of an experiment's runs: the runs whose index
/// modulo `count` is `index`, so that every shard holds a share of every
/// sweep point and a few finished shards already cover the whole design.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// 0-based shard index.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// Runs of an experiment of `runs` runs in this shard.
    pub fn runs(self, runs: u64) -> u64 {
        if self.index >= runs {
            0
        } else {
            (runs - self.index).div_ceil(self.count)
        }
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    /// Parses `I/N`.
    fn from_str(s: &str) -> Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("expected I/N (e.g. 0/4), found `{s}`"))?;
        let index: u64 = i
            .trim()
            .parse()
            .map_err(|_| format!("expected a shard index before `/`, found `{i}`"))?;
        let count: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("expected a shard count after `/`, found `{n}`"))?;
        if count == 0 || index >= count {
            return Err(format!("expected 0 <= I < N in I/N, found {index}/{count}"));
        }
        if count > MAX_SHARDS {
            return Err(format!(
                "expected at most {MAX_SHARDS} shards, found N = {count}"
            ));
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Default time between checkpoints.
pub const DEFAULT_CHECKPOINT: Duration = Duration::from_secs(30);

/// What a finished experiment produced.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// Output folder.
    pub out_dir: PathBuf,
    /// Runs completed.
    pub runs: u64,
    /// Runs completed by earlier sessions (resumed experiments).
    pub resumed_from: u64,
    /// Rows written per file.
    pub rows: Rows,
    /// Worker threads used.
    pub threads: usize,
    /// Wall-clock seconds of this session.
    pub elapsed_seconds: f64,
}

/// The worker threads used for `requested` (0: one per core). More than
/// [`max_threads`] are never started: results do not depend on the count,
/// and thousands of threads spend their time coordinating (a two-run
/// scenario on 4,096 threads took minutes).
pub fn worker_threads(requested: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match requested {
        0 => cores,
        n => n.min(max_threads()),
    }
}

/// The most worker threads started: 4 per core, and at least 64.
pub fn max_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.saturating_mul(4).max(64)
}

/// Results held in memory at once, per worker thread.
const WINDOW_PER_THREAD: usize = 16;

/// The CSV column layout of an experiment.
pub fn layout(exp: &Experiment) -> Layout {
    Layout {
        swept: exp.axes.iter().map(|a| a.column()).collect(),
        metrics: exp.metric_defs(),
        run_columns: exp.model.run_columns().to_vec(),
        team_columns: if exp.teams {
            exp.model.team_columns().iter().collect()
        } else {
            Vec::new()
        },
    }
}

/// The output switches of an experiment (its `[output]` table), which
/// decide the files it writes.
pub fn switches(exp: &Experiment) -> Switches {
    Switches {
        timeseries: exp.timeseries,
        teams: exp.teams,
    }
}

/// Why the consumer stopped early.
enum Halt {
    Write(Error),
    Dropped,
    Fault(u64, RunFault),
}

/// How an experiment that stopped early ended.
enum Early {
    Interrupted,
    Failed(u64, String),
}

/// Runs every run of `exp` (or continues an interrupted experiment, or
/// runs one run alone, per `opts`) and writes the output folder.
///
/// On a stop request, a failed run or a write error, every run finished
/// before it stays written: the files are renamed to their final names
/// with a manifest saying `complete: false` (or, after a write error, kept
/// as at the last checkpoint), and `resume.json` lets `--resume` continue.
pub fn run(exp: &Experiment, opts: &RunOptions<'_>) -> Result<RunReport, Error> {
    let clock = Instant::now();
    let threads = worker_threads(opts.threads);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("ideaflow-worker-{i}"))
        .build()
        .map_err(|e| Error::Threads {
            threads,
            message: e.to_string(),
        })?;

    // The runs to do: the k-th is run first + k * stride.
    let (first, stride, total) = match (opts.only_run, opts.shard) {
        (Some(id), _) if id >= exp.runs() => {
            return Err(Error::NoSuchRun {
                id,
                runs: exp.runs(),
            });
        }
        (Some(id), _) => (id, 1, 1),
        (None, Some(shard)) => (shard.index, shard.count, shard.runs(exp.runs())),
        (None, None) => (0, 1, exp.runs()),
    };
    // A shard always writes its time series: `ideaflow merge` computes
    // summary.csv of the whole experiment from them.
    let switches = match opts.shard {
        Some(_) => switches(exp).of_shard(),
        None => switches(exp),
    };
    let with_timeseries;
    let exp = if switches.timeseries && !exp.timeseries {
        with_timeseries = Experiment {
            timeseries: true,
            ..exp.clone()
        };
        &with_timeseries
    } else {
        exp
    };
    let layout = layout(exp);
    let names: Vec<CsvFile> = CsvFile::written_by(switches).collect();
    let fingerprint = checkpoint::fingerprint(exp, opts.only_run, opts.shard);
    let dir = opts.out_dir.clone();
    let io = |name: &str| {
        let path = dir.join(name);
        move |e: std::io::Error| Error::io(path, e)
    };

    // The folder: fresh, or reopened at the last checkpoint.
    let mut sinks: Vec<Box<dyn Sink>> = Vec::new();
    let (mut staging, earlier, mut last_checkpoint) = if opts.resume {
        // Before reading its state: a folder another process is writing to
        // is busy, not interrupted.
        let lock = if opts.out_dir.is_dir() {
            match FolderLock::acquire(&opts.out_dir) {
                Ok(lock) => Some(lock),
                // A finished experiment in a folder this user cannot write
                // can still be checked (and found complete) without a lock;
                // continuing an interrupted one needs it (reopen says so).
                Err(Error::OutputUnwritable { .. }) => None,
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        let state = match checkpoint::read(&opts.out_dir)? {
            checkpoint::Found::Interrupted(state) => state,
            checkpoint::Found::Complete(m) => {
                // Nothing left to do, if it is this experiment.
                checkpoint::check(
                    &opts.out_dir,
                    &checkpoint::manifest_fingerprint(&m),
                    &fingerprint,
                )?;
                let rows = serde_json::from_value(m.get("rows").cloned().unwrap_or_default())
                    .unwrap_or_default();
                return Ok(RunReport {
                    out_dir: opts.out_dir.clone(),
                    runs: total,
                    resumed_from: total,
                    rows,
                    threads,
                    elapsed_seconds: 0.0,
                });
            }
        };
        checkpoint::check(&opts.out_dir, &state.experiment, &fingerprint)?;
        if !opts.yes {
            let left = total.saturating_sub(state.runs_done) as f64 / exp.runs().max(1) as f64;
            estimate::guard(&estimate::estimate(exp, threads), left, &opts.out_dir)?;
        }
        if state
            .files
            .iter()
            .map(|f| f.name.as_str())
            .ne(names.iter().map(|f| f.name()))
        {
            return Err(Error::ResumeState {
                path: dir.join(RESUME_FILE),
                message: "its files are not those this experiment writes".into(),
            });
        }
        let (staging, writers) = Staging::reopen(&opts.out_dir, &state.files, lock)?;
        for ((file, w), f) in names.iter().zip(writers).zip(&state.files) {
            let mut sink = file.sink(w, &layout, false).map_err(io(file.name()))?;
            sink.restore(f).map_err(|message| Error::ResumeState {
                path: dir.join(RESUME_FILE),
                message,
            })?;
            sinks.push(sink);
        }
        let files = state.files.clone();
        (staging, state, Some(files))
    } else {
        if !opts.yes {
            let share = total as f64 / exp.runs().max(1) as f64;
            estimate::guard(&estimate::estimate(exp, threads), share, &opts.out_dir)?;
        }
        let mut staging = Staging::prepare(&opts.out_dir, opts.force)?;
        for file in &names {
            let w = staging.create(file.name())?;
            sinks.push(file.sink(w, &layout, true).map_err(io(file.name()))?);
        }
        let state = checkpoint::ResumeState {
            format: 0,
            experiment: fingerprint.clone(),
            runs_total: total,
            runs_done: 0,
            files: Vec::new(),
            started: manifest::timestamp(SystemTime::now()),
            elapsed_seconds: 0.0,
            sessions: 0,
        };
        (staging, state, None)
    };
    let resumed_from = earlier.runs_done;
    let session = earlier.sessions + 1;

    // Writes the files' state at the current run boundary and resume.json.
    let save = |sinks: &mut Vec<Box<dyn Sink>>,
                staging: &mut Staging,
                done: u64|
     -> Result<Vec<crate::output::FileState>, Error> {
        let mut files = Vec::with_capacity(sinks.len());
        for s in sinks.iter_mut() {
            files.push(s.checkpoint().map_err(io(s.file_name()))?);
        }
        let state = checkpoint::ResumeState {
            format: 1,
            experiment: fingerprint.clone(),
            runs_total: total,
            runs_done: done,
            files: files.clone(),
            started: earlier.started.clone(),
            elapsed_seconds: earlier.elapsed_seconds + clock.elapsed().as_secs_f64(),
            sessions: session,
        };
        let mut text =
            serde_json::to_vec(&state).map_err(|e| Error::io(dir.join(RESUME_FILE), e.into()))?;
        text.push(b'\n');
        staging.write_atomic(RESUME_FILE, &text)?;
        staging.keep_on_drop();
        Ok(files)
    };

    opts.progress.start(&exp.name, total);
    opts.progress.advance(resumed_from);
    let mut done = resumed_from;
    let mut since = Instant::now();
    let checkpoints = !opts.checkpoint_every.is_zero();
    // Small runs are claimed in batches so that a run of a few
    // microseconds does not pay a hand-over between threads.
    let batch = (total / (threads as u64 * 64)).clamp(1, 32);
    let run_of = |k: u64| first + (resumed_from + k) * stride;
    let cancel = opts.cancel;
    let fail_run = opts.fail_run;
    let result = pool::ordered_batched(
        &pool,
        total - resumed_from,
        WINDOW_PER_THREAD * threads,
        batch,
        &|| cancel.stopping(),
        run::PointCache::default,
        |cache, i| {
            let id = RunId::of(exp, run_of(i));
            match fail_run {
                Some((f, InjectedFault::Panic)) if f == id.run_id => {
                    panic!("injected failure")
                }
                Some((f, InjectedFault::NonFinite)) if f == id.run_id => Err(RunFault::NonFinite {
                    metric: "injected",
                    step: 1,
                    value: f64::NAN,
                }),
                _ => run::simulate_cached(exp, &layout, id, cache, cancel),
            }
        },
        |i, rec| {
            let rec = match rec {
                Ok(rec) => rec,
                Err(RunFault::Dropped) => return Err(Halt::Dropped),
                Err(f) => return Err(Halt::Fault(run_of(i), f)),
            };
            for s in sinks.iter_mut() {
                s.write_run(&rec)
                    .map_err(|e| Halt::Write(Error::io(dir.join(s.file_name()), e)))?;
            }
            done += 1;
            opts.progress.advance(1);
            if checkpoints && since.elapsed() >= opts.checkpoint_every {
                last_checkpoint = Some(save(&mut sinks, &mut staging, done).map_err(Halt::Write)?);
                since = Instant::now();
            }
            Ok::<(), Halt>(())
        },
    );
    opts.progress.finish();
    let early = match result {
        Ok(()) if done == total => None,
        Ok(()) | Err(pool::Stop::Consumer(Halt::Dropped)) => Some(Early::Interrupted),
        Err(pool::Stop::Consumer(Halt::Fault(i, f))) => Some(Early::Failed(i, f.to_string())),
        Err(pool::Stop::Panic(i, message)) => Some(Early::Failed(run_of(i), message)),
        Err(pool::Stop::Consumer(Halt::Write(e))) => {
            // The files may hold part of a run: back to the last
            // checkpoint, kept for --resume, or nothing at all.
            drop(sinks);
            if let Some(files) = last_checkpoint {
                staging.keep_checkpoint(&files)?;
            }
            return Err(e);
        }
    };

    let session_elapsed = clock.elapsed().as_secs_f64();
    let elapsed = earlier.elapsed_seconds + session_elapsed;
    let mut rows = Rows::default();
    let stopped = match early {
        None => {
            for (file, s) in names.iter().zip(sinks.iter_mut()) {
                let n = s.finish().map_err(io(s.file_name()))?;
                rows.set(*file, n);
            }
            None
        }
        Some(early) => {
            let files = match save(&mut sinks, &mut staging, done) {
                Ok(files) => files,
                Err(e) => {
                    drop(sinks);
                    if let Some(files) = last_checkpoint {
                        staging.keep_checkpoint(&files)?;
                    }
                    return Err(e);
                }
            };
            for (file, f) in names.iter().zip(&files) {
                rows.set(*file, f.rows);
            }
            Some(early)
        }
    };
    drop(sinks);

    let m = build_manifest(
        exp,
        opts,
        threads,
        &earlier.started,
        elapsed,
        rows.clone(),
        Progress {
            done,
            total,
            session,
            stopped: stopped.as_ref().map(|e| match e {
                Early::Interrupted => "interrupted".to_string(),
                Early::Failed(i, msg) => format!("run {i} failed: {msg}"),
            }),
        },
    );
    let mut w = staging.create(MANIFEST_FILE)?;
    serde_json::to_writer_pretty(&mut w, &m)
        .map_err(|e| Error::io(dir.join(MANIFEST_FILE), e.into()))?;
    std::io::Write::write_all(&mut w, b"\n").map_err(io(MANIFEST_FILE))?;
    std::io::Write::flush(&mut w).map_err(io(MANIFEST_FILE))?;
    drop(w);
    match stopped {
        None => {
            staging.commit()?;
            Ok(RunReport {
                out_dir: opts.out_dir.clone(),
                runs: total,
                resumed_from,
                rows,
                threads,
                elapsed_seconds: session_elapsed,
            })
        }
        Some(early) => {
            staging.commit_incomplete()?;
            Err(match early {
                Early::Interrupted => Error::Interrupted {
                    out_dir: opts.out_dir.clone(),
                    done,
                    total,
                },
                Early::Failed(i, message) => {
                    let id = RunId::of(exp, i);
                    Error::RunFailed {
                        run_id: id.run_id,
                        point: id.point,
                        parameters: point_parameters(exp, id.point),
                        replicate: id.replicate,
                        seed: id.seed,
                        message,
                        kept: done,
                        out_dir: opts.out_dir.clone(),
                    }
                }
            })
        }
    }
}

/// The swept parameters of a point as `path = value` pairs.
fn point_parameters(exp: &Experiment, point: u64) -> String {
    exp.axes
        .iter()
        .zip(exp.point_values(point))
        .map(|(a, v)| format!("{} = {}", a.column(), v.to_json()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How far an experiment got.
struct Progress {
    done: u64,
    total: u64,
    session: u32,
    stopped: Option<String>,
}

fn build_manifest(
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
