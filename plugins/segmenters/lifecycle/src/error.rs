//! The one error type of the lifecycle segmenter; the SDK boundary turns it into text for the host.

use std::fmt;

/// What went wrong in a lifecycle run.
#[derive(Debug)]
pub enum LifecycleError {
    /// The configuration is not valid JSON or does not match the schema of `manifest.toml`.
    Config(serde_json::Error),
    /// The configuration is valid JSON but not an object.
    NotAnObject,
    /// The configuration parses but its values contradict each other.
    Inconsistent {
        /// The config field at fault.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
}

impl fmt::Display for LifecycleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(error) => write!(f, "lifecycle config: {error}"),
            Self::NotAnObject => write!(
                f,
                "lifecycle config: must be a JSON object (\"{{}}\" for the defaults)"
            ),
            Self::Inconsistent { field, problem } => {
                write!(f, "lifecycle config: `{field}` {problem}")
            }
        }
    }
}

impl std::error::Error for LifecycleError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Config(error) => Some(error),
            Self::NotAnObject | Self::Inconsistent { .. } => None,
        }
    }
}
