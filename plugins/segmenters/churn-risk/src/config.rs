//! The churn-risk configuration: the JSON object that `manifest.toml`'s `[config]` schema describes, and
//! the checks the schema cannot express.

use serde::Deserialize;

use crate::error::ChurnError;

/// The weight of each named component in the score. Weights are relative: the score divides by their sum.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Weights {
    /// Time since the last order against the customer's expected gap.
    pub recency: f64,
    /// Orders in the last window against the window before.
    pub frequency_trend: f64,
    /// Spend in the last window against the window before.
    pub spend_trend: f64,
    /// E-mail opens and page views in the last window against the window before.
    pub engagement_trend: f64,
    /// An NPS answer of a detractor.
    pub nps_detractor: f64,
}

impl Default for Weights {
    /// Recency weighs most, as DOMAIN.md §7 lists "time since last order past the expected gap" first; the
    /// trends and NPS share the rest.
    fn default() -> Self {
        Self {
            recency: 0.35,
            frequency_trend: 0.2,
            spend_trend: 0.15,
            engagement_trend: 0.15,
            nps_detractor: 0.15,
        }
    }
}

/// Where the risk bands start.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// A score at or above this is `high_churn_risk`.
    pub high: f64,
    /// A score at or above this (and below `high`) is `medium_churn_risk`; below it, `low_churn_risk`.
    pub medium: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            high: 0.6,
            medium: 0.3,
        }
    }
}

/// Settings of one churn-risk run; every field has a default, so `{}` is a complete configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChurnConfig {
    /// Length of the trend windows in days: the last `window_days` are compared with the `window_days`
    /// before them.
    pub window_days: u32,
    /// The expected gap between orders for customers with too few orders to have a rhythm of their own.
    pub default_expected_gap_days: u32,
    /// Orders needed before the customer's median gap is their expected gap (3 orders give 2 gaps).
    pub gap_min_orders: u32,
    /// The expected gap is never shorter than this, so that a burst of orders in one week does not make
    /// a fortnight's silence look alarming.
    pub min_expected_gap_days: u32,
    /// How many expected gaps of silence make the recency component 1; it is 0 up to one expected gap
    /// and rises linearly in between.
    pub overdue_full_risk_ratio: f64,
    /// The highest NPS answer that counts as a detractor (the NPS convention is 0–6).
    pub nps_detractor_max: f64,
    /// Component weights.
    pub weights: Weights,
    /// Band thresholds.
    pub thresholds: Thresholds,
    /// How many components the reasons name, the largest contributions first.
    pub max_reasons: u32,
}

impl Default for ChurnConfig {
    fn default() -> Self {
        Self {
            window_days: 90,
            default_expected_gap_days: 60,
            gap_min_orders: 3,
            min_expected_gap_days: 14,
            overdue_full_risk_ratio: 3.0,
            nps_detractor_max: 6.0,
            weights: Weights::default(),
            thresholds: Thresholds::default(),
            max_reasons: 3,
        }
    }
}

/// The longest window or gap accepted, about 27 years: beyond any retention period.
pub const MAX_DAYS: u32 = 10_000;

/// The most reasons per assignment: one per component.
pub const MAX_REASONS: u32 = 5;

impl ChurnConfig {
    /// Parses and checks the configuration text the host hands over (`"{}"` when there is none).
    pub fn parse(text: &str) -> Result<Self, ChurnError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(ChurnError::Config)?;
        // A struct with defaults would also accept a JSON array; the host hands over an object.
        if !value.is_object() {
            return Err(ChurnError::NotAnObject);
        }
        let config: Self = serde_json::from_value(value).map_err(ChurnError::Config)?;
        config.check()?;
        Ok(config)
    }

    /// The sum of the weights, which [`ChurnConfig::parse`] guarantees is positive.
    pub fn weight_sum(&self) -> f64 {
        let w = &self.weights;
        w.recency + w.frequency_trend + w.spend_trend + w.engagement_trend + w.nps_detractor
    }

    /// The checks JSON Schema cannot express (or that must hold even if the host skipped the schema).
    fn check(&self) -> Result<(), ChurnError> {
        let fail = |field, problem: String| Err(ChurnError::Inconsistent { field, problem });
        for (field, days) in [
            ("window_days", self.window_days),
            ("default_expected_gap_days", self.default_expected_gap_days),
            ("min_expected_gap_days", self.min_expected_gap_days),
        ] {
            if days == 0 || days > MAX_DAYS {
                return fail(field, format!("is {days}; it must be 1 to {MAX_DAYS} days"));
            }
        }
        if self.gap_min_orders < 2 {
            return fail(
                "gap_min_orders",
                format!("is {}; a gap needs at least 2 orders", self.gap_min_orders),
            );
        }
        if !(self.overdue_full_risk_ratio > 1.0 && self.overdue_full_risk_ratio <= 100.0) {
            return fail(
                "overdue_full_risk_ratio",
                format!(
                    "is {}; it must be above 1 (one expected gap is not yet overdue) and at most 100",
                    self.overdue_full_risk_ratio
                ),
            );
        }
        if !(0.0..=10.0).contains(&self.nps_detractor_max) {
            return fail(
                "nps_detractor_max",
                format!(
                    "is {}; NPS answers run from 0 to 10",
                    self.nps_detractor_max
                ),
            );
        }
        let w = &self.weights;
        for (field, weight) in [
            ("weights.recency", w.recency),
            ("weights.frequency_trend", w.frequency_trend),
            ("weights.spend_trend", w.spend_trend),
            ("weights.engagement_trend", w.engagement_trend),
            ("weights.nps_detractor", w.nps_detractor),
        ] {
            if !(weight.is_finite() && weight >= 0.0) {
                return fail(field, format!("is {weight}; weights must be 0 or more"));
            }
        }
        if !(self.weight_sum() > 0.0 && self.weight_sum().is_finite()) {
            return fail(
                "weights",
                "are all 0; at least one component must count".to_owned(),
            );
        }
        let t = &self.thresholds;
        if !(0.0..=1.0).contains(&t.medium) || !(0.0..=1.0).contains(&t.high) || t.medium > t.high {
            return fail(
                "thresholds",
                format!(
                    "are medium {} and high {}; they must satisfy 0 ≤ medium ≤ high ≤ 1",
                    t.medium, t.high
                ),
            );
        }
        if self.max_reasons > MAX_REASONS {
            return fail(
                "max_reasons",
                format!(
                    "is {}; there are only {MAX_REASONS} components",
                    self.max_reasons
                ),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_object_gives_the_defaults_and_weights_sum_to_one() {
        let config = ChurnConfig::parse("{}").unwrap();
        assert_eq!(config, ChurnConfig::default());
        assert!((config.weight_sum() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_partial_weights_object_keeps_the_other_defaults() {
        let config = ChurnConfig::parse(r#"{"weights": {"recency": 1}}"#).unwrap();
        assert_eq!(config.weights.recency, 1.0);
        assert_eq!(config.weights.nps_detractor, 0.15);
    }

    #[test]
    fn bad_values_name_the_field() {
        for (text, field) in [
            (r#"{"weights": {"recency": -1}}"#, "weights.recency"),
            (
                r#"{"weights": {"recency": 0, "frequency_trend": 0, "spend_trend": 0, "engagement_trend": 0, "nps_detractor": 0}}"#,
                "weights",
            ),
            (r#"{"weights": {"loyalty": 1}}"#, "loyalty"),
            (
                r#"{"thresholds": {"high": 0.2, "medium": 0.5}}"#,
                "thresholds",
            ),
            (r#"{"thresholds": {"high": 1.5}}"#, "thresholds"),
            (r#"{"window_days": 0}"#, "window_days"),
            (
                r#"{"overdue_full_risk_ratio": 1}"#,
                "overdue_full_risk_ratio",
            ),
            (r#"{"nps_detractor_max": 11}"#, "nps_detractor_max"),
            (r#"{"gap_min_orders": 1}"#, "gap_min_orders"),
            (r#"{"max_reasons": 9}"#, "max_reasons"),
            ("[]", "JSON object"),
        ] {
            let error = ChurnConfig::parse(text).unwrap_err().to_string();
            assert!(error.contains(field), "{text}: {error}");
        }
    }
}
