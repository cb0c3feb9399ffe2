//! The exact samplers of Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential Privacy" (2020):
//! Algorithm 1 (Bernoulli(exp(-γ)) for rational γ), Algorithm 2 (discrete Laplace) and Algorithm 3 (discrete
//! Gaussian), in integer arithmetic only.
//!
//! Floating-point samplers leak through the gaps and rounding of their output (Mironov 2012); these take only
//! uniform integers from a [`RandomSource`] and compare integers, so the output distribution is exactly the one
//! named, conditioned on no error (see the crate docs for the loop limit).

use crate::random::{LOOP_LIMIT, RandomSource, bernoulli, coin, loop_limit, uniform_below};
use crate::{NoiseError, Ratio};

/// The largest discrete Laplace scale accepted: 2^52 (about 4.5e15).
///
/// Algorithm 2 returns at most `scale * (V + 1)` where `V` is a loop count below 1000 (the crate's loop limit), so
/// every sample is below 2^52 * 1000 < 2^62 and fits an `i64` with room to add a count.
pub const MAX_LAPLACE_SCALE: u64 = 1 << 52;

/// The largest numerator and denominator (in lowest terms) of a discrete Gaussian variance: 2^60.
///
/// With `σ² = n/d` and `n, d <= 2^60`, the acceptance test of Algorithm 3 needs `x·d·t < 2^103` (with `x <= 1000·t`) and
/// `2·n·d·t² <= 4n² + 4nd <= 2^123` (where `t = floor(σ) + 1 <= σ + 1`), so it runs in `u128` with the square of
/// the numerator in 256 bits. That allows σ up to about 1.07e9, or 1.07e6 with a denominator of 10^6.
pub const MAX_GAUSSIAN_TERM: u64 = 1 << 60;

/// Draws Bernoulli(exp(-γ)) exactly (Algorithm 1): true with probability `exp(-gamma)`.
pub fn sample_bernoulli_exp<R: RandomSource + ?Sized>(
    gamma: Ratio,
    rng: &mut R,
) -> Result<bool, NoiseError> {
    let (numer, denom) = (u128::from(gamma.numer()), u128::from(gamma.denom()));
    bernoulli_exp_parts(numer / denom, numer % denom, denom, rng)
}

/// Draws from the discrete Laplace distribution with the given scale `b`: `P(X = x) ∝ exp(-|x| / b)` for every
/// integer `x`. The scale must be greater than 0 and at most [`MAX_LAPLACE_SCALE`].
pub fn sample_discrete_laplace<R: RandomSource + ?Sized>(
    scale: Ratio,
    rng: &mut R,
) -> Result<i64, NoiseError> {
    if scale.is_zero() {
        return Err(NoiseError::invalid(
            "scale",
            scale,
            "the discrete Laplace scale must be greater than 0",
        ));
    }
    if scale > Ratio::integer(MAX_LAPLACE_SCALE) {
        return Err(NoiseError::invalid(
            "scale",
            scale,
            format!("the discrete Laplace scale must be at most 2^52 = {MAX_LAPLACE_SCALE}"),
        ));
    }
    discrete_laplace(u128::from(scale.numer()), u128::from(scale.denom()), rng)
}

/// Draws from the discrete Gaussian distribution with variance parameter `σ²`: `P(X = x) ∝ exp(-x² / (2σ²))` for
/// every integer `x`. `σ²` must be greater than 0, with numerator and denominator at most [`MAX_GAUSSIAN_TERM`].
pub fn sample_discrete_gaussian<R: RandomSource + ?Sized>(
    sigma2: Ratio,
    rng: &mut R,
) -> Result<i64, NoiseError> {
    if sigma2.is_zero() {
        return Err(NoiseError::invalid(
            "sigma2",
            sigma2,
            "the discrete Gaussian variance must be greater than 0",
        ));
    }
    if sigma2.numer() > MAX_GAUSSIAN_TERM || sigma2.denom() > MAX_GAUSSIAN_TERM {
        return Err(NoiseError::invalid(
            "sigma2",
            sigma2,
            "the discrete Gaussian variance needs numerator and denominator at most 2^60 in lowest terms",
        ));
    }
    let (n, d) = (u128::from(sigma2.numer()), u128::from(sigma2.denom()));
    // floor(sqrt(n/d)) = floor(sqrt(floor(n/d))), so t = floor(σ) + 1 is exact.
    let t = u128::from((sigma2.numer() / sigma2.denom()).isqrt()) + 1;
    let overflow = || {
        NoiseError::overflow(
            "discrete Gaussian acceptance test",
            format!("sigma2 = {sigma2}"),
        )
    };
    let dt = d.checked_mul(t).ok_or_else(overflow)?;
    // γ = (|Y| - σ²/t)² / (2σ²) = (|Y|·d·t - n)² / (2·n·d·t²): write it as a² / b.
    // Every factor is at least 1, so no intermediate product exceeds b itself.
    let b = (2 * n)
        .checked_mul(dt)
        .and_then(|v| v.checked_mul(t))
        .ok_or_else(overflow)?;
    if b >= 1 << 127 {
        return Err(overflow());
    }
    for _ in 0..LOOP_LIMIT {
        let y = discrete_laplace(t, 1, rng)?;
        let a = u128::from(y.unsigned_abs())
            .checked_mul(dt)
            .ok_or_else(overflow)?
            .abs_diff(n);
        if bernoulli_exp_square(a, b, rng)? {
            return Ok(y);
        }
    }
    Err(loop_limit("discrete Gaussian"))
}

/// Algorithm 2 with scale `t/s` (`t, s >= 1`): a geometric part `X = U + t·V` with `P(X = x) ∝ exp(-x/t)`, divided
/// down by `s`, given a random sign, with the duplicate zero rejected.
fn discrete_laplace<R: RandomSource + ?Sized>(
    t: u128,
    s: u128,
    rng: &mut R,
) -> Result<i64, NoiseError> {
    for _ in 0..LOOP_LIMIT {
        // U uniform in [0, t), kept with probability exp(-U/t): the remainder of X modulo t.
        let u = uniform_below(rng, t)?;
        if !bernoulli_exp_parts(0, u, t, rng)? {
            continue;
        }
        // V ~ Geometric(1 - 1/e): the number of Bernoulli(exp(-1)) successes before the first failure.
        let mut v: u128 = 0;
        while bernoulli_exp_fraction(1, 1, rng)? {
            v += 1;
            if v == u128::from(LOOP_LIMIT) {
                return Err(loop_limit("discrete Laplace"));
            }
        }
        // t < 2^64 and v < 1000, so x < 2^75.
        let x = u + t * v;
        let y = x / s;
        let negative = coin(rng)?;
        if negative && y == 0 {
            continue;
        }
        let y = i64::try_from(y).map_err(|_| {
            NoiseError::overflow("discrete Laplace sample", format!("{y} with scale {t}/{s}"))
        })?;
        return Ok(if negative { -y } else { y });
    }
    Err(loop_limit("discrete Laplace"))
}

/// Bernoulli(exp(-(whole + numer/denom))) for `numer < denom`: `whole` independent Bernoulli(exp(-1)) trials must
/// all succeed, and then one Bernoulli(exp(-numer/denom)). `whole` may be a saturated `u128::MAX`.
fn bernoulli_exp_parts<R: RandomSource + ?Sized>(
    whole: u128,
    numer: u128,
    denom: u128,
    rng: &mut R,
) -> Result<bool, NoiseError> {
    // Each trial fails with probability 1 - 1/e, so more than LOOP_LIMIT of them all succeeding means a broken
    // source (probability e^-1000 otherwise); stopping there also bounds the loop for a huge `whole`.
    for _ in 0..whole.min(u128::from(LOOP_LIMIT)) {
        if !bernoulli_exp_fraction(1, 1, rng)? {
            return Ok(false);
        }
    }
    if whole > u128::from(LOOP_LIMIT) {
        return Err(loop_limit("Bernoulli(exp(-gamma))"));
    }
    bernoulli_exp_fraction(numer, denom, rng)
}

/// Bernoulli(exp(-γ)) for `γ = numer/denom` in `[0, 1]`: draw `A_k ~ Bernoulli(γ/k)` for `k = 1, 2, …` until one
/// fails, and succeed when that `k` is odd. `P(K > k) = γ^k / k!`, so `P(K odd) = Σ_j (-γ)^j / j! = exp(-γ)`.
fn bernoulli_exp_fraction<R: RandomSource + ?Sized>(
    numer: u128,
    denom: u128,
    rng: &mut R,
) -> Result<bool, NoiseError> {
    let mut k: u128 = 1;
    // P(K > LOOP_LIMIT) <= 1/1000!, far below the limit's stated bound.
    while k <= u128::from(LOOP_LIMIT) {
        if !bernoulli_over_k(numer, denom, k, rng)? {
            return Ok(k % 2 == 1);
        }
        k += 1;
    }
    Err(loop_limit("Bernoulli(exp(-gamma))"))
}

/// Bernoulli(`numer / (denom·k)`) for `numer <= denom`.
fn bernoulli_over_k<R: RandomSource + ?Sized>(
    numer: u128,
    denom: u128,
    k: u128,
    rng: &mut R,
) -> Result<bool, NoiseError> {
    match denom.checked_mul(k) {
        Some(dk) => bernoulli(rng, numer, dk),
        // Past u128, split into two independent trials with the same product probability.
        None => Ok(bernoulli(rng, 1, k)? && bernoulli(rng, numer, denom)?),
    }
}

/// Bernoulli(exp(-a²/b)) for `1 <= b < 2^127`, with `a²` formed in 256 bits so no `a` overflows.
fn bernoulli_exp_square<R: RandomSource + ?Sized>(
    a: u128,
    b: u128,
    rng: &mut R,
) -> Result<bool, NoiseError> {
    let (hi, lo) = mul_wide(a, a);
    let (whole, rem) = div_rem_wide(hi, lo, b);
    bernoulli_exp_parts(whole, rem, b, rng)
}

/// The 256-bit product `a·b` as `(high, low)` halves.
fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    const LOW: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & LOW);
    let (b1, b0) = (b >> 64, b & LOW);
    let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    // Below 3·2^64: no overflow.
    let mid = (p00 >> 64) + (p01 & LOW) + (p10 & LOW);
    let low = (p00 & LOW) | (mid << 64);
    let high = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (high, low)
}

/// `(hi·2^128 + lo) / d` (saturated at `u128::MAX`) and the remainder, for `1 <= d < 2^127`.
fn div_rem_wide(hi: u128, lo: u128, d: u128) -> (u128, u128) {
    if hi == 0 {
        return (lo / d, lo % d);
    }
    // Binary long division. The remainder stays below d < 2^127, so doubling it cannot overflow.
    let mut rem: u128 = 0;
    let mut quotient: u128 = 0;
    let mut saturated = false;
    for i in (0..256u32).rev() {
        let bit = if i >= 128 {
            (hi >> (i - 128)) & 1
        } else {
            (lo >> i) & 1
        };
        rem = (rem << 1) | bit;
        if rem >= d {
            rem -= d;
            if i >= 128 {
                saturated = true;
            } else {
                quotient |= 1 << i;
            }
        }
    }
    (if saturated { u128::MAX } else { quotient }, rem)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::random::test_source::{Seeded, Stuck};
    use proptest::prelude::*;

    #[test]
    fn wide_arithmetic_edges() {
        assert_eq!(mul_wide(u128::MAX, u128::MAX), (u128::MAX - 1, 1));
        assert_eq!(mul_wide(1 << 64, 1 << 64), (1, 0));
        assert_eq!(div_rem_wide(1, 0, 2), (1 << 127, 0));
        // 2^128 + 5 = 3 * (u128::MAX / 3 + 2), since u128::MAX = 2^128 - 1 is a multiple of 3.
        assert_eq!(div_rem_wide(1, 5, 3), (u128::MAX / 3 + 2, 0));
        // 2^256 - 1 divided by 1 saturates.
        assert_eq!(div_rem_wide(u128::MAX, u128::MAX, 1), (u128::MAX, 0));
    }

    proptest! {
        #[test]
        fn wide_division_inverts_wide_multiplication(a: u128, b in 1u128..(1 << 127), r: u128) {
            let r = r % b;
            let (hi, lo) = mul_wide(a, b);
            let (lo, carry) = lo.overflowing_add(r);
            let hi = hi + u128::from(carry);
            prop_assert_eq!(div_rem_wide(hi, lo, b), (a, r));
        }

        #[test]
        fn narrow_products_match(a: u64, b: u64) {
            prop_assert_eq!(mul_wide(u128::from(a), u128::from(b)), (0, u128::from(a) * u128::from(b)));
        }
    }

    #[test]
    fn bernoulli_exp_of_zero_is_certain_and_huge_gamma_is_impossible() {
        let mut rng = Seeded::new(3);
        for _ in 0..1000 {
            assert!(sample_bernoulli_exp(Ratio::integer(0), &mut rng).unwrap());
            // exp(-40) ≈ 4e-18: a success in 1000 draws would be a bug.
            assert!(!sample_bernoulli_exp(Ratio::integer(40), &mut rng).unwrap());
            assert!(!bernoulli_exp_square(u128::MAX, 3, &mut rng).unwrap());
        }
    }

    #[test]
    fn parameter_errors() {
        let mut rng = Seeded::new(4);
        assert!(matches!(
            sample_discrete_laplace(Ratio::integer(0), &mut rng),
            Err(NoiseError::InvalidParameter { .. })
        ));
        assert!(matches!(
            sample_discrete_laplace(Ratio::integer(MAX_LAPLACE_SCALE + 1), &mut rng),
            Err(NoiseError::InvalidParameter { .. })
        ));
        assert!(sample_discrete_laplace(Ratio::integer(MAX_LAPLACE_SCALE), &mut rng).is_ok());
        assert!(matches!(
            sample_discrete_gaussian(Ratio::integer(0), &mut rng),
            Err(NoiseError::InvalidParameter { .. })
        ));
        assert!(matches!(
            sample_discrete_gaussian(Ratio::integer(MAX_GAUSSIAN_TERM + 1), &mut rng),
            Err(NoiseError::InvalidParameter { .. })
        ));
        assert!(matches!(
            sample_discrete_gaussian(Ratio::new(1, MAX_GAUSSIAN_TERM + 1).unwrap(), &mut rng),
            Err(NoiseError::InvalidParameter { .. })
        ));
    }

    #[test]
    fn extreme_gaussian_parameters_run() {
        // The corners of the accepted range: the arithmetic bounds in MAX_GAUSSIAN_TERM's docs must hold here.
        let mut rng = Seeded::new(5);
        let corners = [
            Ratio::integer(MAX_GAUSSIAN_TERM),
            Ratio::new(MAX_GAUSSIAN_TERM, MAX_GAUSSIAN_TERM - 1).unwrap(),
            Ratio::new(1, MAX_GAUSSIAN_TERM).unwrap(),
            Ratio::new(MAX_GAUSSIAN_TERM - 1, 1 << 30).unwrap(),
        ];
        for sigma2 in corners {
            for _ in 0..200 {
                let x = sample_discrete_gaussian(sigma2, &mut rng).unwrap();
                // 40 standard deviations (plus one for tiny σ) has probability below e^-800.
                assert!(
                    (x.unsigned_abs() as f64) <= 40.0 * sigma2.to_f64().sqrt() + 1.0,
                    "{sigma2}: {x}"
                );
            }
        }
    }

    #[test]
    fn broken_sources_error_instead_of_hanging() {
        // Stuck at 0 the geometric loop never ends; stuck at 0xFF every rejection step rejects.
        for byte in [0x00, 0xFF] {
            let laplace = sample_discrete_laplace(Ratio::new(7, 3).unwrap(), &mut Stuck(byte));
            let gaussian = sample_discrete_gaussian(Ratio::new(7, 3).unwrap(), &mut Stuck(byte));
            for r in [laplace, gaussian] {
                assert!(
                    matches!(r, Err(NoiseError::Randomness(_))),
                    "byte {byte:#x}: {r:?}"
                );
            }
        }
    }
}
