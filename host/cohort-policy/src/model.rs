//! The sections of a checked policy, as the rest of the host reads them.
//!
//! Plain sections (controller, aggregates, retention, ...) are deserialised straight from the file; the ones that
//! carry a precondition ([`Purpose`], [`TrustedPublisher`]) are built only by this crate after every check passed.

use serde::{Deserialize, Serialize};

use crate::generalise::Generalisation;
use crate::vocabulary::{Category, EmailFolding, LegalBasis, Outputs, Reimport};

/// Who is responsible for the processing (Art. 4(7)), as the record of processing names them (Art. 30(1)(a)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Controller {
    /// Legal name of the controller.
    pub name: String,
    /// Contact of the data protection officer (Art. 37–39), if one is designated.
    #[serde(default)]
    pub dpo: Option<String>,
    /// Where data subjects send requests (Art. 13(1)(a), Art. 12).
    #[serde(default)]
    pub contact: Option<String>,
    /// Representative in the Union for a controller established outside it (Art. 27).
    #[serde(default)]
    pub representative: Option<String>,
}

/// How identifiers are normalised before matching.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityRules {
    /// Provider-specific email folding; `none` unless the policy opts in.
    #[serde(default)]
    pub email_folding: EmailFolding,
    /// ISO 3166-1 alpha-2 region for phone numbers written without a country code; none by default, in which case
    /// such numbers are matched on their digits only.
    #[serde(default)]
    pub default_phone_region: Option<String>,
}

/// One purpose of processing (Art. 5(1)(b)), with what it may use and release.
///
/// A `Purpose` exists only inside a [`crate::Policy`] that passed every check: it cannot be built or deserialised
/// outside this crate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Purpose {
    /// Identifier, `[a-z][a-z0-9_]*`, used in consents, plugin allows and audit entries.
    pub id: String,
    /// What the purpose is, in words a data subject would understand (Art. 13(1)(c)).
    pub description: String,
    /// The lawful basis (Art. 6(1)).
    pub legal_basis: LegalBasis,
    /// Stored attribute names the purpose may use (after generalisation: `age_band`, not `birth_date`).
    pub attributes: Vec<String>,
    /// Event types the purpose may use.
    pub event_types: Vec<String>,
    /// What it may release.
    pub outputs: Outputs,
    /// Identifier kinds released in consented per-subject exports.
    pub contact_identifiers: Vec<String>,
    /// Whether it relies on explicit consent for special-category data (Art. 9(2)(a)).
    pub explicit_consent: bool,
    /// Recipients or categories of recipients (Art. 30(1)(d), Art. 13(1)(e)).
    pub recipients: Vec<String>,
    /// Reference to the legitimate interest assessment (Art. 6(1)(f)); set when the basis is legitimate interest.
    pub legitimate_interest_assessment: Option<String>,
}

impl Purpose {
    /// True when each subject must have granted consent for this purpose before their data is used for it.
    pub fn requires_consent(&self) -> bool {
        self.legal_basis == LegalBasis::Consent || self.explicit_consent
    }
}

/// A declared attribute, or a family of attributes when its name ends in `*`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeRule {
    /// Its category.
    pub category: Category,
    /// A generalisation applied on ingest; the raw value is never stored.
    #[serde(default)]
    pub store_as: Option<Generalisation>,
    /// Name of the generalised attribute; defaults to the generalisation's name (`age_band`).
    #[serde(default)]
    pub stored_name: Option<String>,
    /// False to refuse the attribute outright (e.g. special categories the controller never processes).
    #[serde(default = "yes")]
    pub allowed: bool,
}

impl AttributeRule {
    /// The name under which a value declared as `declared_name` is stored.
    pub fn stored_name_for<'a>(&'a self, declared_name: &'a str) -> &'a str {
        match (&self.stored_name, self.store_as) {
            (Some(name), _) => name,
            (None, Some(generalisation)) => generalisation.as_str(),
            (None, None) => declared_name,
        }
    }
}

fn yes() -> bool {
    true
}

/// A declared event type.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRule {
    /// Properties kept; every other property is dropped on ingest.
    #[serde(default)]
    pub properties: Vec<String>,
}

/// Release thresholds for aggregates (Art. 89(1) safeguards, Art. 25(1)).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aggregates {
    /// Smallest number of subjects in a released cell; smaller cells are suppressed.
    pub min_group_size: u64,
    /// Smallest number of subjects in a released segment export or count.
    pub min_export_size: u64,
    /// Differential privacy on released counts, when enabled.
    #[serde(default)]
    pub differential_privacy: Option<DifferentialPrivacy>,
    /// Per-subject clamping bounds of summed measures (an attribute, or `event_type.property` totalled per
    /// subject): a subject's value is clamped into `[min, max]` before summing, which bounds what one person can
    /// change a released sum by. Required for sums under differential privacy.
    #[serde(default)]
    pub sum_bounds: std::collections::BTreeMap<String, SumBounds>,
}

/// Clamping bounds of one summed measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SumBounds {
    /// Smallest value counted.
    pub min: i64,
    /// Largest value counted.
    pub max: i64,
}

impl SumBounds {
    /// The most one subject can change a sum by: `max(|min|, |max|)`.
    pub fn sensitivity(&self) -> u64 {
        self.min.unsigned_abs().max(self.max.unsigned_abs())
    }
}

/// The noise distribution of differential privacy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mechanism {
    /// Discrete Laplace noise: pure epsilon-differential privacy.
    #[default]
    Laplace,
    /// Discrete Gaussian noise: approximate (epsilon, delta)-differential privacy.
    Gaussian,
}

impl Mechanism {
    /// The name in the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            Mechanism::Laplace => "laplace",
            Mechanism::Gaussian => "gaussian",
        }
    }
}

/// Differential-privacy settings and the privacy budget per requester.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DifferentialPrivacy {
    /// The noise distribution.
    #[serde(default)]
    pub mechanism: Mechanism,
    /// Delta of approximate differential privacy; required with the Gaussian mechanism, refused otherwise.
    #[serde(default)]
    pub delta: Option<f64>,
    /// Epsilon spent by one query.
    pub epsilon_per_query: f64,
    /// Total epsilon a requester may spend per day.
    pub budget_per_day: f64,
    /// Total epsilon a requester may spend per calendar month, if capped.
    #[serde(default)]
    pub budget_per_month: Option<f64>,
    /// Total epsilon every requester together may spend per day on this host, if capped.
    #[serde(default)]
    pub host_budget_per_day: Option<f64>,
    /// Total epsilon every requester together may spend per calendar month on this host, if capped.
    #[serde(default)]
    pub host_budget_per_month: Option<f64>,
}

/// Storage limitation (Art. 5(1)(e)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Events older than this many days are deleted.
    pub events_days: u32,
    /// Profiles with no new data for this many days are erased.
    pub inactive_profile_days: u32,
}

/// Erasure rules (Art. 17).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErasureRules {
    /// Whether an erased person may come back through a later import.
    #[serde(default)]
    pub reimport: Reimport,
}

/// Which plugin packages the host loads and what they may be used for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PluginRules {
    /// Publishers whose signed packages are loaded.
    pub trusted_publishers: Vec<TrustedPublisher>,
    /// Plugins allowed, each for some purposes.
    pub allow: Vec<PluginAllow>,
}

impl PluginRules {
    /// True when `plugin` may run for `purpose`.
    pub fn is_allowed(&self, plugin: &str, purpose: &str) -> bool {
        self.purposes_of(plugin).iter().any(|p| p == purpose)
    }

    /// The purposes a plugin may run for; empty when it is not allowed at all.
    pub fn purposes_of(&self, plugin: &str) -> &[String] {
        self.allow
            .iter()
            .find(|a| a.plugin == plugin)
            .map_or(&[], |a| a.purposes.as_slice())
    }

    /// The Ed25519 public key of a trusted publisher.
    pub fn publisher_key(&self, name: &str) -> Option<&[u8; 32]> {
        self.trusted_publishers
            .iter()
            .find(|p| p.name == name)
            .map(TrustedPublisher::public_key)
    }
}

/// A publisher whose plugin packages the host trusts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrustedPublisher {
    /// Publisher name as written in plugin manifests.
    pub name: String,
    /// The key as written in the policy: `ed25519:` and the base64 of 32 bytes.
    pub key: String,
    #[serde(skip)]
    public_key: [u8; 32],
}

impl TrustedPublisher {
    pub(crate) fn new(name: String, key: String, public_key: [u8; 32]) -> Self {
        Self {
            name,
            key,
            public_key,
        }
    }

    /// The raw Ed25519 public key.
    pub fn public_key(&self) -> &[u8; 32] {
        &self.public_key
    }
}

/// One plugin allowed for some purposes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginAllow {
    /// Plugin id, as in its manifest.
    pub plugin: String,
    /// Purposes it may run for.
    pub purposes: Vec<String>,
}

/// What ingest does with one raw record attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttributeDisposition {
    /// Store it, under `stored_name`, generalised first when `generalisation` is set.
    Keep {
        /// The attribute name in storage (e.g. `age_band` for a raw `birth_date`).
        stored_name: String,
        /// Generalisation applied before storing.
        generalisation: Option<Generalisation>,
        /// Its category.
        category: Category,
    },
    /// Drop it: not declared, or declared but no purpose uses it (minimisation, Art. 5(1)(c)).
    DropNotListed,
    /// Drop it: declared `allowed: false` (e.g. a special category, Art. 9(1)).
    DropNotAllowed,
    /// It is an identifier kind: it belongs in the record's identifiers, keyed-hashed, not in its attributes.
    IsIdentifier,
}
