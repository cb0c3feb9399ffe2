//! The churn-risk score in plain Rust: the host benchmarks [`assess`] natively against the Wasm build.
//!
//! # The score
//!
//! Five named components each give a risk in [0, 1], or nothing when the profile has no data for it:
//!
//! - `recency`: days since the last order against the expected gap — the customer's median gap between
//!   orders (at least `min_expected_gap_days`) once they have `gap_min_orders` orders, else
//!   `default_expected_gap_days`. With `ratio = days / expected gap` the risk is
//!   `clamp((ratio − 1) / (overdue_full_risk_ratio − 1), 0, 1)`: 0 up to one expected gap, 1 from
//!   `overdue_full_risk_ratio` gaps. No orders, no data.
//! - `frequency_trend`, `spend_trend`, `engagement_trend`: the relative fall from the previous window to
//!   the recent one, `clamp((previous − recent) / previous, 0, 1)`. With nothing in the previous window
//!   there is no fall to measure: 0 if the recent window has something, no data if both are empty.
//!   Engagement counts `email_opened` and `page_viewed` events.
//! - `nps_detractor`: 1 when the `nps_score` answer is at most `nps_detractor_max` (6), 0 for a passive
//!   or promoter, no data without an answer.
//!
//! The score is `Σ weightᵢ × riskᵢ / Σ weightᵢ` over all five components, a component without data adding
//! 0: missing evidence never raises the risk, so a profile with no data at all scores 0 (`low_churn_risk`).
//! The band is `high_churn_risk` from `thresholds.high`, `medium_churn_risk` from `thresholds.medium`, both
//! inclusive, else `low_churn_risk`.

use crate::config::ChurnConfig;
use crate::signals::Signals;

/// A named component of the score; the names are the keys of the config's `weights`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ComponentKind {
    /// Days since the last order against the expected gap.
    Recency,
    /// Orders, recent window against the previous.
    FrequencyTrend,
    /// Spend, recent window against the previous.
    SpendTrend,
    /// E-mail opens and page views, recent window against the previous.
    EngagementTrend,
    /// An NPS detractor answer.
    NpsDetractor,
}

impl ComponentKind {
    /// Every component, in the order the config lists them (ties in the reasons keep this order).
    pub const ALL: [Self; 5] = [
        Self::Recency,
        Self::FrequencyTrend,
        Self::SpendTrend,
        Self::EngagementTrend,
        Self::NpsDetractor,
    ];

    /// The component's name, as in the config's `weights` and the reasons.
    pub fn name(self) -> &'static str {
        match self {
            Self::Recency => "recency",
            Self::FrequencyTrend => "frequency_trend",
            Self::SpendTrend => "spend_trend",
            Self::EngagementTrend => "engagement_trend",
            Self::NpsDetractor => "nps_detractor",
        }
    }

    /// The component's weight under `config`.
    pub fn weight(self, config: &ChurnConfig) -> f64 {
        let w = &config.weights;
        match self {
            Self::Recency => w.recency,
            Self::FrequencyTrend => w.frequency_trend,
            Self::SpendTrend => w.spend_trend,
            Self::EngagementTrend => w.engagement_trend,
            Self::NpsDetractor => w.nps_detractor,
        }
    }
}

/// One component's result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Component {
    /// Which component.
    pub kind: ComponentKind,
    /// Its risk in [0, 1]; `None` when the profile has no data for it.
    pub risk: Option<f64>,
    /// What it adds to the score: `weight × risk / Σ weights` (0 without data).
    pub contribution: f64,
}

/// The risk band: the segment ids of this plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Band {
    /// Score at or above `thresholds.high`.
    High,
    /// Score at or above `thresholds.medium`, below `thresholds.high`.
    Medium,
    /// Score below `thresholds.medium`.
    Low,
}

impl Band {
    /// Every band, highest first.
    pub const ALL: [Self; 3] = [Self::High, Self::Medium, Self::Low];

    /// The segment id, as declared in `manifest.toml`.
    pub fn id(self) -> &'static str {
        match self {
            Self::High => "high_churn_risk",
            Self::Medium => "medium_churn_risk",
            Self::Low => "low_churn_risk",
        }
    }

    /// What the band means, for people reading a segment list.
    pub fn description(self) -> &'static str {
        match self {
            Self::High => "Churn-risk score at or above the high threshold (default 0.6).",
            Self::Medium => {
                "Churn-risk score at or above the medium threshold (default 0.3), below the high one."
            }
            Self::Low => {
                "Churn-risk score below the medium threshold, including profiles with no risk data."
            }
        }
    }

    /// The band of `score` under `config`'s thresholds.
    pub fn of(score: f64, config: &ChurnConfig) -> Self {
        if score >= config.thresholds.high {
            Self::High
        } else if score >= config.thresholds.medium {
            Self::Medium
        } else {
            Self::Low
        }
    }
}

/// Where a customer's expected gap between orders came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ExpectedGap {
    /// The customer's median gap (raised to `min_expected_gap_days` if shorter).
    Median(f64),
    /// `default_expected_gap_days`, for customers with fewer than `gap_min_orders` orders.
    Default(f64),
}

impl ExpectedGap {
    /// The gap in days.
    pub fn days(self) -> f64 {
        match self {
            Self::Median(days) | Self::Default(days) => days,
        }
    }
}

/// One profile's churn risk.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assessment {
    /// The score in [0, 1].
    pub score: f64,
    /// The band of the score.
    pub band: Band,
    /// Every component, in [`ComponentKind::ALL`] order.
    pub components: [Component; 5],
    /// The expected gap the recency component used; `None` without orders.
    pub expected_gap: Option<ExpectedGap>,
}

/// The expected gap between orders for a customer with these signals.
pub fn expected_gap(signals: &Signals, config: &ChurnConfig) -> ExpectedGap {
    match signals.median_gap_days {
        Some(median) if signals.orders >= config.gap_min_orders => {
            ExpectedGap::Median(median.max(f64::from(config.min_expected_gap_days)))
        }
        _ => ExpectedGap::Default(f64::from(config.default_expected_gap_days)),
    }
}

/// The relative fall from `previous` to `recent`, clamped to [0, 1]; `None` when both are zero.
pub fn decline(recent: f64, previous: f64) -> Option<f64> {
    if previous > 0.0 {
        Some(((previous - recent) / previous).clamp(0.0, 1.0))
    } else if recent > 0.0 {
        Some(0.0)
    } else {
        None
    }
}

/// Scores one profile's signals.
pub fn assess(signals: &Signals, config: &ChurnConfig) -> Assessment {
    let gap = signals
        .days_since_last_order
        .map(|_| expected_gap(signals, config));
    let total_weight = config.weight_sum();
    let risk_of = |kind: ComponentKind| -> Option<f64> {
        match kind {
            ComponentKind::Recency => {
                let days = signals.days_since_last_order?;
                // Whole days are far below 2^53, exact in an f64.
                let ratio = days as f64 / gap?.days();
                Some(((ratio - 1.0) / (config.overdue_full_risk_ratio - 1.0)).clamp(0.0, 1.0))
            }
            ComponentKind::FrequencyTrend => decline(
                f64::from(signals.orders_recent),
                f64::from(signals.orders_previous),
            ),
            ComponentKind::SpendTrend => decline(signals.spend_recent, signals.spend_previous),
            ComponentKind::EngagementTrend => decline(
                f64::from(signals.engagement_recent),
                f64::from(signals.engagement_previous),
            ),
            ComponentKind::NpsDetractor => signals.nps.map(|nps| {
                if nps <= config.nps_detractor_max {
                    1.0
                } else {
                    0.0
                }
            }),
        }
    };
    let components = ComponentKind::ALL.map(|kind| {
        let risk = risk_of(kind);
        Component {
            kind,
            risk,
            contribution: kind.weight(config) * risk.unwrap_or(0.0) / total_weight,
        }
    });
    let score = components
        .iter()
        .map(|c| c.contribution)
        .sum::<f64>()
        .clamp(0.0, 1.0);
    Assessment {
        score,
        band: Band::of(score, config),
        components,
        expected_gap: gap,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decline_is_the_relative_fall() {
        assert_eq!(decline(1.0, 4.0), Some(0.75));
        assert_eq!(decline(4.0, 4.0), Some(0.0));
        assert_eq!(decline(9.0, 4.0), Some(0.0));
        assert_eq!(decline(0.0, 4.0), Some(1.0));
        assert_eq!(decline(3.0, 0.0), Some(0.0));
        assert_eq!(decline(0.0, 0.0), None);
    }

    #[test]
    fn bands_include_their_lower_threshold() {
        let config = ChurnConfig::default();
        assert_eq!(Band::of(0.6, &config), Band::High);
        assert_eq!(Band::of(0.599_999, &config), Band::Medium);
        assert_eq!(Band::of(0.3, &config), Band::Medium);
        assert_eq!(Band::of(0.299_999, &config), Band::Low);
        assert_eq!(Band::of(0.0, &config), Band::Low);
    }
}
