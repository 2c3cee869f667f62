//! The knowledge layer shared by the March and climate models (docs/model.md §2
//! and §3.1): a reality in {-1,+1}^m, beliefs and codes in {-1,0,+1}^m,
//! socialisation toward a code, and majority learning of a code.
//!
//! A vector in {-1,0,+1}^m is packed into two machine words (March 1991
//! uses m = 30): `nz` has bit d set when the value on dimension d is not 0,
//! `pos` has it set when the value is +1. The canonical form keeps
//! `pos ⊆ nz`, so equal vectors have equal words. Scores, agreements and
//! column counts become popcounts and bitwise operations; the period loop
//! of the March model touches two words per individual.

use rand::distr::{Bernoulli, Distribution};
use rand::{Rng, RngExt};

/// Most dimensions a belief vector can have (one 64-bit word).
pub const MAX_DIMENSIONS: u32 = 64;

/// The number of dimensions m and the mask of their bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dims {
    m: u32,
    mask: u64,
}

impl Dims {
    /// m dimensions, 1 <= m <= 64.
    pub fn new(m: u32) -> Dims {
        assert!(
            (1..=MAX_DIMENSIONS).contains(&m),
            "dimensions must be 1..=64"
        );
        let mask = if m == 64 { u64::MAX } else { (1u64 << m) - 1 };
        Dims { m, mask }
    }

    /// Number of dimensions.
    #[inline]
    pub fn m(self) -> u32 {
        self.m
    }

    /// Bits of the valid dimensions.
    #[inline]
    pub fn mask(self) -> u64 {
        self.mask
    }

    /// A uniformly random sign vector (each bit +1 with probability 1/2).
    pub fn random_signs<R: Rng + ?Sized>(self, rng: &mut R) -> u64 {
        rng.next_u64() & self.mask
    }
}

/// A vector in {-1, 0, +1}^m, packed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ternary {
    /// Bit d set: value on d is not 0.
    pub nz: u64,
    /// Bit d set: value on d is +1 (always a subset of `nz`).
    pub pos: u64,
}

impl Ternary {
    /// All zeros.
    pub const ZERO: Ternary = Ternary { nz: 0, pos: 0 };

    /// The vector with +1 where `signs` has a bit and -1 elsewhere, on
    /// every dimension.
    #[inline]
    pub fn from_signs(signs: u64, dims: Dims) -> Ternary {
        Ternary {
            nz: dims.mask(),
            pos: signs & dims.mask(),
        }
    }

    /// Each dimension drawn uniformly from {-1, 0, +1}: one 64-bit draw
    /// below 3^40 gives 40 exactly uniform base-3 digits (draws at or above
    /// 3^40 are rejected), so m = 30 costs about 1.5 draws, not 30.
    pub fn uniform<R: Rng + ?Sized>(rng: &mut R, dims: Dims) -> Ternary {
        const P40: u64 = 12_157_665_459_056_928_801; // 3^40
        let mut t = Ternary::ZERO;
        let mut d = 0;
        while d < dims.m() {
            let mut x = loop {
                let x = rng.next_u64();
                if x < P40 {
                    break x;
                }
            };
            // Without branches: the digits are random, so branching on
            // them mispredicts about once per dimension.
            for _ in 0..40.min(dims.m() - d) {
                let digit = x % 3;
                x /= 3;
                t.nz |= u64::from(digit != 1) << d;
                t.pos |= u64::from(digit == 2) << d;
                d += 1;
            }
        }
        t
    }

    /// The value on dimension d.
    #[inline]
    pub fn get(self, d: u32) -> i8 {
        let bit = 1u64 << d;
        if self.nz & bit == 0 {
            0
        } else if self.pos & bit != 0 {
            1
        } else {
            -1
        }
    }

    /// Sets dimension d to v (the sign of v; 0 for 0).
    #[inline]
    pub fn set(&mut self, d: u32, v: i8) {
        let bit = 1u64 << d;
        match v.signum() {
            0 => {
                self.nz &= !bit;
                self.pos &= !bit;
            }
            1 => {
                self.nz |= bit;
                self.pos |= bit;
            }
            _ => {
                self.nz |= bit;
                self.pos &= !bit;
            }
        }
    }

    /// Dimensions where the value equals the reality's sign.
    #[inline]
    pub fn correct(self, reality: u64) -> u64 {
        self.nz & !(self.pos ^ reality)
    }

    /// Dimensions where the value is the opposite of the reality's sign.
    #[inline]
    pub fn wrong(self, reality: u64) -> u64 {
        self.nz & (self.pos ^ reality)
    }

    /// sum_d v_d r_d: correct minus wrong dimensions (zeros count 0).
    #[inline]
    pub fn score(self, reality: u64) -> i32 {
        self.correct(reality).count_ones() as i32 - self.wrong(reality).count_ones() as i32
    }

    /// Dimensions with value 0.
    #[inline]
    pub fn zeros(self, dims: Dims) -> u64 {
        !self.nz & dims.mask()
    }

    /// Actions (as sign bits): the value where it is not 0, else the coin.
    #[inline]
    pub fn act(self, coins: u64) -> u64 {
        self.pos | (coins & !self.nz)
    }

    /// Dimensions where `code` is not 0 and this vector differs from it:
    /// where socialisation toward `code` can move it.
    #[inline]
    pub fn differs_from_code(self, code: Ternary) -> u64 {
        let same = self.nz & code.nz & !(self.pos ^ code.pos);
        code.nz & !same
    }

    /// Moves each dimension in `sel` one step toward `target` on that
    /// dimension (-1 -> 0 -> +1). Dimensions where target is 0 or equal are
    /// left alone.
    #[inline]
    pub fn step_toward(&mut self, target: Ternary, sel: u64) {
        let sel = sel & self.differs_from_code(target);
        let from_zero = sel & !self.nz; // 0 -> target's sign
        let from_opposite = sel & self.nz; // -target -> 0
        self.nz = (self.nz | from_zero) & !from_opposite;
        self.pos = ((self.pos & !from_zero) | (target.pos & from_zero)) & !from_opposite;
    }

    /// Sets each dimension in `sel` to `target`'s value there (a jump).
    #[inline]
    pub fn copy_from(&mut self, target: Ternary, sel: u64) {
        self.nz = (self.nz & !sel) | (target.nz & sel);
        self.pos = (self.pos & !sel) | (target.pos & sel);
    }
}

/// Draws, independently for each dimension in `candidates`, whether it is
/// selected with probability given by `bern`: one draw per candidate, in
/// increasing dimension order.
#[inline]
pub fn select<R: Rng + ?Sized>(candidates: u64, bern: &Bernoulli, rng: &mut R) -> u64 {
    let mut cand = candidates;
    let mut sel = 0;
    while cand != 0 {
        let bit = cand & cand.wrapping_neg();
        cand ^= bit;
        if bern.sample(rng) {
            sel |= bit;
        }
    }
    sel
}

/// Selects each dimension in `candidates` independently with probability
/// `1 - exp(-hazard)`, drawing only the gaps between selected dimensions:
/// the number of candidates skipped before the next selection is
/// floor(E / hazard) with E ~ Exp(1), which is geometric with the right
/// parameter. Costs one exponential draw (plus one per selection) instead of
/// one draw per candidate: the right choice when the chance is small, as
/// with weekly socialisation.
#[inline]
pub fn select_sparse<R: Rng + ?Sized>(candidates: u64, hazard: f64, rng: &mut R) -> u64 {
    if candidates == 0 || hazard <= 0.0 {
        return 0;
    }
    let count = candidates.count_ones();
    let mut sel = 0;
    let mut index = 0u32;
    loop {
        let e: f64 = rng.sample(rand_distr::Exp1);
        let skip = e / hazard;
        if skip >= f64::from(count - index) {
            return sel;
        }
        index += skip as u32;
        sel |= 1u64 << nth_set_bit(candidates, index);
        index += 1;
        if index >= count {
            return sel;
        }
    }
}

/// Position of the `k`-th set bit of `mask` (k < popcount).
#[inline]
pub fn nth_set_bit(mut mask: u64, k: u32) -> u32 {
    for _ in 0..k {
        mask &= mask - 1;
    }
    mask.trailing_zeros()
}

/// Socialisation (March 1991): each dimension where `code` is not 0 and the
/// belief differs moves one step toward the code with probability `bern`.
#[inline]
pub fn socialise<R: Rng + ?Sized>(
    belief: &mut Ternary,
    code: Ternary,
    bern: &Bernoulli,
    rng: &mut R,
) {
    let sel = select(belief.differs_from_code(code), bern, rng);
    belief.step_toward(code, sel);
}

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

/// Code learning from a majority (March 1991): on each dimension where the
/// majority `maj` (+1/-1, with margin `k`) differs from the code, the code
/// moves with probability `1 - (1 - p2)^k`: straight to the majority
/// (`jump`) or one step toward it (`stepwise`, as in March's BASIC code).
#[derive(Clone, Debug)]
pub struct CodeLearning {
    /// `adopt[k]` = 1 - (1 - p2)^k as a Bernoulli, for k = 0..=n.
    adopt: Vec<Bernoulli>,
    /// Jump (true) or step through 0 (false).
    pub jump: bool,
}

impl CodeLearning {
    /// Learning with rate p2 for majorities of up to `n` votes.
    pub fn new(p2: f64, n: usize, jump: bool) -> CodeLearning {
        let adopt = (0..=n)
            .map(|k| {
                let p = 1.0 - (1.0 - p2).powi(k as i32);
                Bernoulli::new(p.clamp(0.0, 1.0))
                    .unwrap_or(Bernoulli::new(0.0).expect("0 is a probability"))
            })
            .collect();
        CodeLearning { adopt, jump }
    }

    /// Updates `code` from per-dimension votes: `plus` counts +1 votes on
    /// dimension d out of `voters`. One draw per dimension where the
    /// majority differs from the code, in increasing d.
    pub fn learn<R: Rng + ?Sized>(
        &self,
        code: &mut Ternary,
        votes: &ColumnCounter,
        dims: Dims,
        rng: &mut R,
    ) {
        let voters = votes.added();
        if voters == 0 {
            return;
        }
        let mut maj_plus = 0u64;
        let mut maj_minus = 0u64;
        let mut moved = 0u64;
        for d in 0..dims.m() {
            let plus = votes.count(d);
            let minus = voters - plus;
            if plus == minus {
                continue;
            }
            let bit = 1u64 << d;
            let maj_is_plus = plus > minus;
            let agrees = code.nz & bit != 0 && ((code.pos & bit != 0) == maj_is_plus);
            if agrees {
                continue;
            }
            let k = plus.abs_diff(minus) as usize;
            if self.adopt[k.min(self.adopt.len() - 1)].sample(rng) {
                moved |= bit;
                if maj_is_plus {
                    maj_plus |= bit;
                } else {
                    maj_minus |= bit;
                }
            }
        }
        let target = Ternary {
            nz: maj_plus | maj_minus,
            pos: maj_plus,
        };
        if self.jump {
            code.copy_from(target, moved);
        } else {
            code.step_toward(target, moved);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};

    fn t(values: &[i8]) -> Ternary {
        let mut x = Ternary::ZERO;
        for (d, &v) in values.iter().enumerate() {
            x.set(d as u32, v);
        }
        x
    }

    fn values(x: Ternary, m: u32) -> Vec<i8> {
        (0..m).map(|d| x.get(d)).collect()
    }

    #[test]
    fn packing_round_trips_and_is_canonical() {
        let x = t(&[1, 0, -1, 1, -1, 0]);
        assert_eq!(values(x, 6), vec![1, 0, -1, 1, -1, 0]);
        assert_eq!(x.pos & !x.nz, 0);
    }

    #[test]
    fn score_counts_correct_minus_wrong() {
        let reality = 0b1011; // +1, +1, -1, +1
        let x = t(&[1, -1, 0, 1]);
        assert_eq!(x.score(reality), 1);
        assert_eq!(x.correct(reality).count_ones(), 2);
    }

    #[test]
    fn step_toward_moves_one_step() {
        let code = t(&[1, 1, -1, 0, 1]);
        let mut b = t(&[-1, 0, 1, 1, 1]);
        b.step_toward(code, u64::MAX);
        // -1 -> 0 toward +1; 0 -> +1; +1 -> 0 toward -1; code 0 leaves it; equal stays.
        assert_eq!(values(b, 5), vec![0, 1, 0, 1, 1]);
        b.step_toward(code, u64::MAX);
        assert_eq!(values(b, 5), vec![1, 1, -1, 1, 1]);
    }

    #[test]
    fn differs_from_code_ignores_code_zeros() {
        let code = t(&[1, 0, -1]);
        let b = t(&[1, -1, 0]);
        assert_eq!(b.differs_from_code(code), 0b100);
    }

    #[test]
    fn actions_follow_beliefs_and_coins_on_zeros() {
        let b = t(&[1, -1, 0, 0]);
        assert_eq!(b.act(0b1111) & 0b1111, 0b1101);
        assert_eq!(b.act(0) & 0b1111, 0b0001);
    }

    #[test]
    fn sparse_selection_has_the_right_rate() {
        let mut r = stream(4, Purpose(1), 0, 0);
        let candidates = 0b1011_0110_1101u64; // 8 candidates
        for hazard in [0.01f64, 0.2, 2.0] {
            let p = 1.0 - (-hazard).exp();
            let trials = 50_000;
            let mut hits = [0u32; 64];
            for _ in 0..trials {
                let sel = select_sparse(candidates, hazard, &mut r);
                assert_eq!(sel & !candidates, 0);
                for (d, h) in hits.iter_mut().enumerate() {
                    *h += (sel >> d & 1) as u32;
                }
            }
            for (d, &h) in hits.iter().enumerate() {
                if candidates >> d & 1 == 1 {
                    let rate = f64::from(h) / f64::from(trials);
                    let se = (p * (1.0 - p) / f64::from(trials)).sqrt();
                    assert!(
                        (rate - p).abs() < 5.0 * se + 1e-9,
                        "hazard {hazard} dim {d}: {rate} vs {p}"
                    );
                }
            }
        }
    }

    #[test]
    fn column_counter_counts_each_bit() {
        let mut c = ColumnCounter::new(100);
        for i in 0..100u64 {
            c.add(i);
        }
        for d in 0..7 {
            let want = (0..100u64).filter(|i| i >> d & 1 == 1).count() as u64;
            assert_eq!(c.count(d), want, "bit {d}");
        }
        assert_eq!(c.added(), 100);
    }

    #[test]
    fn diversity_from_counts_matches_pairwise() {
        let dims = Dims::new(5);
        let mut r = stream(1, Purpose(1), 0, 0);
        let pop: Vec<Ternary> = (0..13).map(|_| Ternary::uniform(&mut r, dims)).collect();
        let mut pairwise = 0.0;
        for d in 0..5 {
            let mut differ = 0;
            for i in 0..13 {
                for j in 0..13 {
                    if i != j && pop[i].get(d) != pop[j].get(d) {
                        differ += 1;
                    }
                }
            }
            pairwise += differ as f64 / (13.0 * 12.0);
        }
        pairwise /= 5.0;
        approx::assert_relative_eq!(
            belief_diversity(pop.iter(), dims, 13),
            pairwise,
            epsilon = 1e-12
        );
        assert!(belief_diversity([Ternary::ZERO; 4].iter(), dims, 4).abs() < 1e-15);
    }

    #[test]
    fn uniform_beliefs_are_uniform() {
        let dims = Dims::new(30);
        let mut r = stream(2, Purpose(1), 0, 0);
        let mut counts = [0u32; 3];
        for _ in 0..2000 {
            let b = Ternary::uniform(&mut r, dims);
            for d in 0..30 {
                counts[(b.get(d) + 1) as usize] += 1;
            }
        }
        // 60,000 draws, each value expected 20,000 (sd 115).
        for c in counts {
            assert!((c as i64 - 20_000).abs() < 600, "{counts:?}");
        }
    }

    #[test]
    fn code_learning_jumps_or_steps() {
        let dims = Dims::new(3);
        let mut votes = ColumnCounter::new(5);
        // Five voters: dimension 0 all +1, dimension 1 all -1, dimension 2 tied 0? (5 is odd: 3 vs 2)
        for w in [0b101u64, 0b101, 0b101, 0b001, 0b001] {
            votes.add(w);
        }
        let mut r = stream(3, Purpose(1), 0, 0);
        let certain = CodeLearning::new(1.0, 5, true);
        let mut code = t(&[-1, 1, 0]);
        certain.learn(&mut code, &votes, dims, &mut r);
        assert_eq!(values(code, 3), vec![1, -1, 1]);
        let stepwise = CodeLearning::new(1.0, 5, false);
        let mut code = t(&[-1, 1, 0]);
        stepwise.learn(&mut code, &votes, dims, &mut r);
        assert_eq!(values(code, 3), vec![0, 0, 1]);
        let never = CodeLearning::new(0.0, 5, true);
        let mut code = t(&[-1, 1, 0]);
        never.learn(&mut code, &votes, dims, &mut r);
        assert_eq!(values(code, 3), vec![-1, 1, 0]);
    }

    #[test]
    fn parallel_belief_diversity_equals_the_sequential_count() {
        use rand::SeedableRng;
        let dims = Dims::new(30);
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(4);
        for n in [1usize, 2, 5, (1 << 16) + 1, 200_003] {
            let pop: Vec<Ternary> = (0..n).map(|_| Ternary::uniform(&mut rng, dims)).collect();
            let seq = belief_diversity(pop.iter(), dims, n as u64);
            let par = belief_diversity_parallel(&pop, dims);
            assert!(
                seq.to_bits() == par.to_bits() || (seq.is_nan() && par.is_nan()),
                "n {n}: {seq} vs {par}"
            );
        }
    }
}
