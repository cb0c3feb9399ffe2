//! A smaller run on the production source, [`SystemRandomSource`], through [`Noise::system`]: the same checks as
//! `distributions.rs` with looser bands (6 standard errors, chi-square at 10^-9), since these draws differ on every
//! run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cohort_noise::{
    Mechanism, Noise, Ratio, SystemRandomSource, exact_pmf_gaussian, exact_pmf_laplace,
    gaussian_sigma2, laplace_scale, sample_discrete_gaussian,
};
use common::{Exact, Z_1E9, check_fit, check_mean_and_variance, check_symmetry, check_tail};

/// Draws per distribution: a quarter of the seeded runs'.
const DRAWS: usize = 50_000;

/// Six standard errors: a two-sided false-alarm rate of 2e-9 per check.
const Z: f64 = 6.0;

#[test]
fn laplace_through_noise_system() {
    // ε = 0.25, Δ = 5: scale 20.
    let mechanism = Mechanism::laplace_from_f64(0.25).unwrap();
    let scale = laplace_scale(mechanism.epsilon(), 5).unwrap();
    let mut noise = Noise::system();
    let samples: Vec<i64> = (0..DRAWS)
        .map(|_| noise.add_noise(0, &mechanism, 5).unwrap())
        .collect();
    let pmf = |x| exact_pmf_laplace(scale, x);
    let exact = Exact {
        pmf: &pmf,
        range: 1100,
    };
    check_mean_and_variance("system Laplace", &samples, &exact, Z);
    check_tail("system Laplace", &samples, &exact, 20, Z);
    check_symmetry("system Laplace", &samples, Z);
    check_fit("system Laplace", &samples, &exact, Z_1E9);
}

#[test]
fn gaussian_through_the_system_source() {
    let mechanism = Mechanism::gaussian_from_f64(1.0, 1e-6).unwrap();
    let Mechanism::Gaussian { epsilon, delta } = mechanism else {
        unreachable!()
    };
    let mut rng = SystemRandomSource::new();
    for (name, sigma2) in [
        (
            "system Gaussian, calibrated",
            gaussian_sigma2(epsilon, delta, 1).unwrap(),
        ),
        ("system Gaussian, sigma^2 1/2", Ratio::new(1, 2).unwrap()),
    ] {
        // Through the `dyn` interface, as a caller holding any source would.
        let source: &mut dyn cohort_noise::RandomSource = &mut rng;
        let samples: Vec<i64> = (0..DRAWS)
            .map(|_| sample_discrete_gaussian(sigma2, source).unwrap())
            .collect();
        let pmf = |x| exact_pmf_gaussian(sigma2, x);
        let exact = Exact {
            pmf: &pmf,
            range: (30.0 * sigma2.to_f64().sqrt()) as i64 + 30,
        };
        check_mean_and_variance(name, &samples, &exact, Z);
        check_tail(
            name,
            &samples,
            &exact,
            sigma2.to_f64().sqrt().ceil() as i64,
            Z,
        );
        check_symmetry(name, &samples, Z);
        check_fit(name, &samples, &exact, Z_1E9);
    }
}
