//! Whole-day arithmetic on order times: how many days lie between two instants, and the typical gap between a
//! customer's orders. The segmenters count windows, recency and gaps this way, so that a customer is treated the
//! same by every one of them.

/// Seconds in a day; windows and gaps are counted in whole days.
pub const SECONDS_PER_DAY: i64 = 86_400;

/// Whole days from `earlier` to `later` (0 within the same 24 hours).
pub fn whole_days(earlier: i64, later: i64) -> i64 {
    later.saturating_sub(earlier).div_euclid(SECONDS_PER_DAY)
}

/// The median of the whole-day gaps between consecutive orders of `times` (sorted), or `None` with fewer
/// than two orders. With an even number of gaps it is the mean of the middle two.
pub fn median_gap_days(times: &[i64]) -> Option<f64> {
    let mut gaps: Vec<i64> = times.windows(2).map(|w| whole_days(w[0], w[1])).collect();
    if gaps.is_empty() {
        return None;
    }
    gaps.sort_unstable();
    let middle = gaps.len() / 2;
    // Gaps are whole days below 2^53, exact in an f64.
    Some(if gaps.len() % 2 == 1 {
        gaps[middle] as f64
    } else {
        (gaps[middle - 1] + gaps[middle]) as f64 / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_gap_of_odd_and_even_counts() {
        let d = SECONDS_PER_DAY;
        assert_eq!(median_gap_days(&[0]), None);
        assert_eq!(median_gap_days(&[]), None);
        assert_eq!(median_gap_days(&[0, 10 * d]), Some(10.0));
        // Gaps 10, 30, 20 → sorted 10, 20, 30 → 20.
        assert_eq!(median_gap_days(&[0, 10 * d, 40 * d, 60 * d]), Some(20.0));
        // Gaps 10, 30, 20, 5 → 5, 10, 20, 30 → (10 + 20) / 2.
        assert_eq!(
            median_gap_days(&[0, 10 * d, 40 * d, 60 * d, 65 * d]),
            Some(15.0)
        );
        // Partial days are dropped from each gap: 10 days and 23 hours is 10.
        assert_eq!(median_gap_days(&[0, 11 * d - 3_600]), Some(10.0));
    }

    #[test]
    fn whole_days_floor() {
        assert_eq!(whole_days(0, SECONDS_PER_DAY - 1), 0);
        assert_eq!(whole_days(0, SECONDS_PER_DAY), 1);
        assert_eq!(whole_days(-SECONDS_PER_DAY, 0), 1);
    }
}
