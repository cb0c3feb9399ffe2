//! What a plugin may see of a subject: the intersection of its manifest and the purpose, nothing else.

use cohort_plugins::{Attribute, Event, Profile, Value};
use cohort_store::SubjectView;
use std::collections::BTreeSet;
use time::format_description::well_known::Rfc3339;

/// The fields a run releases: manifest ∩ purpose, computed once per run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Attribute names released.
    pub attributes: BTreeSet<String>,
    /// Event types released.
    pub event_types: BTreeSet<String>,
}

impl Scope {
    /// The intersection of what the manifest reads and what the purpose allows.
    pub fn new<'a>(
        manifest_attributes: impl IntoIterator<Item = &'a String>,
        manifest_events: impl IntoIterator<Item = &'a String>,
        purpose_attributes: &[String],
        purpose_events: &[String],
    ) -> Self {
        Self {
            attributes: manifest_attributes
                .into_iter()
                .filter(|a| purpose_attributes.contains(a))
                .cloned()
                .collect(),
            event_types: manifest_events
                .into_iter()
                .filter(|e| purpose_events.contains(e))
                .cloned()
                .collect(),
        }
    }
}

/// A stored JSON scalar as a plugin value; `None` for null, arrays and objects.
pub fn scalar_value(v: &serde_json::Value) -> Option<Value> {
    match v {
        serde_json::Value::String(s) => Some(Value::Text(s.clone())),
        serde_json::Value::Number(n) => n.as_f64().map(Value::Number),
        serde_json::Value::Bool(b) => Some(Value::Boolean(*b)),
        _ => None,
    }
}

/// The profile of `subject` under `scope`, with the run token `token`.
pub fn project(subject: &SubjectView, scope: &Scope, token: u64) -> Profile {
    let attributes = subject
        .body
        .attributes
        .iter()
        .filter(|(name, _)| scope.attributes.contains(*name))
        .filter_map(|(name, v)| {
            scalar_value(&v.value).map(|value| Attribute {
                name: name.clone(),
                value,
            })
        })
        .collect();
    let events = subject
        .body
        .events
        .iter()
        .filter(|e| scope.event_types.contains(&e.event_type))
        .filter_map(|e| {
            let at = time::OffsetDateTime::parse(&e.at, &Rfc3339)
                .ok()?
                .unix_timestamp();
            Some(Event {
                event_type: e.event_type.clone(),
                at,
                // Scalars as they are; nested values (an order's item list) as JSON text, which the built-in spend
                // rule reads. Null is left out.
                properties: e
                    .properties
                    .iter()
                    .filter_map(|(k, v)| match v {
                        serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
                            Some((k.clone(), Value::Text(v.to_string())))
                        }
                        other => scalar_value(other).map(|v| (k.clone(), v)),
                    })
                    .collect(),
            })
        })
        .collect();
    Profile {
        token,
        attributes,
        events,
    }
}
