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

mod counts;
mod draws;
mod learning;

pub use counts::{ColumnCounter, belief_diversity, belief_diversity_parallel, pair_difference};
pub use draws::{nth_set_bit, select, select_sparse, socialise};
pub use learning::CodeLearning;

use rand::Rng;

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
