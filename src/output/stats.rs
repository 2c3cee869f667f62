//! Summary statistics across replicates: Welford's one-pass mean and
//! variance (Welford 1962, Technometrics 4; numerically stable, and exact in
//! the order values are added, which the engine fixes), and the 95 %
//! confidence interval of the mean from Student's t distribution.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Running mean and variance of the defined (finite) values added.
#[derive(Clone, Copy, Debug, Default)]
pub struct Welford {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Welford {
    /// Adds a value; undefined (non-finite) values are skipped.
    #[inline]
    pub fn push(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    /// The exact state (n, and the bits of the running mean and sum of
    /// squared deviations), for checkpoints: restoring it continues the
    /// accumulation bit for bit.
    pub fn to_bits(&self) -> [u64; 3] {
        [self.n, self.mean.to_bits(), self.m2.to_bits()]
    }

    /// The accumulator whose state [`Welford::to_bits`] returned.
    pub fn from_bits(bits: [u64; 3]) -> Welford {
        Welford {
            n: bits[0],
            mean: f64::from_bits(bits[1]),
            m2: f64::from_bits(bits[2]),
        }
    }

    /// Number of values added.
    pub fn n(&self) -> u64 {
        self.n
    }

    /// Mean (NaN when empty).
    pub fn mean(&self) -> f64 {
        if self.n == 0 { f64::NAN } else { self.mean }
    }

    /// Sample standard deviation (NaN with fewer than two values).
    pub fn sd(&self) -> f64 {
        if self.n < 2 {
            f64::NAN
        } else {
            (self.m2 / (self.n - 1) as f64).max(0.0).sqrt()
        }
    }
}

/// Caches the 97.5 % quantile of Student's t by degrees of freedom.
#[derive(Debug, Default)]
pub struct TQuantiles {
    cache: Vec<f64>,
}

impl TQuantiles {
    /// A cache.
    pub fn new() -> Self {
        TQuantiles::default()
    }

    /// The 97.5 % quantile of t with `df` degrees of freedom (NaN for 0).
    pub fn t975(&mut self, df: u64) -> f64 {
        if df == 0 {
            return f64::NAN;
        }
        let i = df as usize;
        if i >= self.cache.len() && i <= 100_000 {
            self.cache.resize(i + 1, f64::NAN);
        }
        if let Some(&v) = self.cache.get(i)
            && v.is_finite()
        {
            return v;
        }
        let v = StudentsT::new(0.0, 1.0, df as f64)
            .map(|t| t.inverse_cdf(0.975))
            .unwrap_or(1.959_963_984_540_054);
        if let Some(slot) = self.cache.get_mut(i) {
            *slot = v;
        }
        v
    }

    /// The 95 % confidence interval of the mean: (low, high), NaN when
    /// fewer than two values.
    pub fn ci95(&mut self, w: &Welford) -> (f64, f64) {
        if w.n() < 2 {
            return (f64::NAN, f64::NAN);
        }
        let half = self.t975(w.n() - 1) * w.sd() / (w.n() as f64).sqrt();
        (w.mean() - half, w.mean() + half)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn welford_matches_the_two_pass_formulas() {
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let mut w = Welford::default();
        xs.iter().for_each(|&x| w.push(x));
        assert_eq!(w.n(), 8);
        assert_relative_eq!(w.mean(), 5.0);
        assert_relative_eq!(w.sd(), (32.0f64 / 7.0).sqrt(), epsilon = 1e-12);
    }

    #[test]
    fn undefined_values_are_skipped_and_one_value_has_no_sd() {
        let mut w = Welford::default();
        w.push(f64::NAN);
        w.push(3.0);
        assert_eq!(w.n(), 1);
        assert!(w.sd().is_nan());
        assert!(TQuantiles::new().ci95(&w).0.is_nan());
    }

    #[test]
    fn t_quantiles_match_tables() {
        let mut t = TQuantiles::new();
        assert_relative_eq!(t.t975(1), 12.706_204_736, epsilon = 1e-6);
        assert_relative_eq!(t.t975(9), 2.262_157_163, epsilon = 1e-6);
        assert_relative_eq!(t.t975(1000), 1.962_339_125, epsilon = 1e-6);
    }
}
