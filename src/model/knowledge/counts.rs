//! Column counts over many belief vectors: the bit-sliced counter and
//! belief diversity (the share of pairs that differ, per dimension).

use super::{Dims, Ternary};

/// Per-dimension counts of set bits over many words, kept bit-sliced
/// (a carry-save "vertical" counter): adding a word costs a few bitwise
/// operations whatever m is.
#[derive(Clone, Debug)]
pub struct ColumnCounter {
    planes: Vec<u64>,
    added: u64,
}

impl ColumnCounter {
    /// A counter able to count up to `max` words.
    pub fn new(max: u64) -> ColumnCounter {
        let bits = (64 - max.leading_zeros()).max(1) as usize;
        ColumnCounter {
            planes: vec![0; bits],
            added: 0,
        }
    }

    /// Back to zero.
    #[inline]
    pub fn clear(&mut self) {
        self.planes.iter_mut().for_each(|p| *p = 0);
        self.added = 0;
    }

    /// Counts the bits of `word`.
    #[inline]
    pub fn add(&mut self, word: u64) {
        let mut carry = word;
        for p in self.planes.iter_mut() {
            if carry == 0 {
                break;
            }
            let next = *p & carry;
            *p ^= carry;
            carry = next;
        }
        debug_assert!(carry == 0, "ColumnCounter overflow");
        self.added += 1;
    }

    /// Words added since the last clear.
    #[inline]
    pub fn added(&self) -> u64 {
        self.added
    }

    /// How many words added had bit d set.
    #[inline]
    pub fn count(&self, d: u32) -> u64 {
        self.planes
            .iter()
            .enumerate()
            .map(|(i, p)| ((p >> d) & 1) << i)
            .sum()
    }
}

/// Diversity of n vectors on one dimension: the probability that two
/// different individuals differ there, from the counts of -1, 0 and +1
/// (docs/model.md §2.5). NaN for fewer than two individuals.
#[inline]
pub fn pair_difference(counts: [u64; 3]) -> f64 {
    let n: u64 = counts.iter().sum();
    if n < 2 {
        return f64::NAN;
    }
    let same: u64 = counts.iter().map(|&c| c * c.saturating_sub(1)).sum();
    1.0 - same as f64 / (n * (n - 1)) as f64
}

/// Belief diversity of a population (docs/model.md §2.5): pair difference averaged
/// over dimensions, in O(n m) from counts, never pairwise.
pub fn belief_diversity<'a>(beliefs: impl Iterator<Item = &'a Ternary>, dims: Dims, n: u64) -> f64 {
    let (pos, zero) = value_counters(beliefs, dims, n);
    diversity_from(pos.added(), dims, |d| (pos.count(d), zero.count(d)))
}

/// [`belief_diversity`] of a large population, counted in parallel over
/// fixed chunks of beliefs: the per-dimension counts are integers, so the
/// result is identical to the sequential count on any number of threads.
pub fn belief_diversity_parallel(beliefs: &[Ternary], dims: Dims) -> f64 {
    use rayon::prelude::*;
    const CHUNK: usize = 1 << 16;
    if beliefs.len() <= CHUNK {
        return belief_diversity(beliefs.iter(), dims, beliefs.len() as u64);
    }
    let (pos, zero) = beliefs
        .par_chunks(CHUNK)
        .map(|chunk| {
            let (pos, zero) = value_counters(chunk.iter(), dims, chunk.len() as u64);
            let mut out = ([0u64; 64], [0u64; 64]);
            for d in 0..dims.m() {
                out.0[d as usize] = pos.count(d);
                out.1[d as usize] = zero.count(d);
            }
            out
        })
        .reduce(
            || ([0u64; 64], [0u64; 64]),
            |mut a, b| {
                for d in 0..64 {
                    a.0[d] += b.0[d];
                    a.1[d] += b.1[d];
                }
                a
            },
        );
    diversity_from(beliefs.len() as u64, dims, |d| {
        (pos[d as usize], zero[d as usize])
    })
}

/// Bit-sliced counts, per dimension, of the +1 and the 0 values of at most
/// `n` beliefs.
fn value_counters<'a>(
    beliefs: impl Iterator<Item = &'a Ternary>,
    dims: Dims,
    n: u64,
) -> (ColumnCounter, ColumnCounter) {
    let mut pos = ColumnCounter::new(n);
    let mut zero = ColumnCounter::new(n);
    for b in beliefs {
        pos.add(b.pos);
        zero.add(b.zeros(dims));
    }
    (pos, zero)
}

/// Pair difference averaged over dimensions, from the number of beliefs
/// and each dimension's counts of +1 and 0.
fn diversity_from(total: u64, dims: Dims, counts: impl Fn(u32) -> (u64, u64)) -> f64 {
    let mut sum = 0.0;
    for d in 0..dims.m() {
        let (p, z) = counts(d);
        sum += pair_difference([total - p - z, z, p]);
    }
    sum / dims.m() as f64
}
