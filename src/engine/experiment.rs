//! [`run`]: an experiment from start to finished folder, in named stages:
//! choose the runs ([`Selection`]), open the folder fresh or at the last
//! checkpoint ([`Folder::open`]), run and write every run in order
//! ([`run_all`]), then close the files and write the manifest
//! ([`finish`]).

use std::time::Instant;

use crate::error::Error;
use crate::output::manifest::Rows;
use crate::output::{CsvFile, Layout, Switches};
use crate::scenario::Experiment;

use super::folder::{Folder, Opened};
use super::run::{self, RunFault, RunId};
use super::{
    InjectedFault, RunOptions, RunReport, WINDOW_PER_THREAD, checkpoint, estimate, pool, record,
    worker_threads,
};

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
    let pool = thread_pool(threads)?;
    let selection = Selection::of(exp, opts)?;
    let switches = switches_of(exp, opts);
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
    let job = Job {
        exp,
        layout: super::layout(exp),
        files: CsvFile::written_by(switches).collect(),
        fingerprint: checkpoint::fingerprint(exp, opts.only_run, opts.shard),
        selection,
        threads,
        clock,
    };
    let mut folder = match Folder::open(&job, opts)? {
        Opened::Ready(folder) => folder,
        Opened::Complete(report) => return Ok(report),
    };
    let outcome = match run_all(&pool, &job, &mut folder, opts) {
        Ok(outcome) => outcome,
        Err(e) => {
            folder.abandon()?;
            return Err(e);
        }
    };
    finish(&job, folder, outcome, opts)
}

/// The worker threads' pool.
fn thread_pool(threads: usize) -> Result<rayon::ThreadPool, Error> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("ideaflow-worker-{i}"))
        .build()
        .map_err(|e| Error::Threads {
            threads,
            message: e.to_string(),
        })
}

/// The files an experiment writes: per its `[output]` table, and always
/// the time series for a shard (`ideaflow merge` computes summary.csv of
/// the whole experiment from them).
fn switches_of(exp: &Experiment, opts: &RunOptions<'_>) -> Switches {
    match opts.shard {
        Some(_) => super::switches(exp).of_shard(),
        None => super::switches(exp),
    }
}

/// The runs to do: the k-th is run `first + k * stride`, for k below
/// `total`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Selection {
    first: u64,
    stride: u64,
    /// Runs selected.
    pub total: u64,
}

impl Selection {
    /// Every run, one run alone (`--only-run`) or a shard's runs.
    fn of(exp: &Experiment, opts: &RunOptions<'_>) -> Result<Selection, Error> {
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
        Ok(Selection {
            first,
            stride,
            total,
        })
    }

    /// The run index of the k-th run to do.
    fn run(self, k: u64) -> u64 {
        self.first + k * self.stride
    }
}

/// What one session of an experiment works from.
pub(super) struct Job<'a> {
    /// The experiment (with its time series on for a shard).
    pub exp: &'a Experiment,
    /// Its columns.
    pub layout: Layout,
    /// The files written besides the manifest, in order (the sinks').
    pub files: Vec<CsvFile>,
    /// What must be equal for the experiment to be continued.
    pub fingerprint: std::collections::BTreeMap<String, serde_json::Value>,
    /// The runs to do.
    pub selection: Selection,
    /// Worker threads.
    pub threads: usize,
    /// When this session started.
    pub clock: Instant,
}

impl Job<'_> {
    /// An error writing `name` in the output folder.
    pub fn io(&self, dir: &std::path::Path, name: &str) -> impl Fn(std::io::Error) -> Error {
        let path = dir.join(name);
        move |e| Error::io(&path, e)
    }

    /// Refuses (without `--yes`) to go on when the `share` of the
    /// experiment's output left to write does not fit.
    pub fn guard(&self, share: f64, opts: &RunOptions<'_>) -> Result<(), Error> {
        if opts.yes {
            return Ok(());
        }
        let share = share / self.exp.runs().max(1) as f64;
        estimate::guard(
            &estimate::estimate(self.exp, self.threads),
            share,
            &opts.out_dir,
        )
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
    /// A stop request.
    Interrupted,
    /// This run failed, with this message.
    Failed(u64, String),
}

/// How the runs of this session ended.
struct Outcome {
    /// Runs written, by every session.
    done: u64,
    /// Why the experiment stopped early, if it did.
    early: Option<Early>,
}

/// Runs the selected runs not yet done on `pool` and writes each, in
/// order, to every sink, checkpointing every `checkpoint_every`. An error
/// is a failure to write (the folder is then to be abandoned); a stop
/// request or a failed run ends the runs early.
fn run_all(
    pool: &rayon::ThreadPool,
    job: &Job<'_>,
    folder: &mut Folder,
    opts: &RunOptions<'_>,
) -> Result<Outcome, Error> {
    let sel = job.selection;
    let resumed_from = folder.earlier.runs_done;
    let dir = &opts.out_dir;
    opts.progress.start(&job.exp.name, sel.total);
    opts.progress.advance(resumed_from);
    let mut done = resumed_from;
    let mut since = Instant::now();
    let checkpoints = !opts.checkpoint_every.is_zero();
    // Small runs are claimed in batches so that a run of a few
    // microseconds does not pay a hand-over between threads.
    let batch = (sel.total / (job.threads as u64 * 64)).clamp(1, 32);
    let run_of = |k: u64| sel.run(resumed_from + k);
    let (exp, layout, cancel, fail_run) = (job.exp, &job.layout, opts.cancel, opts.fail_run);
    let result = pool::ordered_batched(
        pool,
        sel.total - resumed_from,
        WINDOW_PER_THREAD * job.threads,
        batch,
        &|| cancel.stopping(),
        run::PointCache::default,
        |cache, i| {
            simulate(
                exp,
                layout,
                RunId::of(exp, run_of(i)),
                cache,
                cancel,
                fail_run,
            )
        },
        |i, rec| {
            let rec = match rec {
                Ok(rec) => rec,
                Err(RunFault::Dropped) => return Err(Halt::Dropped),
                Err(f) => return Err(Halt::Fault(run_of(i), f)),
            };
            for s in folder.sinks.iter_mut() {
                s.write_run(&rec)
                    .map_err(|e| Halt::Write(Error::io(dir.join(s.file_name()), e)))?;
            }
            done += 1;
            opts.progress.advance(1);
            if checkpoints && since.elapsed() >= opts.checkpoint_every {
                folder.last_checkpoint = Some(folder.save(job, dir, done).map_err(Halt::Write)?);
                since = Instant::now();
            }
            Ok::<(), Halt>(())
        },
    );
    opts.progress.finish();
    let early = match result {
        Ok(()) if done == sel.total => None,
        Ok(()) | Err(pool::Stop::Consumer(Halt::Dropped)) => Some(Early::Interrupted),
        Err(pool::Stop::Consumer(Halt::Fault(i, f))) => Some(Early::Failed(i, f.to_string())),
        Err(pool::Stop::Panic(i, message)) => Some(Early::Failed(run_of(i), message)),
        Err(pool::Stop::Consumer(Halt::Write(e))) => return Err(e),
    };
    Ok(Outcome { done, early })
}

/// Simulates one run, or makes it fail as `--fail-run` asks (a test hook:
/// a panic, or an invalid value).
fn simulate(
    exp: &Experiment,
    layout: &Layout,
    id: RunId,
    cache: &mut run::PointCache,
    cancel: &run::Cancel,
    fail_run: Option<(u64, InjectedFault)>,
) -> Result<crate::output::RunRecord, RunFault> {
    match fail_run {
        Some((f, InjectedFault::Panic)) if f == id.run_id => {
            panic!("injected failure")
        }
        Some((f, InjectedFault::NonFinite)) if f == id.run_id => Err(RunFault::NonFinite {
            metric: "injected",
            step: 1,
            value: f64::NAN,
        }),
        _ => run::simulate_cached(exp, layout, id, cache, cancel),
    }
}

/// Closes the files (finished, or saved for `--resume` when the runs
/// ended early), writes the manifest and renames everything to its final
/// name; an experiment that ended early is then an error saying why.
fn finish(
    job: &Job<'_>,
    mut folder: Folder,
    outcome: Outcome,
    opts: &RunOptions<'_>,
) -> Result<RunReport, Error> {
    let dir = &opts.out_dir;
    let session_elapsed = job.clock.elapsed().as_secs_f64();
    let rows = match &outcome.early {
        None => folder.close(job, dir)?,
        Some(_) => match folder.save(job, dir, outcome.done) {
            Ok(files) => {
                let mut rows = Rows::default();
                for (file, f) in job.files.iter().zip(&files) {
                    rows.set(*file, f.rows);
                }
                rows
            }
            Err(e) => {
                folder.abandon()?;
                return Err(e);
            }
        },
    };
    let session = folder.session();
    let Folder {
        mut staging,
        sinks,
        earlier,
        ..
    } = folder;
    drop(sinks);
    let m = record::manifest(
        job.exp,
        opts,
        job.threads,
        &earlier.started,
        earlier.elapsed_seconds + session_elapsed,
        rows.clone(),
        record::Progress {
            done: outcome.done,
            total: job.selection.total,
            session,
            stopped: outcome.early.as_ref().map(Early::describe),
        },
    );
    record::write(&mut staging, &m)?;
    match outcome.early {
        None => {
            staging.commit()?;
            Ok(RunReport {
                out_dir: opts.out_dir.clone(),
                runs: job.selection.total,
                resumed_from: earlier.runs_done,
                rows,
                threads: job.threads,
                elapsed_seconds: session_elapsed,
            })
        }
        Some(early) => {
            staging.commit_incomplete()?;
            Err(early.into_error(job, opts, outcome.done))
        }
    }
}

impl Early {
    /// Why the experiment stopped, as the manifest says.
    fn describe(&self) -> String {
        match self {
            Early::Interrupted => "interrupted".to_string(),
            Early::Failed(i, msg) => format!("run {i} failed: {msg}"),
        }
    }

    /// The error of an experiment that stopped early with `done` runs
    /// written.
    fn into_error(self, job: &Job<'_>, opts: &RunOptions<'_>, done: u64) -> Error {
        match self {
            Early::Interrupted => Error::Interrupted {
                out_dir: opts.out_dir.clone(),
                done,
                total: job.selection.total,
            },
            Early::Failed(i, message) => {
                let id = RunId::of(job.exp, i);
                Error::RunFailed {
                    run_id: id.run_id,
                    point: id.point,
                    parameters: record::point_parameters(job.exp, id.point),
                    replicate: id.replicate,
                    seed: id.seed,
                    message,
                    kept: done,
                    out_dir: opts.out_dir.clone(),
                }
            }
        }
    }
}
