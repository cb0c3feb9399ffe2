//! `cohort subject`: the data-subject rights of GDPR Articles 15, 17, 18, 20 and 21.

use crate::cli::SubjectCommand;
use crate::context::{Ctx, find_subject};
use crate::output::emit;
use anyhow::{Context as _, Result, bail};
use cohort_policy::Policy;
use cohort_store::{AuditRecord, ErasureRequest, SubjectView};
use serde_json::{Value, json};

pub fn run(ctx: &Ctx, command: SubjectCommand) -> Result<()> {
    let (store, policy) = ctx.store_and_policy()?;
    match command {
        SubjectCommand::Export { who, out } => {
            let id = find_subject(&store, &policy, &who)?;
            let Some(view) = store.subject(&id)? else {
                bail!("no subject is known by that identifier")
            };
            let mut doc = export_document(&view, &policy);
            // Segment memberships with their reasons (Art. 15(1)(h): meaningful information about the logic).
            doc["segments"] = serde_json::to_value(store.memberships(&id)?)?;
            let text = serde_json::to_string_pretty(&doc)?;
            // Audit before release: an export that is not recorded must not happen.
            store.audit(
                AuditRecord::new(&ctx.actor, "subject.export", Some(policy.sha256_hex()))
                    .subject(id)
                    .count("attributes", view.body.attributes.len() as u64)
                    .count("events", view.body.events.len() as u64),
            )?;
            match out {
                Some(path) => {
                    write_private(&path, text.as_bytes())?;
                    eprintln!("Wrote the export of subject {id} to {}", path.display());
                }
                None => println!("{text}"),
            }
            Ok(())
        }
        SubjectCommand::Erase {
            who,
            reason,
            request_id,
        } => {
            let id = find_subject(&store, &policy, &who)?;
            let request_id = request_id
                .unwrap_or_else(|| format!("req-{}", cohort_ingest::prepare::random_record_id()));
            let report = store.erase(
                &id,
                ErasureRequest {
                    request_id,
                    reason,
                    suppress: true,
                    audit: AuditRecord::new(&ctx.actor, "subject.erase", Some(policy.sha256_hex())),
                },
            )?;
            emit(ctx.json, &report, || {
                format!(
                    "Erased subject {}: data key destroyed, profile and events removed, {} identifier hash(es) \
                     suppressed against re-import. Tombstone {} (audit entry {}).\n",
                    report.subject,
                    report.identifiers_suppressed,
                    report.tombstone,
                    report.audit_seq
                )
            })
        }
        SubjectCommand::Restrict { who, lift } => {
            flag(ctx, &store, &policy, &who, "restrict", lift, |f, v| {
                f.restricted = v
            })
        }
        SubjectCommand::Object { who, lift } => {
            flag(ctx, &store, &policy, &who, "object", lift, |f, v| {
                f.objected = v
            })
        }
    }
}

fn flag(
    ctx: &Ctx,
    store: &cohort_store::Store,
    policy: &Policy,
    who: &crate::cli::SubjectSelector,
    name: &str,
    lift: bool,
    set: impl Fn(&mut cohort_store::SubjectFlags, bool),
) -> Result<()> {
    let id = find_subject(store, policy, who)?;
    let action = format!("subject.{name}{}", if lift { ".lift" } else { "" });
    let flags = store.set_flags(
        &id,
        |f| set(f, !lift),
        AuditRecord::new(&ctx.actor, &action, Some(policy.sha256_hex())).subject(id),
    )?;
    emit(
        ctx.json,
        &json!({"subject": id.to_hex(), "flags": flags}),
        || {
            format!(
                "Subject {id}: restricted={}, objected={}\n",
                flags.restricted, flags.objected
            )
        },
    )
}

/// Writes a file readable by its owner only: an export is personal data.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    cohort_crypto::private_file::create_new(path, bytes)
        .with_context(|| format!("creating {} (it must not exist)", path.display()))
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
