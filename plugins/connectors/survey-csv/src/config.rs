//! The connector's configuration: the JSON object the host validated against `manifest.toml`'s schema, read again
//! here (unknown keys refused) and turned into checked values with their defaults.

use cohort_plugin_kit::dates::{self, SlashOrder};
use cohort_plugin_kit::record::{MAX_TEXT_CHARS, valid_source};
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
        let written: Written = if text.trim().is_empty() {
            Written::default()
        } else {
            serde_json::from_str(text).map_err(|e| format!("configuration: {e}"))?
        };
        let source = written.source.unwrap_or_else(|| DEFAULT_SOURCE.into());
        if !valid_source(&source) {
            return Err("configuration: `source` must match ^[a-z][a-z0-9_.-]{0,63}$".into());
        }
        let survey = written.survey.unwrap_or_else(|| DEFAULT_SURVEY.into());
        if survey.trim().is_empty() || survey.chars().count() > MAX_TEXT_CHARS {
            return Err(format!(
                "configuration: `survey` must have 1 to {MAX_TEXT_CHARS} characters"
            ));
        }
        let offset = match written.timezone_offset.as_deref() {
            None => UtcOffset::UTC,
            Some(text) => dates::parse_offset(text).ok_or(
                "configuration: `timezone_offset` must be an offset such as +01:00, -0800 or Z",
            )?,
        };
        let date_order = match written.date_order.as_deref() {
            None | Some("month_first") => SlashOrder::MonthFirst,
            Some("day_first") => SlashOrder::DayFirst,
            Some(_) => {
                return Err("configuration: `date_order` must be month_first or day_first".into());
            }
        };
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
