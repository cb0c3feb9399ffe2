//! Prints how many samples per second each sampler draws from the system source.
//!
//! `cargo run --release -p cohort-noise --example throughput`

#![allow(clippy::unwrap_used)]

use std::time::Instant;

use cohort_noise::{Ratio, SystemRandomSource, sample_discrete_gaussian, sample_discrete_laplace};

const DRAWS: u32 = 1_000_000;

fn main() {
    let mut rng = SystemRandomSource::new();
    let cases: [(&str, bool, Ratio); 6] = [
        (
            "discrete Laplace, scale 1/2",
            false,
            Ratio::new(1, 2).unwrap(),
        ),
        ("discrete Laplace, scale 20", false, Ratio::integer(20)),
        (
            "discrete Laplace, scale 1e6/3",
            false,
            Ratio::new(1_000_000, 3).unwrap(),
        ),
        (
            "discrete Gaussian, sigma^2 1/2",
            true,
            Ratio::new(1, 2).unwrap(),
        ),
        ("discrete Gaussian, sigma^2 400", true, Ratio::integer(400)),
        (
            "discrete Gaussian, sigma^2 2.3e7 (denominator 10^6)",
            true,
            Ratio::new(23_456_789_123_457, 1_000_000).unwrap(),
        ),
    ];
    for (name, gaussian, parameter) in cases {
        let start = Instant::now();
        let mut checksum = 0i64;
        for _ in 0..DRAWS {
            let x = if gaussian {
                sample_discrete_gaussian(parameter, &mut rng).unwrap()
            } else {
                sample_discrete_laplace(parameter, &mut rng).unwrap()
            };
            checksum = checksum.wrapping_add(x);
        }
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "{name}: {:.0} samples/s (checksum {checksum})",
            f64::from(DRAWS) / seconds
        );
    }
}
