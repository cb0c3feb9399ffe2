//! The one error type of this crate: input that cannot be released as given.

/// Why a table or a measure could not be released.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AggregateError {
    /// The same (row, column) cell appears twice in the input; counts of distinct subjects cannot be merged.
    #[error(
        "cell (row `{row}`, column `{column}`) is listed twice; give one count of distinct subjects per cell"
    )]
    DuplicateCell {
        /// Row label.
        row: String,
        /// Column label.
        column: String,
    },
    /// The table has more non-empty cells than [`crate::MAX_CELLS_2D`].
    #[error("the table has {cells} non-empty cells; at most {limit} can be released in one table")]
    TooManyCells {
        /// Non-empty cells in the input.
        cells: usize,
        /// The limit.
        limit: usize,
    },
    /// A margin or the total of the counts does not fit in a `u64`.
    #[error("the counts of {line} add up to more than {max}", max = u64::MAX)]
    CountOverflow {
        /// The row, column or total that overflowed.
        line: String,
    },
    /// A measure is given for a cell that the released table does not list (it has no subjects).
    #[error(
        "a sum is given for cell {cell}, which the released table does not list (it has no subjects)"
    )]
    MeasureForUnknownCell {
        /// The cell, as `"label"` or `("row", "column")`.
        cell: String,
    },
    /// A cell listed in the released table has no measure.
    #[error("no sum is given for cell {cell}; every listed cell, suppressed or not, needs one")]
    MissingMeasure {
        /// The cell, as `"label"` or `("row", "column")`.
        cell: String,
    },
    /// The same cell's measure is given twice, or the table lists a label twice.
    #[error("cell {cell} is given twice")]
    DuplicateMeasure {
        /// The cell, as `"label"` or `("row", "column")`.
        cell: String,
    },
    /// A margin or the total of a measure does not fit in an `i128`.
    #[error("the sums of {line} add up to more than an i128 holds")]
    MeasureOverflow {
        /// The row, column or total that overflowed.
        line: String,
    },
}
