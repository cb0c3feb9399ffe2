//! The one error type of the rules segmenter; the SDK boundary turns it into text for the host.

use std::fmt;

/// What is wrong with a rules configuration.
#[derive(Debug)]
pub enum RulesError {
    /// The configuration is not valid JSON.
    Json(serde_json::Error),
    /// The configuration is JSON but breaks a rule; `path` points at the offending value
    /// (`segments[1].condition.all[0].gte`).
    Invalid {
        /// Where, as a JSON path from the root.
        path: String,
        /// What is wrong, and what would be right.
        problem: String,
    },
}

impl RulesError {
    /// An [`RulesError::Invalid`] at `path`.
    pub fn invalid(path: &str, problem: impl Into<String>) -> Self {
        Self::Invalid {
            path: path.to_owned(),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json(error) => write!(f, "rules config is not valid JSON: {error}"),
            Self::Invalid { path, problem } => write!(f, "rules config: {path}: {problem}"),
        }
    }
}

impl std::error::Error for RulesError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Json(error) => Some(error),
            Self::Invalid { .. } => None,
        }
    }
}
