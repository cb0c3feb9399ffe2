//! Safe release of aggregate counts: the only way a count of people leaves a Cohort host.
//!
//! This crate owns the thresholding rule. A [`ReleasedTable`] can only be built by [`release_one_dimension`], so
//! code that holds one holds counts that passed it:
//! - **primary suppression:** a cell with fewer than `k` distinct subjects (the policy's `min_group_size`) is not
//!   released;
//! - **complementary suppression:** when the table's total is released, the suppressed cells together must not be
//!   recoverable from it. The total minus the released cells is the sum `S` of the `n` suppressed cells, and each of
//!   them is at least 1 (empty cells are not listed), so each lies in `[1, S - (n - 1)]`. Further cells, smallest
//!   first, are suppressed until `n >= 2` and `S - (n - 1) >= k`: then no suppressed cell's value is determined, and
//!   none can be shown to be under `k`. When that cannot be reached, the total is suppressed too;
//! - a total under `k` is suppressed, and with it every cell.
//!
//! Two-dimensional tables with margins apply the same rule to every row and column until nothing changes; that, and
//! differential-privacy noise on released counts, are the next steps (issue 4).

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
}

/// A one-dimensional table after thresholding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleasedTable {
    k: u64,
    cells: Vec<(String, Count)>,
    total: Count,
}

impl ReleasedTable {
    /// The threshold applied.
    pub fn k(&self) -> u64 {
        self.k
    }

    /// Cells in input order: (group label, count).
    pub fn cells(&self) -> &[(String, Count)] {
        &self.cells
    }

    /// The total over every cell.
    pub fn total(&self) -> Count {
        self.total
    }
}

/// Thresholds `cells` (group label, distinct subjects; labels unique, counts of zero are dropped) at `k >= 2`.
pub fn release_one_dimension(cells: &[(String, u64)], k: u64) -> ReleasedTable {
    let k = k.max(2);
    let cells: Vec<(String, u64)> = cells.iter().filter(|(_, c)| *c > 0).cloned().collect();
    let total: u64 = cells.iter().map(|(_, c)| c).sum();
    let mut suppressed: Vec<bool> = cells.iter().map(|(_, c)| *c < k).collect();
    let mut total_released = total >= k;
    if total_released && suppressed.iter().any(|s| *s) {
        // Complementary suppression: add the smallest released cells until the suppressed ones are safe.
        let safe = |suppressed: &[bool]| {
            let n = suppressed.iter().filter(|s| **s).count() as u64;
            let sum: u64 = cells
                .iter()
                .zip(suppressed)
                .filter(|(_, s)| **s)
                .map(|((_, c), _)| c)
                .sum();
            n >= 2 && sum.saturating_sub(n - 1) >= k
        };
        while !safe(&suppressed) {
            let next = cells
                .iter()
                .enumerate()
                .filter(|(i, _)| !suppressed[*i])
                .min_by_key(|(i, (_, c))| (*c, *i))
                .map(|(i, _)| i);
            match next {
                Some(i) => suppressed[i] = true,
                None => {
                    total_released = false;
                    break;
                }
            }
        }
    }
    if !total_released {
        suppressed.iter_mut().for_each(|s| *s = true);
    }
    ReleasedTable {
        k,
        cells: cells
            .iter()
            .zip(&suppressed)
            .map(|((label, c), s)| {
                (
                    label.clone(),
                    if *s {
                        Count::Suppressed
                    } else {
                        Count::Value(*c)
                    },
                )
            })
            .collect(),
        total: if total_released {
            Count::Value(total)
        } else {
            Count::Suppressed
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn table(counts: &[u64]) -> Vec<(String, u64)> {
        counts
            .iter()
            .enumerate()
            .map(|(i, c)| (format!("g{i}"), *c))
            .collect()
    }

    #[test]
    fn one_small_cell_takes_the_next_smallest_with_it() {
        // k = 50: IS has 3. Suppressing it alone would let total - released = 3 reveal it.
        let t = release_one_dimension(&table(&[400, 3, 120, 75]), 50);
        let released: Vec<Option<u64>> = t.cells.iter().map(|(_, c)| c.value()).collect();
        assert_eq!(released, vec![Some(400), None, Some(120), None]);
        assert_eq!(t.total, Count::Value(598));
    }

    #[test]
    fn a_small_total_suppresses_everything() {
        let t = release_one_dimension(&table(&[20, 10]), 50);
        assert!(t.cells.iter().all(|(_, c)| *c == Count::Suppressed));
        assert_eq!(t.total, Count::Suppressed);
    }

    #[test]
    fn nothing_is_suppressed_when_every_cell_is_large() {
        let t = release_one_dimension(&table(&[50, 51, 1000]), 50);
        assert!(t.cells.iter().all(|(_, c)| c.value().is_some()));
        assert_eq!(t.total, Count::Value(1101));
    }

    proptest! {
        /// No released cell is under k, and no suppressed cell can be recovered from the released cells and total:
        /// each suppressed cell's feasible range [1, S - (n - 1)] is wider than one value and reaches k.
        #[test]
        fn no_release_under_k_and_no_suppressed_cell_recoverable(
            counts in proptest::collection::vec(0u64..300, 0..12),
            k in 2u64..80,
        ) {
            let t = release_one_dimension(&table(&counts), k);
            for (_, c) in &t.cells {
                if let Count::Value(v) = c {
                    prop_assert!(*v >= k);
                }
            }
            if let Count::Value(total) = t.total {
                prop_assert!(total >= k);
                let released: u64 = t.cells.iter().filter_map(|(_, c)| c.value()).sum();
                let n = t.cells.iter().filter(|(_, c)| c.value().is_none()).count() as u64;
                if n > 0 {
                    let s = total - released;
                    prop_assert!(n >= 2, "a lone suppressed cell equals total minus released");
                    let upper = s - (n - 1);
                    prop_assert!(upper > 1, "suppressed cells are determined");
                    prop_assert!(upper >= k, "a suppressed cell can be shown to be under k");
                }
            } else {
                prop_assert!(t.cells.iter().all(|(_, c)| c.value().is_none()));
            }
            // Nothing is invented: released values are the input counts.
            for ((label, c), (l2, input)) in t.cells.iter().zip(table(&counts).iter().filter(|(_, c)| *c > 0)) {
                prop_assert_eq!(label, l2);
                if let Count::Value(v) = c {
                    prop_assert_eq!(v, input);
                }
            }
        }
    }
}
