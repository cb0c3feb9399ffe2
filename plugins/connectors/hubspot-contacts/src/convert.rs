//! One data row of a HubSpot export to one canonical record: the field mapping of the README, in code.

use cohort_plugin_kit::dates::{self, SlashOrder, Stamp};
use cohort_plugin_kit::record::{Consent, Problems, RecordBuilder};
use cohort_plugin_kit::text::{compact, non_empty, parse_bool, snake_case};
use cohort_plugin_kit::{countries, phones};
use cohort_plugin_sdk::Batch;
use serde_json::Value;

use crate::columns::{Columns, Property};
use crate::config::Config;

/// HubSpot's built-in lifecycle stages by internal value (DOMAIN.md §2). A label compacts to its internal value
/// ("Marketing Qualified Lead" → `marketingqualifiedlead`), so both spellings are recognised.
const LIFECYCLE_STAGES: &[&str] = &[
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
];

/// What a row without an identifier is told.
const NO_IDENTIFIER: &str = "has no Record ID, Email, Phone Number or Mobile Phone Number: the contact cannot be identified";

/// Converts data row `row` and adds its record or diagnostics to `out`.
pub(crate) fn convert_row(
    config: &Config,
    columns: &Columns,
    row: u64,
    fields: &[String],
    out: &mut Batch,
) {
    if fields.len() != columns.count {
        out.diagnostic(
            row,
            None,
            format!(
                "has {} fields but the header has {}: a missing or extra separator?",
                fields.len(),
                columns.count
            ),
        );
        return;
    }
    let cell = |property: Property| {
        columns
            .column(property)
            .and_then(|column| {
                fields
                    .get(column)
                    .map(|value| (columns.label(column), value.as_str()))
            })
            .and_then(|(label, value)| non_empty(value).map(|value| (label, value)))
    };
    let mut problems = Problems::default();
    let mut record = RecordBuilder::new(&config.source);

    if let Some((label, id)) = cell(Property::RecordId) {
        if id.chars().all(|c| c.is_ascii_digit()) {
            record.identifier(config.id_kind, id, label, &mut problems);
        } else {
            problems.add(Some(label), "is not a HubSpot record id (digits only)");
        }
    }
    if let Some((label, email)) = cell(Property::Email) {
        record.email(email, label, &mut problems);
    }
    let country = cell(Property::Country).and_then(|(_, written)| countries::attribute(written));
    let region = country
        .as_deref()
        .and_then(countries::alpha2)
        .or(config.default_country.as_deref());
    if let Some((label, number)) = cell(Property::Phone).or_else(|| cell(Property::Mobile)) {
        record.identifier(
            "phone",
            &phones::international(number, region),
            label,
            &mut problems,
        );
    }

    if let Some(country) = country {
        record.attribute("country", Value::String(country));
    }
    for (property, name) in [
        (Property::FirstName, "first_name"),
        (Property::LastName, "last_name"),
        (Property::Company, "company"),
        (Property::State, "state"),
        (Property::City, "city"),
        (Property::PostalCode, "postcode"),
        (Property::LegalBasis, "legal_basis"),
    ] {
        if let Some((label, value)) = cell(property) {
            record.text(name, value, label, &mut problems);
        }
    }
    for (property, name) in [
        (Property::LoyaltyTier, "loyalty_tier"),
        (Property::PreferredChannel, "preferred_channel"),
        (Property::Interest, "interest"),
    ] {
        if let Some((label, value)) = cell(property) {
            record.text(name, &snake_case(value), label, &mut problems);
        }
    }
    if let Some((label, stage)) = cell(Property::LifecycleStage) {
        record.text(
            "lifecycle_stage",
            &lifecycle_stage(stage),
            label,
            &mut problems,
        );
    }

    for (property, name) in [
        (Property::CreateDate, "signup_date"),
        (Property::CustomerSince, "customer_since"),
    ] {
        if let Some((label, text)) = cell(property) {
            match dates::parse(text, config.offset, SlashOrder::MonthFirst) {
                Ok(stamp) => {
                    record.attribute(name, Value::String(dates::date_text(stamp.utc_date())))
                }
                Err(e) => problems.add(Some(label), e.message()),
            }
        }
    }
    if let Some((label, text)) = cell(Property::BirthDate) {
        match dates::parse(text, config.offset, SlashOrder::MonthFirst) {
            Ok(stamp) => record.attribute(
                "birth_date",
                Value::String(dates::date_text(stamp.written_date())),
            ),
            Err(e) => problems.add(Some(label), e.message()),
        }
    }

    if let Some((label, text)) = cell(Property::Unsubscribed) {
        match parse_bool(text) {
            Some(true) => withdraw(
                config,
                label,
                cell(Property::LastModified),
                &mut record,
                &mut problems,
            ),
            Some(false) => {}
            None => problems.add(
                Some(label),
                "is not a yes/no value (true, false, yes, no, 1, 0)",
            ),
        }
    }

    record.finish_row(row, problems, NO_IDENTIFIER, out);
}

/// Records "Unsubscribed from all email" as a withdrawal of each configured purpose. The file does not say when the
/// contact unsubscribed, so the withdrawal is dated when it is known to hold: the configured export time, else the
/// row's "Last Modified Date" (at or after the unsubscribe). Never earlier: a later-dated grant from another source
/// must not outrank an opt-out it may predate. Without either date the row is reported, not silently kept.
fn withdraw(
    config: &Config,
    unsubscribed_label: &str,
    last_modified: Option<(&str, &str)>,
    record: &mut RecordBuilder,
    problems: &mut Problems,
) {
    if config.opt_out_purposes.is_empty() {
        return;
    }
    let at = match (&config.exported_at, last_modified) {
        (Some(at), _) => at.clone(),
        (None, Some((label, text))) => {
            match dates::parse(text, config.offset, SlashOrder::MonthFirst)
                .map(|stamp: Stamp| dates::rfc3339_utc(stamp.instant(config.offset)))
            {
                Ok(Some(at)) => at,
                Ok(None) | Err(_) => {
                    problems.add(
                        Some(label),
                        "is not a date-time, and the unsubscribe needs it as its date (or set `exported_at`)",
                    );
                    return;
                }
            }
        }
        (None, None) => {
            problems.add(
                Some(unsubscribed_label),
                "is true but the row has no Last Modified Date to date the withdrawal: add that column to the \
                 export or set `exported_at` in the connector configuration",
            );
            return;
        }
    };
    for purpose in &config.opt_out_purposes {
        record.consent(Consent {
            purpose: purpose.clone(),
            state: "withdrawn",
            at: at.clone(),
            source: config.consent_source.clone(),
            notice: None,
            method: None,
        });
    }
}

/// A lifecycle stage as its internal value: built-in stages by label or internal value, custom stages in
/// snake_case.
fn lifecycle_stage(written: &str) -> String {
    let compacted = compact(written);
    match LIFECYCLE_STAGES.iter().find(|stage| **stage == compacted) {
        Some(stage) => (*stage).to_owned(),
        None => snake_case(written),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_labels_and_internal_values_meet() {
        assert_eq!(
            lifecycle_stage("Marketing Qualified Lead"),
            "marketingqualifiedlead"
        );
        assert_eq!(
            lifecycle_stage("marketingqualifiedlead"),
            "marketingqualifiedlead"
        );
        assert_eq!(lifecycle_stage("Customer"), "customer");
        assert_eq!(lifecycle_stage("Trial User"), "trial_user");
    }
}
