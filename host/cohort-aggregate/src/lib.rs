//! Safe release of aggregate counts: the only way a count of people leaves a Cohort host.
//!
//! This crate owns the thresholding rule. Its released types can only be built here, so code that holds one holds
//! numbers that passed it: a [`ReleasedTable`] comes from [`release_one_dimension`], a [`ReleasedTable2`] from
//! [`release_two_dimensions`], and a measure (a sum of a numeric attribute, with its mean) only through a released
//! count table's `release_measure`, which withholds it exactly where the count is withheld.
//!
//! Counts are of **distinct subjects**. A cell with no subjects is not listed, and everyone knows that an unlisted
//! cell is 0; a listed, suppressed cell is therefore known to be at least 1. `k` is the policy's `min_group_size`,
//! raised to 2 if smaller.
//!
//! # One dimension
//!
//! - **Primary suppression:** a cell with fewer than `k` subjects is not released.
//! - **Complementary suppression:** when the table's total is released, the suppressed cells together must not be
//!   recoverable from it. The total minus the released cells is the sum `S` of the `n` suppressed cells, and each of
//!   them is at least 1, so each lies in `[1, S - (n - 1)]`. Further cells, smallest first, are suppressed until
//!   `n >= 2` and `S - (n - 1) >= k`: then no suppressed cell's value is determined, and none can be shown to be
//!   under `k`. When that cannot be reached, the total is suppressed too.
//! - A total under `k` is suppressed, and with it every cell.
//!
//! We call this the **line rule**: it protects the parts of any released sum.
//!
//! # Two dimensions
//!
//! A two-dimensional table releases its non-empty cells, a margin per row, a margin per column and the grand total.
//! [`release_two_dimensions`] decides which of them to withhold in three steps:
//!
//! 1. **Primary:** every cell, margin or total under `k` is suppressed.
//! 2. **Line rules, to a fixpoint:** the line rule is applied to every row whose margin is released (its cells
//!    against the margin), every column likewise, the row margins against the total and the column margins against
//!    the total, each of those only while its sum is released; a line that cannot be protected has its sum
//!    suppressed. This repeats until a whole pass changes nothing.
//! 3. **Exact audit and repair:** the line rules look at one line at a time, but an observer combines them: with
//!    the total, a row and a column released, `total - row - column + (their common cell)` is the sum of the cells
//!    outside both, which can pin a cell that every line rule accepted. So the whole pattern is then audited
//!    exactly: for each suppressed number, its feasible minimum and maximum given everything released (computed by
//!    max-flow on the table seen as a network: the constraints are row sums, column sums and a total, a totally
//!    unimodular system, so the bounds are exact integers). When one is exposed, the smallest released number that
//!    crosses the cut holding it is suppressed, and steps 2 and 3 repeat. Each round withholds one more number and
//!    a fully withheld table is safe, so this ends. Repairs are the exception: about one in fifteen of the tests'
//!    random tables (up to 5 × 5) needs any.
//!
//! **Guarantee.** Suppose an observer knows every released number (cells, margins, total), which cells are listed
//! and which of them are suppressed, that unlisted cells are 0, and that counts are integers with every listed cell
//! at least 1. Then:
//! - every released number is its true value and at least `k`;
//! - for every suppressed cell, row margin, column margin and total (of a table with at least one subject), the
//!   values consistent with that knowledge include at least two, and one at least `k`: its feasible minimum is
//!   below its feasible maximum, and the maximum reaches `k`. Nobody can recover it, nor show it to be a group
//!   smaller than `k`.
//!
//! The tests check this exactly, with an independent linear-programming solver, on random tables.
//!
//! # Measures
//!
//! A measure gives, per listed cell, the sum of a numeric attribute over that cell's subjects. The crate computes
//! the margins' and the total's sums from the cells, and releases each sum, with its mean (sum / count), exactly
//! where the count of the same cell, margin or total is released.
//!
//! # Why this shape, and what it does not do
//!
//! The line rule is what a reader of a table applies (a row and its margin are a small equation), it is cheap,
//! and it picks the smallest complements, so it withholds little; running it to a fixpoint makes every line safe
//! on its own. The exact audit covers what lines miss, and since it is exact, the guarantee does not rest on the
//! heuristic. Neither step minimises what is withheld (optimal cell suppression is NP-hard in general); they only
//! keep it small.
//!
//! It does not protect against:
//! - **differencing across releases:** two tables over overlapping populations (today's and yesterday's, a segment
//!   with and without one person, the same data cut two ways) can be subtracted. Each release is safe alone; across
//!   queries and over time, that is what differential-privacy noise and a privacy budget are for;
//! - **knowledge of the algorithm:** the pattern itself says something (a suppressed cell was either under `k` or
//!   picked as a complement); the guarantee is about values, not about why a cell was withheld;
//! - **outside knowledge:** an observer who knows some subjects' cells narrows the rest; a released cell of `k` or
//!   more still discloses an attribute if all its subjects share it (choose the table's dimensions accordingly);
//! - **measures' own risks:** a sum released over `k` subjects can still be dominated by one of them, and a known
//!   range of the attribute (for example non-negative spend whose withheld part of a line is 0) can pin a withheld
//!   sum. Measures follow the counts' suppression; they get no dominance or range rule of their own.

mod audit;
mod count;
mod error;
mod one_dim;
mod pattern;
mod sums;
mod two_dim;

pub use count::Count;
pub use error::AggregateError;
pub use one_dim::{ReleasedTable, release_one_dimension};
pub use pattern::MAX_CELLS_2D;
pub use sums::Measure;
pub use two_dim::{ReleasedCell, ReleasedTable2, release_two_dimensions};
