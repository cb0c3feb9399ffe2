//! Deterministic draws from the seeded generator: chances, ranges and weighted tables.
//!
//! Everything here uses integer arithmetic only. Floating-point functions such as `ln` or `exp`
//! may round differently on different platforms, which would break the promise that the same seed
//! gives byte-identical output on any machine; integer draws from ChaCha do not have that problem.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The generator every draw uses: ChaCha8 is fast and its output is fixed by its specification.
pub(crate) type DemoRng = ChaCha8Rng;

/// Rates in this crate are written in parts per thousand so they stay integers.
pub(crate) const PER_MILLE: u32 = 1000;

/// True with probability `per_mille / 1000`.
pub(crate) fn chance(rng: &mut DemoRng, per_mille: u32) -> bool {
    rng.random_range(0..PER_MILLE) < per_mille
}

/// A uniform integer in `lo..=hi`; `lo` when the range is empty, so callers never panic.
pub(crate) fn between(rng: &mut DemoRng, lo: u32, hi: u32) -> u32 {
    if hi <= lo {
        lo
    } else {
        rng.random_range(lo..=hi)
    }
}

/// The smaller of two uniform draws in `lo..=hi`: skews towards `lo` (recent days, small counts).
pub(crate) fn low_skewed(rng: &mut DemoRng, lo: u32, hi: u32) -> u32 {
    between(rng, lo, hi).min(between(rng, lo, hi))
}

/// A non-empty table of values with positive integer weights.
///
/// Tables are built in `const` items, so an empty or all-zero table is a compile error and
/// [`Weighted::draw`] can always return an entry.
pub(crate) struct Weighted<T: 'static> {
    entries: &'static [(T, u32)],
    total: u32,
}

impl<T> Weighted<T> {
    /// Builds a table; fails the build (in a `const` item) when the weights sum to zero.
    pub(crate) const fn new(entries: &'static [(T, u32)]) -> Self {
        let mut total = 0;
        let mut i = 0;
        while i < entries.len() {
            total += entries[i].1;
            i += 1;
        }
        assert!(total > 0, "a weighted table needs a positive total weight");
        Self { entries, total }
    }

    /// Draws one entry with probability proportional to its weight.
    pub(crate) fn draw(&self, rng: &mut DemoRng) -> &'static T {
        let mut ticket = rng.random_range(0..self.total);
        for (value, weight) in self.entries {
            if ticket < *weight {
                return value;
            }
            ticket -= weight;
        }
        // Unreachable while `total` is the sum of the weights; the last entry keeps this total.
        &self.entries[self.entries.len() - 1].0
    }

    /// All entries with their weights, for tests and documentation.
    #[cfg(test)]
    pub(crate) fn entries(&self) -> &'static [(T, u32)] {
        self.entries
    }
}

/// A non-empty list of equally likely values.
pub(crate) struct OneOf<T: 'static> {
    entries: &'static [T],
}

impl<T> OneOf<T> {
    /// Builds a list; fails the build (in a `const` item) when it is empty.
    pub(crate) const fn new(entries: &'static [T]) -> Self {
        assert!(
            !entries.is_empty(),
            "a choice list needs at least one entry"
        );
        Self { entries }
    }

    /// Draws one entry uniformly.
    pub(crate) fn draw(&self, rng: &mut DemoRng) -> &'static T {
        let last = self.entries.len() - 1;
        // Lists are tiny (tens of entries), so the index always fits in a u32; drawing a u32
        // rather than a usize keeps the draw identical on 32-bit and 64-bit machines.
        let index = between(rng, 0, u32::try_from(last).unwrap_or(u32::MAX)) as usize;
        &self.entries[index.min(last)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    const COINS: Weighted<&str> = Weighted::new(&[("heads", 3), ("tails", 1), ("edge", 0)]);

    #[test]
    fn weighted_draws_follow_weights_and_skip_zero_weights() {
        let mut rng = DemoRng::seed_from_u64(7);
        let mut heads = 0;
        for _ in 0..4000 {
            match *COINS.draw(&mut rng) {
                "heads" => heads += 1,
                "tails" => {}
                other => panic!("drew a zero-weight entry {other}"),
            }
        }
        assert!(
            (2800..3200).contains(&heads),
            "heads {heads} of 4000 at weight 3/4"
        );
    }

    #[test]
    fn between_handles_empty_and_single_ranges() {
        let mut rng = DemoRng::seed_from_u64(1);
        assert_eq!(between(&mut rng, 5, 5), 5);
        assert_eq!(between(&mut rng, 9, 3), 9);
        for _ in 0..100 {
            assert!((2..=4).contains(&between(&mut rng, 2, 4)));
        }
    }

    #[test]
    fn chance_rate_is_close_to_its_per_mille() {
        let mut rng = DemoRng::seed_from_u64(3);
        let hits = (0..10_000).filter(|_| chance(&mut rng, 250)).count();
        assert!((2300..2700).contains(&hits), "{hits} hits at 25%");
    }
}
