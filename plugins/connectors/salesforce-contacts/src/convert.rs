//! One data row of a Salesforce Contact or Lead extract to one canonical record: the field mapping of the README,
//! in code.

use cohort_plugin_kit::dates;
use cohort_plugin_kit::record::{Consent, Problems, RecordBuilder};
use cohort_plugin_kit::text::{non_empty, parse_bool, snake_case};
use cohort_plugin_kit::{countries, phones};
use cohort_plugin_sdk::Batch;
use serde_json::Value;

use crate::columns::{Columns, Field, Object};
use crate::config::Config;
use crate::ids;

/// What a row without an identifier is told.
const NO_IDENTIFIER: &str =
    "has no Id, Email, Phone or MobilePhone: the person cannot be identified";

/// What a yes/no cell that is neither is told.
const NOT_BOOLEAN: &str = "is not a yes/no value (true, false, yes, no, y, n, on, off, 1, 0)";

/// One row's cells, looked up by field.
struct Cells<'a> {
    columns: &'a Columns,
    fields: &'a [String],
}

impl<'a> Cells<'a> {
    /// The column name and the trimmed, non-empty value of `field`.
    fn get(&self, field: Field) -> Option<(&'a str, &'a str)> {
        let column = self.columns.column(field)?;
        let value = non_empty(self.fields.get(column)?)?;
        Some((self.columns.name(column), value))
    }

    /// A yes/no field: `None` when empty, a problem when it is neither.
    fn flag(&self, field: Field, problems: &mut Problems) -> Option<bool> {
        let (name, text) = self.get(field)?;
        let flag = parse_bool(text);
        if flag.is_none() {
            problems.add(Some(name), NOT_BOOLEAN);
        }
        flag
    }
}

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
    let cells = Cells { columns, fields };
    let mut problems = Problems::default();

    // A deleted record (from the recycle bin, in an extract that includes deleted rows) is not a person to add.
    if cells.flag(Field::IsDeleted, &mut problems) == Some(true) {
        if let Some((name, _)) = cells.get(Field::IsDeleted) {
            out.diagnostic(row, Some(name), "is true: a deleted record, skipped");
        }
        return;
    }

    let mut record = RecordBuilder::new(&config.source);
    identifiers(config, &cells, &mut record, &mut problems);

    let country = cells
        .get(Field::Country)
        .and_then(|(_, written)| countries::attribute(written));
    let region = country
        .as_deref()
        .and_then(countries::alpha2)
        .or(config.default_country.as_deref());
    if let Some((name, number)) = cells.get(Field::Phone).or_else(|| cells.get(Field::Mobile)) {
        record.identifier(
            "phone",
            &phones::international(number, region),
            name,
            &mut problems,
        );
    }
    if let Some(country) = country {
        record.attribute("country", Value::String(country));
    }
    for (field, attribute) in [
        (Field::FirstName, "first_name"),
        (Field::LastName, "last_name"),
        (Field::City, "city"),
        (Field::State, "state"),
        (Field::PostalCode, "postcode"),
        (Field::Company, "company"),
        (Field::Industry, "industry"),
    ] {
        if let Some((name, value)) = cells.get(field) {
            record.text(attribute, value, name, &mut problems);
        }
    }
    for (field, attribute) in [
        (Field::LeadSource, "lead_source"),
        (Field::Status, "lead_status"),
    ] {
        if let Some((name, value)) = cells.get(field) {
            record.text(attribute, &snake_case(value), name, &mut problems);
        }
    }
    let converted = cells.flag(Field::IsConverted, &mut problems) == Some(true);
    if columns.object == Object::Lead && !converted {
        // A Lead that has not been converted is, in lifecycle terms, a lead; a converted one is now a Contact
        // whose stage the Lead row does not know.
        record.attribute("lifecycle_stage", Value::from("lead"));
    }
    if let Some(flag) = cells.flag(Field::DoNotCall, &mut problems) {
        record.attribute("do_not_call", Value::Bool(flag));
    }

    if let Some((name, text)) = cells.get(Field::Birthdate) {
        match dates::parse(text, config.offset, config.date_order) {
            Ok(stamp) => record.attribute(
                "birth_date",
                Value::String(dates::date_text(stamp.written_date())),
            ),
            Err(e) => problems.add(Some(name), e.message()),
        }
    }
    if let Some((name, text)) = cells.get(Field::CreatedDate) {
        match dates::parse(text, config.offset, config.date_order) {
            Ok(stamp) => record.attribute(
                "signup_date",
                Value::String(dates::date_text(stamp.utc_date())),
            ),
            Err(e) => problems.add(Some(name), e.message()),
        }
    }

    if cells.flag(Field::OptedOut, &mut problems) == Some(true) {
        withdraw(config, &cells, &mut record, &mut problems);
    }

    record.finish_row(row, problems, NO_IDENTIFIER, out);
}

/// The record's Salesforce ids, in 18-character form. A converted Lead is the Contact it became: its
/// `ConvertedContactId` is its id kind (so it joins the Contact), and its own id is kept as `salesforce_lead_id`.
fn identifiers(
    config: &Config,
    cells: &Cells<'_>,
    record: &mut RecordBuilder,
    problems: &mut Problems,
) {
    let mut read_id = |field: Field| {
        let (name, text) = cells.get(field)?;
        match ids::to_18(text) {
            Ok(id) => Some((name, id)),
            Err(e) => {
                problems.add(Some(name), e.message());
                None
            }
        }
    };
    let own = read_id(Field::Id);
    let contact = if cells.columns.object == Object::Lead {
        read_id(Field::ConvertedContactId)
    } else {
        None
    };
    match (own, contact) {
        (Some((lead_name, lead_id)), Some((contact_name, contact_id))) => {
            record.identifier(config.id_kind, &contact_id, contact_name, problems);
            record.identifier("salesforce_lead_id", &lead_id, lead_name, problems);
        }
        (Some((name, id)), None) | (None, Some((name, id))) => {
            record.identifier(config.id_kind, &id, name, problems);
        }
        (None, None) => {}
    }
    if let Some((name, email)) = cells.get(Field::Email) {
        record.email(email, name, problems);
    }
}

/// Records `HasOptedOutOfEmail` as a withdrawal of each configured purpose. The extract does not say when the
/// person opted out, so the withdrawal is dated when it is known to hold: the configured export time, else the
/// row's `LastModifiedDate` (at or after the opt-out). Never earlier: a later-dated grant from another source
/// must not outrank an opt-out it may predate. Without either date the row is reported, not silently kept.
fn withdraw(
    config: &Config,
    cells: &Cells<'_>,
    record: &mut RecordBuilder,
    problems: &mut Problems,
) {
    if config.opt_out_purposes.is_empty() {
        return;
    }
    let at = match (&config.exported_at, cells.get(Field::LastModified)) {
        (Some(at), _) => at.clone(),
        (None, Some((name, text))) => {
            let at = dates::parse(text, config.offset, config.date_order)
                .ok()
                .and_then(|stamp| dates::rfc3339_utc(stamp.instant(config.offset)));
            match at {
                Some(at) => at,
                None => {
                    problems.add(
                        Some(name),
                        "is not a date-time, and the email opt-out needs it as its date (or set `exported_at`)",
                    );
                    return;
                }
            }
        }
        (None, None) => {
            let name = cells
                .get(Field::OptedOut)
                .map_or("HasOptedOutOfEmail", |(name, _)| name);
            problems.add(
                Some(name),
                "is true but the row has no LastModifiedDate to date the withdrawal: add that column to the \
                 extract or set `exported_at` in the connector configuration",
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
