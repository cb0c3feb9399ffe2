//! The policy file's shape as serde reads it, before the semantic checks.
//!
//! Sections without preconditions reuse the public types in [`crate::model`]; purposes and plugin rules have
//! their own raw forms here because their public types exist only after the checks.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::model::{
    Aggregates, AttributeRule, Controller, ErasureRules, EventRule, IdentityRules, PluginAllow,
    Retention,
};
use crate::vocabulary::{LegalBasis, Outputs};

/// A whole policy file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Document {
    pub(crate) policy: String,
    pub(crate) version: u32,
    pub(crate) controller: Controller,
    #[serde(default)]
    pub(crate) identity: IdentityRules,
    pub(crate) purposes: Vec<PurposeDoc>,
    #[serde(default)]
    pub(crate) attributes: BTreeMap<String, AttributeRule>,
    #[serde(default)]
    pub(crate) events: BTreeMap<String, EventRule>,
    pub(crate) aggregates: Aggregates,
    pub(crate) retention: Retention,
    #[serde(default)]
    pub(crate) erasure: ErasureRules,
    #[serde(default)]
    pub(crate) plugins: PluginsDoc,
}

/// One entry of `purposes`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PurposeDoc {
    pub(crate) id: String,
    pub(crate) description: String,
    pub(crate) legal_basis: LegalBasis,
    #[serde(default)]
    pub(crate) legitimate_interest_assessment: Option<String>,
    #[serde(default)]
    pub(crate) attributes: Vec<String>,
    #[serde(default)]
    pub(crate) event_types: Vec<String>,
    pub(crate) outputs: Outputs,
    #[serde(default)]
    pub(crate) contact_identifiers: Vec<String>,
    #[serde(default)]
    pub(crate) explicit_consent: bool,
    #[serde(default)]
    pub(crate) recipients: Vec<String>,
}

/// The `plugins` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PluginsDoc {
    #[serde(default)]
    pub(crate) trusted_publishers: Vec<PublisherDoc>,
    #[serde(default)]
    pub(crate) allow: Vec<PluginAllow>,
}

/// One trusted publisher, key still as text.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PublisherDoc {
    pub(crate) name: String,
    pub(crate) key: String,
}
