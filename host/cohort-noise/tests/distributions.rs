//! The samplers against the exact distributions, on a seeded source so every run draws the same numbers.
//!
//! Each check's band is set for a false-alarm rate near 10^-6 (5 standard errors, or the chi-square quantile at
//! 10^-6), so a failure means the sampler is wrong, not unlucky. `chi_square_detects_a_wrong_scale` shows the
//! checks have the power to notice a 10% error in the scale.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cohort_noise::{
    Ratio, exact_pmf_gaussian, exact_pmf_laplace, sample_bernoulli_exp, sample_discrete_gaussian,
    sample_discrete_laplace,
};
use common::{
    Exact, Seeded, Z_1E6, check_fit, check_mean_and_variance, check_symmetry, check_tail,
};

/// Samples per distribution: with 200,000 the mean is known to about 0.01 standard deviations, and the
/// chi-square test resolves a 10% error in the scale by a factor of ten; a debug build draws them in about a
/// second.
const SAMPLES: usize = 200_000;

/// Five standard errors: a two-sided false-alarm rate of 5.7e-7 per check.
const Z: f64 = 5.0;

fn ratio(n: u64, d: u64) -> Ratio {
    Ratio::new(n, d).unwrap()
}

fn draw(seed: u64, mut f: impl FnMut(&mut Seeded) -> i64) -> Vec<i64> {
    let mut rng = Seeded::new(seed);
    (0..SAMPLES).map(|_| f(&mut rng)).collect()
}

#[test]
fn bernoulli_exp_frequencies() {
    const TRIALS: u32 = 100_000;
    let mut rng = Seeded::new(11);
    for (i, gamma) in [
        ratio(0, 1),
        ratio(1, 1000),
        ratio(1, 2),
        ratio(999, 1000),
        ratio(1, 1),
        ratio(3, 2),
        ratio(10, 3),
        ratio(7, 1),
    ]
    .into_iter()
    .enumerate()
    {
        let p = (-gamma.to_f64()).exp();
        let hits = (0..TRIALS)
            .filter(|_| sample_bernoulli_exp(gamma, &mut rng).unwrap())
            .count();
        // Binomial(TRIALS, p): standard deviation sqrt(TRIALS·p·(1-p)); 5 of them either way.
        let expected = f64::from(TRIALS) * p;
        let band = Z * (f64::from(TRIALS) * p * (1.0 - p)).sqrt();
        assert!(
            (hits as f64 - expected).abs() <= band,
            "case {i}: gamma {gamma}: {hits} hits, expected {expected} ± {band}"
        );
        if gamma.is_zero() {
            assert_eq!(hits, TRIALS as usize, "exp(0) = 1 must always succeed");
        }
    }
}

fn laplace_case(seed: u64, scale: Ratio) {
    let samples = draw(seed, |rng| sample_discrete_laplace(scale, rng).unwrap());
    let pmf = move |x| exact_pmf_laplace(scale, x);
    // exp(-range/scale) < 1e-22.
    let exact = Exact {
        pmf: &pmf,
        range: (50.0 * scale.to_f64()).ceil() as i64 + 50,
    };
    let name = format!("discrete Laplace, scale {scale}");
    check_mean_and_variance(&name, &samples, &exact, Z);
    // Tails near one and near three scales out (at least 1 and 2).
    for t in [
        scale.to_f64().ceil() as i64,
        (3.0 * scale.to_f64()).ceil() as i64 + 1,
    ] {
        check_tail(&name, &samples, &exact, t, Z);
    }
    check_symmetry(&name, &samples, Z);
    check_fit(&name, &samples, &exact, Z_1E6);
}

fn gaussian_case(seed: u64, sigma2: Ratio) {
    let samples = draw(seed, |rng| sample_discrete_gaussian(sigma2, rng).unwrap());
    let pmf = move |x| exact_pmf_gaussian(sigma2, x);
    // exp(-range²/(2σ²)) < 1e-100.
    let exact = Exact {
        pmf: &pmf,
        range: (25.0 * sigma2.to_f64().sqrt()).ceil() as i64 + 25,
    };
    let name = format!("discrete Gaussian, sigma^2 {sigma2}");
    check_mean_and_variance(&name, &samples, &exact, Z);
    let sigma = sigma2.to_f64().sqrt();
    for t in [sigma.ceil() as i64, (2.5 * sigma).ceil() as i64 + 1] {
        check_tail(&name, &samples, &exact, t, Z);
    }
    check_symmetry(&name, &samples, Z);
    check_fit(&name, &samples, &exact, Z_1E6);
}

#[test]
fn discrete_laplace_scale_one_half() {
    laplace_case(21, ratio(1, 2));
}

#[test]
fn discrete_laplace_scale_ten_thirds() {
    laplace_case(22, ratio(10, 3));
}

#[test]
fn discrete_laplace_scale_twenty() {
    laplace_case(23, ratio(20, 1));
}

#[test]
fn discrete_gaussian_variance_one_half() {
    gaussian_case(31, ratio(1, 2));
}

#[test]
fn discrete_gaussian_variance_seven_thirds() {
    gaussian_case(32, ratio(7, 3));
}

#[test]
fn discrete_gaussian_sigma_twenty() {
    gaussian_case(33, ratio(400, 1));
}

#[test]
fn chi_square_detects_a_wrong_scale() {
    // Samples at scale 20 (σ = 20) scored against the pmf at scale 22 (σ = 22) must fail the same check the
    // correct pmf passes above; otherwise the fit checks could not catch a miscalibrated sampler.
    let laplace = draw(41, |rng| {
        sample_discrete_laplace(ratio(20, 1), rng).unwrap()
    });
    let wrong = |x| exact_pmf_laplace(ratio(22, 1), x);
    let (stat, df) = common::chi_square(
        &laplace,
        &Exact {
            pmf: &wrong,
            range: 1200,
        },
    );
    assert!(
        stat > common::chi_square_critical(df, Z_1E6),
        "Laplace: {stat} at {df} df"
    );

    let gaussian = draw(42, |rng| {
        sample_discrete_gaussian(ratio(400, 1), rng).unwrap()
    });
    let wrong = |x| exact_pmf_gaussian(ratio(484, 1), x);
    let (stat, df) = common::chi_square(
        &gaussian,
        &Exact {
            pmf: &wrong,
            range: 600,
        },
    );
    assert!(
        stat > common::chi_square_critical(df, Z_1E6),
        "Gaussian: {stat} at {df} df"
    );
}
