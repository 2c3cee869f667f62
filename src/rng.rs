//! Keyed random streams: where every random number in ideaflow comes from.
//!
//! Reproducibility rule (docs/model.md §0.2): a run's seed is a pure
//! function of (base seed, sweep point, replicate), and inside a run every
//! stream of draws is a pure function of (run seed, purpose, step, block).
//! Nothing depends on the thread that executes the work or on the order in
//! which runs finish, so output is byte-identical for any `--threads`.
//!
//! Keying by *purpose* and *block* (a fixed range of agents, or a team) has
//! two further benefits:
//! - a step can be split across threads by block without changing results;
//! - common random numbers stay aligned between a baseline and a variant that
//!   changes one mechanism: draws for other purposes or other blocks are not
//!   shifted by the change (a single sequential stream would desynchronise at
//!   the first difference).
//!
//! Keys are combined with the SplitMix64 finaliser (Steele, Lea & Flood 2014,
//! "Fast splittable pseudorandom number generators", OOPSLA), a bijective
//! 64-bit mixer with full avalanche; each key then seeds a xoshiro256++
//! generator (Blackman & Vigna 2021) through `rand_xoshiro`'s documented,
//! stable `seed_from_u64`. Changing anything in this file changes every
//! output of the program: treat it as a file format.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator behind every stream.
pub type Stream = Xoshiro256PlusPlus;

/// Run seeds are kept below 2^53 so that they survive a round trip through
/// a double (R has no 64-bit integers; pandas may read large ones as float).
pub const RUN_SEED_MASK: u64 = (1 << 53) - 1;

/// The seeds a run is built from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seeds {
    /// The scenario's base seed: what every replicate shares (the climate
    /// model builds its organisation's structure from it).
    pub scenario: u64,
    /// The run's own seed, from (base seed, point, replicate).
    pub run: u64,
}

/// The step value used for draws made while building a run (before step 1).
pub const SETUP: u64 = u64::MAX;

/// What a stream of draws is used for. Each model names its own purposes
/// with distinct constants so that adding a mechanism never shifts the draws
/// of another one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Purpose(pub u64);

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function: a bijective mixer of 64-bit words.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Absorbs one more word into a running key.
#[inline]
fn absorb(key: u64, word: u64) -> u64 {
    mix64(key.wrapping_add(GOLDEN) ^ mix64(word.wrapping_add(GOLDEN)))
}

/// The seed of one run, from the scenario's base seed, the sweep point and
/// the replicate. Always below 2^53.
pub fn run_seed(base_seed: u64, point: u64, replicate: u64) -> u64 {
    let k = absorb(absorb(mix64(base_seed), point), replicate);
    k & RUN_SEED_MASK
}

/// The 64-bit key of the stream for (run seed, purpose, step, block).
#[inline]
pub fn key(run_seed: u64, purpose: Purpose, step: u64, block: u64) -> u64 {
    absorb(absorb(absorb(mix64(run_seed), purpose.0), step), block)
}

/// The part of a stream key shared by every block of one (run seed,
/// purpose, step): computed once per step when many blocks draw.
#[derive(Clone, Copy, Debug)]
pub struct StepKey(u64);

impl StepKey {
    /// The key of (run seed, purpose, step).
    #[inline]
    pub fn new(run_seed: u64, purpose: Purpose, step: u64) -> StepKey {
        StepKey(absorb(absorb(mix64(run_seed), purpose.0), step))
    }

    /// The stream of one block: identical to `stream(run_seed, purpose,
    /// step, block)`.
    #[inline]
    pub fn block(self, block: u64) -> Stream {
        Stream::seed_from_u64(absorb(self.0, block))
    }
}

/// A fresh stream of draws for (run seed, purpose, step, block).
#[inline]
pub fn stream(run_seed: u64, purpose: Purpose, step: u64, block: u64) -> Stream {
    Stream::seed_from_u64(key(run_seed, purpose, step, block))
}

/// Calls `select` with each position of `0..len` chosen independently with
/// probability `1 - exp(-rate)`, in increasing order, drawing only the gaps
/// between chosen positions: the number of positions passed over before the
/// next chosen one is floor(E / rate) with E ~ Exp(1), which is geometric
/// with exactly that success probability (Devroye 1986, "Non-Uniform Random
/// Variate Generation", ch. X.2). Costs one exponential draw per chosen
/// position (plus one) instead of one draw per position: the way to sample
/// rare events among many candidates. `rate` = infinity chooses every
/// position; 0 or NaN none. `select` gets the stream too, for any further
/// draw it needs (thinning).
#[inline]
pub fn skip_through<R: rand::Rng + ?Sized>(
    rng: &mut R,
    rate: f64,
    len: usize,
    mut select: impl FnMut(&mut R, usize),
) {
    use rand::RngExt;
    if rate.is_nan() || rate <= 0.0 {
        return;
    }
    let mut pos = 0usize;
    while pos < len {
        let e: f64 = rng.sample(rand_distr::Exp1);
        let gap = e / rate;
        if gap >= (len - pos) as f64 {
            return;
        }
        pos += gap as usize;
        select(rng, pos);
        pos += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn run_seeds_fit_in_a_double_and_differ() {
        let mut seen = std::collections::HashSet::new();
        for point in 0..50 {
            for rep in 0..50 {
                let s = run_seed(7, point, rep);
                assert!(s <= RUN_SEED_MASK);
                assert!(seen.insert(s), "collision at point {point} replicate {rep}");
            }
        }
    }

    #[test]
    fn streams_are_pure_functions_of_their_key() {
        let a: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(stream(1, Purpose(2), 3, 4), |r, _| Some(r.random()))
            .collect();
        let b: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(stream(1, Purpose(2), 3, 4), |r, _| Some(r.random()))
            .collect();
        assert_eq!(a, b);
        let mut other = stream(1, Purpose(2), 3, 5);
        assert_ne!(a[0], other.random::<u64>());
    }

    #[test]
    fn key_components_are_not_interchangeable() {
        // (step, block) = (1, 2) must not collide with (2, 1), nor purpose with step.
        assert_ne!(key(9, Purpose(1), 1, 2), key(9, Purpose(1), 2, 1));
        assert_ne!(key(9, Purpose(1), 2, 3), key(9, Purpose(2), 1, 3));
    }

    #[test]
    fn step_keys_give_the_same_streams() {
        let sk = StepKey::new(9, Purpose(4), 17);
        for block in [0, 1, 99] {
            let a: u64 = sk.block(block).random();
            let b: u64 = stream(9, Purpose(4), 17, block).random();
            assert_eq!(a, b);
        }
    }

    #[test]
    fn uniform_draws_look_uniform() {
        // Mean of 100,000 uniforms: sd of the mean is sqrt(1/12/1e5) = 0.00091.
        let mut r = stream(123, Purpose(1), 0, 0);
        let n = 100_000;
        let mean: f64 = (0..n).map(|_| r.random::<f64>()).sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 5.0 * 0.000_913, "mean {mean}");
    }

    #[test]
    fn skip_through_selects_each_position_with_the_right_chance() {
        // 2,000 passes over 500 positions at rate 0.05: each position is
        // chosen with probability q = 1 - e^-0.05 = 0.04877, so its count
        // is Binomial(2000, q): mean 97.5, sd 9.6. Every count must lie
        // within 5 sd (a false alarm has probability about 500 x 6e-7), and
        // the overall mean within 5 sd of the total's (sd 9.6 / sqrt(500)
        // per position). Pairs of neighbours are chosen together as often
        // as independence says (q^2 x 2000 x 499 = 2,374, sd about 49).
        let rate: f64 = 0.05;
        let q = 1.0 - (-rate).exp();
        let (passes, len) = (2000, 500);
        let mut counts = vec![0u32; len];
        let mut pairs = 0u32;
        let mut rng = stream(11, Purpose(3), 0, 0);
        let mut last = vec![false; len];
        for _ in 0..passes {
            last.iter_mut().for_each(|b| *b = false);
            skip_through(&mut rng, rate, len, |_, i| {
                counts[i] += 1;
                last[i] = true;
            });
            pairs += last.windows(2).filter(|w| w[0] && w[1]).count() as u32;
        }
        let mean = passes as f64 * q;
        let sd = (passes as f64 * q * (1.0 - q)).sqrt();
        for (i, &c) in counts.iter().enumerate() {
            assert!((f64::from(c) - mean).abs() < 5.0 * sd, "position {i}: {c}");
        }
        let avg = counts.iter().map(|&c| f64::from(c)).sum::<f64>() / len as f64;
        assert!(
            (avg - mean).abs() < 5.0 * sd / (len as f64).sqrt(),
            "mean {avg}"
        );
        let expected_pairs = q * q * (passes * (len - 1)) as f64;
        assert!(
            (f64::from(pairs) - expected_pairs).abs() < 5.0 * expected_pairs.sqrt(),
            "{pairs} adjacent pairs, expected {expected_pairs}"
        );
    }

    #[test]
    fn skip_through_handles_certain_and_impossible_rates() {
        let mut rng = stream(1, Purpose(3), 0, 0);
        let mut all = Vec::new();
        skip_through(&mut rng, f64::INFINITY, 7, |_, i| all.push(i));
        assert_eq!(all, (0..7).collect::<Vec<_>>());
        for rate in [0.0, f64::NAN, -1.0] {
            skip_through(&mut rng, rate, 7, |_, _| {
                panic!("chose a position at rate {rate}")
            });
        }
        skip_through(&mut rng, 1.0, 0, |_, _| panic!("chose from an empty range"));
    }
}
