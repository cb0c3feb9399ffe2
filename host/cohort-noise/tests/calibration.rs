//! Calibration, rounding direction, tail bounds and parameter errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cohort_noise::{
    DELTA_DENOMINATOR, EPSILON_DENOMINATOR, MAX_LAPLACE_SCALE, Mechanism, Noise, NoiseError, Ratio,
    add_noise, exact_pmf_gaussian, exact_pmf_laplace, gaussian_sigma2, laplace_scale, sample_noise,
    tail_bound,
};
use common::{Exact, Seeded, Z_1E6, check_fit, check_mean_and_variance};
use proptest::prelude::*;

fn ratio(n: u64, d: u64) -> Ratio {
    Ratio::new(n, d).unwrap()
}

/// The ε that σ² achieves under the documented conversion: ρ = Δ²/(2σ²), ε = ρ + 2·sqrt(ρ·ln(1/δ)).
fn epsilon_achieved(sigma2: Ratio, delta: Ratio, sensitivity: u64) -> f64 {
    let rho = (sensitivity as f64).powi(2) / (2.0 * sigma2.to_f64());
    rho + 2.0 * (rho * -delta.to_f64().ln()).sqrt()
}

fn is_invalid<T: std::fmt::Debug>(r: Result<T, NoiseError>, parameter: &str) -> bool {
    matches!(&r, Err(NoiseError::InvalidParameter { parameter: p, .. }) if *p == parameter)
}

proptest! {
    #[test]
    fn laplace_scale_is_exactly_sensitivity_over_epsilon(n in 1u64..10_000_000, d in 1u64..10_000_000, sens in 1u64..100_000) {
        let epsilon = ratio(n, d);
        match laplace_scale(epsilon, sens) {
            Ok(scale) => {
                // scale · ε = Δ exactly.
                let lhs = u128::from(scale.numer()) * u128::from(epsilon.numer());
                let rhs = u128::from(sens) * u128::from(scale.denom()) * u128::from(epsilon.denom());
                prop_assert_eq!(lhs, rhs);
            }
            Err(e) => {
                // Only when the scale is past the limit.
                prop_assert!(sens as f64 / epsilon.to_f64() > MAX_LAPLACE_SCALE as f64 * 0.999, "{e}");
            }
        }
    }

    #[test]
    fn policy_epsilon_rounds_down_so_the_scale_rounds_up(eps in 1e-5f64..50.0, sens in 1u64..1000) {
        let mechanism = Mechanism::laplace_from_f64(eps).unwrap();
        let rounded = mechanism.epsilon();
        prop_assert_eq!(EPSILON_DENOMINATOR % rounded.denom(), 0);
        // Below ε, by less than one step of 10^-6 (compared in floats with room for their rounding).
        prop_assert!(rounded.to_f64() <= eps * (1.0 + 1e-15));
        prop_assert!(eps - rounded.to_f64() < 1e-6 * (1.0 + 1e-9));
        let scale = laplace_scale(rounded, sens).unwrap();
        prop_assert!(scale.to_f64() >= sens as f64 / eps * (1.0 - 1e-15));
    }

    #[test]
    fn gaussian_calibration_never_exceeds_epsilon(
        eps in 0.001f64..20.0,
        log10_delta in -15.0f64..-0.5,
        sens in 1u64..10_000,
    ) {
        let mechanism = Mechanism::gaussian_from_f64(eps, 10f64.powf(log10_delta)).unwrap();
        let Mechanism::Gaussian { epsilon, delta } = mechanism else { unreachable!() };
        let sigma2 = gaussian_sigma2(epsilon, delta, sens).unwrap();
        let achieved = epsilon_achieved(sigma2, delta, sens);
        prop_assert!(achieved <= epsilon.to_f64(), "sigma^2 {} gives epsilon {} > {}", sigma2, achieved, epsilon);
        // And it is the smallest such σ² up to the rounding: σ² >= 0.04 here, so the step of 10^-6 it is rounded
        // up by is at most 2.5e-5 of it, and ε moves by at most that much.
        prop_assert!(achieved >= epsilon.to_f64() * (1.0 - 1e-4), "sigma^2 {} is loose: {} for {}", sigma2, achieved, epsilon);
    }
}

#[test]
fn exact_decimals_survive_the_policy_conversion() {
    assert_eq!(
        Mechanism::laplace_from_f64(0.3).unwrap().epsilon(),
        ratio(3, 10)
    );
    assert_eq!(
        Mechanism::laplace_from_f64(1.0).unwrap().epsilon(),
        ratio(1, 1)
    );
    assert_eq!(
        Mechanism::laplace_from_f64(0.1234567).unwrap().epsilon(),
        ratio(123_456, 1_000_000)
    );
    let Mechanism::Gaussian { delta, .. } = Mechanism::gaussian_from_f64(0.5, 1e-9).unwrap() else {
        unreachable!()
    };
    assert_eq!(delta, ratio(1, 1_000_000_000));
    assert_eq!(DELTA_DENOMINATOR % delta.denom(), 0);
    assert_eq!(laplace_scale(ratio(3, 10), 1).unwrap(), ratio(10, 3));
    assert_eq!(laplace_scale(ratio(3, 10), 6).unwrap(), ratio(20, 1));
}

#[test]
fn parameter_errors_are_errors() {
    let one = ratio(1, 1);
    let half = ratio(1, 2);
    assert!(is_invalid(Ratio::new(1, 0), "denominator"));
    assert!(is_invalid(laplace_scale(ratio(0, 1), 1), "epsilon"));
    assert!(is_invalid(laplace_scale(one, 0), "sensitivity"));
    assert!(is_invalid(gaussian_sigma2(ratio(0, 1), half, 1), "epsilon"));
    for delta in [ratio(0, 1), ratio(1, 1), ratio(3, 2)] {
        assert!(
            is_invalid(gaussian_sigma2(one, delta, 1), "delta"),
            "{delta}"
        );
    }
    assert!(is_invalid(gaussian_sigma2(one, half, 0), "sensitivity"));
    for eps in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e-7] {
        assert!(
            is_invalid(Mechanism::laplace_from_f64(eps), "epsilon"),
            "{eps}"
        );
        assert!(
            is_invalid(Mechanism::gaussian_from_f64(eps, 1e-6), "epsilon"),
            "{eps}"
        );
    }
    for delta in [0.0, 1.0, 1.5, -0.1, f64::NAN, 1e-19] {
        assert!(
            is_invalid(Mechanism::gaussian_from_f64(1.0, delta), "delta"),
            "{delta}"
        );
    }
    let m = Mechanism::laplace_from_f64(1.0).unwrap();
    for beta in [0.0, 1.0, -0.5, f64::NAN] {
        assert!(is_invalid(tail_bound(&m, 1, beta), "beta"), "{beta}");
    }
    // Messages name the parameter and the value.
    let message = Mechanism::gaussian_from_f64(1.0, 1.5)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("delta") && message.contains("1.5"),
        "{message}"
    );
}

#[test]
fn overflow_is_an_error_not_a_panic() {
    // Δ/ε past u64.
    assert!(matches!(
        laplace_scale(ratio(1, u64::MAX), u64::MAX),
        Err(NoiseError::Overflow { .. })
    ));
    // Past the Laplace limit but representable.
    assert!(is_invalid(
        laplace_scale(ratio(1, 1_000_000), 1 << 40),
        "epsilon"
    ));
    // σ² past 2^60.
    assert!(is_invalid(
        gaussian_sigma2(ratio(1, 1_000_000), ratio(1, 1_000_000_000), 1 << 20),
        "epsilon"
    ));
    // value + noise past i64: positive noise must come up in 200 draws (P(noise > 0) ≈ 0.38 each).
    let mut rng = Seeded::new(5);
    let m = Mechanism::Laplace {
        epsilon: ratio(1, 1),
    };
    let results: Vec<_> = (0..200)
        .map(|_| add_noise(i64::MAX, &m, 1, &mut rng))
        .collect();
    assert!(
        results
            .iter()
            .any(|r| matches!(r, Err(NoiseError::Overflow { .. })))
    );
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(_) | Err(NoiseError::Overflow { .. })))
    );
}

#[test]
fn laplace_tail_bound_is_exact() {
    for (scale_eps, sens) in [
        (ratio(2, 1), 1),
        (ratio(1, 10), 1),
        (ratio(3, 10), 6),
        (ratio(1, 1), 50),
    ] {
        let m = Mechanism::Laplace { epsilon: scale_eps };
        let scale = laplace_scale(scale_eps, sens).unwrap();
        for beta in [0.5, 0.05, 1e-3, 1e-6] {
            let bound = tail_bound(&m, sens, beta).unwrap();
            // P(|X| > B) from the pmf: at most beta at B, more than beta at B - 1.
            let above = |b: u64| {
                1.0 - (-(b as i64)..=b as i64)
                    .map(|x| exact_pmf_laplace(scale, x))
                    .sum::<f64>()
            };
            assert!(
                above(bound) <= beta * (1.0 + 1e-9),
                "scale {scale}, beta {beta}: P(|X| > {bound}) = {}",
                above(bound)
            );
            if bound > 0 {
                assert!(
                    above(bound - 1) > beta * (1.0 - 1e-9),
                    "scale {scale}, beta {beta}: {bound} is not the smallest"
                );
            }
        }
    }
}

#[test]
fn gaussian_tail_bound_holds() {
    for (eps, delta, sens) in [(1.0, 1e-6, 1), (0.1, 1e-9, 1), (2.0, 1e-3, 10)] {
        let m = Mechanism::gaussian_from_f64(eps, delta).unwrap();
        let Mechanism::Gaussian { epsilon, delta } = m else {
            unreachable!()
        };
        let sigma2 = gaussian_sigma2(epsilon, delta, sens).unwrap();
        let range = (40.0 * sigma2.to_f64().sqrt()) as i64 + 10;
        for beta in [0.5, 0.05, 1e-3, 1e-6] {
            let bound = tail_bound(&m, sens, beta).unwrap();
            let above = |b: u64| {
                let b = b as i64;
                (-range..=range)
                    .filter(|x| x.abs() > b)
                    .map(|x| exact_pmf_gaussian(sigma2, x))
                    .sum::<f64>()
            };
            assert!(
                above(bound) <= beta,
                "sigma^2 {sigma2}, beta {beta}: P(|X| > {bound}) = {}",
                above(bound)
            );
            // Sub-Gaussian, not exact, and loose for a large beta (1.67σ against the exact 0.67σ at 0.5); from 0.05 on
            // it is within 1.5 times the exact quantile (2.72σ against 1.96σ at 0.05).
            if beta > 0.05 {
                continue;
            }
            let mut exact_quantile = 0;
            while above(exact_quantile) > beta {
                exact_quantile += 1;
            }
            assert!(
                bound as f64 <= 1.5 * exact_quantile as f64 + 1.0,
                "sigma^2 {sigma2}, beta {beta}: {bound} vs {exact_quantile}"
            );
        }
    }
}

#[test]
fn tail_bounds_hold_for_samples() {
    // 10^-3 of 100,000 draws is 100 expected outliers at most; the band is 5 binomial standard errors.
    const DRAWS: usize = 100_000;
    let beta = 1e-3;
    let mut rng = Seeded::new(6);
    for m in [
        Mechanism::laplace_from_f64(0.5).unwrap(),
        Mechanism::gaussian_from_f64(0.5, 1e-6).unwrap(),
    ] {
        let bound = tail_bound(&m, 3, beta).unwrap();
        let outside = (0..DRAWS)
            .filter(|_| sample_noise(&m, 3, &mut rng).unwrap().unsigned_abs() > bound)
            .count();
        let limit = DRAWS as f64 * beta + 5.0 * (DRAWS as f64 * beta * (1.0 - beta)).sqrt();
        assert!(
            (outside as f64) <= limit,
            "{m:?}: {outside} of {DRAWS} beyond {bound}"
        );
    }
}

#[test]
fn sample_noise_uses_the_calibrated_distribution() {
    // ε = 0.3 and Δ = 2: Laplace scale 20/3; Gaussian at (0.5, 1e-6) and Δ = 2.
    const DRAWS: usize = 50_000;
    let mut rng = Seeded::new(7);
    let laplace = Mechanism::laplace_from_f64(0.3).unwrap();
    let scale = laplace_scale(laplace.epsilon(), 2).unwrap();
    assert_eq!(scale, ratio(20, 3));
    let samples: Vec<i64> = (0..DRAWS)
        .map(|_| sample_noise(&laplace, 2, &mut rng).unwrap())
        .collect();
    let pmf = |x| exact_pmf_laplace(scale, x);
    let exact = Exact {
        pmf: &pmf,
        range: 500,
    };
    check_mean_and_variance("Laplace via sample_noise", &samples, &exact, 5.0);
    check_fit("Laplace via sample_noise", &samples, &exact, Z_1E6);

    let gaussian = Mechanism::gaussian_from_f64(0.5, 1e-6).unwrap();
    let Mechanism::Gaussian { epsilon, delta } = gaussian else {
        unreachable!()
    };
    let sigma2 = gaussian_sigma2(epsilon, delta, 2).unwrap();
    let mut noise = Noise::with_source(Seeded::new(8));
    let samples: Vec<i64> = (0..DRAWS)
        .map(|_| noise.add_noise(1000, &gaussian, 2).unwrap() - 1000)
        .collect();
    let pmf = |x| exact_pmf_gaussian(sigma2, x);
    let exact = Exact {
        pmf: &pmf,
        range: (30.0 * sigma2.to_f64().sqrt()) as i64,
    };
    check_mean_and_variance("Gaussian via Noise::add_noise", &samples, &exact, 5.0);
    check_fit("Gaussian via Noise::add_noise", &samples, &exact, Z_1E6);
}
