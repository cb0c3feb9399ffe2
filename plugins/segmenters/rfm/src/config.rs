//! The RFM configuration: the JSON object that `manifest.toml`'s `[config]` schema describes.

use serde::Deserialize;

use crate::error::RfmError;

/// Which score is the grid's second axis, next to recency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum GridAxis {
    /// The frequency score F (the classic R × F grid).
    #[default]
    Frequency,
    /// The mean of F and M, rounded half up: (F + M + 1) / 2 in integers.
    FrequencyMonetary,
}

/// Settings of one RFM run; every field has a default, so `{}` is a complete configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RfmConfig {
    /// The grid's second axis.
    pub grid_axis: GridAxis,
    /// Carve `lost` out of the grid's R1 × 1 cell, which is otherwise `hibernating`.
    pub lost_from_r1f1: bool,
    /// Emit customers without a completed order as `no_orders`; when false they get no assignment.
    pub no_orders_segment: bool,
}

impl Default for RfmConfig {
    fn default() -> Self {
        Self {
            grid_axis: GridAxis::Frequency,
            lost_from_r1f1: true,
            no_orders_segment: true,
        }
    }
}

impl RfmConfig {
    /// Parses the configuration text the host hands over (`"{}"` when there is none).
    pub fn parse(text: &str) -> Result<Self, RfmError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(RfmError::Config)?;
        // A struct with defaults would also accept a JSON array; the host hands over an object.
        if !value.is_object() {
            return Err(RfmError::NotAnObject);
        }
        serde_json::from_value(value).map_err(RfmError::Config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_object_gives_the_defaults() {
        assert_eq!(RfmConfig::parse("{}").unwrap(), RfmConfig::default());
    }

    #[test]
    fn every_field_is_read() {
        let config = RfmConfig::parse(
            r#"{"grid_axis": "frequency_monetary", "lost_from_r1f1": false, "no_orders_segment": false}"#,
        )
        .unwrap();
        assert_eq!(config.grid_axis, GridAxis::FrequencyMonetary);
        assert!(!config.lost_from_r1f1);
        assert!(!config.no_orders_segment);
    }

    #[test]
    fn unknown_fields_and_values_are_refused_with_their_name() {
        let error = RfmConfig::parse(r#"{"lost_from_r1": true}"#).unwrap_err();
        assert!(error.to_string().contains("lost_from_r1"), "{error}");
        let error = RfmConfig::parse(r#"{"grid_axis": "monetary"}"#).unwrap_err();
        assert!(error.to_string().contains("monetary"), "{error}");
        let error = RfmConfig::parse("[]").unwrap_err();
        assert!(
            error.to_string().contains("must be a JSON object"),
            "{error}"
        );
    }
}
