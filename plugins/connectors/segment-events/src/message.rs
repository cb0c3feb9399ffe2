//! One Segment message (identify, track, page, …) to at most one canonical record: the field mapping of the
//! README, in code.

use cohort_plugin_kit::dates::{self, SlashOrder, Stamp};
use cohort_plugin_kit::json_value::{at, number, round_amount, text};
use cohort_plugin_kit::record::{Consent, Event, MAX_EVENT_ID_CHARS, Problems, RecordBuilder};
use cohort_plugin_kit::text::compact;
use cohort_plugin_kit::{countries, web};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::config::Config;

/// The track event Segment's Consent Management sends when a person changes their consent preferences; the only
/// message whose `context.consent` becomes consent events (every other message repeats the current preferences,
/// which would flood the consent ledger with copies).
const CONSENT_EVENT: &str = "segmentconsentpreferenceupdated";

/// What became of a message.
pub(crate) enum Outcome {
    /// A record to emit.
    Record(RecordBuilder),
    /// Nothing canonical in it (an unmapped event with a single identifier): skipped, counted.
    Skipped,
    /// Problems, already in the list passed in.
    Rejected,
}

/// The canonical event a message maps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    OrderCompleted,
    PageViewed,
    EmailOpened,
}

/// Converts one message; `prefix` goes before every field name in problems (`batch[2].`).
pub(crate) fn convert(
    config: &Config,
    message: &Value,
    prefix: &str,
    problems: &mut Problems,
) -> Outcome {
    let field = |path: &str| format!("{prefix}{path}");
    if !message.is_object() {
        problems.add(
            Some(prefix.trim_end_matches('.')).filter(|p| !p.is_empty()),
            "is not a JSON object",
        );
        return Outcome::Rejected;
    }
    let call = message
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    let call = match call.as_deref() {
        Some(call @ ("identify" | "track" | "page" | "screen" | "group" | "alias")) => {
            call.to_owned()
        }
        _ => {
            problems.add(
                Some(&field("type")),
                "is missing or not one of identify, track, page, screen, group, alias",
            );
            return Outcome::Rejected;
        }
    };

    let mut record = RecordBuilder::new(&config.source);
    let user_id = message.get("userId").and_then(text);
    let anonymous_id = message.get("anonymousId").and_then(text);
    if user_id.is_none() && anonymous_id.is_none() {
        problems.add(
            Some(&field("userId")),
            "is missing and so is anonymousId: Segment requires one of them",
        );
        return Outcome::Rejected;
    }
    if let Some(id) = &user_id {
        record.identifier("user_id", id, &field("userId"), problems);
    }
    if let Some(id) = &anonymous_id {
        record.identifier("anonymous_id", id, &field("anonymousId"), problems);
    }
    let traits = (call == "identify")
        .then(|| message.get("traits"))
        .flatten();
    let context_traits = at(message, &["context", "traits"]);
    for (kind, key) in [("email", "email"), ("phone", "phone")] {
        let found = [(traits, "traits"), (context_traits, "context.traits")]
            .into_iter()
            .find_map(|(source, path)| Some((source?.get(key).and_then(text)?, path)));
        if let Some((value, path)) = found {
            let name = field(&format!("{path}.{key}"));
            if kind == "email" {
                record.email(&value, &name, problems);
            } else {
                record.identifier(kind, &value, &name, problems);
            }
        }
    }
    if let Some(traits) = traits {
        trait_attributes(config, traits, &field, &mut record, problems);
    }

    let event_name = message.get("event").and_then(Value::as_str).map(compact);
    if call == "track" && event_name.is_none() {
        problems.add(
            Some(&field("event")),
            "is missing: a track call needs an event name",
        );
        return Outcome::Rejected;
    }
    let kind = match (call.as_str(), event_name.as_deref()) {
        ("track", Some("ordercompleted")) => Some(Kind::OrderCompleted),
        ("track", Some("pageviewed")) | ("page", _) => Some(Kind::PageViewed),
        ("track", Some("emailopened")) => Some(Kind::EmailOpened),
        _ => None,
    };
    let consent_update =
        event_name.as_deref() == Some(CONSENT_EVENT) && !config.consent_categories.is_empty();

    let time = if kind.is_some() || consent_update {
        match timestamp(config, message, &field, problems) {
            Some(time) => Some(time),
            None => return Outcome::Rejected,
        }
    } else {
        None
    };

    if let (Some(kind), Some(time)) = (kind, &time) {
        let id = match message.get("messageId").and_then(text) {
            Some(id) if id.chars().count() > MAX_EVENT_ID_CHARS => {
                problems.add(
                    Some(&field("messageId")),
                    format!("is longer than {MAX_EVENT_ID_CHARS} characters"),
                );
                None
            }
            id => id,
        };
        let properties = match kind {
            Kind::OrderCompleted => order_properties(message, &field, problems),
            Kind::PageViewed => page_properties(message),
            Kind::EmailOpened => email_properties(message),
        };
        record.event(Event {
            kind: match kind {
                Kind::OrderCompleted => "order_completed",
                Kind::PageViewed => "page_viewed",
                Kind::EmailOpened => "email_opened",
            },
            at: time.clone(),
            id,
            properties,
        });
    }
    if let (true, Some(time)) = (consent_update, &time) {
        consents(config, message, time, &mut record);
    }

    // An unmapped message is still worth a record when it links two identifiers (a user id and a device id seen
    // together), since that is how later events find their person.
    let links = usize::from(user_id.is_some()) + usize::from(anonymous_id.is_some()) >= 2;
    if kind.is_some() || consent_update || call == "identify" || links {
        Outcome::Record(record)
    } else {
        Outcome::Skipped
    }
}

/// The message's time, RFC 3339 UTC: `timestamp`; else `receivedAt − (sentAt − originalTimestamp)`, which corrects
/// a device clock (Segment's own rule); else `originalTimestamp`, `receivedAt` or `sentAt`. A problem when none is
/// there or one cannot be read.
fn timestamp(
    config: &Config,
    message: &Value,
    field: &impl Fn(&str) -> String,
    problems: &mut Problems,
) -> Option<String> {
    let mut read = |key: &str| -> Result<Option<OffsetDateTime>, ()> {
        let Some(written) = message.get(key) else {
            return Ok(None);
        };
        let parsed = written
            .as_str()
            .map(|t| dates::parse(t, config.offset, SlashOrder::MonthFirst));
        match parsed {
            Some(Ok(stamp)) => Ok(Some(Stamp::instant(stamp, config.offset))),
            Some(Err(e)) => {
                problems.add(Some(&field(key)), e.message());
                Err(())
            }
            None => {
                problems.add(Some(&field(key)), "is not an ISO 8601 date-time string");
                Err(())
            }
        }
    };
    let timestamp = read("timestamp").ok()?;
    let original = read("originalTimestamp").ok()?;
    let sent = read("sentAt").ok()?;
    let received = read("receivedAt").ok()?;
    let instant = match (timestamp, original, sent, received) {
        (Some(t), ..) => Some(t),
        (None, Some(original), Some(sent), Some(received)) => received.checked_sub(sent - original),
        (None, original, sent, received) => original.or(received).or(sent),
    };
    let written = instant.and_then(dates::rfc3339_utc);
    if written.is_none() {
        problems.add(
            Some(&field("timestamp")),
            "is missing (and so are originalTimestamp, sentAt and receivedAt): an event needs a time",
        );
    }
    written
}

/// `order_completed` properties: `order_id`, `revenue` (the spend: `total`, else `revenue`, else the sum of
/// product price × quantity), `currency` and `items` (the number of units).
fn order_properties(
    message: &Value,
    field: &impl Fn(&str) -> String,
    problems: &mut Problems,
) -> Map<String, Value> {
    let mut properties = Map::new();
    let props = message.get("properties").cloned().unwrap_or(Value::Null);
    if let Some(id) = ["order_id", "orderId"]
        .iter()
        .find_map(|key| props.get(key).and_then(text))
    {
        properties.insert("order_id".into(), Value::String(id));
    }
    let mut amount = |key: &str| match number(props.get(key)) {
        Ok(value) => value,
        Err(()) => {
            problems.add(
                Some(&field(&format!("properties.{key}"))),
                "is not a number",
            );
            None
        }
    };
    let total = amount("total");
    let revenue = amount("revenue");
    let products = props.get("products").and_then(Value::as_array);
    let mut units = 0.0;
    let mut sum = Some(0.0);
    for (i, product) in products.into_iter().flatten().enumerate() {
        let read = |key: &str| number(product.get(key));
        let quantity = match read("quantity") {
            Ok(quantity) => quantity.unwrap_or(1.0),
            Err(()) => {
                problems.add(
                    Some(&field(&format!("properties.products[{i}].quantity"))),
                    "is not a number",
                );
                1.0
            }
        };
        units += quantity;
        sum = match (sum, read("price")) {
            (Some(sum), Ok(Some(price))) => Some(sum + price * quantity),
            (_, Err(())) => {
                problems.add(
                    Some(&field(&format!("properties.products[{i}].price"))),
                    "is not a number",
                );
                None
            }
            _ => None,
        };
    }
    let from_products = sum
        .filter(|_| products.is_some_and(|p| !p.is_empty()))
        .map(round_amount);
    if let Some(spend) = total
        .or(revenue)
        .or(from_products)
        .and_then(cohort_plugin_kit::record::number)
    {
        properties.insert("revenue".into(), spend);
    }
    if let Some(currency) = props.get("currency").and_then(text) {
        if currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_alphabetic()) {
            properties.insert(
                "currency".into(),
                Value::String(currency.to_ascii_uppercase()),
            );
        } else {
            problems.add(
                Some(&field("properties.currency")),
                "is not an ISO 4217 currency code",
            );
        }
    }
    if products.is_some_and(|p| !p.is_empty())
        && let Some(units) = cohort_plugin_kit::record::number(units)
    {
        properties.insert("items".into(), units);
    }
    properties
}

/// `page_viewed` properties: `path` and `referrer`, from `properties` or `context.page`, without query strings.
fn page_properties(message: &Value) -> Map<String, Value> {
    let mut properties = Map::new();
    let find = |key: &str| {
        [&["properties", key][..], &["context", "page", key][..]]
            .iter()
            .find_map(|path| at(message, path).and_then(Value::as_str))
    };
    let path = find("path")
        .and_then(web::path_of)
        .or_else(|| find("url").and_then(web::path_of));
    if let Some(path) = path {
        properties.insert("path".into(), Value::String(path));
    }
    if let Some(referrer) = find("referrer").and_then(web::referrer) {
        properties.insert("referrer".into(), Value::String(referrer));
    }
    properties
}

/// `email_opened` properties: `campaign`, the campaign's name (else its id).
fn email_properties(message: &Value) -> Map<String, Value> {
    let mut properties = Map::new();
    let campaign = ["campaign_name", "campaign_id", "campaign"]
        .iter()
        .find_map(|key| at(message, &["properties", key]).and_then(text));
    if let Some(campaign) = campaign {
        properties.insert("campaign".into(), Value::String(campaign));
    }
    properties
}

/// Attributes from identify traits (Segment's reserved traits, camelCase or snake_case).
fn trait_attributes(
    config: &Config,
    traits: &Value,
    field: &impl Fn(&str) -> String,
    record: &mut RecordBuilder,
    problems: &mut Problems,
) {
    let find = |keys: &[&'static str]| {
        keys.iter()
            .find_map(|key| traits.get(key).and_then(text).map(|v| (*key, v)))
    };
    for (keys, name) in [
        (&["firstName", "first_name"][..], "first_name"),
        (&["lastName", "last_name"][..], "last_name"),
    ] {
        if let Some((key, value)) = find(keys) {
            record.text(name, &value, &field(&format!("traits.{key}")), problems);
        }
    }
    let address = |keys: &[&'static str]| {
        keys.iter().find_map(|key| {
            at(traits, &["address", key])
                .and_then(text)
                .map(|v| (*key, v))
        })
    };
    if let Some((_, written)) = address(&["country"])
        && let Some(code) = countries::attribute(&written)
    {
        record.attribute("country", Value::String(code));
    }
    for (keys, name) in [
        (&["city"][..], "city"),
        (&["postalCode", "postal_code"][..], "postcode"),
    ] {
        if let Some((key, value)) = address(keys) {
            record.text(
                name,
                &value,
                &field(&format!("traits.address.{key}")),
                problems,
            );
        }
    }
    for (keys, name) in [
        (&["birthday"][..], "birth_date"),
        (&["createdAt", "created_at"][..], "signup_date"),
    ] {
        let Some((key, written)) = find(keys) else {
            continue;
        };
        match dates::parse(&written, config.offset, SlashOrder::MonthFirst) {
            // A birthday is a calendar date: never shifted by a zone. A sign-up is an instant: its UTC date.
            Ok(stamp) => {
                let date = if name == "birth_date" {
                    stamp.written_date()
                } else {
                    stamp.utc_date()
                };
                record.attribute(name, Value::String(dates::date_text(date)));
            }
            Err(e) => problems.add(Some(&field(&format!("traits.{key}"))), e.message()),
        }
    }
}

/// Consent events from a consent-preference update: each configured category the message reports becomes a
/// grant (`true`) or a refusal (`false`: the person was asked by the consent manager and declined; the message
/// cannot tell a first refusal from a later withdrawal, and both mean "not granted").
fn consents(config: &Config, message: &Value, time: &str, record: &mut RecordBuilder) {
    let Some(preferences) =
        at(message, &["context", "consent", "categoryPreferences"]).and_then(Value::as_object)
    else {
        return;
    };
    for (category, purpose) in &config.consent_categories {
        if let Some(granted) = preferences.get(category).and_then(Value::as_bool) {
            record.consent(Consent {
                purpose: purpose.clone(),
                state: if granted { "granted" } else { "refused" },
                at: time.to_owned(),
                source: config.consent_source.clone(),
                notice: None,
                method: None,
            });
        }
    }
}
