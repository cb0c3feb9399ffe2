//! Semantic checks: the rules a JSON Schema cannot express, each tied to the GDPR article it enforces.
//!
//! Every check reports at the path of the field to change; lines are filled in by the caller. All checks run, so
//! one `cohort policy check` lists every problem.

use std::collections::HashMap;

use base64::Engine as _;

use crate::declared::{self, Declarations, Reference};
use crate::document::{Document, PurposeDoc};
use crate::error::Diagnostic;
use crate::location::{child, index};
use crate::vocabulary::{Category, LegalBasis, Outputs};

/// Prefix of a publisher key in a policy file.
pub(crate) const ED25519_KEY_PREFIX: &str = "ed25519:";

/// Smallest `min_group_size` accepted: a group of one is a person, not a statistic.
pub(crate) const MIN_GROUP_SIZE_FLOOR: u64 = 2;

/// Runs every semantic check on a document that passed the schema.
pub(crate) fn check(doc: &Document) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let declared = Declarations::new(&doc.attributes);
    check_attributes(doc, &declared, &mut out);
    let mut first_use: HashMap<&str, usize> = HashMap::new();
    for (i, purpose) in doc.purposes.iter().enumerate() {
        let path = index("/purposes", i);
        if let Some(first) = first_use.get(purpose.id.as_str()) {
            out.push(Diagnostic::at(
                child(&path, "id"),
                format!(
                    "duplicate purpose id `{}`; /purposes/{first} already uses it",
                    purpose.id
                ),
            ));
        } else {
            first_use.insert(&purpose.id, i);
        }
        check_purpose(doc, &declared, purpose, &path, &mut out);
    }
    check_aggregates(doc, &mut out);
    check_retention(doc, &mut out);
    check_plugins(doc, &mut out);
    out
}

/// Declarations that cannot work as written.
fn check_attributes(doc: &Document, declared: &Declarations<'_>, out: &mut Vec<Diagnostic>) {
    for (key, rule) in &doc.attributes {
        let path = child("/attributes", key);
        if let Some(generalisation) = rule.store_as {
            if rule.category == Category::Identifier {
                out.push(Diagnostic::at(
                    child(&path, "store_as"),
                    format!(
                        "identifier `{key}` cannot be stored as `{generalisation}`: identifiers are kept only as keyed \
                         hashes for matching, never generalised"
                    ),
                ));
            }
            if declared::is_pattern(key) {
                out.push(Diagnostic::at(
                    child(&path, "store_as"),
                    format!(
                        "pattern `{key}` cannot have store_as: every attribute it matches would be stored under the \
                         same name"
                    ),
                ));
            }
        } else if rule.stored_name.is_some() {
            out.push(Diagnostic::at(
                child(&path, "stored_name"),
                format!(
                    "`{key}` has stored_name but no store_as; stored_name names a generalised value"
                ),
            ));
        }
    }
    let mut stored_by: HashMap<&str, &str> = HashMap::new();
    for (key, rule, stored) in declared.generalised() {
        if let Some(first) = stored_by.get(stored) {
            let field = if rule.stored_name.is_some() {
                "stored_name"
            } else {
                "store_as"
            };
            out.push(Diagnostic::at(
                child(&child("/attributes", key), field),
                format!(
                    "`{first}` and `{key}` would both be stored as `{stored}`; give one of them a distinct stored_name"
                ),
            ));
        } else {
            stored_by.insert(stored, key);
        }
    }
}

fn check_purpose(
    doc: &Document,
    declared: &Declarations<'_>,
    purpose: &PurposeDoc,
    path: &str,
    out: &mut Vec<Diagnostic>,
) {
    let id = &purpose.id;
    let basis = purpose.legal_basis;
    if purpose.outputs == Outputs::PerSubject && basis != LegalBasis::Consent {
        out.push(Diagnostic::at(
            child(path, "legal_basis"),
            format!(
                "purpose `{id}` releases per-subject data but its legal basis is `{basis}`; per-subject release \
                 needs consent (Art. 6(1)(a))"
            ),
        ));
    }
    if basis == LegalBasis::LegitimateInterest && purpose.legitimate_interest_assessment.is_none() {
        out.push(Diagnostic::at(
            child(path, "legal_basis"),
            format!(
                "purpose `{id}` relies on legitimate interest but names no legitimate_interest_assessment; \
                 Art. 6(1)(f) requires a documented balancing test"
            ),
        ));
    }
    if purpose.explicit_consent && basis != LegalBasis::Consent {
        out.push(Diagnostic::at(
            child(path, "explicit_consent"),
            format!(
                "purpose `{id}` sets explicit_consent but its legal basis is `{basis}`; explicit consent \
                 (Art. 9(2)(a)) needs legal basis `consent`"
            ),
        ));
    }
    if purpose.attributes.is_empty() && purpose.event_types.is_empty() {
        out.push(Diagnostic::at(
            path,
            format!(
                "purpose `{id}` names no attributes and no event types; a purpose must say which data it \
                 processes (Art. 5(1)(b)-(c))"
            ),
        ));
    }
    for (j, name) in purpose.attributes.iter().enumerate() {
        let at = index(&child(path, "attributes"), j);
        let problem = match declared.resolve(name) {
            Reference::Stored {
                category: Category::Special,
                ..
            } if !(purpose.explicit_consent && basis == LegalBasis::Consent) => Some(format!(
                "purpose `{id}` uses special-category attribute `{name}` (Art. 9(1)) without explicit consent; \
                 set `explicit_consent: true` with legal basis `consent` (Art. 9(2)(a))"
            )),
            Reference::Stored { .. } => None,
            Reference::Identifier => Some(format!(
                "purpose `{id}` lists identifier kind `{name}` as an attribute; identifiers are released only as \
                 contact_identifiers of a per_subject purpose"
            )),
            Reference::NotAllowed { key } => Some(format!(
                "purpose `{id}` uses attribute `{name}`, but `{key}` is declared `allowed: false`, so it is never \
                 stored"
            )),
            Reference::RawOfGeneralised { stored } => Some(format!(
                "purpose `{id}` uses `{name}`, which is generalised on ingest and stored as `{stored}`; reference \
                 `{stored}` instead"
            )),
            Reference::Undeclared => Some(format!(
                "purpose `{id}` uses attribute `{name}`, which is not declared under `attributes` \
                 (Art. 5(1)(c): only declared data is stored)"
            )),
        };
        if let Some(message) = problem {
            out.push(Diagnostic::at(at, message));
        }
    }
    for (j, event_type) in purpose.event_types.iter().enumerate() {
        if !doc.events.contains_key(event_type) {
            out.push(Diagnostic::at(
                index(&child(path, "event_types"), j),
                format!("purpose `{id}` uses event type `{event_type}`, which is not declared under `events`"),
            ));
        }
    }
    if !purpose.contact_identifiers.is_empty() && purpose.outputs == Outputs::AggregateOnly {
        out.push(Diagnostic::at(
            child(path, "contact_identifiers"),
            format!(
                "purpose `{id}` is aggregate_only and releases no subjects, so it cannot release contact \
                 identifiers; remove them or make the purpose per_subject"
            ),
        ));
    }
    for (j, kind) in purpose.contact_identifiers.iter().enumerate() {
        let at = index(&child(path, "contact_identifiers"), j);
        match declared.lookup(kind) {
            Some((_, rule)) if rule.category == Category::Identifier && rule.allowed => {}
            Some((key, rule)) if !rule.allowed => out.push(Diagnostic::at(
                at,
                format!("contact identifier `{kind}` is declared `allowed: false` by `{key}`"),
            )),
            _ => out.push(Diagnostic::at(
                at,
                format!("contact identifier `{kind}` is not declared under `attributes` with category identifier"),
            )),
        }
    }
}

fn check_aggregates(doc: &Document, out: &mut Vec<Diagnostic>) {
    let aggregates = &doc.aggregates;
    if aggregates.min_group_size < MIN_GROUP_SIZE_FLOOR {
        out.push(Diagnostic::at(
            "/aggregates/min_group_size",
            format!(
                "min_group_size is {}; a group of fewer than {MIN_GROUP_SIZE_FLOOR} subjects describes one person, \
                 so it must be at least {MIN_GROUP_SIZE_FLOOR}",
                aggregates.min_group_size
            ),
        ));
    }
    if aggregates.min_export_size < aggregates.min_group_size {
        out.push(Diagnostic::at(
            "/aggregates/min_export_size",
            format!(
                "min_export_size ({}) is below min_group_size ({}); an export must be at least as large as the \
                 smallest releasable group",
                aggregates.min_export_size, aggregates.min_group_size
            ),
        ));
    }
    if let Some(dp) = &aggregates.differential_privacy {
        let path = "/aggregates/differential_privacy";
        if dp.epsilon_per_query <= 0.0 {
            out.push(Diagnostic::at(
                child(path, "epsilon_per_query"),
                format!(
                    "epsilon_per_query is {}; it must be greater than 0",
                    dp.epsilon_per_query
                ),
            ));
        } else if dp.budget_per_day < dp.epsilon_per_query {
            out.push(Diagnostic::at(
                child(path, "budget_per_day"),
                format!(
                    "budget_per_day ({}) is below epsilon_per_query ({}), so not even one query could run",
                    dp.budget_per_day, dp.epsilon_per_query
                ),
            ));
        }
        if let Some(month) = dp.budget_per_month
            && month < dp.budget_per_day
        {
            out.push(Diagnostic::at(
                child(path, "budget_per_month"),
                format!(
                    "budget_per_month ({month}) is below budget_per_day ({})",
                    dp.budget_per_day
                ),
            ));
        }
        check_dp_mechanism(dp, path, out);
        check_host_budgets(dp, path, out);
    }
    check_sum_bounds(doc, out);
}

/// Largest delta accepted: far below one over the number of subjects of any realistic store, so that "fails with
/// probability delta" cannot mean "releases one person's data".
const MAX_DELTA: f64 = 1e-5;

fn check_dp_mechanism(
    dp: &crate::model::DifferentialPrivacy,
    path: &str,
    out: &mut Vec<Diagnostic>,
) {
    use crate::model::Mechanism;
    match (dp.mechanism, dp.delta) {
        (Mechanism::Laplace, Some(_)) => out.push(Diagnostic::at(
            child(path, "delta"),
            "delta is set but the mechanism is laplace (pure epsilon-DP); remove delta, or set `mechanism: gaussian`",
        )),
        (Mechanism::Gaussian, None) => out.push(Diagnostic::at(
            child(path, "mechanism"),
            "the gaussian mechanism gives (epsilon, delta)-DP and needs `delta`",
        )),
        (Mechanism::Gaussian, Some(delta)) if !(delta > 0.0 && delta <= MAX_DELTA) => {
            out.push(Diagnostic::at(
                child(path, "delta"),
                format!("delta is {delta}; it must be greater than 0 and at most {MAX_DELTA}"),
            ))
        }
        _ => {}
    }
}

fn check_host_budgets(
    dp: &crate::model::DifferentialPrivacy,
    path: &str,
    out: &mut Vec<Diagnostic>,
) {
    if let Some(host_day) = dp.host_budget_per_day
        && host_day < dp.budget_per_day
    {
        out.push(Diagnostic::at(
            child(path, "host_budget_per_day"),
            format!(
                "host_budget_per_day ({host_day}) is below budget_per_day ({}); lower budget_per_day instead",
                dp.budget_per_day
            ),
        ));
    }
    if let Some(host_month) = dp.host_budget_per_month {
        let floor = dp
            .host_budget_per_day
            .into_iter()
            .chain(dp.budget_per_month)
            .fold(dp.budget_per_day, f64::max);
        if host_month < floor {
            out.push(Diagnostic::at(
                child(path, "host_budget_per_month"),
                format!(
                    "host_budget_per_month ({host_month}) is below {floor}, the largest of the daily and \
                     per-requester budgets"
                ),
            ));
        }
    }
}

fn check_sum_bounds(doc: &Document, out: &mut Vec<Diagnostic>) {
    for (measure, bounds) in &doc.aggregates.sum_bounds {
        let at = child("/aggregates/sum_bounds", measure);
        if bounds.min >= bounds.max {
            out.push(Diagnostic::at(
                at.clone(),
                format!("min ({}) must be below max ({})", bounds.min, bounds.max),
            ));
        }
        let declared = match measure.split_once('.') {
            Some((event, property)) => doc
                .events
                .get(event)
                .is_some_and(|e| e.properties.iter().any(|p| p == property)),
            None => doc
                .attributes
                .iter()
                .any(|(name, rule)| rule.stored_name_for(name) == measure),
        };
        if !declared {
            out.push(Diagnostic::at(
                at,
                format!(
                    "`{measure}` is neither a declared attribute nor a declared `event_type.property`"
                ),
            ));
        }
    }
}

fn check_retention(doc: &Document, out: &mut Vec<Diagnostic>) {
    if doc.retention.events_days == 0 {
        out.push(Diagnostic::at(
            "/retention/events_days",
            "events_days is 0, which would delete events as they arrive; it must be at least 1 (to keep no \
             events, let no purpose use event types)",
        ));
    }
    if doc.retention.inactive_profile_days == 0 {
        out.push(Diagnostic::at(
            "/retention/inactive_profile_days",
            "inactive_profile_days is 0, which would erase profiles as they arrive; it must be at least 1",
        ));
    }
}

fn check_plugins(doc: &Document, out: &mut Vec<Diagnostic>) {
    let mut publishers: HashMap<&str, usize> = HashMap::new();
    for (i, publisher) in doc.plugins.trusted_publishers.iter().enumerate() {
        let path = index("/plugins/trusted_publishers", i);
        if let Some(first) = publishers.insert(&publisher.name, i) {
            out.push(Diagnostic::at(
                child(&path, "name"),
                format!(
                    "publisher `{}` is already listed at /plugins/trusted_publishers/{first}",
                    publisher.name
                ),
            ));
        }
        if let Err(problem) = decode_publisher_key(&publisher.key) {
            out.push(Diagnostic::at(
                child(&path, "key"),
                format!("key of publisher `{}` {problem}", publisher.name),
            ));
        }
    }
    let mut plugins: HashMap<&str, usize> = HashMap::new();
    for (i, allow) in doc.plugins.allow.iter().enumerate() {
        let path = index("/plugins/allow", i);
        if let Some(first) = plugins.insert(&allow.plugin, i) {
            out.push(Diagnostic::at(
                child(&path, "plugin"),
                format!(
                    "plugin `{}` is already allowed at /plugins/allow/{first}; list all its purposes there",
                    allow.plugin
                ),
            ));
        }
        for (j, purpose) in allow.purposes.iter().enumerate() {
            if !doc.purposes.iter().any(|p| &p.id == purpose) {
                out.push(Diagnostic::at(
                    index(&child(&path, "purposes"), j),
                    format!(
                        "plugin `{}` is allowed for purpose `{purpose}`, which this policy does not define",
                        allow.plugin
                    ),
                ));
            }
        }
    }
}

/// Decodes `ed25519:<base64 of 32 bytes>`; the error completes the sentence "key of publisher `x` ...".
pub(crate) fn decode_publisher_key(key: &str) -> Result<[u8; 32], String> {
    const EXPECTED: &str =
        "`ed25519:` followed by the standard base64 of a 32-byte Ed25519 public key";
    let Some(encoded) = key.strip_prefix(ED25519_KEY_PREFIX) else {
        return Err(format!(
            "must be {EXPECTED}; it does not start with `{ED25519_KEY_PREFIX}`"
        ));
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| {
            format!("must be {EXPECTED}; the part after `{ED25519_KEY_PREFIX}` is not valid base64")
        })?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| format!("must be {EXPECTED}; it decodes to {} bytes", bytes.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publisher_keys_must_be_32_bytes_of_standard_base64() {
        let good = format!(
            "ed25519:{}",
            base64::engine::general_purpose::STANDARD.encode([7u8; 32])
        );
        assert_eq!(decode_publisher_key(&good), Ok([7u8; 32]));
        let short = format!(
            "ed25519:{}",
            base64::engine::general_purpose::STANDARD.encode([7u8; 31])
        );
        assert!(
            decode_publisher_key(&short)
                .unwrap_err()
                .ends_with("decodes to 31 bytes")
        );
        assert!(
            decode_publisher_key("ed25519:not base64!")
                .unwrap_err()
                .contains("not valid base64")
        );
        assert!(
            decode_publisher_key(&good.replace("ed25519:", "rsa:"))
                .unwrap_err()
                .contains("does not start")
        );
    }
}
