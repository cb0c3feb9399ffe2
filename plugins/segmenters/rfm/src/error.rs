//! The one error type of the RFM segmenter; the SDK boundary turns it into text for the host.

use std::fmt;

/// What went wrong in an RFM run.
#[derive(Debug)]
pub enum RfmError {
    /// The configuration is not valid JSON or does not match the schema of `manifest.toml`.
    Config(serde_json::Error),
    /// The configuration is valid JSON but not an object.
    NotAnObject,
    /// More customers were fed to one run than it may hold.
    TooManyCustomers {
        /// The limit that was reached.
        limit: usize,
    },
    /// `add` was called after `finish`.
    AddAfterFinish,
}

impl fmt::Display for RfmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(error) => write!(f, "rfm config: {error}"),
            Self::NotAnObject => write!(
                f,
                "rfm config: must be a JSON object (\"{{}}\" for the defaults)"
            ),
            Self::TooManyCustomers { limit } => write!(
                f,
                "rfm: more than {limit} customers in one run; split the run or raise MAX_CUSTOMERS"
            ),
            Self::AddAfterFinish => write!(f, "rfm: profiles were added after finish"),
        }
    }
}

impl std::error::Error for RfmError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Config(error) => Some(error),
            _ => None,
        }
    }
}
