//! The checked policy and the questions the rest of the host asks it.
//!
//! A [`Policy`] is built only by [`crate::parse_policy`] or [`crate::load_policy`], after the schema and every
//! semantic check passed: holding one means the rules are coherent.

use std::collections::{BTreeMap, BTreeSet};

use crate::checks;
use crate::declared::Declarations;
use crate::document::Document;
use crate::error::Diagnostic;
use crate::location::{child, index};
use crate::model::{
    Aggregates, AttributeDisposition, AttributeRule, Controller, ErasureRules, EventRule,
    IdentityRules, PluginRules, Purpose, Retention, TrustedPublisher,
};
use crate::vocabulary::{Category, Outputs};

/// A loaded, checked policy.
#[derive(Clone, Debug)]
pub struct Policy {
    id: String,
    version: u32,
    source_name: String,
    sha256_hex: String,
    controller: Controller,
    identity: IdentityRules,
    purposes: Vec<Purpose>,
    attributes: BTreeMap<String, AttributeRule>,
    events: BTreeMap<String, EventRule>,
    aggregates: Aggregates,
    retention: Retention,
    erasure: ErasureRules,
    plugins: PluginRules,
    /// Stored attribute names some purpose uses; everything else is dropped on ingest.
    used_attributes: BTreeSet<String>,
    /// Event types some purpose uses.
    used_event_types: BTreeSet<String>,
}

impl Policy {
    /// Builds the policy from a document that passed every check.
    pub(crate) fn build(
        doc: Document,
        source_name: &str,
        sha256_hex: String,
    ) -> Result<Self, Vec<Diagnostic>> {
        let mut trusted_publishers = Vec::with_capacity(doc.plugins.trusted_publishers.len());
        for (i, publisher) in doc.plugins.trusted_publishers.into_iter().enumerate() {
            // The checks already decoded every key; this repeats it so that a publisher cannot exist without one.
            let public_key = checks::decode_publisher_key(&publisher.key).map_err(|problem| {
                vec![Diagnostic::at(
                    child(&index("/plugins/trusted_publishers", i), "key"),
                    format!("key of publisher `{}` {problem}", publisher.name),
                )]
            })?;
            trusted_publishers.push(TrustedPublisher::new(
                publisher.name,
                publisher.key,
                public_key,
            ));
        }
        let purposes: Vec<Purpose> = doc
            .purposes
            .into_iter()
            .map(|p| Purpose {
                id: p.id,
                description: p.description,
                legal_basis: p.legal_basis,
                attributes: p.attributes,
                event_types: p.event_types,
                outputs: p.outputs,
                contact_identifiers: p.contact_identifiers,
                explicit_consent: p.explicit_consent,
                recipients: p.recipients,
                legitimate_interest_assessment: p.legitimate_interest_assessment,
            })
            .collect();
        let used_attributes = purposes
            .iter()
            .flat_map(|p| p.attributes.iter().cloned())
            .collect();
        let used_event_types = purposes
            .iter()
            .flat_map(|p| p.event_types.iter().cloned())
            .collect();
        Ok(Self {
            id: doc.policy,
            version: doc.version,
            source_name: source_name.to_owned(),
            sha256_hex,
            controller: doc.controller,
            identity: doc.identity,
            purposes,
            attributes: doc.attributes,
            events: doc.events,
            aggregates: doc.aggregates,
            retention: doc.retention,
            erasure: doc.erasure,
            plugins: PluginRules {
                trusted_publishers,
                allow: doc.plugins.allow,
            },
            used_attributes,
            used_event_types,
        })
    }

    /// The policy id (`policy:` in the file).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The policy version.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Lower-case hex SHA-256 of the exact file bytes, recorded in every audit entry.
    pub fn sha256_hex(&self) -> &str {
        &self.sha256_hex
    }

    /// The name the policy was loaded under (its path for [`crate::load_policy`]).
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// The controller.
    pub fn controller(&self) -> &Controller {
        &self.controller
    }

    /// All purposes, in file order.
    pub fn purposes(&self) -> &[Purpose] {
        &self.purposes
    }

    /// The purpose with this id.
    pub fn purpose(&self, id: &str) -> Option<&Purpose> {
        self.purposes.iter().find(|p| p.id == id)
    }

    /// The attribute declarations, by name or pattern.
    pub fn attributes(&self) -> &BTreeMap<String, AttributeRule> {
        &self.attributes
    }

    /// The declared event types.
    pub fn events(&self) -> &BTreeMap<String, EventRule> {
        &self.events
    }

    /// Stored attribute names that at least one purpose uses.
    pub fn used_attributes(&self) -> &BTreeSet<String> {
        &self.used_attributes
    }

    /// What ingest does with a raw record attribute of this name.
    pub fn attribute_disposition(&self, name: &str) -> AttributeDisposition {
        let Some((_, rule)) = Declarations::new(&self.attributes).lookup(name) else {
            return AttributeDisposition::DropNotListed;
        };
        if !rule.allowed {
            return AttributeDisposition::DropNotAllowed;
        }
        if rule.category == Category::Identifier {
            return AttributeDisposition::IsIdentifier;
        }
        let stored_name = rule.stored_name_for(name);
        if !self.used_attributes.contains(stored_name) {
            return AttributeDisposition::DropNotListed;
        }
        AttributeDisposition::Keep {
            stored_name: stored_name.to_owned(),
            generalisation: rule.store_as,
            category: rule.category,
        }
    }

    /// True when `kind` is declared with category identifier and not refused.
    pub fn identifier_allowed(&self, kind: &str) -> bool {
        Declarations::new(&self.attributes)
            .lookup(kind)
            .is_some_and(|(_, rule)| rule.category == Category::Identifier && rule.allowed)
    }

    /// Identifier kinds any per-subject purpose releases in consented exports.
    pub fn contact_identifier_kinds(&self) -> BTreeSet<String> {
        self.purposes
            .iter()
            .filter(|p| p.outputs == Outputs::PerSubject)
            .flat_map(|p| p.contact_identifiers.iter().cloned())
            .collect()
    }

    /// True when events of this type are stored: declared under `events` and used by at least one purpose.
    pub fn event_allowed(&self, event_type: &str) -> bool {
        self.events.contains_key(event_type) && self.used_event_types.contains(event_type)
    }

    /// True when this property of this event type is stored.
    pub fn event_property_allowed(&self, event_type: &str, property: &str) -> bool {
        self.event_allowed(event_type)
            && self
                .events
                .get(event_type)
                .is_some_and(|rule| rule.properties.iter().any(|p| p == property))
    }

    /// Identifier normalisation rules.
    pub fn identity(&self) -> &IdentityRules {
        &self.identity
    }

    /// Aggregate release thresholds.
    pub fn aggregates(&self) -> &Aggregates {
        &self.aggregates
    }

    /// Retention periods.
    pub fn retention(&self) -> &Retention {
        &self.retention
    }

    /// Erasure rules.
    pub fn erasure(&self) -> &ErasureRules {
        &self.erasure
    }

    /// Plugin trust and allow rules.
    pub fn plugins(&self) -> &PluginRules {
        &self.plugins
    }
}
