//! The connector's configuration: the JSON object the host validated against `manifest.toml`'s schema, read again
//! here (unknown keys refused) and turned into checked values with their defaults.

use cohort_plugin_kit::config;
use cohort_plugin_kit::dates::SlashOrder;
use serde::Deserialize;
use time::UtcOffset;

/// Source name written on every record when none is configured.
const DEFAULT_SOURCE: &str = "survey-csv";

/// Survey name written on `survey_answered` events when none is configured.
const DEFAULT_SURVEY: &str = "nps";

/// The configuration as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Written {
    source: Option<String>,
    survey: Option<String>,
    nps_column: Option<String>,
    timezone_offset: Option<String>,
    date_order: Option<String>,
}

/// The checked configuration.
#[derive(Debug)]
pub(crate) struct Config {
    /// `source` of every record.
    pub(crate) source: String,
    /// The `survey` property of every `survey_answered` event.
    pub(crate) survey: String,
    /// Header of the NPS column, when the header does not make it plain.
    pub(crate) nps_column: Option<String>,
    /// Offset of date-times written without one.
    pub(crate) offset: UtcOffset,
    /// How dates written with slashes are ordered.
    pub(crate) date_order: SlashOrder,
}

impl Config {
    /// Reads the configuration text.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let written: Written = config::written(text, serde_json::from_str)?;
        let source = config::source(written.source, DEFAULT_SOURCE)?;
        let survey = config::survey(written.survey, DEFAULT_SURVEY)?;
        let offset = config::timezone_offset(written.timezone_offset.as_deref())?;
        let date_order = config::date_order(written.date_order.as_deref())?;
        Ok(Self {
            source,
            survey,
            nps_column: written.nps_column,
            offset,
            date_order,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_options() {
        let config = Config::parse("{}").unwrap();
        assert_eq!(
            (config.source.as_str(), config.survey.as_str()),
            ("survey-csv", "nps")
        );
        assert_eq!(config.nps_column, None);
        let config = Config::parse(
            r#"{"survey": "nps-2024-h1", "nps_column": "Score", "timezone_offset": "+02:00", "date_order": "day_first"}"#,
        )
        .unwrap();
        assert_eq!(config.nps_column.as_deref(), Some("Score"));
        assert_eq!(config.offset.whole_minutes(), 120);
        assert_eq!(config.date_order, SlashOrder::DayFirst);
    }

    #[test]
    fn bad_options_are_refused() {
        for bad in [
            r#"{"survey": " "}"#,
            r#"{"date_order": "ymd"}"#,
            r#"{"nps": "Score"}"#,
        ] {
            assert!(Config::parse(bad).is_err(), "{bad}");
        }
    }
}
