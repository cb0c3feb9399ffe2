//! Exact non-negative rationals: the type of every privacy parameter and noise scale.
//!
//! The samplers never see a float. Policy values arrive as `f64`, so this module also owns their conversion to a
//! rational with a fixed denominator, rounding in a stated direction ([`Ratio::from_f64_floor`],
//! [`Ratio::from_f64_ceil`]).

use std::cmp::Ordering;
use std::fmt;

use crate::NoiseError;

/// A non-negative rational `numer / denom`, always in lowest terms with `denom >= 1`.
///
/// Because it is kept reduced, two equal values have equal fields, so the derived `Eq` and `Hash` agree with the
/// numeric [`Ord`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ratio {
    numer: u64,
    denom: u64,
}

impl Ratio {
    /// `numer / denom`, reduced. A zero denominator is an error.
    pub fn new(numer: u64, denom: u64) -> Result<Self, NoiseError> {
        if denom == 0 {
            return Err(NoiseError::invalid(
                "denominator",
                format!("{numer}/0"),
                "a rational's denominator must be at least 1",
            ));
        }
        let g = gcd(numer, denom);
        Ok(Ratio {
            numer: numer / g,
            denom: denom / g,
        })
    }

    /// The whole number `n`.
    pub const fn integer(n: u64) -> Self {
        Ratio { numer: n, denom: 1 }
    }

    /// The numerator, in lowest terms.
    pub const fn numer(self) -> u64 {
        self.numer
    }

    /// The denominator, in lowest terms (at least 1).
    pub const fn denom(self) -> u64 {
        self.denom
    }

    /// Whether the value is 0.
    pub const fn is_zero(self) -> bool {
        self.numer == 0
    }

    /// The nearest `f64`, for calibration, display and tests; never for sampling.
    pub fn to_f64(self) -> f64 {
        // Both conversions and the division are correctly rounded, so the relative error is below 2^-51.
        self.numer as f64 / self.denom as f64
    }

    /// The largest multiple of `1 / denom` that is at most `x`, where `x` is read as the shortest decimal that
    /// converts back to the same `f64` (Rust's own float formatting): `0.3` is taken as exactly 3/10, not as the
    /// binary value 0.2999999999999999888…, which is what a policy author who wrote `0.3` meant.
    ///
    /// Errors when `x` is negative, not finite, or the result does not fit a `u64` numerator.
    pub fn from_f64_floor(x: f64, denom: u64) -> Result<Self, NoiseError> {
        let (floor, _) = scaled_decimal(x, denom)?;
        Ratio::new(floor, denom)
    }

    /// The smallest multiple of `1 / denom` that is at least `x`, reading `x` as [`Ratio::from_f64_floor`] does.
    pub fn from_f64_ceil(x: f64, denom: u64) -> Result<Self, NoiseError> {
        let (floor, exact) = scaled_decimal(x, denom)?;
        let ceil = if exact {
            floor
        } else {
            floor
                .checked_add(1)
                .ok_or_else(|| NoiseError::overflow("rounding up", format!("{x} * {denom}")))?
        };
        Ratio::new(ceil, denom)
    }
}

impl Ord for Ratio {
    fn cmp(&self, other: &Self) -> Ordering {
        // Both products are below 2^128, so the comparison is exact.
        (u128::from(self.numer) * u128::from(other.denom))
            .cmp(&(u128::from(other.numer) * u128::from(self.denom)))
    }
}

impl PartialOrd for Ratio {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.denom == 1 {
            write!(f, "{}", self.numer)
        } else {
            write!(f, "{}/{}", self.numer, self.denom)
        }
    }
}

pub(crate) fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    // gcd(0, 0) is 0; callers divide by it only when the denominator is non-zero, so report 1 instead.
    a.max(1)
}

/// `(floor(x * denom), whether x * denom is a whole number)`, with `x` read as its shortest round-trip decimal.
fn scaled_decimal(x: f64, denom: u64) -> Result<(u64, bool), NoiseError> {
    if !x.is_finite() || x < 0.0 {
        return Err(NoiseError::invalid(
            "value",
            x,
            "must be a finite number at least 0",
        ));
    }
    if denom == 0 {
        return Err(NoiseError::invalid(
            "denominator",
            0,
            "a rational's denominator must be at least 1",
        ));
    }
    let overflow = || {
        NoiseError::overflow(
            "converting a decimal to a rational",
            format!("{x} * {denom}"),
        )
    };
    let (digits, exp10) = shortest_decimal(x).ok_or_else(overflow)?;
    // digits < 10^17 < 2^57 and denom < 2^64, so the product is below 2^121.
    let product = digits * u128::from(denom);
    let (floor, exact) = if exp10 >= 0 {
        let scale = 10u128
            .checked_pow(exp10.unsigned_abs())
            .ok_or_else(overflow)?;
        (product.checked_mul(scale).ok_or_else(overflow)?, true)
    } else if exp10.unsigned_abs() > 38 {
        // 10^39 exceeds every possible product, so the quotient is 0.
        (0, product == 0)
    } else {
        let scale = 10u128.pow(exp10.unsigned_abs());
        (product / scale, product % scale == 0)
    };
    Ok((u64::try_from(floor).map_err(|_| overflow())?, exact))
}

/// `x = digits * 10^exp10` exactly, where `digits` are the significant digits of the shortest decimal that reads
/// back as `x` (at most 17 of them). `None` only if the formatter ever printed something unexpected.
fn shortest_decimal(x: f64) -> Option<(u128, i32)> {
    // `{:e}` prints the shortest round-trip digits as `d.ddde<exp>` (or `de<exp>`).
    let text = format!("{x:e}");
    let (mantissa, exponent) = text.split_once('e')?;
    let exponent: i32 = exponent.parse().ok()?;
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{whole}{fraction}");
    if all.is_empty() || all.len() > 38 || !all.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: u128 = all.parse().ok()?;
    let exp10 = exponent.checked_sub(i32::try_from(fraction.len()).ok()?)?;
    Some((digits, exp10))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reduces_and_orders() {
        let r = Ratio::new(6, 4).unwrap();
        assert_eq!((r.numer(), r.denom()), (3, 2));
        assert_eq!(Ratio::new(0, 7).unwrap(), Ratio::integer(0));
        assert!(Ratio::new(1, 3).unwrap() < Ratio::new(334, 1000).unwrap());
        assert_eq!(Ratio::new(3, 2).unwrap().to_string(), "3/2");
        assert_eq!(Ratio::integer(5).to_string(), "5");
    }

    #[test]
    fn zero_denominator_is_an_error() {
        assert!(matches!(
            Ratio::new(1, 0),
            Err(NoiseError::InvalidParameter { .. })
        ));
    }

    #[test]
    fn decimal_reading_of_floats() {
        // 0.3 and 0.29 are below their decimals in binary; the decimal the author wrote is what counts.
        assert_eq!(
            Ratio::from_f64_floor(0.3, 1_000_000).unwrap(),
            Ratio::new(3, 10).unwrap()
        );
        assert_eq!(
            Ratio::from_f64_floor(0.29, 1_000_000).unwrap(),
            Ratio::new(29, 100).unwrap()
        );
        assert_eq!(
            Ratio::from_f64_floor(1.5, 1_000_000).unwrap(),
            Ratio::new(3, 2).unwrap()
        );
        assert_eq!(
            Ratio::from_f64_floor(1234.0, 1).unwrap(),
            Ratio::integer(1234)
        );
        // Beyond the denominator's resolution: floor and ceil part ways.
        assert_eq!(
            Ratio::from_f64_floor(0.1234567, 1_000_000).unwrap(),
            Ratio::new(123_456, 1_000_000).unwrap()
        );
        assert_eq!(
            Ratio::from_f64_ceil(0.1234567, 1_000_000).unwrap(),
            Ratio::new(123_457, 1_000_000).unwrap()
        );
        assert_eq!(
            Ratio::from_f64_floor(1e-7, 1_000_000).unwrap(),
            Ratio::integer(0)
        );
        assert_eq!(
            Ratio::from_f64_ceil(1e-7, 1_000_000).unwrap(),
            Ratio::new(1, 1_000_000).unwrap()
        );
        assert_eq!(
            Ratio::from_f64_floor(1e-9, 1_000_000_000_000_000_000).unwrap(),
            Ratio::new(1, 1_000_000_000).unwrap()
        );
        assert_eq!(
            Ratio::from_f64_ceil(5e-324, 10).unwrap(),
            Ratio::new(1, 10).unwrap()
        );
        assert_eq!(Ratio::from_f64_floor(0.0, 10).unwrap(), Ratio::integer(0));
    }

    #[test]
    fn bad_floats_are_errors() {
        for x in [f64::NAN, f64::INFINITY, -1.0, -0.5] {
            assert!(
                matches!(
                    Ratio::from_f64_floor(x, 10),
                    Err(NoiseError::InvalidParameter { .. })
                ),
                "{x}"
            );
        }
        assert!(matches!(
            Ratio::from_f64_floor(1e300, 10),
            Err(NoiseError::Overflow { .. })
        ));
        assert!(matches!(
            Ratio::from_f64_floor(1e19, 10),
            Err(NoiseError::Overflow { .. })
        ));
        assert!(matches!(
            Ratio::from_f64_ceil(1.0, 0),
            Err(NoiseError::InvalidParameter { .. })
        ));
    }

    proptest! {
        #[test]
        fn floor_and_ceil_bracket_the_value(x in 0.0f64..1e6, denom in 1u64..10_000_000) {
            let lo = Ratio::from_f64_floor(x, denom).unwrap();
            let hi = Ratio::from_f64_ceil(x, denom).unwrap();
            // Both are whole multiples of 1/denom, at most one step apart, and they straddle x (the straddle is
            // checked in floats, so up to their rounding).
            let steps = |r: Ratio| {
                prop_assert_eq!(u128::from(denom) % u128::from(r.denom()), 0);
                Ok(u128::from(r.numer()) * u128::from(denom / r.denom()))
            };
            let (lo_steps, hi_steps) = (steps(lo)?, steps(hi)?);
            prop_assert!(hi_steps == lo_steps || hi_steps == lo_steps + 1);
            let scaled = x * denom as f64;
            prop_assert!(lo_steps as f64 <= scaled * (1.0 + 1e-15));
            prop_assert!(hi_steps as f64 >= scaled * (1.0 - 1e-15));
        }

        #[test]
        fn order_matches_cross_multiplication(a in 0u64..1000, b in 1u64..1000, c in 0u64..1000, d in 1u64..1000) {
            let x = Ratio::new(a, b).unwrap();
            let y = Ratio::new(c, d).unwrap();
            prop_assert_eq!(x.cmp(&y), (a * d).cmp(&(c * b)));
            prop_assert_eq!(x == y, a * d == c * b);
        }
    }
}
