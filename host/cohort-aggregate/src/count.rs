//! The released form of one count: the number, or the fact that it is withheld.

use serde::Serialize;

/// A count in a released table: the number, or suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Count {
    /// Released.
    Value(u64),
    /// Withheld: under the threshold, or withheld so that another withheld cell cannot be recovered.
    Suppressed,
}

impl Count {
    /// The value, if released.
    pub fn value(self) -> Option<u64> {
        match self {
            Count::Value(v) => Some(v),
            Count::Suppressed => None,
        }
    }

    /// Whether the count is withheld.
    pub fn is_suppressed(self) -> bool {
        self == Count::Suppressed
    }
}
