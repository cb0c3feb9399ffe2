//! Quintile scores 1–5 with DOMAIN.md §6's default tie rule: equal values get equal scores, buckets may be
//! uneven, and nothing depends on the order in which customers arrive.
//!
//! # How the cut points are computed
//!
//! Take the `n` values of one dimension, sorted from worst to best (`v[0]` worst). For `k = 1, 2, 3, 4`
//! let `b_k = ⌈k·n / 5⌉`, the size of the first `k` buckets had every value been distinct, and let the cut
//! `c_k = v[b_k − 1]`, the best value of bucket `k`. A value's score is 1 plus the number of cuts it is
//! *strictly* better than. A value equal to a cut therefore stays in the lower bucket.
//!
//! Equivalently: with `w` the number of customers strictly worse than this one, the score is
//! `1 + ⌊5·w / n⌋` — every member of a tie scores like the tie's worst-placed member would under a
//! row-order split (pandas' `rank(method = "min")`). So when 60 % of customers have one order, all of them
//! get F1 and the next value up starts at F4; one customer, or all customers equal, score 1 everywhere,
//! since nobody is better than anyone. With distinct values the buckets hold `⌈k·n/5⌉ − ⌈(k−1)·n/5⌉`
//! customers each, within one of `n / 5`.
//!
//! Sorting costs `O(n log n)` once per dimension; scoring is then four comparisons per customer.

/// The four cut points of one dimension, in "larger is better" terms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cuts([f64; 4]);

/// How many quintile buckets there are.
const BUCKETS: usize = 5;

impl Cuts {
    /// The cut points of `values`, where a larger value is better; `None` when there are no values.
    ///
    /// `values` is reordered (sorted ascending) in place; values must be finite, which
    /// [`crate::summary`] and the recency conversion guarantee.
    pub fn from_values(values: &mut [f64]) -> Option<Self> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        values.sort_unstable_by(f64::total_cmp);
        let mut cuts = [0.0; 4];
        for (k, cut) in (1..BUCKETS).zip(cuts.iter_mut()) {
            // ⌈k·n / 5⌉ is at least 1 for n ≥ 1, so the index never underflows.
            let closed = (k * n).div_ceil(BUCKETS);
            *cut = values[closed - 1];
        }
        Some(Self(cuts))
    }

    /// The score 1–5 of `value`: one plus the number of cuts it is strictly greater than.
    pub fn score(&self, value: f64) -> u8 {
        // At most 4 cuts pass, so the sum is at most 5 and fits a u8.
        1 + self.0.iter().filter(|cut| value > **cut).count() as u8
    }

    /// The cut values, worst bucket's first.
    pub fn values(&self) -> [f64; 4] {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn scores(values: &[f64]) -> Vec<u8> {
        let cuts = Cuts::from_values(&mut values.to_vec()).unwrap();
        values.iter().map(|v| cuts.score(*v)).collect()
    }

    #[test]
    fn distinct_values_split_into_equal_fifths() {
        let values: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(scores(&values), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    }

    #[test]
    fn ties_take_the_score_of_their_worst_place() {
        // Six of ten customers have one order: w = 0 for them (score 1); the two-order customers have
        // w = 6 (1 + ⌊30/10⌋ = 4); the three-order ones w = 8 (5).
        let values = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0];
        assert_eq!(scores(&values), [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]);
    }

    #[test]
    fn one_value_or_all_equal_score_one() {
        assert_eq!(scores(&[7.0]), [1]);
        assert_eq!(scores(&[3.0; 6]), [1; 6]);
    }

    #[test]
    fn seven_values_follow_the_ceiling_cuts() {
        // b = ⌈7/5⌉, ⌈14/5⌉, ⌈21/5⌉, ⌈28/5⌉ = 2, 3, 5, 6: cuts v[1], v[2], v[4], v[5].
        let values: Vec<f64> = (1..=7).map(f64::from).collect();
        let cuts = Cuts::from_values(&mut values.clone()).unwrap();
        assert_eq!(cuts.values(), [2.0, 3.0, 5.0, 6.0]);
        assert_eq!(scores(&values), [1, 1, 2, 3, 3, 4, 5]);
    }

    #[test]
    fn no_values_no_cuts() {
        assert_eq!(Cuts::from_values(&mut []), None);
    }

    proptest! {
        /// The cut rule is the closed form `1 + ⌊5·w/n⌋`, whatever the order and the ties.
        #[test]
        fn score_is_one_plus_five_w_over_n(values in proptest::collection::vec(0u8..12, 1..60)) {
            let values: Vec<f64> = values.into_iter().map(f64::from).collect();
            let n = values.len();
            let got = scores(&values);
            for (value, score) in values.iter().zip(&got) {
                let worse = values.iter().filter(|v| *v < value).count();
                prop_assert_eq!(usize::from(*score), 1 + 5 * worse / n);
            }
        }

        /// Reordering the customers changes no score.
        #[test]
        fn scores_do_not_depend_on_row_order(values in proptest::collection::vec(0u8..12, 1..60), seed in any::<u64>()) {
            let values: Vec<f64> = values.into_iter().map(f64::from).collect();
            let mut shuffled = values.clone();
            // A fixed rotation and reversal stand in for a shuffle without a random source.
            let shift = (seed as usize) % shuffled.len();
            shuffled.rotate_left(shift);
            shuffled.reverse();
            let original = scores(&values);
            let cuts = Cuts::from_values(&mut shuffled.clone()).unwrap();
            for (value, score) in values.iter().zip(original) {
                prop_assert_eq!(cuts.score(*value), score);
            }
        }
    }
}
