//! Counts over a generated dataset, taken from the records themselves so they describe exactly
//! what a run of `cohort demo` feeds into ingest.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::person::{POLICY_DROPPED_ATTRIBUTES, POLICY_DROPPED_EVENT_TYPES};

/// What a generated dataset contains.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DatasetStats {
    /// Synthetic people.
    pub customers: usize,
    /// Records (lines of the JSONL file).
    pub records: usize,
    /// Records per source (`crm`, `analytics`, `survey`).
    pub records_by_source: BTreeMap<String, usize>,
    /// Events over all records.
    pub events: usize,
    /// Events per event type.
    pub events_by_type: BTreeMap<String, usize>,
    /// Consent events per purpose and state. A person who granted and later withdrew counts
    /// once under each, so `granted - withdrawn` people hold the purpose today.
    pub consents: BTreeMap<String, ConsentCounts>,
    /// Occurrences of attributes the example policy drops (see
    /// [`POLICY_DROPPED_ATTRIBUTES`]), per attribute name, zero counts included.
    pub dropped_attributes: BTreeMap<String, usize>,
    /// Occurrences of events of types the example policy does not declare (see
    /// [`POLICY_DROPPED_EVENT_TYPES`]), per type, zero counts included.
    pub dropped_events: BTreeMap<String, usize>,
    /// Profiles a correct identity resolution ends with: records linked through any shared
    /// identifier, emails compared trimmed and lowercased, other identifiers exactly (phones
    /// appear in one record per person only, so their spelling never decides a link).
    pub expected_profiles: usize,
}

/// Consent events of one purpose by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ConsentCounts {
    /// `granted` events.
    pub granted: usize,
    /// `withdrawn` events.
    pub withdrawn: usize,
    /// `refused` events.
    pub refused: usize,
}

impl DatasetStats {
    /// Counts `records` about `customers` people.
    pub(crate) fn count(customers: usize, records: &[Value]) -> Self {
        let mut stats = Self {
            customers,
            records: records.len(),
            dropped_attributes: POLICY_DROPPED_ATTRIBUTES
                .iter()
                .map(|a| ((*a).to_owned(), 0))
                .collect(),
            dropped_events: POLICY_DROPPED_EVENT_TYPES
                .iter()
                .map(|e| ((*e).to_owned(), 0))
                .collect(),
            expected_profiles: profiles(records),
            ..Self::default()
        };
        for record in records {
            let source = record.get("source").and_then(Value::as_str).unwrap_or("");
            bump(&mut stats.records_by_source, source);
            if let Some(attributes) = record.get("attributes").and_then(Value::as_object) {
                for (name, count) in &mut stats.dropped_attributes {
                    *count += usize::from(attributes.contains_key(name));
                }
            }
            for event in array(record, "events") {
                let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
                stats.events += 1;
                bump(&mut stats.events_by_type, kind);
                if let Some(count) = stats.dropped_events.get_mut(kind) {
                    *count += 1;
                }
            }
            for consent in array(record, "consents") {
                let purpose = consent.get("purpose").and_then(Value::as_str).unwrap_or("");
                let counts = stats.consents.entry(purpose.to_owned()).or_default();
                match consent.get("state").and_then(Value::as_str) {
                    Some("granted") => counts.granted += 1,
                    Some("withdrawn") => counts.withdrawn += 1,
                    Some("refused") => counts.refused += 1,
                    _ => {}
                }
            }
        }
        stats
    }
}

/// Adds one to `key`'s count, allocating the key only the first time it is seen.
fn bump(counts: &mut BTreeMap<String, usize>, key: &str) {
    match counts.get_mut(key) {
        Some(count) => *count += 1,
        None => {
            counts.insert(key.to_owned(), 1);
        }
    }
}

fn array<'a>(record: &'a Value, key: &str) -> &'a [Value] {
    record
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The match key of an identifier, following DOMAIN.md §9's default for emails.
pub(crate) fn match_key(kind: &str, value: &str) -> String {
    if kind == "email" {
        format!("email:{}", value.trim().to_lowercase())
    } else {
        format!("{kind}:{value}")
    }
}

/// Connected components of records that share a match key (union-find).
pub(crate) fn profiles(records: &[Value]) -> usize {
    let mut parent: Vec<usize> = (0..records.len()).collect();
    let mut owner: BTreeMap<String, usize> = BTreeMap::new();
    for (i, record) in records.iter().enumerate() {
        let Some(identifiers) = record.get("identifiers").and_then(Value::as_object) else {
            continue;
        };
        for (kind, value) in identifiers {
            let Some(value) = value.as_str() else {
                continue;
            };
            let j = *owner.entry(match_key(kind, value)).or_insert(i);
            if j != i {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    (0..records.len())
        .filter(|&i| root(&mut parent, i) == i)
        .count()
}

fn root(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_sharing_a_normalised_email_or_id_form_one_profile() {
        let records = vec![
            json!({"source": "crm", "identifiers": {"email": "ana@example.com", "user_id": "u-1"}}),
            json!({"source": "analytics", "identifiers": {"anonymous_id": "a1", "user_id": "u-1"}}),
            json!({"source": "analytics", "identifiers": {"anonymous_id": "a2"}}),
            json!({"source": "survey", "identifiers": {"email": " Ana@Example.COM "}}),
            json!({"source": "crm", "identifiers": {"email": "ben@example.com"}}),
            json!({"source": "analytics", "identifiers": {"anonymous_id": "a3", "email": "BEN@example.com"}}),
        ];
        assert_eq!(profiles(&records), 3);
    }

    #[test]
    fn counts_events_consents_and_policy_drops() {
        let records = vec![
            json!({"source": "crm", "identifiers": {"email": "a@example.com"},
                   "attributes": {"favourite_colour": "red", "country": "DE"},
                   "consents": [
                       {"purpose": "email_marketing", "state": "granted", "at": "2026-01-01T00:00:00Z", "source": "web_form"},
                       {"purpose": "email_marketing", "state": "withdrawn", "at": "2026-02-01T00:00:00Z", "source": "web_form"}]}),
            json!({"source": "analytics", "identifiers": {"anonymous_id": "x"},
                   "events": [{"type": "app_crashed", "at": "2026-01-01T00:00:00Z"},
                              {"type": "page_viewed", "at": "2026-01-01T00:00:00Z"}]}),
        ];
        let stats = DatasetStats::count(1, &records);
        assert_eq!(stats.records, 2);
        assert_eq!(stats.events, 2);
        assert_eq!(stats.events_by_type["page_viewed"], 1);
        assert_eq!(stats.dropped_events["app_crashed"], 1);
        assert_eq!(stats.dropped_attributes["favourite_colour"], 1);
        assert_eq!(stats.dropped_attributes["health_allergies"], 0);
        assert_eq!(
            stats.consents["email_marketing"],
            ConsentCounts {
                granted: 1,
                withdrawn: 1,
                refused: 0
            }
        );
        assert_eq!(stats.expected_profiles, 2);
    }
}
