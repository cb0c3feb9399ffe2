//! One GA4 BigQuery export row (one event) to at most one canonical record: the field mapping of the README, in
//! code.

use cohort_plugin_kit::json_value::{at, number, text};
use cohort_plugin_kit::record::{Event, MAX_EVENT_ID_CHARS, Problems, RecordBuilder};
use cohort_plugin_kit::{countries, dates, web};
use serde_json::{Map, Value};

use crate::config::Config;

/// What GA4 writes where it has no value (geo fields, transaction ids).
const NOT_SET: &str = "(not set)";

/// What became of a row.
pub(crate) enum Outcome {
    /// A record to emit.
    Record(RecordBuilder),
    /// An event type with no canonical counterpart and a single identifier: skipped, counted.
    Skipped,
    /// Problems, already in the list passed in.
    Rejected,
}

/// Converts one export row.
pub(crate) fn convert(config: &Config, row: &Value, problems: &mut Problems) -> Outcome {
    if !row.is_object() {
        problems.add(None, "is not a JSON object (one GA4 event row)");
        return Outcome::Rejected;
    }
    let Some(name) = row.get("event_name").and_then(Value::as_str) else {
        problems.add(Some("event_name"), "is missing or not a string");
        return Outcome::Rejected;
    };
    let user_id = row.get("user_id").and_then(text);
    let pseudo_id = row.get("user_pseudo_id").and_then(text);
    if user_id.is_none() && pseudo_id.is_none() {
        problems.add(
            Some("user_pseudo_id"),
            "is missing and so is user_id: the event belongs to no one",
        );
        return Outcome::Rejected;
    }
    let mut record = RecordBuilder::new(&config.source);
    if let Some(id) = &user_id {
        record.identifier("user_id", id, "user_id", problems);
    }
    if let Some(id) = &pseudo_id {
        record.identifier("anonymous_id", id, "user_pseudo_id", problems);
    }

    if let Some(category) = at(row, &["device", "category"]).and_then(text) {
        record.text(
            "device_type",
            &category.to_lowercase(),
            "device.category",
            problems,
        );
    }
    if let Some(code) = set(row, &["geo", "country"]).and_then(|c| countries::attribute(&c)) {
        record.attribute("country", Value::String(code));
    }
    for (key, name) in [("region", "region"), ("city", "city")] {
        if let Some(value) = set(row, &["geo", key]) {
            record.text(name, &value, &format!("geo.{key}"), problems);
        }
    }

    let kind = match name {
        "purchase" => Some("order_completed"),
        "page_view" => Some("page_viewed"),
        _ => None,
    };
    if let Some(kind) = kind {
        let Some(at) = timestamp(row, problems) else {
            return Outcome::Rejected;
        };
        let (properties, id) = if kind == "order_completed" {
            purchase(row, problems)
        } else {
            (page_view(row), None)
        };
        record.event(Event {
            kind,
            at,
            id,
            properties,
        });
        return Outcome::Record(record);
    }
    // An unmapped event still links a signed-in user to a device when it carries both ids.
    if user_id.is_some() && pseudo_id.is_some() {
        Outcome::Record(record)
    } else {
        Outcome::Skipped
    }
}

/// Text at `path` unless GA4 wrote `(not set)` there.
fn set(row: &Value, path: &[&str]) -> Option<String> {
    at(row, path).and_then(text).filter(|v| v != NOT_SET)
}

/// `event_timestamp`, microseconds since the epoch as an INT64 (a JSON number, or a string in some exports).
fn timestamp(row: &Value, problems: &mut Problems) -> Option<String> {
    let micros = match row.get("event_timestamp") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    let at = micros
        .and_then(dates::from_unix_micros)
        .and_then(dates::rfc3339_utc);
    if at.is_none() {
        problems.add(
            Some("event_timestamp"),
            "is missing or not a whole number of microseconds since 1970",
        );
    }
    at
}

/// The value of event parameter `key`: whichever of `string_value`, `int_value`, `float_value` and
/// `double_value` is set (GA4 sets one, and which one may vary between events).
fn param<'a>(row: &'a Value, key: &str) -> Option<&'a Value> {
    let value = row
        .get("event_params")?
        .as_array()?
        .iter()
        .find(|p| p.get("key").and_then(Value::as_str) == Some(key))?
        .get("value")?;
    ["string_value", "int_value", "float_value", "double_value"]
        .iter()
        .filter_map(|slot| value.get(slot))
        .find(|v| !v.is_null())
}

/// `order_completed` properties from a `purchase` row, and the event id (the transaction id, which keeps a
/// re-exported day from counting an order twice).
fn purchase(row: &Value, problems: &mut Problems) -> (Map<String, Value>, Option<String>) {
    let mut properties = Map::new();
    let order_id = set(row, &["ecommerce", "transaction_id"]).or_else(|| {
        param(row, "transaction_id")
            .and_then(text)
            .filter(|v| v != NOT_SET)
    });
    if let Some(id) = &order_id {
        properties.insert("order_id".into(), Value::String(id.clone()));
    }
    let revenue = match number(at(row, &["ecommerce", "purchase_revenue"])) {
        Ok(Some(revenue)) => Some(revenue),
        Ok(None) => match number(param(row, "value")) {
            Ok(value) => value,
            Err(()) => {
                problems.add(Some("event_params.value"), "is not a number");
                None
            }
        },
        Err(()) => {
            problems.add(Some("ecommerce.purchase_revenue"), "is not a number");
            None
        }
    };
    if let Some(revenue) = revenue.and_then(cohort_plugin_kit::record::number) {
        properties.insert("revenue".into(), revenue);
    }
    if let Some(currency) = param(row, "currency").and_then(text) {
        if currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_alphabetic()) {
            properties.insert(
                "currency".into(),
                Value::String(currency.to_ascii_uppercase()),
            );
        } else {
            problems.add(
                Some("event_params.currency"),
                "is not an ISO 4217 currency code",
            );
        }
    }
    let items = match number(at(row, &["ecommerce", "total_item_quantity"])) {
        Ok(Some(quantity)) => Some(quantity),
        Ok(None) => item_quantity(row, problems),
        Err(()) => {
            problems.add(Some("ecommerce.total_item_quantity"), "is not a number");
            None
        }
    };
    if let Some(items) = items.and_then(cohort_plugin_kit::record::number) {
        properties.insert("items".into(), items);
    }
    let id = order_id.filter(|id| id.chars().count() <= MAX_EVENT_ID_CHARS);
    (properties, id)
}

/// The sum of `items[].quantity`, when the row lists items.
fn item_quantity(row: &Value, problems: &mut Problems) -> Option<f64> {
    let items = row
        .get("items")?
        .as_array()
        .filter(|items| !items.is_empty())?;
    let mut total = 0.0;
    for (i, item) in items.iter().enumerate() {
        match number(item.get("quantity")) {
            Ok(quantity) => total += quantity.unwrap_or(1.0),
            Err(()) => {
                problems.add(Some(&format!("items[{i}].quantity")), "is not a number");
                return None;
            }
        }
    }
    Some(total)
}

/// `page_viewed` properties from a `page_view` row: the path of `page_location` and the `page_referrer`, both
/// without query strings.
fn page_view(row: &Value) -> Map<String, Value> {
    let mut properties = Map::new();
    if let Some(path) = param(row, "page_location")
        .and_then(Value::as_str)
        .and_then(web::path_of)
    {
        properties.insert("path".into(), Value::String(path));
    }
    if let Some(referrer) = param(row, "page_referrer")
        .and_then(Value::as_str)
        .and_then(web::referrer)
    {
        properties.insert("referrer".into(), Value::String(referrer));
    }
    properties
}
