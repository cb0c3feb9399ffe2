//! The connector's configuration: the JSON object the host validated against `manifest.toml`'s schema, read again
//! here (unknown keys refused) and turned into checked values with their defaults.

use std::collections::BTreeMap;

use cohort_plugin_kit::config;
use cohort_plugin_kit::record::valid_name;
use serde::Deserialize;

/// Source name written on every record when none is configured.
const DEFAULT_SOURCE: &str = "typeform-responses";

/// Survey name written on `survey_answered` events when none is configured.
const DEFAULT_SURVEY: &str = "typeform";

/// Collection point written on consent events when none is configured.
const DEFAULT_CONSENT_SOURCE: &str = "typeform";

/// Hidden field holding the shop's customer id, when none is configured.
const DEFAULT_CUSTOMER_ID_FIELD: &str = "customer_id";

/// Hidden field holding the site's account id, when none is configured.
const DEFAULT_USER_ID_FIELD: &str = "user_id";

/// Attributes an answer may be mapped to with `answers` (each listed in the manifest's `[output]`).
pub(crate) const ANSWER_ATTRIBUTES: &[&str] = &[
    "first_name",
    "birth_date",
    "country",
    "city",
    "interest",
    "preferred_channel",
];

/// The opt-in question as written.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
struct WrittenOptIn {
    r#ref: String,
    purpose: String,
    notice: Option<String>,
    source: Option<String>,
}

/// The configuration as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Written {
    source: Option<String>,
    survey: Option<String>,
    nps_ref: Option<String>,
    customer_id_field: Option<String>,
    user_id_field: Option<String>,
    answers: Option<BTreeMap<String, String>>,
    opt_in: Option<WrittenOptIn>,
}

/// A yes/no question whose answer is consent to a purpose.
#[derive(Debug, Clone)]
pub(crate) struct OptIn {
    /// The question's `field.ref`.
    pub(crate) field_ref: String,
    /// The policy purpose a "yes" grants and a "no" refuses.
    pub(crate) purpose: String,
    /// Reference of the privacy notice the form showed.
    pub(crate) notice: Option<String>,
    /// Collection point.
    pub(crate) source: String,
}

/// The checked configuration.
#[derive(Debug)]
pub(crate) struct Config {
    /// `source` of every record.
    pub(crate) source: String,
    /// The `survey` property of every `survey_answered` event.
    pub(crate) survey: String,
    /// The NPS question's `field.ref`, when detection is not wanted.
    pub(crate) nps_ref: Option<String>,
    /// Hidden field mapped to `crm_id`.
    pub(crate) customer_id_field: String,
    /// Hidden field mapped to `user_id`.
    pub(crate) user_id_field: String,
    /// `field.ref` → attribute name.
    pub(crate) answers: BTreeMap<String, String>,
    /// The opt-in question, when the form has one.
    pub(crate) opt_in: Option<OptIn>,
}

impl Config {
    /// Reads the configuration text.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let written: Written = config::written(text, serde_json::from_str)?;
        let source = config::source(written.source, DEFAULT_SOURCE)?;
        let survey = config::survey(written.survey, DEFAULT_SURVEY)?;
        let answers = written.answers.unwrap_or_default();
        if let Some((field_ref, attribute)) = answers
            .iter()
            .find(|(_, attribute)| !ANSWER_ATTRIBUTES.contains(&attribute.as_str()))
        {
            return Err(format!(
                "configuration: answer `{field_ref}` is mapped to `{attribute}`, which is not one of {}",
                ANSWER_ATTRIBUTES.join(", ")
            ));
        }
        let opt_in = match written.opt_in {
            None => None,
            Some(o) => {
                if !valid_name(&o.purpose) {
                    return Err(
                        "configuration: `opt_in.purpose` must match ^[a-z][a-z0-9_]{0,63}$".into(),
                    );
                }
                let source =
                    config::collection_point(o.source, DEFAULT_CONSENT_SOURCE, "opt_in.source")?;
                Some(OptIn {
                    field_ref: o.r#ref,
                    purpose: o.purpose,
                    notice: o.notice,
                    source,
                })
            }
        };
        Ok(Self {
            source,
            survey,
            nps_ref: written.nps_ref,
            customer_id_field: written
                .customer_id_field
                .unwrap_or_else(|| DEFAULT_CUSTOMER_ID_FIELD.into()),
            user_id_field: written
                .user_id_field
                .unwrap_or_else(|| DEFAULT_USER_ID_FIELD.into()),
            answers,
            opt_in,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let config = Config::parse("{}").unwrap();
        assert_eq!(config.source, "typeform-responses");
        assert_eq!(config.survey, "typeform");
        assert_eq!(config.customer_id_field, "customer_id");
        assert!(config.answers.is_empty());
        assert!(config.opt_in.is_none());
    }

    #[test]
    fn an_opt_in_and_answer_mappings() {
        let config = Config::parse(
            r#"{"answers": {"plan": "interest"},
                "opt_in": {"ref": "optin", "purpose": "email_marketing", "notice": "privacy-2024-05"}}"#,
        )
        .unwrap();
        assert_eq!(config.answers["plan"], "interest");
        let opt_in = config.opt_in.unwrap();
        assert_eq!(
            (opt_in.field_ref.as_str(), opt_in.source.as_str()),
            ("optin", "typeform")
        );
    }

    #[test]
    fn bad_options_are_refused() {
        for bad in [
            r#"{"answers": {"why": "health_condition"}}"#,
            r#"{"opt_in": {"ref": "optin", "purpose": "Email Marketing"}}"#,
            r#"{"opt_in": {"ref": "optin"}}"#,
            r#"{"survey": ""}"#,
            r#"{"form_id": "abc"}"#,
        ] {
            assert!(Config::parse(bad).is_err(), "{bad}");
        }
    }
}
