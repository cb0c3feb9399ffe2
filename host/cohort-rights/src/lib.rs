//! Consent changes and data-subject rights, one implementation for every front end (the CLI's `consent` and
//! `subject` commands and the HTTP API's consent and subject endpoints).
//!
//! Each operation names the person by one raw identifier ([`Who`]), normalises and keyed-hashes it under the policy,
//! finds the subject, does its work through the store and appends its audit entry in the same commit (or, for a
//! read, before anything is released). Nothing here keeps a raw identifier beyond the call, and no error message
//! contains one.

use cohort_crypto::Pseudonym;
use cohort_identity::{NormalisationOptions, normalise};
use cohort_policy::Policy;
use cohort_store::{
    AuditRecord, BatchOptions, Change, ConsentEvent, ConsentInput, ConsentState, ErasureReport,
    ErasureRequest, IdentifierInput, Store, StoreError, SubjectFlags, SubjectId, SubjectView,
};
use serde::Serialize;
use serde_json::{Value, json};

/// Errors of a rights operation. Messages never contain the identifier's value.
#[derive(Debug, thiserror::Error)]
pub enum RightsError {
    /// The identifier kind is not one the policy declares.
    #[error(
        "identifier kind `{kind}` is not declared in policy `{policy}` (attributes with category: identifier)"
    )]
    UndeclaredKind {
        /// The kind.
        kind: String,
        /// The policy id.
        policy: String,
    },
    /// The identifier does not normalise.
    #[error(transparent)]
    Identifier(#[from] cohort_identity::IdentityError),
    /// Nobody is known by it.
    #[error("no subject is known by that identifier")]
    NoSuchSubject,
    /// The person was erased.
    #[error("this person was erased; only a tombstone and the suppressed identifier hash remain")]
    Erased,
    /// The purpose is not in the policy.
    #[error("purpose `{purpose}` is not in policy `{policy}` (known: {known})")]
    UnknownPurpose {
        /// The purpose asked for.
        purpose: String,
        /// The policy id.
        policy: String,
        /// The purposes the policy has.
        known: String,
    },
    /// Consent is only recorded for consent-based purposes.
    #[error(
        "purpose `{purpose}` has legal basis `{basis}`; consent is only recorded for consent-based purposes \
         (to stop legitimate-interest processing for a person, record an objection)"
    )]
    NotConsentBased {
        /// The purpose.
        purpose: String,
        /// Its legal basis.
        basis: String,
    },
    /// A field of the request is invalid (named, value not repeated).
    #[error("{field}: {message}")]
    Invalid {
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RightsError {
    /// Whether the caller asked for something impossible (as opposed to the store failing).
    pub fn is_client_error(&self) -> bool {
        !matches!(self, RightsError::Store(_))
    }
}

/// Who an operation is about: one raw identifier. `Debug` does not show the value.
#[derive(Clone)]
pub struct Who {
    /// The identifier kind (`email`, `phone`, `crm_id`, ...).
    pub kind: String,
    /// The raw value.
    pub value: String,
}

impl std::fmt::Debug for Who {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Who({}=<redacted>)", self.kind)
    }
}

/// The normalisation options the policy asks for.
pub fn normalisation(policy: &Policy) -> NormalisationOptions {
    let rules = policy.identity();
    NormalisationOptions {
        email_folding: match rules.email_folding {
            cohort_policy::EmailFolding::None => cohort_identity::EmailFolding::None,
            cohort_policy::EmailFolding::Gmail => cohort_identity::EmailFolding::Gmail,
        },
        default_phone_region: rules.default_phone_region.clone(),
    }
}

/// Every pseudonym of `who` (one per identity key), with the normalised kind.
pub fn pseudonyms(
    who: &Who,
    policy: &Policy,
    store: &Store,
) -> Result<(String, Vec<Pseudonym>), RightsError> {
    if !policy.identifier_allowed(&who.kind) {
        return Err(RightsError::UndeclaredKind {
            kind: who.kind.clone(),
            policy: policy.id().to_string(),
        });
    }
    let n = normalise(&who.kind, &who.value, &normalisation(policy))?;
    let kind = n.kind().as_str().to_string();
    let p = store
        .keys()
        .pseudonymiser()
        .pseudonymise_all(&kind, n.value());
    Ok((kind, p))
}

/// Finds the subject `who` names, or says why there is none.
pub fn find_subject(store: &Store, policy: &Policy, who: &Who) -> Result<SubjectId, RightsError> {
    let (_, p) = pseudonyms(who, policy, store)?;
    if let Some(id) = store.find_subject(&p)? {
        return Ok(id);
    }
    if store.is_suppressed(&p)? {
        return Err(RightsError::Erased);
    }
    Err(RightsError::NoSuchSubject)
}

/// A new request id for a data-subject request that came without one.
pub fn new_request_id() -> String {
    format!("req-{}", cohort_ingest::prepare::random_record_id())
}

/// Checks a caller-supplied request id: 1 to 100 characters of `[A-Za-z0-9._:-]`, so it is safe in logs.
pub fn check_request_id(id: &str) -> Result<(), RightsError> {
    let ok = !id.is_empty()
        && id.len() <= 100
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(RightsError::Invalid {
            field: "request_id".into(),
            message: "must be 1 to 100 characters of letters, digits and . _ : -".into(),
        })
    }
}

/// A consent change to record.
#[derive(Debug, Clone)]
pub struct ConsentChange {
    /// Whose.
    pub who: Who,
    /// The consent-based purpose.
    pub purpose: String,
    /// The new state.
    pub state: ConsentState,
    /// Where it was collected.
    pub source: String,
    /// The privacy notice shown.
    pub notice: Option<String>,
    /// How it was expressed (`cli`, `api`, ...).
    pub method: String,
    /// When the person expressed it (RFC 3339); `None`: now.
    pub at: Option<String>,
}

/// A recorded consent change.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentRecorded {
    /// The subject (random id).
    pub subject: String,
    /// The purpose.
    pub purpose: String,
    /// The new state.
    pub state: &'static str,
    /// When the person expressed it.
    pub at: String,
    /// The audit entry.
    pub audit_seq: u64,
}

/// Records a consent change for a known person, audited as `consent.grant|withdraw|refuse`.
pub fn record_consent(
    store: &Store,
    policy: &Policy,
    actor: &str,
    change: &ConsentChange,
) -> Result<ConsentRecorded, RightsError> {
    let Some(purpose) = policy.purpose(&change.purpose) else {
        let known: Vec<_> = policy.purposes().iter().map(|p| p.id.as_str()).collect();
        return Err(RightsError::UnknownPurpose {
            purpose: change.purpose.clone(),
            policy: policy.id().to_string(),
            known: known.join(", "),
        });
    };
    if !purpose.requires_consent() {
        return Err(RightsError::NotConsentBased {
            purpose: purpose.id.clone(),
            basis: purpose.legal_basis.as_str().to_string(),
        });
    }
    let id = find_subject(store, policy, &change.who)?;
    let (kind, pseudonyms) = pseudonyms(&change.who, policy, store)?;
    let now = time::OffsetDateTime::now_utc();
    let at = match &change.at {
        Some(t) => {
            cohort_ingest::prepare::parse_time(t).map_err(|message| RightsError::Invalid {
                field: "at".into(),
                message,
            })?
        }
        None => cohort_store::rfc3339(now),
    };
    let store_change = Change {
        source: change.source.clone(),
        received_at: cohort_store::rfc3339(now),
        received_day: cohort_store::day_number(now),
        identifiers: vec![IdentifierInput {
            kind,
            pseudonyms,
            contact_value: None,
        }],
        consents: vec![ConsentInput {
            purpose: purpose.id.clone(),
            event: ConsentEvent {
                record_id: cohort_ingest::prepare::random_record_id(),
                state: change.state,
                at: at.clone(),
                source: change.source.clone(),
                notice: change.notice.clone(),
                method: Some(change.method.clone()),
                language: None,
                policy_id: policy.id().to_string(),
                policy_version: policy.version(),
                recorded_at: cohort_store::rfc3339(now),
            },
        }],
        create_if_missing: false,
        ..Change::default()
    };
    let mut batch = store.batch(BatchOptions::default());
    batch.apply(store_change).map_err(|e| match e {
        cohort_store::ApplyError::Store(e) => RightsError::Store(e),
        _ => RightsError::NoSuchSubject,
    })?;
    let action = format!(
        "consent.{}",
        match change.state {
            ConsentState::Granted => "grant",
            ConsentState::Withdrawn => "withdraw",
            ConsentState::Refused => "refuse",
        }
    );
    let report = batch.commit(
        AuditRecord::new(actor, &action, Some(policy.sha256_hex()))
            .purpose(&purpose.id)
            .subject(id)
            .detail("source", change.source.clone()),
    )?;
    Ok(ConsentRecorded {
        subject: id.to_hex(),
        purpose: purpose.id.clone(),
        state: change.state.as_str(),
        at,
        audit_seq: report.audit_seq,
    })
}

/// The person's consent state and history for every consent-based purpose (ISO/IEC TS 27560 fields), audited as
/// `consent.show`.
pub fn consent_show(
    store: &Store,
    policy: &Policy,
    actor: &str,
    who: &Who,
) -> Result<(SubjectId, Vec<Value>), RightsError> {
    let id = find_subject(store, policy, who)?;
    let view = store.subject(&id)?.ok_or(RightsError::NoSuchSubject)?;
    store.audit(AuditRecord::new(actor, "consent.show", Some(policy.sha256_hex())).subject(id))?;
    let records = policy
        .purposes()
        .iter()
        .filter(|p| p.requires_consent())
        .map(|p| {
            let pc = view.body.consents.0.get(&p.id);
            let state = view.body.consents.state(&p.id);
            json!({
                "purpose": p.id,
                "state": state.map(|s| s.as_str()).unwrap_or("none (not granted)"),
                "dpv:hasConsentStatus": state.map(|s| s.dpv()),
                "dpv:hasDataSubject": id.to_hex(),
                "dpv:hasDataController": policy.controller().name,
                "history": pc.map(|c| c.history.clone()).unwrap_or_default(),
            })
        })
        .collect();
    Ok((id, records))
}

/// Everything held about the person (Art. 15 / 20), with segment memberships, audited as `subject.export` before
/// it is returned.
pub fn export(
    store: &Store,
    policy: &Policy,
    actor: &str,
    who: &Who,
    request_id: &str,
) -> Result<Value, RightsError> {
    let id = find_subject(store, policy, who)?;
    let view = store.subject(&id)?.ok_or(RightsError::NoSuchSubject)?;
    let mut doc = export_document(&view, policy);
    // Segment memberships with their reasons (Art. 15(1)(h): meaningful information about the logic).
    doc["segments"] = serde_json::to_value(store.memberships(&id)?).unwrap_or(Value::Null);
    doc["request_id"] = Value::String(request_id.to_string());
    // Audit before release: an export that is not recorded must not happen.
    store.audit(
        AuditRecord::new(actor, "subject.export", Some(policy.sha256_hex()))
            .subject(id)
            .detail(cohort_store::REQUEST_ID_DETAIL, request_id.to_string())
            .count("attributes", view.body.attributes.len() as u64)
            .count("events", view.body.events.len() as u64),
    )?;
    Ok(doc)
}

/// Erases the person by crypto-shredding (Art. 17), suppressing their identifiers against re-import.
pub fn erase(
    store: &Store,
    policy: &Policy,
    actor: &str,
    who: &Who,
    reason: &str,
    request_id: &str,
) -> Result<ErasureReport, RightsError> {
    if reason.is_empty() || reason.len() > 200 || reason.chars().any(char::is_control) {
        return Err(RightsError::Invalid {
            field: "reason".into(),
            message:
                "must be 1 to 200 printable characters (an Art. 17(1) ground such as art17-1-a)"
                    .into(),
        });
    }
    let id = find_subject(store, policy, who)?;
    Ok(store.erase(
        &id,
        ErasureRequest {
            request_id: request_id.to_string(),
            reason: reason.to_string(),
            suppress: true,
            audit: AuditRecord::new(actor, "subject.erase", Some(policy.sha256_hex()))
                .detail(cohort_store::REQUEST_ID_DETAIL, request_id.to_string()),
        },
    )?)
}

/// Which Art. 18 / 21 flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// Art. 18 restriction of processing.
    Restrict,
    /// Art. 21 objection to legitimate-interest processing.
    Object,
}

/// Sets (or with `lift`, clears) a flag, audited as `subject.restrict[.lift]` or `subject.object[.lift]`.
pub fn set_flag(
    store: &Store,
    policy: &Policy,
    actor: &str,
    who: &Who,
    flag: Flag,
    lift: bool,
    request_id: &str,
) -> Result<(SubjectId, SubjectFlags), RightsError> {
    let id = find_subject(store, policy, who)?;
    let name = match flag {
        Flag::Restrict => "restrict",
        Flag::Object => "object",
    };
    let action = format!("subject.{name}{}", if lift { ".lift" } else { "" });
    let flags = store.set_flags(
        &id,
        |f| match flag {
            Flag::Restrict => f.restricted = !lift,
            Flag::Object => f.objected = !lift,
        },
        AuditRecord::new(actor, &action, Some(policy.sha256_hex()))
            .subject(id)
            .detail(cohort_store::REQUEST_ID_DETAIL, request_id.to_string()),
    )?;
    Ok((id, flags))
}

/// What a rectification did.
#[derive(Debug, Clone, Serialize)]
pub struct Rectified {
    /// The subject.
    pub subject: String,
    /// Attributes written (after minimisation and generalisation).
    pub attributes_written: u64,
    /// Attributes the policy dropped.
    pub attributes_dropped: u64,
    /// The audit entry.
    pub audit_seq: u64,
}

/// Corrects attributes of a known person (Art. 16): the new values take the ingest path (record schema, then
/// minimisation and generalisation under the policy) and replace the stored ones; audited as `subject.rectify`.
pub fn rectify(
    store: &Store,
    policy: &Policy,
    actor: &str,
    who: &Who,
    attributes: &serde_json::Map<String, Value>,
    request_id: &str,
) -> Result<Rectified, RightsError> {
    let id = find_subject(store, policy, who)?;
    let record = json!({
        "source": "rectification",
        "identifiers": {who.kind.clone(): who.value.clone()},
        "attributes": attributes,
    });
    let first_error = |errs: Vec<cohort_ingest::schema::FieldError>| {
        let e = errs.into_iter().next();
        RightsError::Invalid {
            field: e.as_ref().map(|e| e.field.clone()).unwrap_or_default(),
            message: e.map(|e| e.message).unwrap_or_else(|| "invalid".into()),
        }
    };
    let errors = cohort_ingest::schema::validate(&record);
    if !errors.is_empty() {
        return Err(first_error(errors));
    }
    let preparer = cohort_ingest::prepare::Preparer::new(policy, store.keys().pseudonymiser());
    let prepared = preparer
        .prepare(&record, time::OffsetDateTime::now_utc())
        .map_err(first_error)?;
    let mut change = prepared.change;
    change.create_if_missing = false;
    let written = change.attributes.len() as u64;
    let dropped = prepared.dropped.attributes_not_listed + prepared.dropped.attributes_not_allowed;
    let mut batch = store.batch(BatchOptions::default());
    batch.apply(change).map_err(|e| match e {
        cohort_store::ApplyError::Store(e) => RightsError::Store(e),
        _ => RightsError::NoSuchSubject,
    })?;
    let report = batch.commit(
        AuditRecord::new(actor, "subject.rectify", Some(policy.sha256_hex()))
            .subject(id)
            .detail(cohort_store::REQUEST_ID_DETAIL, request_id.to_string())
            .count("attributes_written", written)
            .count("attributes_dropped", dropped),
    )?;
    Ok(Rectified {
        subject: id.to_hex(),
        attributes_written: written,
        attributes_dropped: dropped,
        audit_seq: report.audit_seq,
    })
}

/// The Art. 15 / Art. 20 document: everything held, what it is used for and on which basis, in a portable form.
pub fn export_document(view: &SubjectView, policy: &Policy) -> Value {
    let body = &view.body;
    let flags = view.header.flags;
    let identifiers: Vec<Value> = body
        .identifiers
        .iter()
        .map(|i| {
            json!({
                "kind": i.kind,
                "value": i.value.clone().map(Value::String).unwrap_or(Value::String(
                    "not stored in clear: only a keyed hash (HMAC-SHA256) is kept for matching".into())),
                "source": i.source,
                "first_seen": i.first_seen,
            })
        })
        .collect();
    let purposes: Vec<Value> = policy
        .purposes()
        .iter()
        .map(|p| {
            let used: Vec<&String> = p
                .attributes
                .iter()
                .filter(|a| body.attributes.contains_key(*a))
                .collect();
            let applies = if flags.restricted {
                "no: processing restricted (Art. 18)".to_string()
            } else if p.requires_consent() {
                if body.consents.is_granted(&p.id) {
                    "yes: consent granted".into()
                } else {
                    "no: no consent granted".into()
                }
            } else if flags.objected
                && matches!(p.legal_basis, cohort_policy::LegalBasis::LegitimateInterest)
            {
                "no: objection recorded (Art. 21)".into()
            } else {
                format!("yes: {}", p.legal_basis.article())
            };
            json!({
                "purpose": p.id,
                "description": p.description,
                "legal_basis": p.legal_basis.as_str(),
                "article": p.legal_basis.article(),
                "applies_to_you": applies,
                "your_attributes_used": used,
                "event_types_used": p.event_types,
                "outputs": format!("{:?}", p.outputs),
            })
        })
        .collect();
    json!({
        "format": "cohort-subject-export/v1",
        "generated_at": cohort_store::rfc3339(time::OffsetDateTime::now_utc()),
        "controller": {"name": policy.controller().name, "dpo": policy.controller().dpo},
        "policy": {"id": policy.id(), "version": policy.version(), "sha256": policy.sha256_hex()},
        "subject_id": view.id.to_hex(),
        "restrictions": {"restricted_art18": flags.restricted, "objected_art21": flags.objected},
        "identifiers": identifiers,
        "attributes": body.attributes,
        "events": body.events,
        "consents": body.consents,
        "sources": body.sources,
        "merged_from": body.merged_from,
        "purposes": purposes,
        "retention": {"events_days": policy.retention().events_days,
                      "inactive_profile_days": policy.retention().inactive_profile_days},
    })
}
