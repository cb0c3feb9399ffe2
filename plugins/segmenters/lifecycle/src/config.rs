//! The lifecycle configuration: the JSON object that `manifest.toml`'s `[config]` schema describes, and
//! the checks the schema cannot express.

use serde::Deserialize;

use crate::error::LifecycleError;

/// Settings of one lifecycle run; every field has a default, so `{}` is a complete configuration.
///
/// The windows follow DOMAIN.md §7: 90 days to lapse and 180 to churn are the common vendor defaults, and
/// a customer's own rhythm (the median gap between their orders) is preferred when there is enough history.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LifecycleConfig {
    /// A customer whose last order is more than this many whole days old is lapsed.
    pub lapsed_after_days: u32,
    /// A customer whose last order is more than this many whole days old is churned; a gap longer than
    /// this between two orders makes the later one a win-back.
    pub churned_after_days: u32,
    /// Orders from which a customer is loyal rather than repeat.
    pub loyal_min_orders: u32,
    /// With enough orders, the lapse window is the customer's median gap between orders times this factor,
    /// instead of `lapsed_after_days`. 0 turns the personal window off.
    pub lapsed_gap_factor: f64,
    /// Orders needed before the personal window applies (3 orders give 2 gaps).
    pub lapsed_gap_min_orders: u32,
    /// The personal window is never shorter than this many days, so that several orders in one week do
    /// not lapse a customer a few days later.
    pub lapsed_gap_min_days: u32,
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        Self {
            lapsed_after_days: 90,
            churned_after_days: 180,
            loyal_min_orders: 4,
            lapsed_gap_factor: 2.0,
            lapsed_gap_min_orders: 3,
            lapsed_gap_min_days: 30,
        }
    }
}

/// The largest window accepted, about 27 years: more than any retention period allows events to be kept.
pub const MAX_WINDOW_DAYS: u32 = 10_000;

/// The largest gap factor accepted: at 100 even a weekly rhythm gives a window longer than any sensible
/// churn window, so a larger factor can only be a typo.
pub const MAX_GAP_FACTOR: f64 = 100.0;

impl LifecycleConfig {
    /// Parses and checks the configuration text the host hands over (`"{}"` when there is none).
    pub fn parse(text: &str) -> Result<Self, LifecycleError> {
        let config: Self = {
            let value: serde_json::Value =
                serde_json::from_str(text).map_err(LifecycleError::Config)?;
            // A struct with defaults would also accept a JSON array; the host hands over an object.
            if !value.is_object() {
                return Err(LifecycleError::NotAnObject);
            }
            serde_json::from_value(value).map_err(LifecycleError::Config)
        }?;
        config.check()?;
        Ok(config)
    }

    /// The checks JSON Schema cannot express (or that must hold even if the host skipped the schema).
    fn check(&self) -> Result<(), LifecycleError> {
        let inconsistent =
            |field, problem: String| Err(LifecycleError::Inconsistent { field, problem });
        for (field, days) in [
            ("lapsed_after_days", self.lapsed_after_days),
            ("churned_after_days", self.churned_after_days),
            ("lapsed_gap_min_days", self.lapsed_gap_min_days),
        ] {
            if days == 0 || days > MAX_WINDOW_DAYS {
                return inconsistent(
                    field,
                    format!("is {days}; it must be 1 to {MAX_WINDOW_DAYS} days"),
                );
            }
        }
        if self.lapsed_after_days >= self.churned_after_days {
            return inconsistent(
                "lapsed_after_days",
                format!(
                    "({}) must be below `churned_after_days` ({}), or nobody could lapse before churning",
                    self.lapsed_after_days, self.churned_after_days
                ),
            );
        }
        if self.loyal_min_orders < 2 {
            return inconsistent(
                "loyal_min_orders",
                format!(
                    "is {}; loyal needs at least 2 orders",
                    self.loyal_min_orders
                ),
            );
        }
        if !(0.0..=MAX_GAP_FACTOR).contains(&self.lapsed_gap_factor) {
            return inconsistent(
                "lapsed_gap_factor",
                format!(
                    "is {}; it must be 0 (off) to {MAX_GAP_FACTOR}",
                    self.lapsed_gap_factor
                ),
            );
        }
        if self.lapsed_gap_min_orders < 2 {
            return inconsistent(
                "lapsed_gap_min_orders",
                format!(
                    "is {}; a gap needs at least 2 orders",
                    self.lapsed_gap_min_orders
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
    fn empty_object_gives_the_defaults() {
        assert_eq!(
            LifecycleConfig::parse("{}").unwrap(),
            LifecycleConfig::default()
        );
    }

    #[test]
    fn contradictions_name_the_field() {
        for (text, field) in [
            (r#"{"lapsed_after_days": 180}"#, "lapsed_after_days"),
            (r#"{"churned_after_days": 0}"#, "churned_after_days"),
            (r#"{"loyal_min_orders": 1}"#, "loyal_min_orders"),
            (r#"{"lapsed_gap_factor": -1}"#, "lapsed_gap_factor"),
            (r#"{"lapsed_gap_min_orders": 1}"#, "lapsed_gap_min_orders"),
            (r#"{"lapsed_gap_min_days": 20000}"#, "lapsed_gap_min_days"),
            (r#"{"lapsed_days": 3}"#, "lapsed_days"),
        ] {
            let error = LifecycleConfig::parse(text).unwrap_err().to_string();
            assert!(error.contains(field), "{text}: {error}");
        }
    }
}
