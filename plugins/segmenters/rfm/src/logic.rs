//! RFM scoring over a whole population, in plain Rust: the host benchmarks this natively against the Wasm
//! build of the same code.

use crate::config::{GridAxis, RfmConfig};
use crate::grid::RfmSegment;
use crate::quintile::Cuts;
use crate::summary::OrderSummary;

/// The most score a customer can reach above the minimum: three dimensions of 1–5.
const SCORE_SPAN: f64 = 12.0;

/// One customer's RFM result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RfmScore {
    /// Whole days from the latest order to the analysis time.
    pub recency_days: i64,
    /// Recency score 1–5 (5 = the most recent).
    pub r: u8,
    /// Frequency score 1–5 (5 = the most orders).
    pub f: u8,
    /// Monetary score 1–5 (5 = the highest spend).
    pub m: u8,
    /// The grid's second axis: `f`, or the mean of `f` and `m` rounded half up.
    pub axis: u8,
    /// The grid segment.
    pub segment: RfmSegment,
    /// `(r + f + m − 3) / 12`, the combined score normalised to [0, 1].
    pub score: f64,
}

/// The cut points of one run, one set per dimension (see [`crate::quintile`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RfmCuts {
    /// Cuts of recency, as negated days (larger is better).
    pub recency: Cuts,
    /// Cuts of the order count.
    pub frequency: Cuts,
    /// Cuts of total spend.
    pub monetary: Cuts,
}

impl RfmCuts {
    /// The cuts of a population; `None` when it is empty.
    pub fn of(now: i64, customers: &[OrderSummary]) -> Option<Self> {
        let mut buffer: Vec<f64> = customers
            .iter()
            .map(|c| recency_key(c.recency_days(now)))
            .collect();
        let recency = Cuts::from_values(&mut buffer)?;
        buffer.clear();
        buffer.extend(customers.iter().map(|c| f64::from(c.orders)));
        let frequency = Cuts::from_values(&mut buffer)?;
        buffer.clear();
        buffer.extend(customers.iter().map(|c| c.spend));
        let monetary = Cuts::from_values(&mut buffer)?;
        Some(Self {
            recency,
            frequency,
            monetary,
        })
    }

    /// Scores one customer against these cuts.
    pub fn score(&self, now: i64, customer: &OrderSummary, config: &RfmConfig) -> RfmScore {
        let recency_days = customer.recency_days(now);
        let r = self.recency.score(recency_key(recency_days));
        let f = self.frequency.score(f64::from(customer.orders));
        let m = self.monetary.score(customer.spend);
        let axis = axis_score(config.grid_axis, f, m);
        RfmScore {
            recency_days,
            r,
            f,
            m,
            axis,
            segment: RfmSegment::from_grid(r, axis, config.lost_from_r1f1),
            score: f64::from(r + f + m - 3) / SCORE_SPAN,
        }
    }
}

/// The grid's second-axis score: `f`, or the mean of `f` and `m` rounded half up (`⌈(f + m) / 2⌉`).
pub fn axis_score(axis: GridAxis, f: u8, m: u8) -> u8 {
    match axis {
        GridAxis::Frequency => f,
        GridAxis::FrequencyMonetary => (f + m).div_ceil(2),
    }
}

/// Recency as a "larger is better" key: fewer days is better. Days fit an f64 exactly.
fn recency_key(days: i64) -> f64 {
    -(days as f64)
}

/// Scores every customer of a population as of `now`; the result is index-aligned with `customers`.
///
/// This is the whole of RFM's population step: three sorts for the cut points, then four comparisons per
/// customer and dimension.
pub fn score_customers(now: i64, customers: &[OrderSummary], config: &RfmConfig) -> Vec<RfmScore> {
    let Some(cuts) = RfmCuts::of(now, customers) else {
        return Vec::new();
    };
    customers
        .iter()
        .map(|customer| cuts.score(now, customer, config))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cohort_plugin_kit::commerce::days::SECONDS_PER_DAY;

    fn customer(days_ago: i64, orders: u32, spend: f64, now: i64) -> OrderSummary {
        OrderSummary {
            last_order_at: now - days_ago * SECONDS_PER_DAY,
            orders,
            spend,
            unpriced: 0,
        }
    }

    #[test]
    fn frequency_monetary_axis_rounds_the_mean_half_up() {
        let now = 1_000 * SECONDS_PER_DAY;
        // Five distinct customers: scores 1..5 on every dimension, but spend reversed against orders.
        let customers: Vec<OrderSummary> = (0..5)
            .map(|i| customer(10 - i, 1 + i as u32, 100.0 - 10.0 * i as f64, now))
            .collect();
        let config = RfmConfig {
            grid_axis: GridAxis::FrequencyMonetary,
            ..RfmConfig::default()
        };
        let scores = score_customers(now, &customers, &config);
        let got: Vec<(u8, u8, u8)> = scores.iter().map(|s| (s.f, s.m, s.axis)).collect();
        // (1+5)/2 = 3, (2+4)/2 = 3, (3+3)/2 = 3, (4+2)/2 = 3, (5+1)/2 = 3: all the middle column.
        assert_eq!(got, [(1, 5, 3), (2, 4, 3), (3, 3, 3), (4, 2, 3), (5, 1, 3)]);

        // Half-way means round up: F4 with M5 → 4.5 → 5, F1 with M2 → 1.5 → 2.
        for (f, m, expected) in [
            (4, 5, 5),
            (1, 2, 2),
            (5, 4, 5),
            (2, 1, 2),
            (3, 3, 3),
            (1, 1, 1),
        ] {
            assert_eq!(
                axis_score(GridAxis::FrequencyMonetary, f, m),
                expected,
                "F{f} M{m}"
            );
            assert_eq!(axis_score(GridAxis::Frequency, f, m), f);
        }
    }

    #[test]
    fn score_is_the_normalised_sum() {
        let now = 500 * SECONDS_PER_DAY;
        let customers = [customer(1, 9, 900.0, now), customer(300, 1, 5.0, now)];
        let scores = score_customers(now, &customers, &RfmConfig::default());
        // Two customers: the better one has w = 1 everywhere, 1 + ⌊5/2⌋ = 3.
        assert_eq!((scores[0].r, scores[0].f, scores[0].m), (3, 3, 3));
        assert_eq!(scores[0].score, 0.5);
        assert_eq!((scores[1].r, scores[1].f, scores[1].m), (1, 1, 1));
        assert_eq!(scores[1].score, 0.0);
    }

    #[test]
    fn an_empty_population_scores_nobody() {
        assert!(score_customers(0, &[], &RfmConfig::default()).is_empty());
    }
}
