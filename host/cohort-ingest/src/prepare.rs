//! Turns one schema-valid record into a store [`Change`]: identifiers normalised and keyed-hashed, attributes
//! minimised and generalised as the policy says, events and event properties filtered, consents checked against
//! the policy's purposes. What is dropped is counted, never silently lost.

use crate::schema::FieldError;
use cohort_crypto::Pseudonymiser;
use cohort_identity::{NormalisationOptions, normalise};
use cohort_policy::{AttributeDisposition, Policy};
use cohort_store::{
    Change, ConsentEvent, ConsentInput, ConsentState, IdentifierInput, StoredEvent,
};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// What minimisation removed from records, by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DropCounts {
    /// Attributes the policy does not list (or no purpose uses).
    pub attributes_not_listed: u64,
    /// Attributes the policy forbids (e.g. special categories).
    pub attributes_not_allowed: u64,
    /// Identifier kinds the policy does not declare.
    pub identifiers_not_declared: u64,
    /// Events of types the policy does not declare.
    pub events_not_declared: u64,
    /// Event properties the policy does not keep.
    pub event_properties_dropped: u64,
}

impl DropCounts {
    /// Adds another set of counts.
    pub fn add(&mut self, o: &DropCounts) {
        self.attributes_not_listed += o.attributes_not_listed;
        self.attributes_not_allowed += o.attributes_not_allowed;
        self.identifiers_not_declared += o.identifiers_not_declared;
        self.events_not_declared += o.events_not_declared;
        self.event_properties_dropped += o.event_properties_dropped;
    }

    /// As named counts, for the audit log.
    pub fn to_map(&self) -> BTreeMap<String, u64> {
        [
            ("attributes_not_listed", self.attributes_not_listed),
            ("attributes_not_allowed", self.attributes_not_allowed),
            ("identifiers_not_declared", self.identifiers_not_declared),
            ("events_not_declared", self.events_not_declared),
            ("event_properties_dropped", self.event_properties_dropped),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

/// Everything `prepare` needs that does not change from record to record.
pub struct Preparer<'a> {
    policy: &'a Policy,
    pseudonymiser: &'a Pseudonymiser,
    options: NormalisationOptions,
    contact_kinds: std::collections::BTreeSet<String>,
}

/// A prepared record.
pub struct Prepared {
    /// The change for the store.
    pub change: Change,
    /// What was dropped from it.
    pub dropped: DropCounts,
}

impl<'a> Preparer<'a> {
    /// A preparer for `policy`.
    pub fn new(policy: &'a Policy, pseudonymiser: &'a Pseudonymiser) -> Self {
        let rules = policy.identity();
        let options = NormalisationOptions {
            email_folding: match rules.email_folding {
                cohort_policy::EmailFolding::None => cohort_identity::EmailFolding::None,
                cohort_policy::EmailFolding::Gmail => cohort_identity::EmailFolding::Gmail,
            },
            default_phone_region: rules.default_phone_region.clone(),
        };
        Self {
            policy,
            pseudonymiser,
            options,
            contact_kinds: policy.contact_identifier_kinds(),
        }
    }

    /// Prepares one schema-valid record received at `now`.
    pub fn prepare(
        &self,
        record: &serde_json::Value,
        now: OffsetDateTime,
    ) -> Result<Prepared, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut dropped = DropCounts::default();
        let received_at = cohort_store::rfc3339(now);
        let source = record["source"].as_str().unwrap_or_default().to_string();

        let mut identifiers = Vec::new();
        if let Some(ids) = record["identifiers"].as_object() {
            for (kind, raw) in ids {
                let Some(raw) = raw.as_str() else { continue };
                if !self.policy.identifier_allowed(kind) {
                    dropped.identifiers_not_declared += 1;
                    continue;
                }
                match normalise(kind, raw, &self.options) {
                    Ok(n) => {
                        let kind = n.kind().as_str().to_string();
                        let pseudonyms = self.pseudonymiser.pseudonymise_all(&kind, n.value());
                        let contact_value = self
                            .contact_kinds
                            .contains(kind.as_str())
                            .then(|| n.value().to_string());
                        identifiers.push(IdentifierInput {
                            kind,
                            pseudonyms,
                            contact_value,
                        });
                    }
                    Err(e) => errors.push(FieldError {
                        field: format!("identifiers.{kind}"),
                        message: e.to_string(),
                    }),
                }
            }
        }
        if identifiers.is_empty() && errors.is_empty() {
            errors.push(FieldError {
                field: "identifiers".into(),
                message: "no identifier of a kind the policy declares (category: identifier)"
                    .into(),
            });
        }

        let mut attributes = Vec::new();
        if let Some(attrs) = record["attributes"].as_object() {
            for (name, value) in attrs {
                if value.is_null() {
                    continue;
                }
                match self.policy.attribute_disposition(name) {
                    AttributeDisposition::Keep {
                        stored_name,
                        generalisation,
                        ..
                    } => match generalisation {
                        None => attributes.push((stored_name, value.clone())),
                        Some(g) => match g.apply(value, now.date()) {
                            Ok(v) => attributes.push((stored_name, v)),
                            Err(e) => errors.push(FieldError {
                                field: format!("attributes.{name}"),
                                message: e.to_string(),
                            }),
                        },
                    },
                    AttributeDisposition::DropNotListed | AttributeDisposition::IsIdentifier => {
                        dropped.attributes_not_listed += 1
                    }
                    AttributeDisposition::DropNotAllowed => dropped.attributes_not_allowed += 1,
                }
            }
        }

        let mut events = Vec::new();
        if let Some(list) = record["events"].as_array() {
            for (i, e) in list.iter().enumerate() {
                let event_type = e["type"].as_str().unwrap_or_default();
                if !self.policy.event_allowed(event_type) {
                    dropped.events_not_declared += 1;
                    continue;
                }
                let at = match parse_time(e["at"].as_str().unwrap_or_default()) {
                    Ok(t) => t,
                    Err(message) => {
                        errors.push(FieldError {
                            field: format!("events[{i}].at"),
                            message,
                        });
                        continue;
                    }
                };
                let mut properties = serde_json::Map::new();
                if let Some(props) = e["properties"].as_object() {
                    for (k, v) in props {
                        if self.policy.event_property_allowed(event_type, k) {
                            properties.insert(k.clone(), v.clone());
                        } else {
                            dropped.event_properties_dropped += 1;
                        }
                    }
                }
                events.push(StoredEvent {
                    event_type: event_type.to_string(),
                    at,
                    id: e["id"].as_str().map(str::to_string),
                    source: source.clone(),
                    properties,
                });
            }
        }

        let mut consents = Vec::new();
        if let Some(list) = record["consents"].as_array() {
            for (i, c) in list.iter().enumerate() {
                let purpose = c["purpose"].as_str().unwrap_or_default();
                match self.policy.purpose(purpose) {
                    None => {
                        errors.push(FieldError {
                            field: format!("consents[{i}].purpose"),
                            message: format!(
                                "purpose `{purpose}` is not in policy `{}`",
                                self.policy.id()
                            ),
                        });
                        continue;
                    }
                    Some(p) if !p.requires_consent() => {
                        errors.push(FieldError {
                            field: format!("consents[{i}].purpose"),
                            message: format!(
                                "purpose `{purpose}` has legal basis `{}`, not consent; consent events are only \
                                 recorded for consent-based purposes",
                                p.legal_basis.as_str()
                            ),
                        });
                        continue;
                    }
                    Some(_) => {}
                }
                let Some(state) = c["state"].as_str().and_then(ConsentState::parse) else {
                    continue;
                };
                let at = match parse_time(c["at"].as_str().unwrap_or_default()) {
                    Ok(t) => t,
                    Err(message) => {
                        errors.push(FieldError {
                            field: format!("consents[{i}].at"),
                            message,
                        });
                        continue;
                    }
                };
                let text = |k: &str| c[k].as_str().map(str::to_string);
                consents.push(ConsentInput {
                    purpose: purpose.to_string(),
                    event: ConsentEvent {
                        record_id: random_record_id(),
                        state,
                        at,
                        source: text("source").unwrap_or_default(),
                        notice: text("notice"),
                        method: text("method"),
                        language: text("language"),
                        policy_id: self.policy.id().to_string(),
                        policy_version: self.policy.version(),
                        recorded_at: received_at.clone(),
                    },
                });
            }
        }

        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Prepared {
            change: Change {
                source,
                received_day: cohort_store::day_number(now),
                received_at,
                identifiers,
                attributes,
                events,
                consents,
                create_if_missing: true,
            },
            dropped,
        })
    }
}

/// Parses an RFC 3339 timestamp and returns it in the one stored form (UTC, seconds).
pub fn parse_time(s: &str) -> Result<String, String> {
    OffsetDateTime::parse(s, &Rfc3339)
        .map(cohort_store::rfc3339)
        .map_err(|_| "must be an RFC 3339 date-time such as 2026-10-01T12:00:00Z".to_string())
}

/// A random consent record id (`dct:identifier`).
pub fn random_record_id() -> String {
    let mut b = [0u8; 12];
    // The OS generator does not fail on supported platforms; a zero id would still be unique enough with the
    // subject and time beside it, so a failure is not worth refusing the record for.
    let _ = cohort_crypto::random_bytes(&mut b);
    format!("cr-{}", hex::encode(b))
}
