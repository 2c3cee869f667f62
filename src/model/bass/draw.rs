//! How a step of the Bass model is drawn (the module's header explains
//! the method): acceptance thresholds, the per-block decisions on a
//! network, and the parallel pass over blocks.

use rand::Rng;
use rayon::prelude::*;

use super::{BassParams, MIN_BLOCKS_PER_TASK, PARALLEL_BLOCKS};
use crate::model::network::Csr;
use crate::rng::{Stream, skip_through};

/// `1 - exp(-hazard * dt)`, computed without cancellation.
#[inline]
pub(super) fn adopt_probability(hazard: f64, dt: f64) -> f64 {
    -(-hazard * dt).exp_m1()
}

/// The integer threshold of a probability: for a 64-bit draw `x`,
/// `(x >> 11) < threshold(prob)` exactly when `rand`'s uniform
/// `(x >> 11) * 2^-53` is below `prob` (multiplying by 2^53 is exact, and
/// an integer is below a real number exactly when it is below its ceiling).
#[inline]
pub(super) fn threshold(prob: f64) -> u64 {
    (prob.clamp(0.0, 1.0) * (1u64 << 53) as f64).ceil() as u64
}

/// Whether a 64-bit draw falls below a threshold made by [`threshold`].
#[inline]
pub(super) fn below(draw: u64, threshold: u64) -> bool {
    (draw >> 11) < threshold
}

/// Fills each block's list of this step's adopters with `decide(block,
/// list)` (the list cleared first): on this thread for fewer than
/// [`PARALLEL_BLOCKS`] blocks, else in parallel. Each block draws from its
/// own stream, so the result is the same either way.
pub(super) fn for_each_block(found: &mut [Vec<u32>], decide: impl Fn(usize, &mut Vec<u32>) + Sync) {
    let run = |b: usize, f: &mut Vec<u32>| {
        f.clear();
        decide(b, f);
    };
    if found.len() < PARALLEL_BLOCKS {
        found.iter_mut().enumerate().for_each(|(b, f)| run(b, f));
    } else {
        found
            .par_iter_mut()
            .enumerate()
            .with_min_len(MIN_BLOCKS_PER_TASK)
            .for_each(|(b, f)| run(b, f));
    }
}

/// How many adopters ahead `apply_fresh` prefetches.
pub(super) const PREFETCH_AHEAD: usize = 8;

/// A hint to bring the cache line holding `p` closer (no effect on results;
/// nothing on processors without the instruction).
#[inline(always)]
pub(super) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: SSE is part of every x86_64 processor, and a prefetch
        // only hints the cache: it never reads or writes memory, so any
        // address is sound.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// What a block's step on a network reads.
pub(super) struct NetworkStep<'a> {
    /// `p dt`: the rate at which quiet agents are selected.
    pub innovation: f64,
    /// `(p + q) dt`: the rate at which exposed agents are selected.
    pub largest: f64,
    /// Each agent's entry in `table`.
    pub cursor: &'a [u32],
    /// Acceptance thresholds by entry.
    pub table: &'a [u64],
    /// Whether an entry is one of no adopted neighbours.
    pub quiet: &'a [bool],
}

impl NetworkStep<'_> {
    /// One block's adopters, appended to `found`: exposed agents selected
    /// at the largest hazard and kept with their acceptance threshold, then
    /// quiet agents selected at the innovation hazard.
    pub(super) fn decide(
        &self,
        rng: &mut Stream,
        start: usize,
        len: usize,
        exposed: &[u32],
        found: &mut Vec<u32>,
    ) {
        skip_through(rng, self.largest, exposed.len(), |rng, k| {
            let i = exposed[k];
            if below(rng.next_u64(), self.table[self.cursor[i as usize] as usize]) {
                found.push(i);
            }
        });
        skip_through(rng, self.innovation, len, |_, k| {
            let i = start + k;
            if self.quiet[self.cursor[i] as usize] {
                found.push(i as u32);
            }
        });
    }
}

/// The cursor of an agent who has adopted: entry 0 of the table, threshold 0.
pub(super) const ADOPTED: u32 = 0;

/// The acceptance table, which of its entries are for no adopted
/// neighbours, and every agent's starting cursor. Entry 0 is the threshold 0
/// of adopters; then, for each degree k the network has, k + 1 entries for
/// a = 0..=k adopted neighbours (at most one entry per tie end plus one per
/// degree, so it fits in u32 indices under [`MAX_TIES`]): the probability
/// of adopting at hazard `p + q * (a / k)` (docs/model.md §1.2) divided
/// by that at the largest hazard `p + q`. Entries for a = 0 are not used in
/// draws (quiet agents are selected at rate p dt directly).
pub(super) fn threshold_table(g: &Csr, params: &BassParams) -> (Vec<u64>, Vec<bool>, Vec<u32>) {
    let mut start = vec![0u32; g.max_degree() + 1];
    for i in 0..g.len() {
        start[g.degree(i)] = 1; // present
    }
    let largest = params.p + params.q;
    let mut table = vec![0u64];
    let mut quiet = vec![false];
    for (k, s) in start.iter_mut().enumerate() {
        if *s == 0 {
            continue;
        }
        *s = u32::try_from(table.len()).expect("threshold table within u32 (MAX_TIES)");
        for a in 0..=k {
            let hazard = if a == 0 {
                params.p
            } else {
                params.p + params.q * (a as f64 / k as f64)
            };
            table.push(threshold(
                adopt_probability(hazard, params.dt) / adopt_probability(largest, params.dt),
            ));
            quiet.push(a == 0);
        }
    }
    u32::try_from(table.len()).expect("threshold table within u32 (MAX_TIES)");
    let cursor = (0..g.len()).map(|i| start[g.degree(i)]).collect();
    (table, quiet, cursor)
}
