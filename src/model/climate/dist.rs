//! Initial distributions of employee attributes (docs/model.md §3.2): variables
//! in [0, 1] drawn from a beta or a truncated normal distribution given by
//! mean and sd; creativity lognormal with mean 1.

use rand::Rng;
use rand_distr::{Beta, Distribution, LogNormal};

use crate::model::climate::leadership::truncated_unit;

/// A value in [0, 1] with the given mean and sd: beta by moments
/// (a = m k, b = (1 - m) k with k = m (1 - m) / sd^2 - 1), or a normal
/// truncated to [0, 1]. An sd too large for a beta with this mean is
/// reduced to 99 % of its maximum (this happens only for team means near 0
/// or 1; scenario validation rejects such sds for the population).
pub fn unit<R: Rng + ?Sized>(rng: &mut R, beta: bool, mean: f64, sd: f64) -> f64 {
    let mean = mean.clamp(1e-6, 1.0 - 1e-6);
    if sd <= 0.0 {
        return mean;
    }
    if !beta {
        return truncated_unit(rng, mean, sd);
    }
    let max_var = mean * (1.0 - mean);
    let var = (sd * sd).min(0.98 * max_var);
    let k = max_var / var - 1.0;
    if !k.is_finite() {
        // sd so small that sd^2 underflows: the beta is the point mass at
        // the mean (Beta::new accepts infinite shapes but samples NaN).
        return mean;
    }
    match Beta::new(mean * k, (1.0 - mean) * k) {
        Ok(b) => b.sample(rng),
        Err(_) => mean,
    }
}

/// Creativity: lognormal with mean 1 and log-sd `sigma`.
pub fn creativity<R: Rng + ?Sized>(rng: &mut R, sigma: f64) -> f64 {
    if sigma <= 0.0 {
        return 1.0;
    }
    LogNormal::new(-sigma * sigma / 2.0, sigma).map_or(1.0, |d| d.sample(rng))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};

    fn moments(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        (
            m,
            (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt(),
        )
    }

    #[test]
    fn beta_has_the_requested_moments() {
        let mut r = stream(1, Purpose(1), 0, 0);
        let xs: Vec<f64> = (0..40_000).map(|_| unit(&mut r, true, 0.3, 0.15)).collect();
        let (m, s) = moments(&xs);
        // se of the mean 0.15 / 200 = 0.00075.
        assert!(
            (m - 0.3).abs() < 0.004 && (s - 0.15).abs() < 0.004,
            "{m} {s}"
        );
        assert!(xs.iter().all(|x| (0.0..=1.0).contains(x)));
    }

    #[test]
    fn a_tiny_sd_gives_the_mean_not_nan() {
        let mut r = stream(4, Purpose(1), 0, 0);
        for sd in [1e-12, 1e-160, 1e-300, 5e-324] {
            let x = unit(&mut r, true, 0.2, sd);
            assert!((x - 0.2).abs() < 1e-6, "sd {sd}: {x}");
        }
    }

    #[test]
    fn truncated_normal_stays_in_range() {
        let mut r = stream(2, Purpose(1), 0, 0);
        let xs: Vec<f64> = (0..10_000).map(|_| unit(&mut r, false, 0.5, 0.1)).collect();
        let (m, _) = moments(&xs);
        assert!((m - 0.5).abs() < 0.005);
        assert!(xs.iter().all(|x| (0.0..=1.0).contains(x)));
    }

    #[test]
    fn creativity_has_mean_one() {
        let mut r = stream(3, Purpose(1), 0, 0);
        let xs: Vec<f64> = (0..100_000).map(|_| creativity(&mut r, 0.5)).collect();
        let (m, _) = moments(&xs);
        // sd of lognormal(sigma 0.5, mean 1) is 0.53; se 0.0017.
        assert!((m - 1.0).abs() < 0.008, "{m}");
    }
}
