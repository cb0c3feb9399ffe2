//! The connector's configuration: the JSON object the host validated against `manifest.toml`'s schema, read again
//! here (unknown keys refused) and turned into checked values with their defaults.

use cohort_plugin_kit::config;
use serde::Deserialize;

/// Source name written on every record when none is configured.
const DEFAULT_SOURCE: &str = "ga4-events";

/// The configuration as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Written {
    source: Option<String>,
}

/// The checked configuration.
#[derive(Debug)]
pub(crate) struct Config {
    /// `source` of every record.
    pub(crate) source: String,
}

impl Config {
    /// Reads the configuration text.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let written: Written = config::written(text, serde_json::from_str)?;
        let source = config::source(written.source, DEFAULT_SOURCE)?;
        Ok(Self { source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_options_and_refusals() {
        assert_eq!(Config::parse("{}").unwrap().source, "ga4-events");
        assert_eq!(
            Config::parse(r#"{"source": "analytics"}"#).unwrap().source,
            "analytics"
        );
        assert!(Config::parse(r#"{"source": "GA4"}"#).is_err());
        assert!(Config::parse(r#"{"property_id": 1}"#).is_err());
    }
}
