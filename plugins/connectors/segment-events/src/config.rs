//! The connector's configuration: the JSON object the host validated against `manifest.toml`'s schema, read again
//! here (unknown keys refused) and turned into checked values with their defaults.

use std::collections::BTreeMap;

use cohort_plugin_kit::config;
use cohort_plugin_kit::record::valid_name;
use serde::Deserialize;
use time::UtcOffset;

/// Source name written on every record when none is configured.
const DEFAULT_SOURCE: &str = "segment-events";

/// Collection point written on consent events when none is configured.
const DEFAULT_CONSENT_SOURCE: &str = "segment_consent_manager";

/// The configuration as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Written {
    source: Option<String>,
    timezone_offset: Option<String>,
    consent_categories: Option<BTreeMap<String, String>>,
    consent_source: Option<String>,
}

/// The checked configuration.
#[derive(Debug)]
pub(crate) struct Config {
    /// `source` of every record.
    pub(crate) source: String,
    /// Offset of timestamps written without one.
    pub(crate) offset: UtcOffset,
    /// Consent-manager category id → policy purpose, for `context.consent.categoryPreferences`. Empty: none read.
    pub(crate) consent_categories: BTreeMap<String, String>,
    /// Collection point of consent events.
    pub(crate) consent_source: String,
}

impl Config {
    /// Reads the configuration text.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let written: Written = config::written(text, serde_json::from_str)?;
        let source = config::source(written.source, DEFAULT_SOURCE)?;
        let offset = config::timezone_offset(written.timezone_offset.as_deref())?;
        let consent_categories = written.consent_categories.unwrap_or_default();
        if let Some((category, _)) = consent_categories
            .iter()
            .find(|(_, purpose)| !valid_name(purpose))
        {
            return Err(format!(
                "configuration: the purpose of consent category `{category}` must match ^[a-z][a-z0-9_]{{0,63}}$"
            ));
        }
        let consent_source = config::collection_point(
            written.consent_source,
            DEFAULT_CONSENT_SOURCE,
            "consent_source",
        )?;
        Ok(Self {
            source,
            offset,
            consent_categories,
            consent_source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_options() {
        let config = Config::parse("{}").unwrap();
        assert_eq!(config.source, "segment-events");
        assert!(config.consent_categories.is_empty());
        let config = Config::parse(
            r#"{"source": "web", "timezone_offset": "-05:00", "consent_categories": {"Advertising": "personalisation"}}"#,
        )
        .unwrap();
        assert_eq!(config.offset.whole_minutes(), -300);
        assert_eq!(config.consent_categories["Advertising"], "personalisation");
    }

    #[test]
    fn bad_options_are_refused() {
        for bad in [
            r#"{"consent_categories": {"Advertising": "Personalisation"}}"#,
            r#"{"timezone_offset": "EST5EDT"}"#,
            r#"{"write_key": "wk_demo"}"#,
        ] {
            assert!(Config::parse(bad).is_err(), "{bad}");
        }
    }
}
