//! The one error type of this crate: a demo spec the generator refuses.

use time::Date;

/// Why a [`crate::DemoSpec`] cannot be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DemoError {
    /// More customers than [`crate::MAX_CUSTOMERS`].
    #[error("demo spec: {requested} customers is more than the limit of {max}")]
    TooManyCustomers {
        /// What the spec asked for.
        requested: usize,
        /// The limit.
        max: usize,
    },
    /// A `today` whose derived dates would not all have four-digit years.
    #[error(
        "demo spec: today {today} is outside the years {min}..={max} that keep every generated date RFC 3339"
    )]
    TodayOutOfRange {
        /// What the spec asked for.
        today: Date,
        /// Earliest allowed year.
        min: i32,
        /// Latest allowed year.
        max: i32,
    },
}
