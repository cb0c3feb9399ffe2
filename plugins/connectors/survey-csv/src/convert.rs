//! One data row of a survey export to one canonical record: the respondent's identifiers, the `nps_score`
//! attribute and a `survey_answered` event.

use cohort_plugin_kit::dates;
use cohort_plugin_kit::record::{Event, MAX_EVENT_ID_CHARS, Problems, RecordBuilder};
use cohort_plugin_kit::text::non_empty;
use cohort_plugin_sdk::Batch;
use serde_json::{Map, Value};
use time::UtcOffset;

use crate::columns::Columns;
use crate::config::Config;

/// The NPS scale: 0 ("not at all likely") to 10 ("extremely likely").
const NPS_MAX: u8 = 10;

/// What a row without an identifier is told.
const NO_IDENTIFIER: &str =
    "has no email, customer id or user id: the respondent cannot be identified";

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
    let cell = |column: Option<usize>| {
        let column = column?;
        Some((columns.name(column), non_empty(fields.get(column)?)?))
    };
    let mut problems = Problems::default();
    let mut record = RecordBuilder::new(&config.source);

    if let Some((name, email)) = cell(columns.email) {
        record.email(email, name, &mut problems);
    }
    for (column, kind) in [(columns.crm_id, "crm_id"), (columns.user_id, "user_id")] {
        if let Some((name, id)) = cell(column) {
            record.identifier(kind, id, name, &mut problems);
        }
    }

    let nps = cell(Some(columns.nps)).and_then(|(name, text)| match parse_nps(text) {
        Some(score) => Some(score),
        None => {
            problems.add(
                Some(name),
                format!("is not a whole number from 0 to {NPS_MAX}"),
            );
            None
        }
    });
    if let Some(score) = nps {
        record.attribute("nps_score", Value::from(score));
    }

    // The answer is an event only when the export says when it was given: a survey answer has no other time.
    let offset = if columns.submitted_utc {
        UtcOffset::UTC
    } else {
        config.offset
    };
    let at = cell(columns.submitted).and_then(|(name, text)| {
        match dates::parse(text, offset, config.date_order)
            .ok()
            .and_then(|stamp| dates::rfc3339_utc(stamp.instant(offset)))
        {
            Some(at) => Some(at),
            None => {
                problems.add(
                    Some(name),
                    "is not a date or date-time (expected e.g. 2024-05-02 10:01:40 or 2024-05-02T10:01:40Z)",
                );
                None
            }
        }
    });
    let id = cell(columns.response_id).and_then(|(name, id)| {
        if id.chars().count() > MAX_EVENT_ID_CHARS {
            problems.add(
                Some(name),
                format!("is longer than {MAX_EVENT_ID_CHARS} characters"),
            );
            None
        } else {
            Some(id.to_owned())
        }
    });
    if let Some(at) = at {
        let mut properties = Map::new();
        properties.insert("survey".into(), Value::String(config.survey.clone()));
        if let Some(score) = nps {
            properties.insert("nps".into(), Value::from(score));
        }
        record.event(Event {
            kind: "survey_answered",
            at,
            id,
            properties,
        });
    }

    record.finish_row(row, problems, NO_IDENTIFIER, out);
}

/// An NPS answer: a whole number from 0 to 10, written as digits (`9`, ` 10 `; not `9.5`, `-1` or `ten`).
fn parse_nps(text: &str) -> Option<u8> {
    let text = text.trim();
    if text.is_empty() || text.len() > 2 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u8>().ok().filter(|score| *score <= NPS_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nps_answers() {
        assert_eq!(parse_nps("0"), Some(0));
        assert_eq!(parse_nps(" 10 "), Some(10));
        assert_eq!(parse_nps("07"), Some(7));
        for bad in ["11", "-1", "9.5", "ten", "100", "+9"] {
            assert_eq!(parse_nps(bad), None, "{bad}");
        }
    }
}
