//! The crate's one error type.

/// Everything that can go wrong while calibrating or drawing noise.
///
/// None of these is ever caused by the data being released: parameters come from the policy, and the only other
/// source of failure is the random source. A caller that gets an error must release nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoiseError {
    /// The random source could not deliver bytes, or delivered bytes so far from uniform that a sampling loop
    /// passed its limit (with a working source that happens with probability below 2^-500).
    #[error("random source failed: {0}")]
    Randomness(String),
    /// A parameter is outside the range the mechanism accepts.
    #[error("{parameter} = {value}: {reason}")]
    InvalidParameter {
        /// The parameter's name, as the caller passed it (`epsilon`, `delta`, `sensitivity`, `scale`, ...).
        parameter: &'static str,
        /// The value passed, as text.
        value: String,
        /// Why it is refused, and the accepted range.
        reason: String,
    },
    /// A value does not fit the exact integer arithmetic: a scale too large, a sum past `i64`.
    #[error("{what} overflows exact integer arithmetic ({detail})")]
    Overflow {
        /// What was being computed.
        what: &'static str,
        /// The operands, as text.
        detail: String,
    },
}

impl NoiseError {
    pub(crate) fn invalid(
        parameter: &'static str,
        value: impl ToString,
        reason: impl Into<String>,
    ) -> Self {
        NoiseError::InvalidParameter {
            parameter,
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    pub(crate) fn overflow(what: &'static str, detail: impl Into<String>) -> Self {
        NoiseError::Overflow {
            what,
            detail: detail.into(),
        }
    }
}
