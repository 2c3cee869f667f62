//! Parallel work with ordered, bounded consumption.
//!
//! `threads` rayon workers take run indices from a shared counter in
//! increasing order; the calling thread consumes results strictly in index
//! order (reordering through a small buffer). A worker must hold one of
//! `window` permits before taking an index and the consumer returns it after
//! consuming that index, so at most `window` results exist at once: memory is
//! bounded whatever the number of runs, and a slow run only holds back the
//! writer, not the workers' progress beyond the window.
//!
//! No deadlock: a permit is taken *before* an index, so the lowest index not
//! yet consumed always belongs to a worker that is computing it.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, mpsc};

/// A counting semaphore that can be shut down.
struct Permits {
    free: Mutex<usize>,
    cv: Condvar,
    closed: AtomicBool,
}

impl Permits {
    fn new(n: usize) -> Self {
        Permits {
            free: Mutex::new(n),
            cv: Condvar::new(),
            closed: AtomicBool::new(false),
        }
    }

    /// Waits for a permit; false when shut down.
    fn acquire(&self) -> bool {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if self.closed.load(Ordering::Acquire) {
                return false;
            }
            if *free > 0 {
                *free -= 1;
                return true;
            }
            free = self.cv.wait(free).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn release(&self) {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        *free += 1;
        self.cv.notify_one();
    }

    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let _guard = self.free.lock().unwrap_or_else(|e| e.into_inner());
        self.cv.notify_all();
    }
}

/// What stopped the work early.
#[derive(Debug)]
pub enum Stop<E> {
    /// The consumer returned an error.
    Consumer(E),
    /// The work for this index panicked, with this message.
    Panic(u64, String),
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-text payload".to_string()
    }
}

/// Runs `work(i)` for i in 0..n on `pool`, and `consume(i, result)` on the
/// calling thread in increasing i. Stops at the first consumer error or
/// panic; results after it are dropped. See [`ordered_batched`].
pub fn ordered<T, W, C, E>(
    pool: &rayon::ThreadPool,
    n: u64,
    window: usize,
    work: W,
    consume: C,
) -> Result<(), Stop<E>>
where
    T: Send,
    W: Fn(u64) -> T + Sync,
    C: FnMut(u64, T) -> Result<(), E>,
{
    ordered_batched(
        pool,
        n,
        window,
        1,
        &|| false,
        || (),
        |_, i| work(i),
        consume,
    )
}

/// Like [`ordered`], with two refinements for many small work items:
/// indices are claimed `batch` at a time (one permit, one message per
/// batch, so a run of a few microseconds does not pay a thread handover),
/// and each worker keeps a state made by `init` that `work` may use as a
/// cache (e.g. the parameters of the sweep point it is on). Once `stopping`
/// returns true, workers claim no more indices: the work already claimed
/// finishes and is consumed, so the consumed indices are always `0..k`.
#[allow(clippy::too_many_arguments)]
pub fn ordered_batched<S, T, I, W, C, E>(
    pool: &rayon::ThreadPool,
    n: u64,
    window: usize,
    batch: u64,
    stopping: &(dyn Fn() -> bool + Sync),
    init: I,
    work: W,
    mut consume: C,
) -> Result<(), Stop<E>>
where
    T: Send,
    I: Fn() -> S + Sync,
    W: Fn(&mut S, u64) -> T + Sync,
    C: FnMut(u64, T) -> Result<(), E>,
{
    let threads = pool.current_num_threads().max(1);
    let permits = Permits::new(window.max(threads));
    let next = AtomicU64::new(0);
    let claims = Claims {
        n,
        batch: batch.max(1),
        next: &next,
        permits: &permits,
        stopping,
    };
    let (tx, rx) = mpsc::channel::<Batch<T>>();
    std::thread::scope(|scope| {
        let workers = scope.spawn(|| {
            pool.scope(|s| {
                for _ in 0..threads {
                    let tx = tx.clone();
                    let (claims, work, init) = (&claims, &work, &init);
                    s.spawn(move |_| worker(claims, init(), work, &tx));
                }
            });
            drop(tx);
        });
        let stop = consume_in_order(rx, &permits, &mut consume);
        let _ = workers.join();
        match stop {
            Some(s) => Err(s),
            None => Ok(()),
        }
    })
}

/// What a worker sends: the first index of a batch, the results in index
/// order, and the panic (index, message) that ended the batch early.
type Batch<T> = (u64, Vec<T>, Option<(u64, String)>);

/// What the workers share to claim indices.
struct Claims<'a> {
    /// Indices to claim: 0..n.
    n: u64,
    /// Indices per claim.
    batch: u64,
    /// The next index not claimed.
    next: &'a AtomicU64,
    /// One per batch of results alive.
    permits: &'a Permits,
    /// Whether to claim no more.
    stopping: &'a (dyn Fn() -> bool + Sync),
}

impl Claims<'_> {
    /// The next batch of indices, taken with a permit; None (and the
    /// permit returned) once the work is shut down, asked to stop or done.
    fn claim(&self) -> Option<std::ops::Range<u64>> {
        if !self.permits.acquire() {
            return None;
        }
        if (self.stopping)() {
            self.permits.release();
            return None;
        }
        let first = self.next.fetch_add(self.batch, Ordering::Relaxed);
        if first >= self.n {
            self.permits.release();
            return None;
        }
        Some(first..(first + self.batch).min(self.n))
    }
}

/// One worker: claims batches and sends their results, until there are
/// no more, the consumer has gone, or a work item panicked.
fn worker<S, T, W>(claims: &Claims<'_>, mut state: S, work: &W, tx: &mpsc::Sender<Batch<T>>)
where
    W: Fn(&mut S, u64) -> T,
{
    while let Some(range) = claims.claim() {
        let first = range.start;
        let (out, failure) = run_batch(&mut state, range, work);
        let failed = failure.is_some();
        if tx.send((first, out, failure)).is_err() || failed {
            break;
        }
    }
}

/// Runs `work` for every index of `range` in order, stopping at the first
/// panic: the results before it, and the panic.
fn run_batch<S, T, W>(
    state: &mut S,
    range: std::ops::Range<u64>,
    work: &W,
) -> (Vec<T>, Option<(u64, String)>)
where
    W: Fn(&mut S, u64) -> T,
{
    let mut out = Vec::with_capacity((range.end - range.start) as usize);
    for i in range {
        match catch_unwind(AssertUnwindSafe(|| work(state, i))) {
            Ok(v) => out.push(v),
            Err(p) => return (out, Some((i, panic_message(&*p)))),
        }
    }
    (out, None)
}

/// The consumer's side, on the calling thread: takes the batches as they
/// arrive, reorders them, and consumes every result in index order,
/// returning a batch's permit once it is consumed. What stopped the work
/// early, if anything: the first consumer error, or the earliest panic
/// once everything before it is consumed (work below it was claimed
/// before it and is still consumed, so everything before a failure is
/// kept).
fn consume_in_order<T, C, E>(
    rx: mpsc::Receiver<Batch<T>>,
    permits: &Permits,
    consume: &mut C,
) -> Option<Stop<E>>
where
    C: FnMut(u64, T) -> Result<(), E>,
{
    let mut pending: BTreeMap<u64, Vec<T>> = BTreeMap::new();
    let mut expect = 0u64;
    let mut stop: Option<Stop<E>> = None;
    // The earliest panic so far.
    let mut failed: Option<(u64, String)> = None;
    for (first, results, failure) in rx.iter() {
        if stop.is_some() {
            continue; // drain until the workers have stopped
        }
        if let Some((i, msg)) = failure {
            if failed.as_ref().is_none_or(|(j, _)| i < *j) {
                failed = Some((i, msg));
            }
            permits.close();
        }
        // A failed batch carries the results before its failure.
        pending.insert(first, results);
        let failed_at = failed.as_ref().map(|(i, _)| *i);
        stop = drain(&mut pending, &mut expect, failed_at, permits, consume);
        if stop.is_none()
            && let Some((i, _)) = &failed
            && expect >= *i
        {
            let (i, msg) = failed.take().unwrap_or_default();
            stop = Some(Stop::Panic(i, msg));
        }
    }
    if stop.is_none()
        && let Some((i, msg)) = failed
    {
        stop = Some(Stop::Panic(i, msg));
    }
    stop
}

/// Consumes the pending batches that come next in index order (from
/// `expect`), up to the earliest panic at `failed_at`; a consumer error
/// stops the work.
fn drain<T, C, E>(
    pending: &mut BTreeMap<u64, Vec<T>>,
    expect: &mut u64,
    failed_at: Option<u64>,
    permits: &Permits,
    consume: &mut C,
) -> Option<Stop<E>>
where
    C: FnMut(u64, T) -> Result<(), E>,
{
    while let Some(results) = pending.remove(expect) {
        if failed_at.is_some_and(|i| *expect >= i) {
            break;
        }
        let count = results.len() as u64;
        for (k, value) in results.into_iter().enumerate() {
            if let Err(e) = consume(*expect + k as u64, value) {
                permits.close();
                return Some(Stop::Consumer(e));
            }
        }
        *expect += count;
        permits.release();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(n: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    }

    #[test]
    fn consumes_in_order_whatever_the_finishing_order() {
        let p = pool(2);
        let mut seen = Vec::new();
        let r: Result<(), Stop<()>> = ordered(
            &p,
            200,
            4,
            |i| {
                // Early indices are slow so later ones finish first.
                if i % 7 == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                i * 10
            },
            |i, v| {
                seen.push((i, v));
                Ok(())
            },
        );
        assert!(r.is_ok());
        assert_eq!(seen, (0..200).map(|i| (i, i * 10)).collect::<Vec<_>>());
    }

    #[test]
    fn results_in_flight_never_exceed_the_window() {
        let p = pool(2);
        let live = AtomicU64::new(0);
        let peak = AtomicU64::new(0);
        let r: Result<(), Stop<()>> = ordered(
            &p,
            500,
            3,
            |_| {
                let now = live.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
            },
            |_, _| {
                live.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            },
        );
        assert!(r.is_ok());
        assert!(peak.load(Ordering::SeqCst) <= 3);
    }

    #[test]
    fn a_consumer_error_stops_the_work() {
        let p = pool(2);
        let r = ordered(
            &p,
            10_000,
            8,
            |i| i,
            |i, _| if i == 5 { Err("disk full") } else { Ok(()) },
        );
        assert!(matches!(r, Err(Stop::Consumer("disk full"))));
    }

    #[test]
    fn batches_are_consumed_in_order_with_per_worker_state() {
        let p = pool(2);
        let mut seen = Vec::new();
        let r: Result<(), Stop<()>> = ordered_batched(
            &p,
            1001,
            4,
            16,
            &|| false,
            || 0u64,
            |calls, i| {
                *calls += 1;
                (i, *calls)
            },
            |i, (j, _)| {
                assert_eq!(i, j);
                seen.push(i);
                Ok(())
            },
        );
        assert!(r.is_ok());
        assert_eq!(seen, (0..1001).collect::<Vec<_>>());
    }

    #[test]
    fn a_stop_finishes_claimed_work_and_leaves_a_prefix() {
        let p = pool(2);
        let stop = AtomicBool::new(false);
        let mut seen = Vec::new();
        let r: Result<(), Stop<()>> = ordered_batched(
            &p,
            100_000,
            8,
            4,
            &|| stop.load(Ordering::SeqCst),
            || (),
            |_, i| {
                if i == 50 {
                    stop.store(true, Ordering::SeqCst);
                }
                i
            },
            |i, v| {
                assert_eq!(i, v);
                seen.push(i);
                Ok(())
            },
        );
        assert!(r.is_ok());
        let k = seen.len() as u64;
        assert!((51..200).contains(&k), "consumed {k}");
        assert_eq!(seen, (0..k).collect::<Vec<_>>());
    }

    #[test]
    fn every_index_before_a_panic_is_consumed_even_if_it_finishes_later() {
        let p = pool(2);
        let mut seen = Vec::new();
        let r: Result<(), Stop<()>> = ordered(
            &p,
            100,
            8,
            |i| {
                // 5 is still running when 6 fails.
                if i == 5 {
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
                if i == 6 {
                    panic!("boom");
                }
                i
            },
            |i, _| {
                seen.push(i);
                Ok(())
            },
        );
        assert!(matches!(r, Err(Stop::Panic(6, _))));
        assert_eq!(seen, (0..6).collect::<Vec<_>>());
    }

    #[test]
    fn a_panic_is_reported_with_its_index() {
        let p = pool(2);
        let r: Result<(), Stop<()>> = ordered(
            &p,
            100,
            8,
            |i| if i == 42 { panic!("boom") } else { i },
            |_, _| Ok(()),
        );
        match r {
            Err(Stop::Panic(42, msg)) => assert!(msg.contains("boom")),
            other => panic!("unexpected {other:?}"),
        }
    }
}
