//! The connector's configuration: the JSON object the host validated against `manifest.toml`'s schema, read again
//! here (unknown keys refused) and turned into checked values with their defaults.

use cohort_plugin_kit::config;
use cohort_plugin_kit::dates::SlashOrder;
use serde::Deserialize;
use time::UtcOffset;

/// Source name written on every record when none is configured.
const DEFAULT_SOURCE: &str = "hubspot-contacts";

/// Collection point written on consent events when none is configured.
const DEFAULT_CONSENT_SOURCE: &str = "hubspot";

/// Purpose withdrawn for a contact unsubscribed from all email, when none is configured.
const DEFAULT_OPT_OUT_PURPOSE: &str = "email_marketing";

/// The configuration as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Written {
    source: Option<String>,
    timezone_offset: Option<String>,
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
    /// Offset of date-times written without one (the portal's time zone).
    pub(crate) offset: UtcOffset,
    /// Country (alpha-2) of phone numbers on rows without a country.
    pub(crate) default_country: Option<String>,
    /// Identifier kind of "Record ID": `hubspot_id` or `crm_id`.
    pub(crate) id_kind: &'static str,
    /// Purposes withdrawn for "Unsubscribed from all email".
    pub(crate) opt_out_purposes: Vec<String>,
    /// When the export was taken, RFC 3339 UTC: the time of withdrawals the file does not date.
    pub(crate) exported_at: Option<String>,
    /// Collection point of consent events.
    pub(crate) consent_source: String,
}

impl Config {
    /// Reads the configuration text.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let written: Written = config::written(text, serde_json::from_str)?;
        let source = config::source(written.source, DEFAULT_SOURCE)?;
        let offset = config::timezone_offset(written.timezone_offset.as_deref())?;
        let default_country = config::default_country(written.default_country, "DE")?;
        let id_kind = config::record_id_as(written.record_id_as.as_deref(), "hubspot_id")?;
        let opt_out_purposes =
            config::opt_out_purposes(written.opt_out_purposes, DEFAULT_OPT_OUT_PURPOSE)?;
        let exported_at = config::exported_at(
            written.exported_at.as_deref(),
            offset,
            SlashOrder::MonthFirst,
        )?;
        let consent_source = config::collection_point(
            written.consent_source,
            DEFAULT_CONSENT_SOURCE,
            "consent_source",
        )?;
        Ok(Self {
            source,
            offset,
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
        assert_eq!(config.source, "hubspot-contacts");
        assert_eq!(config.offset, UtcOffset::UTC);
        assert_eq!(config.id_kind, "hubspot_id");
        assert_eq!(config.opt_out_purposes, ["email_marketing"]);
        assert_eq!(config.exported_at, None);
    }

    #[test]
    fn every_option() {
        let config = Config::parse(
            r#"{"source": "crm", "timezone_offset": "+02:00", "default_country": "de", "record_id_as": "crm_id",
                "opt_out_purposes": [], "exported_at": "2024-06-01 10:00", "consent_source": "hubspot_portal"}"#,
        )
        .unwrap();
        assert_eq!(config.default_country.as_deref(), Some("DE"));
        assert_eq!(config.id_kind, "crm_id");
        assert!(config.opt_out_purposes.is_empty());
        assert_eq!(config.exported_at.as_deref(), Some("2024-06-01T08:00:00Z"));
    }

    #[test]
    fn bad_options_are_refused() {
        for bad in [
            r#"{"source": "HubSpot"}"#,
            r#"{"timezone_offset": "Europe/Berlin"}"#,
            r#"{"default_country": "Germany"}"#,
            r#"{"record_id_as": "email"}"#,
            r#"{"opt_out_purposes": ["Email Marketing"]}"#,
            r#"{"exported_at": "last week"}"#,
            r#"{"colour": "blue"}"#,
            "[]",
        ] {
            assert!(Config::parse(bad).is_err(), "{bad}");
        }
    }
}
