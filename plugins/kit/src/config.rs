//! Reading the connectors' configuration options that several connectors share, so that each option is checked
//! and refused the same way everywhere.
//!
//! Each function takes one option as the connector's `serde` struct read it (absent is `None`) and returns the
//! checked value, or the message the host shows when the option is refused. Where connectors word a refusal
//! differently (their own default, their own example), that wording is a parameter.

use std::fmt::Display;

use time::UtcOffset;

use crate::dates::{self, SlashOrder};
use crate::record::{MAX_TEXT_CHARS, valid_name, valid_source};

/// Most characters of a collection point (`consent_source` and the like), as the manifests' schemas allow.
pub const MAX_COLLECTION_POINT_CHARS: usize = 64;

/// Reads the configuration text with `parse` (the connector's `serde_json::from_str`); empty text is the default.
#[inline]
pub fn written<'a, T: Default, E: Display>(
    text: &'a str,
    parse: impl FnOnce(&'a str) -> Result<T, E>,
) -> Result<T, String> {
    if text.trim().is_empty() {
        Ok(T::default())
    } else {
        parse(text).map_err(|e| format!("configuration: {e}"))
    }
}

/// `source`: the source name of every record, `default` when none is configured.
pub fn source(written: Option<String>, default: &str) -> Result<String, String> {
    let source = written.unwrap_or_else(|| default.into());
    if !valid_source(&source) {
        return Err("configuration: `source` must match ^[a-z][a-z0-9_.-]{0,63}$".into());
    }
    Ok(source)
}

/// `timezone_offset`: the offset of date-times written without one, UTC when none is configured.
pub fn timezone_offset(written: Option<&str>) -> Result<UtcOffset, String> {
    match written {
        None => Ok(UtcOffset::UTC),
        Some(text) => dates::parse_offset(text).ok_or_else(|| {
            "configuration: `timezone_offset` must be an offset such as +01:00, -0800 or Z".into()
        }),
    }
}

/// `date_order`: how dates written with slashes are ordered, month first when none is configured.
pub fn date_order(written: Option<&str>) -> Result<SlashOrder, String> {
    match written {
        None | Some("month_first") => Ok(SlashOrder::MonthFirst),
        Some("day_first") => Ok(SlashOrder::DayFirst),
        Some(_) => Err("configuration: `date_order` must be month_first or day_first".into()),
    }
}

/// `default_country`: an ISO 3166-1 alpha-2 code, upper-cased; `example` is the code the refusal names.
pub fn default_country(written: Option<String>, example: &str) -> Result<Option<String>, String> {
    match written {
        None => Ok(None),
        Some(code) if code.len() == 2 && code.chars().all(|c| c.is_ascii_alphabetic()) => {
            Ok(Some(code.to_ascii_uppercase()))
        }
        Some(_) => Err(format!(
            "configuration: `default_country` must be an ISO 3166-1 alpha-2 code such as {example}"
        )),
    }
}

/// `record_id_as`: the identifier kind of the export's record id, `own` (the system's id kind) or `crm_id`;
/// `own` when none is configured.
pub fn record_id_as(written: Option<&str>, own: &'static str) -> Result<&'static str, String> {
    match written {
        None => Ok(own),
        Some(kind) if kind == own => Ok(own),
        Some("crm_id") => Ok("crm_id"),
        Some(_) => Err(format!(
            "configuration: `record_id_as` must be {own} or crm_id"
        )),
    }
}

/// `opt_out_purposes`: the purposes withdrawn for an opt-out, `[default]` when none are configured.
pub fn opt_out_purposes(
    written: Option<Vec<String>>,
    default: &str,
) -> Result<Vec<String>, String> {
    let purposes = written.unwrap_or_else(|| vec![default.into()]);
    if let Some(bad) = purposes.iter().find(|p| !valid_name(p)) {
        return Err(format!(
            "configuration: opt-out purpose `{bad}` must match ^[a-z][a-z0-9_]{{0,63}}$"
        ));
    }
    Ok(purposes)
}

/// `exported_at`: when the export was taken, as RFC 3339 UTC; dates are read with `offset` and `order`.
pub fn exported_at(
    written: Option<&str>,
    offset: UtcOffset,
    order: SlashOrder,
) -> Result<Option<String>, String> {
    match written {
        None => Ok(None),
        Some(text) => dates::parse(text, offset, order)
            .ok()
            .and_then(|stamp| dates::rfc3339_utc(stamp.instant(offset)))
            .map(Some)
            .ok_or_else(|| {
                "configuration: `exported_at` must be a date or date-time such as 2024-06-01T08:00:00Z"
                    .into()
            }),
    }
}

/// A collection point of consent events such as `consent_source`, `default` when none is configured; `key` is
/// the option's name as the refusal writes it.
pub fn collection_point(
    written: Option<String>,
    default: &str,
    key: &str,
) -> Result<String, String> {
    let point = written.unwrap_or_else(|| default.into());
    if point.is_empty() || point.chars().count() > MAX_COLLECTION_POINT_CHARS {
        return Err(format!(
            "configuration: `{key}` must have 1 to {MAX_COLLECTION_POINT_CHARS} characters"
        ));
    }
    Ok(point)
}

/// `survey`: the `survey` property of `survey_answered` events, `default` when none is configured.
pub fn survey(written: Option<String>, default: &str) -> Result<String, String> {
    let survey = written.unwrap_or_else(|| default.into());
    if survey.trim().is_empty() || survey.chars().count() > MAX_TEXT_CHARS {
        return Err(format!(
            "configuration: `survey` must have 1 to {MAX_TEXT_CHARS} characters"
        ));
    }
    Ok(survey)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_an_option_is_absent() {
        assert_eq!(source(None, "ga4-events").unwrap(), "ga4-events");
        assert_eq!(timezone_offset(None).unwrap(), UtcOffset::UTC);
        assert_eq!(date_order(None).unwrap(), SlashOrder::MonthFirst);
        assert_eq!(default_country(None, "DE").unwrap(), None);
        assert_eq!(record_id_as(None, "hubspot_id").unwrap(), "hubspot_id");
        assert_eq!(
            opt_out_purposes(None, "email_marketing").unwrap(),
            ["email_marketing"]
        );
        assert_eq!(
            exported_at(None, UtcOffset::UTC, SlashOrder::MonthFirst).unwrap(),
            None
        );
        assert_eq!(
            collection_point(None, "hubspot", "consent_source").unwrap(),
            "hubspot"
        );
        assert_eq!(survey(None, "nps").unwrap(), "nps");
        let empty: Result<Vec<u8>, String> = written("  ", |_| Err("never called"));
        assert_eq!(empty.unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn written_options_are_checked() {
        assert_eq!(
            timezone_offset(Some("+02:00")).unwrap().whole_minutes(),
            120
        );
        assert_eq!(date_order(Some("day_first")).unwrap(), SlashOrder::DayFirst);
        assert_eq!(
            default_country(Some("gb".into()), "US").unwrap().as_deref(),
            Some("GB")
        );
        assert_eq!(
            record_id_as(Some("crm_id"), "salesforce_id").unwrap(),
            "crm_id"
        );
        assert_eq!(
            record_id_as(Some("salesforce_id"), "salesforce_id").unwrap(),
            "salesforce_id"
        );
        let offset = UtcOffset::from_hms(2, 0, 0).unwrap();
        assert_eq!(
            exported_at(Some("2024-06-01 10:00"), offset, SlashOrder::MonthFirst)
                .unwrap()
                .as_deref(),
            Some("2024-06-01T08:00:00Z")
        );
    }

    #[test]
    fn refusals_keep_each_connectors_wording() {
        assert_eq!(
            source(Some("GA4".into()), "x").unwrap_err(),
            "configuration: `source` must match ^[a-z][a-z0-9_.-]{0,63}$"
        );
        assert_eq!(
            default_country(Some("Germany".into()), "DE").unwrap_err(),
            "configuration: `default_country` must be an ISO 3166-1 alpha-2 code such as DE"
        );
        assert_eq!(
            record_id_as(Some("email"), "hubspot_id").unwrap_err(),
            "configuration: `record_id_as` must be hubspot_id or crm_id"
        );
        assert_eq!(
            opt_out_purposes(Some(vec!["Email".into()]), "x").unwrap_err(),
            "configuration: opt-out purpose `Email` must match ^[a-z][a-z0-9_]{0,63}$"
        );
        assert_eq!(
            collection_point(Some(String::new()), "x", "opt_in.source").unwrap_err(),
            "configuration: `opt_in.source` must have 1 to 64 characters"
        );
        assert_eq!(
            survey(Some(" ".into()), "x").unwrap_err(),
            "configuration: `survey` must have 1 to 1024 characters"
        );
        assert!(timezone_offset(Some("Europe/Berlin")).is_err());
        assert!(date_order(Some("ymd")).is_err());
        assert!(exported_at(Some("last week"), UtcOffset::UTC, SlashOrder::MonthFirst).is_err());
        let bad: Result<u8, String> = written("{", |_| Err("EOF while parsing"));
        assert_eq!(bad.unwrap_err(), "configuration: EOF while parsing");
    }
}
