//! Differential-privacy noise for released counts and sums: exact discrete Laplace and discrete Gaussian samplers.
//!
//! This crate owns the noise, not the decision to add it: the policy says which [`Mechanism`] and ε (and δ) a
//! release uses, the caller says the sensitivity (how much one person can change the value), and
//! [`add_noise`] returns the noisy value. Budget accounting lives elsewhere.
//!
//! **Exactness:** the samplers follow Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential
//! Privacy" (2020), Algorithms 1–3, in integer arithmetic over exact rationals ([`Ratio`]). No float is ever
//! sampled or rounded into a sample: floating-point Laplace noise leaks the value it hides through its low-order
//! bits (Mironov 2012). Every sampling loop stops after a fixed number of rounds and returns
//! [`NoiseError::Randomness`]; with a uniform source that happens with probability below 2^-500, and conditioned
//! on it not happening the output distribution is exactly the one named.
//!
//! **Never less noise than asked:** a policy's `f64` ε is rounded *down* to a multiple of 10^-6 and δ *down* to a
//! multiple of 10^-18 ([`Mechanism::laplace_from_f64`], [`Mechanism::gaussian_from_f64`]); the Laplace scale
//! Δ/ε is then exact, and the Gaussian σ² is rounded *up* ([`gaussian_sigma2`]).
//!
//! **Randomness:** production code uses [`SystemRandomSource`] (the operating system's generator via `ring`),
//! which [`Noise::system`] wraps. The functions take any [`RandomSource`] so that tests can be reproducible.

mod calibration;
mod error;
mod random;
mod ratio;
mod sampler;

pub use calibration::{
    SIGMA2_DENOMINATOR, exact_pmf_gaussian, exact_pmf_laplace, gaussian_sigma2, laplace_scale,
    tail_bound,
};
pub use error::NoiseError;
pub use random::{RandomSource, SystemRandomSource, uniform_below};
pub use ratio::Ratio;
pub use sampler::{
    MAX_GAUSSIAN_TERM, MAX_LAPLACE_SCALE, sample_bernoulli_exp, sample_discrete_gaussian,
    sample_discrete_laplace,
};

/// The denominator a policy's ε is rounded down to: ε is used as a multiple of 10^-6.
pub const EPSILON_DENOMINATOR: u64 = 1_000_000;

/// The denominator a policy's δ is rounded down to: δ is used as a multiple of 10^-18.
pub const DELTA_DENOMINATOR: u64 = 1_000_000_000_000_000_000;

/// How a released value is made differentially private.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    /// Discrete Laplace noise of scale Δ/ε: pure ε-differential privacy.
    Laplace {
        /// The privacy loss of one release; greater than 0.
        epsilon: Ratio,
    },
    /// Discrete Gaussian noise calibrated by [`gaussian_sigma2`]: (ε, δ)-differential privacy.
    Gaussian {
        /// The privacy loss of one release; greater than 0.
        epsilon: Ratio,
        /// The probability the ε bound may fail; strictly between 0 and 1.
        delta: Ratio,
    },
}

impl Mechanism {
    /// The Laplace mechanism for a policy's `epsilon_per_query`, rounded down to a multiple of
    /// 1/[`EPSILON_DENOMINATOR`] (reading the float as the decimal it prints as, so `0.3` is exactly 3/10).
    /// Errors when ε is not finite or is below 10^-6.
    pub fn laplace_from_f64(epsilon: f64) -> Result<Self, NoiseError> {
        let epsilon = epsilon_from_f64(epsilon)?;
        Ok(Mechanism::Laplace { epsilon })
    }

    /// The Gaussian mechanism for a policy's `epsilon_per_query` and `delta`: ε rounded down as in
    /// [`Mechanism::laplace_from_f64`], δ rounded down to a multiple of 1/[`DELTA_DENOMINATOR`]. Errors when ε
    /// is below 10^-6, or δ is not in (0, 1) or is below 10^-18.
    pub fn gaussian_from_f64(epsilon: f64, delta: f64) -> Result<Self, NoiseError> {
        let epsilon = epsilon_from_f64(epsilon)?;
        if !(delta > 0.0 && delta < 1.0) {
            return Err(NoiseError::invalid(
                "delta",
                delta,
                "must be strictly between 0 and 1",
            ));
        }
        let delta = Ratio::from_f64_floor(delta, DELTA_DENOMINATOR)?;
        calibration::check_delta(delta).map_err(|_| {
            NoiseError::invalid(
                "delta",
                delta,
                "must be at least 10^-18 (it is used in steps of 10^-18)",
            )
        })?;
        Ok(Mechanism::Gaussian { epsilon, delta })
    }

    /// The ε one release spends.
    pub fn epsilon(&self) -> Ratio {
        match *self {
            Mechanism::Laplace { epsilon } | Mechanism::Gaussian { epsilon, .. } => epsilon,
        }
    }
}

fn epsilon_from_f64(epsilon: f64) -> Result<Ratio, NoiseError> {
    if !(epsilon.is_finite() && epsilon > 0.0) {
        return Err(NoiseError::invalid(
            "epsilon",
            epsilon,
            "must be a finite number greater than 0",
        ));
    }
    let rounded = Ratio::from_f64_floor(epsilon, EPSILON_DENOMINATOR).map_err(|_| {
        NoiseError::invalid("epsilon", epsilon, "is too large to represent exactly")
    })?;
    calibration::check_epsilon(rounded).map_err(|_| {
        NoiseError::invalid(
            "epsilon",
            epsilon,
            "must be at least 10^-6 (it is used in steps of 10^-6)",
        )
    })?;
    Ok(rounded)
}

/// Draws one noise value for the mechanism at this sensitivity: discrete Laplace of scale
/// [`laplace_scale`]`(ε, Δ)`, or discrete Gaussian of variance [`gaussian_sigma2`]`(ε, δ, Δ)`.
pub fn sample_noise<R: RandomSource + ?Sized>(
    mechanism: &Mechanism,
    sensitivity: u64,
    rng: &mut R,
) -> Result<i64, NoiseError> {
    match calibration::calibrate(mechanism, sensitivity)? {
        (false, scale) => sample_discrete_laplace(scale, rng),
        (true, sigma2) => sample_discrete_gaussian(sigma2, rng),
    }
}

/// `value + noise`, the release of a value that one person changes by at most `sensitivity`, with noise drawn by
/// [`sample_noise`]. A count is passed as `i64::try_from(count)`. The result may be negative; whether to clamp
/// it (post-processing, which costs no privacy) is the caller's decision.
pub fn add_noise<R: RandomSource + ?Sized>(
    value: i64,
    mechanism: &Mechanism,
    sensitivity: u64,
    rng: &mut R,
) -> Result<i64, NoiseError> {
    let noise = sample_noise(mechanism, sensitivity, rng)?;
    value
        .checked_add(noise)
        .ok_or_else(|| NoiseError::overflow("noisy value", format!("{value} + {noise}")))
}

/// A noise generator holding its random source: [`Noise::system`] is the one production code uses.
#[derive(Debug)]
pub struct Noise<R: RandomSource = SystemRandomSource> {
    source: R,
}

impl Noise<SystemRandomSource> {
    /// Noise from the operating system's secure generator.
    pub fn system() -> Self {
        Noise {
            source: SystemRandomSource::new(),
        }
    }
}

impl<R: RandomSource> Noise<R> {
    /// Noise from another source (tests: a seeded generator; never for a real release).
    pub fn with_source(source: R) -> Self {
        Noise { source }
    }

    /// [`add_noise`] with this generator's source.
    pub fn add_noise(
        &mut self,
        value: i64,
        mechanism: &Mechanism,
        sensitivity: u64,
    ) -> Result<i64, NoiseError> {
        add_noise(value, mechanism, sensitivity, &mut self.source)
    }
}
