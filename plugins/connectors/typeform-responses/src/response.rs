//! One Typeform response to one canonical record: the field mapping of the README, in code.
//!
//! Answers are keyed on `field.ref`, which the form's author sets and which survives edits to the form, rather
//! than on `field.id`.

use cohort_plugin_kit::countries;
use cohort_plugin_kit::dates::{self, SlashOrder};
use cohort_plugin_kit::json_value::{at, text};
use cohort_plugin_kit::record::{Consent, Event, MAX_EVENT_ID_CHARS, Problems, RecordBuilder};
use cohort_plugin_kit::text::snake_case;
use serde_json::{Map, Value};
use time::UtcOffset;

use crate::config::Config;

/// The NPS scale: 0 ("not at all likely") to 10 ("extremely likely").
const NPS_MAX: f64 = 10.0;

/// Field types that may carry the NPS question: Typeform's own `nps`, and scales whose ref says NPS.
const SCALE_TYPES: &[&str] = &["opinion_scale", "rating"];

/// What a response without an identifier is told.
const NO_IDENTIFIER: &str =
    "has no email answer and no hidden customer or user id: the respondent cannot be identified";

/// One answer: its ref, its field type, its answer type and where it sits.
struct Answer<'a> {
    field_ref: &'a str,
    field_type: &'a str,
    answer_type: &'a str,
    value: &'a Value,
}

impl<'a> Answer<'a> {
    /// The answer's value under its type's key (`"number": 9`, `"email": "…"`).
    fn typed(&self) -> Option<&'a Value> {
        self.value.get(self.answer_type)
    }

    /// The answer as a field name for diagnostics.
    fn name(&self) -> String {
        format!("answers.{}", self.field_ref)
    }

    /// The answer as text: text-like types as written, a choice's label (or "other" text), several choices'
    /// labels joined with "; ", a number as digits. `None` for files, payments and empty answers.
    fn as_text(&self) -> Option<String> {
        match self.answer_type {
            "choice" => {
                let choice = self.typed()?;
                choice
                    .get("label")
                    .or_else(|| choice.get("other"))
                    .and_then(text)
            }
            "choices" => {
                let choices = self.typed()?;
                let mut labels: Vec<String> = choices
                    .get("labels")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(text)
                    .collect();
                labels.extend(choices.get("other").and_then(text));
                (!labels.is_empty()).then(|| labels.join("; "))
            }
            "text" | "email" | "url" | "phone_number" | "date" | "number" => {
                self.typed().and_then(text)
            }
            _ => None,
        }
    }
}

/// Converts one response: its record, or `None` with the reasons in `problems`.
pub(crate) fn convert(
    config: &Config,
    response: &Value,
    problems: &mut Problems,
) -> Option<RecordBuilder> {
    if !response.is_object() {
        problems.add(None, "is not a JSON object (one Typeform response)");
        return None;
    }
    let answers: Vec<Answer<'_>> = response
        .get("answers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|value| {
            Some(Answer {
                field_ref: at(value, &["field", "ref"])?.as_str()?,
                field_type: at(value, &["field", "type"])
                    .and_then(Value::as_str)
                    .unwrap_or(""),
                answer_type: value.get("type")?.as_str()?,
                value,
            })
        })
        .collect();
    let mut record = RecordBuilder::new(&config.source);

    if let Some(answer) = answers.iter().find(|a| a.answer_type == "email") {
        if let Some(email) = answer.as_text() {
            record.email(&email, &answer.name(), problems);
        }
    } else if let Some(email) = at(response, &["hidden", "email"]).and_then(text) {
        record.email(&email, "hidden.email", problems);
    }
    if let Some(answer) = answers.iter().find(|a| a.answer_type == "phone_number")
        && let Some(phone) = answer.as_text()
    {
        record.identifier("phone", &phone, &answer.name(), problems);
    }
    for (field, kind) in [
        (&config.customer_id_field, "crm_id"),
        (&config.user_id_field, "user_id"),
    ] {
        if let Some(id) = at(response, &["hidden", field]).and_then(text) {
            record.identifier(kind, &id, &format!("hidden.{field}"), problems);
        }
    }

    let nps = nps_answer(config, &answers).and_then(|answer| {
        match answer.typed().and_then(Value::as_f64) {
            Some(score) if (0.0..=NPS_MAX).contains(&score) && score.fract() == 0.0 => Some(score),
            _ => {
                problems.add(
                    Some(&answer.name()),
                    format!("is the NPS question but its answer is not a whole number from 0 to {NPS_MAX}"),
                );
                None
            }
        }
    });
    if let Some(score) = nps.and_then(cohort_plugin_kit::record::number) {
        record.attribute("nps_score", score);
    }

    for (field_ref, attribute) in &config.answers {
        if let Some(answer) = answers.iter().find(|a| a.field_ref == field_ref) {
            mapped_answer(answer, attribute, &mut record, problems);
        }
    }

    let submitted = match response.get("submitted_at") {
        None | Some(Value::Null) => None,
        Some(value) => {
            let at = value
                .as_str()
                .and_then(|t| dates::parse(t, UtcOffset::UTC, SlashOrder::MonthFirst).ok())
                .and_then(|stamp| dates::rfc3339_utc(stamp.instant(UtcOffset::UTC)));
            if at.is_none() {
                problems.add(Some("submitted_at"), "is not an ISO 8601 date-time");
            }
            at
        }
    };
    // A response is an event only once submitted: a partial one has no submission time to place it at.
    if let Some(at) = &submitted {
        let id = ["response_id", "token", "landing_id"]
            .iter()
            .find_map(|key| response.get(key).and_then(text).map(|id| (*key, id)));
        let id = match id {
            Some((key, id)) if id.chars().count() > MAX_EVENT_ID_CHARS => {
                problems.add(
                    Some(key),
                    format!("is longer than {MAX_EVENT_ID_CHARS} characters"),
                );
                None
            }
            other => other.map(|(_, id)| id),
        };
        let mut properties = Map::new();
        properties.insert("survey".into(), Value::String(config.survey.clone()));
        if let Some(score) = nps.and_then(cohort_plugin_kit::record::number) {
            properties.insert("nps".into(), score);
        }
        record.event(Event {
            kind: "survey_answered",
            at: at.clone(),
            id,
            properties,
        });
    }

    if let Some(opt_in) = &config.opt_in
        && let Some(answer) = answers.iter().find(|a| a.field_ref == opt_in.field_ref)
    {
        match (answer.typed().and_then(Value::as_bool), &submitted) {
            (Some(yes), Some(at)) => record.consent(Consent {
                purpose: opt_in.purpose.clone(),
                // A "no" to an opt-in question is a refusal: the person was asked and declined.
                state: if yes { "granted" } else { "refused" },
                at: at.clone(),
                source: opt_in.source.clone(),
                notice: opt_in.notice.clone(),
                method: Some("form_answer".into()),
            }),
            (None, _) => problems.add(Some(&answer.name()), "is the opt-in question but its answer is not yes/no"),
            (Some(_), None) => problems.add(
                Some(&answer.name()),
                "answers the opt-in question, but the response has no submitted_at to date the consent",
            ),
        }
    }

    if record.has_identifier() {
        Some(record)
    } else {
        problems.add(None, NO_IDENTIFIER);
        None
    }
}

/// The NPS answer: the configured ref, else the first answer to an `nps` field, else the first answer to an
/// opinion scale or rating whose ref mentions "nps" or "recommend".
fn nps_answer<'a, 'b>(config: &Config, answers: &'b [Answer<'a>]) -> Option<&'b Answer<'a>> {
    if let Some(wanted) = &config.nps_ref {
        return answers.iter().find(|a| a.field_ref == wanted);
    }
    answers.iter().find(|a| a.field_type == "nps").or_else(|| {
        answers.iter().find(|a| {
            let field_ref = a.field_ref.to_lowercase();
            SCALE_TYPES.contains(&a.field_type)
                && (field_ref.contains("nps") || field_ref.contains("recommend"))
        })
    })
}

/// Sets `attribute` from a configured answer.
fn mapped_answer(
    answer: &Answer<'_>,
    attribute: &str,
    record: &mut RecordBuilder,
    problems: &mut Problems,
) {
    let Some(value) = answer.as_text() else {
        return;
    };
    match attribute {
        "birth_date" => match dates::parse(&value, UtcOffset::UTC, SlashOrder::MonthFirst) {
            Ok(stamp) => record.attribute(
                attribute,
                Value::String(dates::date_text(stamp.written_date())),
            ),
            Err(e) => problems.add(Some(&answer.name()), e.message()),
        },
        "country" => {
            if let Some(code) = countries::attribute(&value) {
                record.attribute(attribute, Value::String(code));
            }
        }
        // Category-like answers in snake_case, as the other connectors write them; several choices stay
        // separate, joined with `;`.
        "interest" | "preferred_channel" => {
            let labels: Vec<String> = value.split("; ").map(snake_case).collect();
            record.text(attribute, &labels.join(";"), &answer.name(), problems);
        }
        _ => record.text(attribute, &value, &answer.name(), problems),
    }
}
