//! One-dimensional tables: thresholding a list of group counts against their total, and the line rule that the
//! two-dimensional release applies to every row, column and margin.

use serde::Serialize;

use crate::Count;

/// A one-dimensional table after thresholding: counts ([`Count`]), or a measure released through the counts'
/// suppression ([`crate::Measure`], from [`ReleasedTable::release_measure`]). Only this crate builds one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleasedTable<T = Count> {
    pub(crate) k: u64,
    pub(crate) cells: Vec<(String, T)>,
    pub(crate) total: T,
}

impl<T: Copy> ReleasedTable<T> {
    /// The threshold applied.
    pub fn k(&self) -> u64 {
        self.k
    }

    /// Cells in input order: (group label, value).
    pub fn cells(&self) -> &[(String, T)] {
        &self.cells
    }

    /// The total over every cell.
    pub fn total(&self) -> T {
        self.total
    }
}

/// Thresholds `cells` (group label, distinct subjects; labels unique, counts of zero are dropped) at `k >= 2`.
pub fn release_one_dimension(cells: &[(String, u64)], k: u64) -> ReleasedTable {
    let k = k.max(2);
    let cells: Vec<(String, u64)> = cells.iter().filter(|(_, c)| *c > 0).cloned().collect();
    let total = cells
        .iter()
        .fold(0u64, |sum, (_, c)| sum.saturating_add(*c));
    let counts: Vec<u64> = cells.iter().map(|(_, c)| *c).collect();
    let mut suppressed: Vec<bool> = counts.iter().map(|c| *c < k).collect();
    let total_released = total >= k && protect_line(&counts, &mut suppressed, k);
    if !total_released {
        suppressed.iter_mut().for_each(|s| *s = true);
    }
    ReleasedTable {
        k,
        cells: cells
            .into_iter()
            .zip(&suppressed)
            .map(|((label, c), s)| {
                (
                    label,
                    if *s {
                        Count::Suppressed
                    } else {
                        Count::Value(c)
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

/// The line rule, for one line (a 1-D table, a row or column of a 2-D table, or its margins) whose sum is released.
///
/// `counts` are the line's cells (each at least 1) and `suppressed` which of them are withheld so far. The released
/// sum minus the released cells is the sum `S` of the `n` suppressed cells; each is at least 1, so each lies in
/// `[1, S - (n - 1)]`. Further cells, smallest first (then first listed), are suppressed until `n == 0`, or `n >= 2`
/// and `S - (n - 1) >= k`. Returns `false` when even suppressing every cell does not get there: then the line's sum
/// must be suppressed.
pub(crate) fn protect_line(counts: &[u64], suppressed: &mut [bool], k: u64) -> bool {
    loop {
        let (n, sum) = counts
            .iter()
            .zip(suppressed.iter())
            .filter(|(_, s)| **s)
            .fold((0u64, 0u128), |(n, sum), (c, _)| {
                (n + 1, sum + u128::from(*c))
            });
        if n == 0 || (n >= 2 && sum - u128::from(n - 1) >= u128::from(k)) {
            return true;
        }
        let next = counts
            .iter()
            .enumerate()
            .filter(|(i, _)| !suppressed[*i])
            .min_by_key(|(i, c)| (**c, *i))
            .map(|(i, _)| i);
        match next {
            Some(i) => suppressed[i] = true,
            None => return false,
        }
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

    #[test]
    fn a_line_that_cannot_be_protected_asks_for_its_sum_to_be_suppressed() {
        // k = 50. Cells 2 and 3, both withheld, each lie in [1, 4]: never safe. Cells 1 and 50, both withheld,
        // each lie in [1, 50]: safe.
        let mut suppressed = vec![true, false];
        assert!(!protect_line(&[2, 3], &mut suppressed, 50));
        assert_eq!(suppressed, vec![true, true]);
        let mut suppressed = vec![true, false];
        assert!(protect_line(&[1, 50], &mut suppressed, 50));
        assert_eq!(suppressed, vec![true, true]);
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
