//! Turns drawn facts into canonical records (`schemas/record.schema.json`): one JSON object per
//! source and person, events in time order, empty sections left out.

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::calendar::format_stamp;
use crate::person::{ConsentEvent, NOTICE};

/// One behavioural event before it becomes JSON.
pub(crate) struct Event {
    /// Event type, e.g. `order_completed`.
    pub(crate) kind: &'static str,
    /// When it happened.
    pub(crate) at: OffsetDateTime,
    /// Source event id, unique across the dataset.
    pub(crate) id: String,
    /// Event properties.
    pub(crate) properties: Map<String, Value>,
}

/// A record of `source` about one person.
pub(crate) fn record(
    source: &str,
    identifiers: Map<String, Value>,
    attributes: Map<String, Value>,
    mut events: Vec<Event>,
    consents: &[ConsentEvent],
) -> Value {
    let mut record = Map::new();
    record.insert("source".into(), Value::from(source));
    record.insert("identifiers".into(), Value::Object(identifiers));
    if !attributes.is_empty() {
        record.insert("attributes".into(), Value::Object(attributes));
    }
    if !events.is_empty() {
        // Sources export events in time order; the id breaks ties so the order is total.
        events.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
        record.insert(
            "events".into(),
            Value::Array(events.into_iter().map(event).collect()),
        );
    }
    if !consents.is_empty() {
        record.insert(
            "consents".into(),
            Value::Array(consents.iter().map(consent).collect()),
        );
    }
    Value::Object(record)
}

/// An event object of the record schema.
///
/// Built from ready values rather than with `json!`, which would serialise the property map
/// into a fresh copy.
fn event(e: Event) -> Value {
    Value::Object(object([
        ("type", Value::from(e.kind)),
        ("at", Value::from(format_stamp(e.at))),
        ("id", Value::from(e.id)),
        ("properties", Value::Object(e.properties)),
    ]))
}

/// A consent object of the record schema, in the fields of an ISO/IEC TS 27560 record.
fn consent(c: &ConsentEvent) -> Value {
    Value::Object(object([
        ("purpose", Value::from(c.purpose.as_str())),
        ("state", Value::from(c.state.as_str())),
        ("at", Value::from(format_stamp(c.at))),
        ("source", Value::from(c.source.as_str())),
        ("notice", Value::from(NOTICE)),
        ("method", Value::from(c.method.as_str())),
        ("language", Value::from(c.language.as_str())),
    ]))
}

/// Builds a JSON object from key/value pairs, keeping their order where the map does.
pub(crate) fn object<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}
