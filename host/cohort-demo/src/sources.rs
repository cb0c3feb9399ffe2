//! The dataset as the shop's source systems would export it, in the formats Cohort's built-in connectors read,
//! so `cohort demo` can ingest it the way a real deployment does: through the connector plugins.
//!
//! | export | system | connector | carries |
//! |---|---|---|---|
//! | `hubspot-crm-exports-all-contacts-<today>.csv` | CRM | `hubspot-contacts` | every customer: Record ID (the CRM number as `crm_id`), email, phone, profile attributes, "Unsubscribed from all email" for withdrawn newsletter consent |
//! | `newsletter-signup-responses.jsonl` | sign-up form | `typeform-responses` | the newsletter opt-in question: yes grants `email_marketing`, no refuses it; the form passes the CRM number as a hidden field |
//! | `segment-events-<today>.jsonl` | web analytics | `segment-events` | identify calls, page views, orders, newsletter opens, app crashes, and the site's consent manager (`personalisation`) |
//! | `nps-survey-export.csv` | NPS survey | `survey-csv` | one row per answer, keyed by the email typed |
//!
//! Every fact comes from [`Dataset`]: the canonical records and the [`Person`]s behind them. Where a format or a
//! connector cannot say something the canonical records say, the export says it another way or not at all:
//!
//! - The CRM's record of the site account (`user_id`) has no column in a HubSpot export. The site's identify call
//!   carries the account's email instead for exactly the people whose CRM record knows their account, so identity
//!   resolution links the same records as with the canonical file and ends in the same number of profiles
//!   ([`SourceExports::expected_profiles`] counts them from what the exports carry).
//! - Consent comes from where it is collected: newsletter grants and refusals from the sign-up form, withdrawals
//!   from the CRM's unsubscribe flag (dated at export time, as the connector documents), personalisation choices
//!   from the site's consent manager (a later "no" is recorded as a refusal: Segment cannot tell it from a
//!   withdrawal). People the analytics export never saw answered the consent banner on a browser whose cookie id
//!   appears only in that consent message, linked by the email the banner's account form knows.
//! - What the connectors do not read stays in the files but out of the store: the CRM's `Favourite Colour`
//!   column, the device type in the analytics context, app crash events (an unmapped Segment event), survey
//!   comments. The special-category attribute of the canonical records is not exported at all.
//!
//! Like the rest of the crate, the output is a pure function of the dataset and the spec: no clock, no hash-map
//! order. Every CSV row is one line (no field holds a line break), so the exports can be filtered line by line
//! ([`SourceExports::only_about`]).

use std::collections::HashMap;
use std::io::Write as _;

use serde_json::{Map, Value, json};
use time::Duration;

use crate::calendar::{format_date, format_stamp};
use crate::person::{ConsentEvent, ConsentState, NOTICE, Person};
use crate::render::object;
use crate::stats::profiles;
use crate::{Dataset, DemoSpec};

/// The consent-manager category that stands for personalisation on the shop's site.
pub const PERSONALISATION_CATEGORY: &str = "Personalization";

/// The sign-up form's yes/no question whose answer is the newsletter consent.
pub const NEWSLETTER_OPT_IN_REF: &str = "newsletter_opt_in";

/// One export file and how to read it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceExport {
    /// File name, as the source system names its export.
    pub file_name: String,
    /// The built-in connector that reads it.
    pub connector: &'static str,
    /// The connector's configuration for this export.
    pub config: Value,
    /// What the file is, for people (`CRM contacts (HubSpot CSV)`).
    pub description: &'static str,
    /// The file's contents.
    pub bytes: Vec<u8>,
    /// Rows: data lines of a CSV (the header not counted), lines of a JSON Lines file.
    pub rows: usize,
}

/// What the source systems export about a dataset, in the order they should be ingested.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceExports {
    /// CRM contacts, sign-up form responses, analytics messages, survey answers.
    pub exports: Vec<SourceExport>,
    /// Profiles a correct identity resolution of all exports ends with (connected components of the identifiers
    /// each converted record carries, emails compared trimmed and lowercased). Equal to the canonical dataset's
    /// [`crate::DatasetStats::expected_profiles`] by construction.
    pub expected_profiles: usize,
}

impl SourceExports {
    /// The lines of every export that concern `person` (a CSV keeps its header; exports without such a line are
    /// left out): what re-sending that person's data from every source would send.
    pub fn only_about(&self, person: &Person) -> Vec<SourceExport> {
        let email = person.email.to_lowercase();
        let mut quoted: Vec<String> = person
            .anonymous_ids
            .iter()
            .map(|a| format!("\"{a}\""))
            .collect();
        quoted.push(format!("\"{}\"", consent_cookie(person)));
        let crm_row = format!("{},", crm_number(person));
        let mut exports = Vec::new();
        for export in &self.exports {
            let text = String::from_utf8_lossy(&export.bytes);
            let csv = export.file_name.ends_with(".csv");
            let mut lines = text.lines();
            let mut out = String::new();
            if csv && let Some(header) = lines.next() {
                out.push_str(header);
                out.push('\n');
            }
            let mut rows = 0;
            for line in lines {
                let about = contains_email(&line.to_lowercase(), &email)
                    || quoted.iter().any(|q| line.contains(q.as_str()))
                    || (export.connector == "hubspot-contacts" && line.starts_with(&crm_row));
                if about {
                    out.push_str(line);
                    out.push('\n');
                    rows += 1;
                }
            }
            if rows > 0 {
                exports.push(SourceExport {
                    bytes: out.into_bytes(),
                    rows,
                    ..export.clone()
                });
            }
        }
        exports
    }
}

/// Whether `line` holds `email` as a whole address: not as the tail of a longer local part (`lana.k@` is not
/// `ana.k@`).
fn contains_email(line: &str, email: &str) -> bool {
    line.match_indices(email).any(|(at, _)| {
        line[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '+')))
    })
}

/// Renders the exports of `dataset`, which [`crate::generate`] made from `spec`.
pub fn source_exports(spec: &DemoSpec, dataset: &Dataset) -> SourceExports {
    let today = format_date(spec.today);
    let mut linked = Vec::new();
    let by_source = |source: &'static str| {
        dataset
            .records
            .iter()
            .filter(move |r| r.get("source").and_then(Value::as_str) == Some(source))
    };

    let crm: Vec<&Value> = by_source("crm").collect();
    let crm_knows_account: Vec<bool> = crm
        .iter()
        .map(|r| r["identifiers"].get("user_id").is_some())
        .collect();
    let hubspot = hubspot_csv(&crm, &dataset.people, &mut linked);

    let newsletter = newsletter_form(&dataset.people, &mut linked);

    let mut device_owner: HashMap<&str, usize> = HashMap::new();
    for (i, person) in dataset.people.iter().enumerate() {
        for id in &person.anonymous_ids {
            device_owner.insert(id.as_str(), i);
        }
    }
    let segment = segment_jsonl(
        by_source("analytics"),
        &dataset.people,
        &device_owner,
        &crm_knows_account,
        &mut linked,
    );

    let survey = survey_csv(by_source("survey"), &mut linked);

    SourceExports {
        exports: vec![
            SourceExport {
                file_name: format!("hubspot-crm-exports-all-contacts-{today}.csv"),
                connector: "hubspot-contacts",
                config: json!({
                    "source": "crm",
                    "record_id_as": "crm_id",
                    "exported_at": format!("{today}T00:00:00Z"),
                    "consent_source": "hubspot_unsubscribe",
                }),
                description: "CRM contacts (HubSpot CSV)",
                rows: hubspot.1,
                bytes: hubspot.0,
            },
            SourceExport {
                file_name: "newsletter-signup-responses.jsonl".to_owned(),
                connector: "typeform-responses",
                config: json!({
                    "source": "newsletter_form",
                    "survey": "newsletter-signup",
                    "opt_in": {
                        "ref": NEWSLETTER_OPT_IN_REF,
                        "purpose": "email_marketing",
                        "notice": NOTICE,
                        "source": "newsletter_form",
                    },
                }),
                description: "newsletter sign-up form (Typeform)",
                rows: newsletter.1,
                bytes: newsletter.0,
            },
            SourceExport {
                file_name: format!("segment-events-{today}.jsonl"),
                connector: "segment-events",
                config: json!({
                    "source": "analytics",
                    "consent_categories": { PERSONALISATION_CATEGORY: "personalisation" },
                    "consent_source": "consent_banner",
                }),
                description: "web analytics (Segment)",
                rows: segment.1,
                bytes: segment.0,
            },
            SourceExport {
                file_name: "nps-survey-export.csv".to_owned(),
                connector: "survey-csv",
                config: json!({ "source": "survey", "survey": "nps" }),
                description: "NPS survey (CSV)",
                rows: survey.1,
                bytes: survey.0,
            },
        ],
        expected_profiles: profiles(&linked),
    }
}

/// The CRM number without its prefix (`H-1001` → `1001`): HubSpot record ids are digits.
fn crm_number(person: &Person) -> &str {
    person
        .crm_id
        .strip_prefix("H-")
        .unwrap_or(person.crm_id.as_str())
}

/// The cookie id of the consent banner for someone the analytics export never saw.
fn consent_cookie(person: &Person) -> String {
    format!("cmp-{}", crm_number(person))
}

/// Remembers which identifiers one converted record will carry, for counting profiles.
fn link(linked: &mut Vec<Value>, identifiers: &[(&str, &str)]) {
    let ids: Map<String, Value> = identifiers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
        .collect();
    linked.push(json!({ "identifiers": ids }));
}

/// Text of attribute `name` of a record, empty when absent.
fn text<'a>(record: &'a Value, section: &str, name: &str) -> &'a str {
    record[section]
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or("")
}

const HUBSPOT_COLUMNS: [&str; 16] = [
    "Record ID",
    "First Name",
    "Last Name",
    "Email",
    "Phone Number",
    "Lifecycle Stage",
    "Create Date",
    "Country/Region",
    "City",
    "Postal Code",
    "Date of birth",
    "Loyalty Tier",
    "Preferred Channel",
    "Interests",
    "Favourite Colour",
    "Unsubscribed from all email",
];

fn hubspot_csv(crm: &[&Value], people: &[Person], linked: &mut Vec<Value>) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(crm.len() * 200);
    csv_line(&mut out, HUBSPOT_COLUMNS.iter().copied());
    for (record, person) in crm.iter().zip(people) {
        let email = text(record, "identifiers", "email");
        let phone = text(record, "identifiers", "phone");
        let number = crm_number(person);
        let mut ids = vec![("crm_id", number), ("email", email)];
        if !phone.is_empty() {
            ids.push(("phone", phone));
        }
        link(linked, &ids);
        let attr = |name| text(record, "attributes", name);
        let unsubscribed = person.consent_state("email_marketing") == Some(ConsentState::Withdrawn);
        let country = country_name(attr("country"));
        csv_line(
            &mut out,
            [
                number,
                attr("first_name"),
                person.last_name.as_str(),
                email,
                phone,
                &label(attr("lifecycle_stage")),
                attr("signup_date"),
                country,
                attr("city"),
                attr("postcode"),
                attr("birth_date"),
                &label(attr("loyalty_tier")),
                &label(attr("preferred_channel")),
                &label(attr("interest")),
                &label(attr("favourite_colour")),
                if unsubscribed { "true" } else { "false" },
            ],
        );
    }
    (out, crm.len())
}

/// One response of the sign-up form per person asked about the newsletter: the first email_marketing event
/// (a grant or a refusal), at its time.
fn newsletter_form(people: &[Person], linked: &mut Vec<Value>) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut rows = 0;
    for person in people {
        let Some(answer) = person
            .consents
            .iter()
            .find(|c| c.purpose == "email_marketing" && c.state != ConsentState::Withdrawn)
        else {
            continue;
        };
        let number = crm_number(person);
        link(linked, &[("crm_id", number), ("email", &person.email)]);
        let landed = answer.at - Duration::seconds(37 + i64::from(answer.at.second()));
        let response = json!({
            "landing_id": format!("nl{number}"),
            "token": format!("nl{number}"),
            "response_id": format!("nl{number}"),
            "landed_at": format_stamp(landed),
            "submitted_at": format_stamp(answer.at),
            "hidden": { "customer_id": number },
            "answers": [
                {
                    "field": { "id": "NLmail", "ref": "email", "type": "email" },
                    "type": "email",
                    "email": person.email,
                },
                {
                    "field": { "id": "NLopt", "ref": NEWSLETTER_OPT_IN_REF, "type": "yes_no" },
                    "type": "boolean",
                    "boolean": answer.state == ConsentState::Granted,
                },
            ],
        });
        json_line(&mut out, &response);
        rows += 1;
    }
    (out, rows)
}

fn segment_jsonl<'a>(
    analytics: impl Iterator<Item = &'a Value>,
    people: &[Person],
    device_owner: &HashMap<&str, usize>,
    crm_knows_account: &[bool],
    linked: &mut Vec<Value>,
) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut rows = 0;
    let mut seen_by_analytics = vec![false; people.len()];
    for record in analytics {
        let anonymous_id = text(record, "identifiers", "anonymous_id");
        let user_id = record["identifiers"].get("user_id").and_then(Value::as_str);
        let written_email = record["identifiers"].get("email").and_then(Value::as_str);
        let owner = device_owner.get(anonymous_id).copied();
        let device = record["attributes"]
            .get("device_type")
            .and_then(Value::as_str);
        let main = device.is_some();
        // The account's email rides on the identify call where the CRM knows the account (see the module docs).
        let account_email = match (user_id, owner) {
            (Some(_), Some(p)) if crm_knows_account.get(p) == Some(&true) => {
                Some(people[p].email.as_str())
            }
            _ => None,
        };
        let email = written_email.or(account_email);
        let mut ids = vec![("anonymous_id", anonymous_id)];
        if let Some(u) = user_id {
            ids.push(("user_id", u));
        }
        if let Some(e) = email {
            ids.push(("email", e));
        }
        link(linked, &ids);

        let who = |message: &mut Map<String, Value>| {
            message.insert("anonymousId".into(), Value::from(anonymous_id));
            if let Some(u) = user_id {
                message.insert("userId".into(), Value::from(u));
            }
        };
        let events = record["events"].as_array().map_or(&[][..], Vec::as_slice);
        if email.is_some() || user_id.is_some() {
            let mut identify = object([
                ("type", Value::from("identify")),
                ("messageId", Value::from(format!("id-{anonymous_id}"))),
            ]);
            who(&mut identify);
            if let Some(first) = events.first() {
                identify.insert("timestamp".into(), first["at"].clone());
            }
            if let Some(e) = email {
                identify.insert("traits".into(), json!({ "email": e }));
            }
            if let Some(d) = device {
                identify.insert("context".into(), json!({ "device": { "type": d } }));
            }
            json_line(&mut out, &Value::Object(identify));
            rows += 1;
        }
        for event in events {
            let mut message = segment_event(event);
            who(&mut message);
            json_line(&mut out, &Value::Object(message));
            rows += 1;
        }
        if let (true, Some(p)) = (main, owner) {
            seen_by_analytics[p] = true;
            for (k, choice) in personalisation(&people[p]).enumerate() {
                let mut message = consent_message(&people[p], k, choice);
                who(&mut message);
                json_line(&mut out, &Value::Object(message));
                rows += 1;
            }
        }
    }
    // Consent banner answers of people the analytics export never saw (see the module docs).
    for (person, seen) in people.iter().zip(&seen_by_analytics) {
        if *seen || personalisation(person).next().is_none() {
            continue;
        }
        let cookie = consent_cookie(person);
        link(
            linked,
            &[("anonymous_id", &cookie), ("email", &person.email)],
        );
        for (k, choice) in personalisation(person).enumerate() {
            let mut message = consent_message(person, k, choice);
            message.insert("anonymousId".into(), Value::from(cookie.as_str()));
            if let Some(Value::Object(context)) = message.get_mut("context") {
                context.insert("traits".into(), json!({ "email": person.email }));
            }
            json_line(&mut out, &Value::Object(message));
            rows += 1;
        }
    }
    (out, rows)
}

/// A person's personalisation consent events.
fn personalisation(person: &Person) -> impl Iterator<Item = &ConsentEvent> {
    person
        .consents
        .iter()
        .filter(|c| c.purpose == "personalisation")
}

/// The consent manager's message for one personalisation choice (without the ids).
fn consent_message(person: &Person, k: usize, choice: &ConsentEvent) -> Map<String, Value> {
    object([
        ("type", Value::from("track")),
        (
            "messageId",
            Value::from(format!("cm-{}-{k}", crm_number(person))),
        ),
        ("event", Value::from("Segment Consent Preference Updated")),
        ("timestamp", Value::from(format_stamp(choice.at))),
        (
            "context",
            json!({ "consent": { "categoryPreferences": {
                PERSONALISATION_CATEGORY: choice.state == ConsentState::Granted
            } } }),
        ),
    ])
}

/// A canonical event as the Segment call that reports it (without the ids).
fn segment_event(event: &Value) -> Map<String, Value> {
    let kind = event["type"].as_str().unwrap_or("");
    let props = &event["properties"];
    let (call, name, properties) = match kind {
        "page_viewed" => {
            let path = props["path"].as_str().unwrap_or("/");
            (
                "page",
                None,
                json!({
                    "path": path,
                    "url": format!("https://shop.example.com{path}"),
                    "referrer": props["referrer"],
                }),
            )
        }
        "order_completed" => (
            "track",
            Some("Order Completed"),
            json!({
                "order_id": props["order_id"],
                "total": props["revenue"],
                "currency": props["currency"],
                "products": [{ "quantity": props["items"] }],
            }),
        ),
        "email_opened" => (
            "track",
            Some("Email Opened"),
            json!({ "campaign_name": props["campaign"] }),
        ),
        "app_crashed" => ("track", Some("App Crashed"), props.clone()),
        other => ("track", Some(other), props.clone()),
    };
    let mut message = object([
        ("type", Value::from(call)),
        ("messageId", event["id"].clone()),
        ("timestamp", event["at"].clone()),
    ]);
    if let Some(name) = name {
        message.insert("event".into(), Value::from(name));
    }
    message.insert("properties".into(), properties);
    message
}

/// Free-text comments some respondents leave; the connector never reads them.
const COMMENTS: [&str; 4] = [
    "Fast delivery, thanks",
    "Prices went up",
    "The app keeps logging me out",
    "Great service, will order again",
];

fn survey_csv<'a>(
    surveys: impl Iterator<Item = &'a Value>,
    linked: &mut Vec<Value>,
) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    csv_line(
        &mut out,
        [
            "response_id",
            "submitted_at",
            "email",
            "How likely are you to recommend us to a friend? (0-10)",
            "Comment",
        ],
    );
    let mut rows = 0;
    for record in surveys {
        let email = text(record, "identifiers", "email");
        link(linked, &[("email", email)]);
        let Some(event) = record["events"].get(0) else {
            continue;
        };
        let at = event["at"].as_str().unwrap_or("");
        let submitted = at.trim_end_matches('Z').replacen('T', " ", 1);
        let nps = event["properties"]["nps"].to_string();
        let comment = if rows % 5 == 0 {
            COMMENTS[(rows / 5) % COMMENTS.len()]
        } else {
            ""
        };
        csv_line(
            &mut out,
            [
                event["id"].as_str().unwrap_or(""),
                &submitted,
                email,
                &nps,
                comment,
            ],
        );
        rows += 1;
    }
    (out, rows)
}

/// The English name a CRM shows for a country code the demo uses; the code itself for any other.
fn country_name(code: &str) -> &str {
    match code {
        "DE" => "Germany",
        "FR" => "France",
        "US" => "United States",
        "GB" => "United Kingdom",
        "NL" => "Netherlands",
        "AT" => "Austria",
        "ES" => "Spain",
        "IT" => "Italy",
        "CH" => "Switzerland",
        "PL" => "Poland",
        "LU" => "Luxembourg",
        "IS" => "Iceland",
        "MT" => "Malta",
        other => other,
    }
}

/// A value as a CRM's dropdown label shows it: `outdoor` → `Outdoor`, `sms` → `SMS`. The connector turns labels
/// back into snake_case values.
fn label(value: &str) -> String {
    match value {
        "sms" => "SMS".to_owned(),
        _ => {
            let mut chars = value.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
    }
}

/// Appends one CSV line (RFC 4180 quoting where needed).
fn csv_line<'a>(out: &mut Vec<u8>, fields: impl IntoIterator<Item = &'a str>) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if field.contains([',', '"', '\n', '\r']) {
            out.push(b'"');
            out.extend_from_slice(field.replace('"', "\"\"").as_bytes());
            out.push(b'"');
        } else {
            out.extend_from_slice(field.as_bytes());
        }
    }
    out.push(b'\n');
}

fn json_line(out: &mut Vec<u8>, value: &Value) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
    let _ = out.write_all(b"\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate;

    #[test]
    fn exports_link_like_the_canonical_records() {
        let spec = DemoSpec {
            customers: 400,
            ..DemoSpec::default()
        };
        let data = generate(&spec);
        let exports = source_exports(&spec, &data);
        assert_eq!(exports.expected_profiles, data.stats.expected_profiles);
        assert_eq!(exports.exports.len(), 4);
        assert_eq!(exports.exports[0].rows, 400);
        let again = source_exports(&spec, &data);
        assert_eq!(exports, again);
    }

    #[test]
    fn labels_and_countries_read_back() {
        assert_eq!(label("outdoor"), "Outdoor");
        assert_eq!(label("sms"), "SMS");
        assert_eq!(label(""), "");
        assert_eq!(country_name("GB"), "United Kingdom");
        assert_eq!(country_name("XX"), "XX");
    }

    #[test]
    fn only_about_keeps_one_persons_lines() {
        let spec = DemoSpec {
            customers: 200,
            ..DemoSpec::default()
        };
        let data = generate(&spec);
        let exports = source_exports(&spec, &data);
        let person = &data.people[0];
        let mine = exports.only_about(person);
        let crm = &mine[0];
        assert_eq!(crm.connector, "hubspot-contacts");
        assert_eq!(crm.rows, 1);
        let text = String::from_utf8_lossy(&crm.bytes);
        assert!(text.starts_with("Record ID,"));
        assert!(text.to_lowercase().contains(&person.email));
        for export in &mine {
            assert!(export.rows >= 1);
        }
        assert!(contains_email(
            "x, ana.k1@example.com ,",
            "ana.k1@example.com"
        ));
        assert!(!contains_email("lana.k1@example.com", "ana.k1@example.com"));
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        let mut out = Vec::new();
        csv_line(&mut out, ["a", "b,c", "say \"hi\""]);
        assert_eq!(out, b"a,\"b,c\",\"say \"\"hi\"\"\"\n");
    }
}
