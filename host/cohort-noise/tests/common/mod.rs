//! Shared by the integration tests: a seeded random source and the statistics the checks are built from.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use cohort_noise::{NoiseError, RandomSource};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

/// A seeded ChaCha8 stream, read in blocks: reproducible tests. Lives here, not in the library, so no release can
/// use it. (Eight rounds are plenty for statistics and keep unoptimised test builds fast.)
pub struct Seeded {
    rng: ChaCha8Rng,
    buffer: [u8; 1024],
    next: usize,
}

impl Seeded {
    pub fn new(seed: u64) -> Self {
        Seeded {
            rng: ChaCha8Rng::seed_from_u64(seed),
            buffer: [0; 1024],
            next: 1024,
        }
    }
}

impl RandomSource for Seeded {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), NoiseError> {
        for b in buf {
            if self.next == self.buffer.len() {
                self.rng.fill_bytes(&mut self.buffer);
                self.next = 0;
            }
            *b = self.buffer[self.next];
            self.next += 1;
        }
        Ok(())
    }
}

/// Upper 10^-6 quantile of the standard normal: the false-alarm rate of the seeded chi-square checks.
pub const Z_1E6: f64 = 4.753_424_308_822_899;
/// Upper 10^-9 quantile of the standard normal: for runs on the system source, which are not reproducible.
pub const Z_1E9: f64 = 5.997_807_015_007_687;

/// A distribution known by its probability mass function, summed over `[-range, range]` (the mass outside is
/// below 1e-20 for the ranges used).
pub struct Exact<'a> {
    pub pmf: &'a dyn Fn(i64) -> f64,
    pub range: i64,
}

impl Exact<'_> {
    /// E[X²] (the variance: every distribution here is symmetric around 0) and E[X⁴].
    pub fn moments(&self) -> (f64, f64) {
        let (mut m2, mut m4) = (0.0, 0.0);
        for x in -self.range..=self.range {
            let p = (self.pmf)(x);
            let x2 = (x * x) as f64;
            m2 += p * x2;
            m4 += p * x2 * x2;
        }
        (m2, m4)
    }

    /// P(|X| >= t).
    pub fn tail(&self, t: i64) -> f64 {
        1.0 - (-(t - 1)..=(t - 1)).map(|x| (self.pmf)(x)).sum::<f64>()
    }
}

/// Mean and second moment against the exact values, each within `z` standard errors.
///
/// Band math: for n independent draws with E[X] = 0 and Var[X] = V, the sample mean has standard error
/// sqrt(V/n). The sample second moment m2 = Σx²/n (the mean is known to be 0, so no correction) has expectation
/// V and variance (E[X⁴] - V²)/n. Both are close to normal at these n, so a band of z standard errors has a
/// two-sided false-alarm rate of about 2·Φ(-z).
pub fn check_mean_and_variance(name: &str, samples: &[i64], exact: &Exact<'_>, z: f64) {
    let n = samples.len() as f64;
    let (var, m4) = exact.moments();
    let mean = samples.iter().map(|&x| x as f64).sum::<f64>() / n;
    let m2 = samples.iter().map(|&x| (x as f64).powi(2)).sum::<f64>() / n;
    let mean_band = z * (var / n).sqrt();
    let var_band = z * ((m4 - var * var) / n).sqrt();
    assert!(
        mean.abs() <= mean_band,
        "{name}: mean {mean} outside ±{mean_band}"
    );
    assert!(
        (m2 - var).abs() <= var_band,
        "{name}: second moment {m2}, exact variance {var}, band ±{var_band}"
    );
}

/// The frequency of `|X| >= t` against the exact tail, within z binomial standard errors sqrt(p(1-p)/n).
pub fn check_tail(name: &str, samples: &[i64], exact: &Exact<'_>, t: i64, z: f64) {
    let n = samples.len() as f64;
    let p = exact.tail(t);
    let freq = samples
        .iter()
        .filter(|x| x.unsigned_abs() >= t.unsigned_abs())
        .count() as f64
        / n;
    let band = z * (p * (1.0 - p) / n).sqrt();
    assert!(
        (freq - p).abs() <= band,
        "{name}: P(|X| >= {t}) observed {freq}, exact {p}, band ±{band}"
    );
}

/// P(X = x) against P(X = -x) for every x with at least 100 draws on the pair: given the pair's total m, the count
/// at +x is Binomial(m, 1/2) when the distribution is symmetric, so |n(x) - n(-x)| <= z·sqrt(m).
pub fn check_symmetry(name: &str, samples: &[i64], z: f64) {
    let mut counts = std::collections::HashMap::<i64, u64>::new();
    for &x in samples {
        *counts.entry(x).or_default() += 1;
    }
    let mut pairs_checked = 0;
    for (&x, &up) in counts.iter().filter(|(x, _)| **x > 0) {
        let down = counts.get(&-x).copied().unwrap_or(0);
        let m = (up + down) as f64;
        if m < 100.0 {
            continue;
        }
        pairs_checked += 1;
        let diff = up as f64 - down as f64;
        assert!(
            diff.abs() <= z * m.sqrt(),
            "{name}: {up} draws of {x} against {down} of {}",
            -x
        );
    }
    assert!(pairs_checked > 0, "{name}: no pair had 100 draws");
}

/// Pearson's chi-square statistic of the samples against the exact pmf and its degrees of freedom.
///
/// Bins are runs of consecutive integers from the left: a bin closes once its expected count reaches 5, the first
/// bin also holds everything below `-range` and the last everything above `range`, and a final bin under 5 is
/// merged into the one before it.
pub fn chi_square(samples: &[i64], exact: &Exact<'_>) -> (f64, usize) {
    let n = samples.len() as f64;
    // (upper end inclusive, expected count)
    let mut bins: Vec<(i64, f64)> = Vec::new();
    let mut acc = 0.0;
    for x in -exact.range..=exact.range {
        acc += n * (exact.pmf)(x);
        if acc >= 5.0 {
            bins.push((x, acc));
            acc = 0.0;
        }
    }
    let last = bins.last_mut().expect("at least one bin");
    last.0 = i64::MAX;
    last.1 += acc;
    let mut observed = vec![0u64; bins.len()];
    for &x in samples {
        let i = bins.partition_point(|&(hi, _)| hi < x);
        observed[i] += 1;
    }
    let stat = bins
        .iter()
        .zip(&observed)
        .map(|(&(_, e), &o)| (o as f64 - e).powi(2) / e)
        .sum();
    (stat, bins.len() - 1)
}

/// The chi-square critical value at `df` degrees of freedom for the upper-tail probability whose standard normal
/// quantile is `z`, by the Wilson–Hilferty cube approximation: (X/k)^(1/3) is close to normal with mean
/// 1 - 2/(9k) and variance 2/(9k). Within a few percent of the exact quantile even at a handful of degrees of
/// freedom, which is far less than the gap between a correct sampler and a wrong one.
pub fn chi_square_critical(df: usize, z: f64) -> f64 {
    let k = df as f64;
    let v = 2.0 / (9.0 * k);
    k * (1.0 - v + z * v.sqrt()).powi(3)
}

/// The chi-square goodness-of-fit check at the false-alarm rate of `z`.
pub fn check_fit(name: &str, samples: &[i64], exact: &Exact<'_>, z: f64) {
    let (stat, df) = chi_square(samples, exact);
    let critical = chi_square_critical(df, z);
    assert!(df >= 2, "{name}: only {df} degrees of freedom");
    assert!(
        stat <= critical,
        "{name}: chi-square {stat} over the critical value {critical} at {df} df"
    );
}
