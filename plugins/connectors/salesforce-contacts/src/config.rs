//! The connector's configuration: the JSON object the host validated against `manifest.toml`'s schema, read again
//! here (unknown keys refused) and turned into checked values with their defaults.

use cohort_plugin_kit::config;
use cohort_plugin_kit::dates::SlashOrder;
use serde::Deserialize;
use time::UtcOffset;

/// Source name written on every record when none is configured.
const DEFAULT_SOURCE: &str = "salesforce-contacts";

/// Collection point written on consent events when none is configured.
const DEFAULT_CONSENT_SOURCE: &str = "salesforce";

/// Purpose withdrawn for `HasOptedOutOfEmail`, when none is configured.
const DEFAULT_OPT_OUT_PURPOSE: &str = "email_marketing";

/// Which Salesforce object the rows are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ObjectChoice {
    /// Decide from the header.
    Auto,
    /// Contacts.
    Contact,
    /// Leads.
    Lead,
}

/// The configuration as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Written {
    source: Option<String>,
    object: Option<String>,
    timezone_offset: Option<String>,
    date_order: Option<String>,
    default_country: Option<String>,
    record_id_as: Option<String>,
    opt_out_purposes: Option<Vec<String>>,
    exported_at: Option<String>,
    consent_source: Option<String>,
}

/// The checked configuration.
#[derive(Debug)]
pub(crate) struct Config {
    /// `source` of every record.
    pub(crate) source: String,
    /// Contacts, leads, or decided from the header.
    pub(crate) object: ObjectChoice,
    /// Offset of date-times written without one (report CSVs use the user's zone).
    pub(crate) offset: UtcOffset,
    /// How report CSVs order dates written with slashes.
    pub(crate) date_order: SlashOrder,
    /// Country (alpha-2) of phone numbers on rows without a country.
    pub(crate) default_country: Option<String>,
    /// Identifier kind of the record id: `salesforce_id` or `crm_id`.
    pub(crate) id_kind: &'static str,
    /// Purposes withdrawn for `HasOptedOutOfEmail`.
    pub(crate) opt_out_purposes: Vec<String>,
    /// When the extract was taken, RFC 3339 UTC: the time of withdrawals the file does not date.
    pub(crate) exported_at: Option<String>,
    /// Collection point of consent events.
    pub(crate) consent_source: String,
}

impl Config {
    /// Reads the configuration text.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let written: Written = config::written(text, serde_json::from_str)?;
        let source = config::source(written.source, DEFAULT_SOURCE)?;
        let object = match written.object.as_deref() {
            None | Some("auto") => ObjectChoice::Auto,
            Some("contact") => ObjectChoice::Contact,
            Some("lead") => ObjectChoice::Lead,
            Some(_) => return Err("configuration: `object` must be auto, contact or lead".into()),
        };
        let offset = config::timezone_offset(written.timezone_offset.as_deref())?;
        let date_order = config::date_order(written.date_order.as_deref())?;
        let default_country = config::default_country(written.default_country, "US")?;
        let id_kind = config::record_id_as(written.record_id_as.as_deref(), "salesforce_id")?;
        let opt_out_purposes =
            config::opt_out_purposes(written.opt_out_purposes, DEFAULT_OPT_OUT_PURPOSE)?;
        let exported_at = config::exported_at(written.exported_at.as_deref(), offset, date_order)?;
        let consent_source = config::collection_point(
            written.consent_source,
            DEFAULT_CONSENT_SOURCE,
            "consent_source",
        )?;
        Ok(Self {
            source,
            object,
            offset,
            date_order,
            default_country,
            id_kind,
            opt_out_purposes,
            exported_at,
            consent_source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let config = Config::parse("{}").unwrap();
        assert_eq!(config.source, "salesforce-contacts");
        assert_eq!(config.object, ObjectChoice::Auto);
        assert_eq!(config.date_order, SlashOrder::MonthFirst);
        assert_eq!(config.id_kind, "salesforce_id");
        assert_eq!(config.opt_out_purposes, ["email_marketing"]);
    }

    #[test]
    fn every_option() {
        let config = Config::parse(
            r#"{"source": "crm", "object": "lead", "timezone_offset": "-08:00", "date_order": "day_first",
                "default_country": "gb", "record_id_as": "crm_id", "opt_out_purposes": ["newsletter"],
                "exported_at": "1/6/2024", "consent_source": "sf"}"#,
        )
        .unwrap();
        assert_eq!(config.object, ObjectChoice::Lead);
        assert_eq!(config.date_order, SlashOrder::DayFirst);
        assert_eq!(config.default_country.as_deref(), Some("GB"));
        assert_eq!(config.exported_at.as_deref(), Some("2024-06-01T08:00:00Z"));
    }

    #[test]
    fn bad_options_are_refused() {
        for bad in [
            r#"{"object": "account"}"#,
            r#"{"date_order": "year_first"}"#,
            r#"{"timezone_offset": "PST8PDT"}"#,
            r#"{"record_id_as": "email"}"#,
            r#"{"consent_source": ""}"#,
            r#"{"extra": true}"#,
        ] {
            assert!(Config::parse(bad).is_err(), "{bad}");
        }
    }
}
