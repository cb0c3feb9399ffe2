//! The one error type of the churn-risk segmenter; the SDK boundary turns it into text for the host.

use std::fmt;

/// What went wrong in a churn-risk run.
#[derive(Debug)]
pub enum ChurnError {
    /// The configuration is not valid JSON or does not match the schema of `manifest.toml`.
    Config(serde_json::Error),
    /// The configuration is valid JSON but not an object.
    NotAnObject,
    /// The configuration parses but a value is out of range or contradicts another.
    Inconsistent {
        /// The config field at fault, as a JSON path (`weights.recency`).
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
}

impl fmt::Display for ChurnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(error) => write!(f, "churn-risk config: {error}"),
            Self::NotAnObject => write!(
                f,
                "churn-risk config: must be a JSON object (\"{{}}\" for the defaults)"
            ),
            Self::Inconsistent { field, problem } => {
                write!(f, "churn-risk config: `{field}` {problem}")
            }
        }
    }
}

impl std::error::Error for ChurnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Config(error) => Some(error),
            Self::NotAnObject | Self::Inconsistent { .. } => None,
        }
    }
}
