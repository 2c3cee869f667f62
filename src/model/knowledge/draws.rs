//! Random selections of dimensions: independent per-dimension draws
//! (dense and sparse) and socialisation of a belief toward a code.

use rand::distr::{Bernoulli, Distribution};
use rand::{Rng, RngExt};

use super::Ternary;

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
