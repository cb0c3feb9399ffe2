//! From privacy parameters to noise parameters, and what the noise then looks like: the scale of the discrete
//! Laplace, the variance of the discrete Gaussian, tail bounds, and exact probability mass functions.
//!
//! Floats appear here only where the result is rounded towards more noise (the Gaussian calibration) or where the
//! value is for people and tests rather than for sampling (tail bounds, probability mass functions).

use crate::sampler::{MAX_GAUSSIAN_TERM, MAX_LAPLACE_SCALE};
use crate::{Mechanism, NoiseError, Ratio};

/// The denominator a calibrated discrete Gaussian variance is rounded up to (when the numerator stays within
/// [`MAX_GAUSSIAN_TERM`]; larger variances are rounded up to a whole number).
pub const SIGMA2_DENOMINATOR: u64 = 1_000_000;

/// The relative amount the floating-point solution for σ² is raised by before rounding up to a rational.
///
/// The calibration takes a square root, a logarithm and a few products and quotients, each correctly rounded
/// (relative error 2^-53 ≈ 1.1e-16), so its total relative error is below 1e-14; raising by 1e-9 makes the
/// rational σ² at least the exact solution, at a cost in noise no one can measure.
const CALIBRATION_MARGIN: f64 = 1e-9;

/// The discrete Laplace scale `b = Δ/ε` that makes releasing `value + noise` ε-differentially private for a
/// value that one person changes by at most `sensitivity` (`P(noise = x) ∝ exp(-|x|/b)`, so neighbouring outputs'
/// probabilities differ by a factor of at most `exp(Δ/b) = exp(ε)`).
///
/// `Δ/ε` is rational, so the scale is exact: never less noise than asked. Errors when ε is 0, the sensitivity is
/// 0, or the scale exceeds [`MAX_LAPLACE_SCALE`] or a `u64` numerator.
pub fn laplace_scale(epsilon: Ratio, sensitivity: u64) -> Result<Ratio, NoiseError> {
    check_epsilon(epsilon)?;
    check_sensitivity(sensitivity)?;
    // Δ·ε_d / ε_n, with the common factor of Δ and ε_n removed first (ε is already in lowest terms).
    let g = crate::ratio::gcd(sensitivity, epsilon.numer());
    let numer = (sensitivity / g)
        .checked_mul(epsilon.denom())
        .ok_or_else(|| {
            NoiseError::overflow(
                "discrete Laplace scale",
                format!("sensitivity {sensitivity} / epsilon {epsilon}"),
            )
        })?;
    let scale = Ratio::new(numer, epsilon.numer() / g)?;
    if scale > Ratio::integer(MAX_LAPLACE_SCALE) {
        return Err(NoiseError::invalid(
            "epsilon",
            epsilon,
            format!(
                "sensitivity {sensitivity} / epsilon {epsilon} = {:.6e} is past the largest discrete Laplace scale, 2^52",
                scale.to_f64()
            ),
        ));
    }
    Ok(scale)
}

/// The discrete Gaussian variance σ² that makes releasing `value + noise` (ε, δ)-differentially private for a
/// value that one person changes by at most `sensitivity` (Δ).
///
/// The calibration goes through zero-concentrated differential privacy:
/// - adding discrete Gaussian noise of variance parameter σ² to a value of sensitivity Δ is ρ-zCDP with
///   ρ = Δ² / (2σ²) (Canonne, Kamath and Steinke 2020, the same as for continuous Gaussian noise);
/// - ρ-zCDP implies (ρ + 2·sqrt(ρ·ln(1/δ)), δ)-DP for every δ in (0, 1) (Bun and Steinke 2016, Proposition 1.3).
///
/// Solving `ρ + 2·sqrt(ρ·L) = ε` with `L = ln(1/δ)` gives `sqrt(ρ) = sqrt(L + ε) - sqrt(L) = ε / (sqrt(L + ε) +
/// sqrt(L))` (the second form avoids cancellation when ε is small against L), the largest ρ allowed, hence the
/// smallest σ² = Δ² / (2ρ). That solution is computed in `f64`, raised by a relative 1e-9 to cover rounding, and
/// rounded up to a multiple of 1/[`SIGMA2_DENOMINATOR`] (or to a whole number when σ² > 2^60 / 10^6): the σ²
/// returned is never below the exact solution, so the ε it achieves is never above the ε asked for. The bound is
/// sound but not the tightest known (CKS 2020 give a sharper, numerical conversion).
///
/// Errors when ε is 0, δ is not strictly between 0 and 1, the sensitivity is 0, or σ² exceeds 2^60.
pub fn gaussian_sigma2(
    epsilon: Ratio,
    delta: Ratio,
    sensitivity: u64,
) -> Result<Ratio, NoiseError> {
    check_epsilon(epsilon)?;
    check_delta(delta)?;
    check_sensitivity(sensitivity)?;
    let eps = epsilon.to_f64();
    let log_inv_delta = -delta.to_f64().ln();
    let sqrt_rho = eps / ((log_inv_delta + eps).sqrt() + log_inv_delta.sqrt());
    let rho = sqrt_rho * sqrt_rho;
    let sens = sensitivity as f64;
    let sigma2 = sens * sens / (2.0 * rho) * (1.0 + CALIBRATION_MARGIN);
    let limit = MAX_GAUSSIAN_TERM as f64;
    if !sigma2.is_finite() || sigma2 > limit {
        return Err(NoiseError::invalid(
            "epsilon",
            epsilon,
            format!(
                "with delta {delta} and sensitivity {sensitivity} the discrete Gaussian needs sigma^2 = {sigma2:.6e}, \
                 past the largest accepted, 2^60"
            ),
        ));
    }
    let denom = if sigma2 * SIGMA2_DENOMINATOR as f64 <= limit {
        SIGMA2_DENOMINATOR
    } else {
        1
    };
    // `ceil` of a value at most 2^60 converts to u64 exactly.
    let numer = (sigma2 * denom as f64).ceil() as u64;
    Ratio::new(numer, denom)
}

/// The noise distribution a mechanism uses for a given sensitivity: `(is_gaussian, scale or σ²)`.
pub(crate) fn calibrate(
    mechanism: &Mechanism,
    sensitivity: u64,
) -> Result<(bool, Ratio), NoiseError> {
    match *mechanism {
        Mechanism::Laplace { epsilon } => Ok((false, laplace_scale(epsilon, sensitivity)?)),
        Mechanism::Gaussian { epsilon, delta } => {
            Ok((true, gaussian_sigma2(epsilon, delta, sensitivity)?))
        }
    }
}

/// A bound `B` on the noise the mechanism adds for this sensitivity, such that `P(|noise| > B) <= beta`.
///
/// - **Laplace** (scale b, `p = exp(-1/b)`): the tail is known in closed form, `P(|X| >= k) = 2p^k / (1 + p)` for
///   `k >= 1`, and `B` is the smallest whole number with `2p^(B+1) / (1 + p) <= beta`, exact up to `f64` rounding.
/// - **Gaussian** (σ²): the discrete Gaussian is σ-sub-Gaussian (`E[exp(λX)] <= exp(λ²σ²/2)`, CKS 2020), so
///   `P(|X| >= k) <= 2·exp(-k²/(2σ²))`, and `B = ceil(σ·sqrt(2·ln(2/beta))) - 1`. Sound, not tight: the true tail
///   at `B` is smaller than `beta`.
///
/// `beta` must be strictly between 0 and 1.
pub fn tail_bound(mechanism: &Mechanism, sensitivity: u64, beta: f64) -> Result<u64, NoiseError> {
    if !(beta > 0.0 && beta < 1.0) {
        return Err(NoiseError::invalid(
            "beta",
            beta,
            "the tail probability must be strictly between 0 and 1",
        ));
    }
    let overflow = || NoiseError::overflow("tail bound", format!("{mechanism:?}, beta {beta}"));
    match calibrate(mechanism, sensitivity)? {
        (false, scale) => {
            let b = scale.to_f64();
            let p = (-1.0 / b).exp();
            let tail = |bound: u64| 2.0 * (-(bound as f64 + 1.0) / b).exp() / (1.0 + p);
            let estimate = (b * (2.0 / (beta * (1.0 + p))).ln()).ceil() - 1.0;
            // At most 2^52 · ln(2/beta) < 2^63 for every f64 beta > 0.
            let mut bound = if estimate > 0.0 { estimate as u64 } else { 0 };
            // The closed form is evaluated in floats; settle the last step by checking the neighbours.
            for _ in 0..4 {
                if tail(bound) > beta {
                    bound = bound.checked_add(1).ok_or_else(overflow)?;
                } else if bound > 0 && tail(bound - 1) <= beta {
                    bound -= 1;
                } else {
                    break;
                }
            }
            Ok(bound)
        }
        (true, sigma2) => {
            let lambda = (sigma2.to_f64() * 2.0 * (2.0 / beta).ln()).sqrt() * (1.0 + 1e-12);
            let bound = lambda.ceil() - 1.0;
            Ok(if bound > 0.0 { bound as u64 } else { 0 })
        }
    }
}

/// `P(X = x)` for the discrete Laplace distribution with this scale: `(1 - p)/(1 + p) · p^|x|` with
/// `p = exp(-1/scale)`. In floats, for tests and documentation; a zero scale gives the point mass at 0.
pub fn exact_pmf_laplace(scale: Ratio, x: i64) -> f64 {
    let a = 1.0 / scale.to_f64();
    // 1 - p = -expm1(-a), accurate for large scales where p is close to 1.
    let at_zero = -(-a).exp_m1() / (1.0 + (-a).exp());
    if x == 0 {
        at_zero
    } else {
        at_zero * (-(x.unsigned_abs() as f64) * a).exp()
    }
}

/// `P(X = x)` for the discrete Gaussian distribution with variance parameter σ²: `exp(-x²/(2σ²)) / Z` with
/// `Z = Σ_y exp(-y²/(2σ²))`. In floats, for tests and documentation; σ² = 0 gives the point mass at 0.
pub fn exact_pmf_gaussian(sigma2: Ratio, x: i64) -> f64 {
    let s2 = sigma2.to_f64();
    if s2 == 0.0 {
        return if x == 0 { 1.0 } else { 0.0 };
    }
    let x = x.unsigned_abs() as f64;
    (-(x * x) / (2.0 * s2)).exp() / gaussian_normaliser(s2)
}

/// `Z = Σ_y exp(-y²/(2σ²))` over all integers, to `f64` precision.
fn gaussian_normaliser(s2: f64) -> f64 {
    // Terms below this relative size do not change an f64 sum.
    const NEGLIGIBLE: f64 = 1e-20;
    let mut sum = 1.0;
    if s2 >= 1.0 {
        // Poisson summation: Z = sqrt(2πσ²) · Σ_k exp(-2π²σ²k²); for σ >= 1 the k = ±1 terms are below 3e-9 and
        // the series is done in a step or two, where the direct sum would need tens of σ terms.
        let mut k = 1.0f64;
        loop {
            let term = (-2.0 * std::f64::consts::PI.powi(2) * s2 * k * k).exp();
            if term < NEGLIGIBLE {
                break;
            }
            sum += 2.0 * term;
            k += 1.0;
        }
        (2.0 * std::f64::consts::PI * s2).sqrt() * sum
    } else {
        let mut y = 1.0f64;
        loop {
            let term = (-(y * y) / (2.0 * s2)).exp();
            if term < NEGLIGIBLE {
                break;
            }
            sum += 2.0 * term;
            y += 1.0;
        }
        sum
    }
}

pub(crate) fn check_epsilon(epsilon: Ratio) -> Result<(), NoiseError> {
    if epsilon.is_zero() {
        return Err(NoiseError::invalid(
            "epsilon",
            epsilon,
            "must be greater than 0",
        ));
    }
    Ok(())
}

pub(crate) fn check_delta(delta: Ratio) -> Result<(), NoiseError> {
    if delta.is_zero() || delta >= Ratio::integer(1) {
        return Err(NoiseError::invalid(
            "delta",
            delta,
            "must be strictly between 0 and 1",
        ));
    }
    Ok(())
}

fn check_sensitivity(sensitivity: u64) -> Result<(), NoiseError> {
    if sensitivity == 0 {
        return Err(NoiseError::invalid(
            "sensitivity",
            0,
            "must be at least 1 (a value no person can change needs no noise, and this crate adds none to it)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn normaliser_branches_agree_at_the_switch() {
        // Direct sum at σ² = 1 against Poisson summation at σ² = 1: both are Z(1) ≈ 2.506628275.
        let direct: f64 = (-40i32..=40).map(|y| (-f64::from(y * y) / 2.0).exp()).sum();
        assert!((gaussian_normaliser(1.0) - direct).abs() < 1e-12);
        let just_below = 1.0 - 1e-12;
        assert!((gaussian_normaliser(just_below) - direct).abs() < 1e-9);
    }

    #[test]
    fn pmfs_sum_to_one() {
        for (n, d) in [(1, 2), (1, 1), (20, 1), (7, 3), (1, 100)] {
            let r = Ratio::new(n, d).unwrap();
            let lap: f64 = (-2000..=2000).map(|x| exact_pmf_laplace(r, x)).sum();
            let gau: f64 = (-2000..=2000).map(|x| exact_pmf_gaussian(r, x)).sum();
            assert!((lap - 1.0).abs() < 1e-12, "laplace {r}: {lap}");
            assert!((gau - 1.0).abs() < 1e-12, "gaussian {r}: {gau}");
        }
        assert_eq!(exact_pmf_laplace(Ratio::integer(0), 0), 1.0);
        assert_eq!(exact_pmf_laplace(Ratio::integer(0), 3), 0.0);
        assert_eq!(exact_pmf_gaussian(Ratio::integer(0), 0), 1.0);
    }
}
