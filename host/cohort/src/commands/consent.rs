//! `cohort consent`: record and show consent per purpose.

use crate::cli::{ConsentArgs, ConsentCommand};
use crate::context::{Ctx, find_subject, selector_pseudonyms};
use crate::output::emit;
use anyhow::{Result, bail};
use cohort_store::{
    AuditRecord, BatchOptions, Change, ConsentEvent, ConsentInput, ConsentState, IdentifierInput,
};

pub fn run(ctx: &Ctx, command: ConsentCommand) -> Result<()> {
    match command {
        ConsentCommand::Grant(a) => record(ctx, a, ConsentState::Granted),
        ConsentCommand::Withdraw(a) => record(ctx, a, ConsentState::Withdrawn),
        ConsentCommand::Refuse(a) => record(ctx, a, ConsentState::Refused),
        ConsentCommand::Show { who } => {
            let (store, policy) = ctx.store_and_policy()?;
            let id = find_subject(&store, &policy, &who)?;
            let Some(view) = store.subject(&id)? else {
                bail!("no subject is known by that identifier")
            };
            store.audit(
                AuditRecord::new(&ctx.actor, "consent.show", Some(policy.sha256_hex())).subject(id),
            )?;
            let records: Vec<_> = policy
                .purposes()
                .iter()
                .filter(|p| p.requires_consent())
                .map(|p| {
                    let pc = view.body.consents.0.get(&p.id);
                    let state = view.body.consents.state(&p.id);
                    serde_json::json!({
                        "purpose": p.id,
                        "state": state.map(|s| s.as_str()).unwrap_or("none (not granted)"),
                        "dpv:hasConsentStatus": state.map(|s| s.dpv()),
                        "dpv:hasDataSubject": id.to_hex(),
                        "dpv:hasDataController": policy.controller().name,
                        "history": pc.map(|c| c.history.clone()).unwrap_or_default(),
                    })
                })
                .collect();
            emit(ctx.json, &records, || {
                let mut s = format!("Consent of subject {id}\n");
                for r in &records {
                    s.push_str(&format!(
                        "  {:<20} {:<22} ({} event(s))\n",
                        r["purpose"].as_str().unwrap_or_default(),
                        r["state"].as_str().unwrap_or_default(),
                        r["history"].as_array().map_or(0, Vec::len)
                    ));
                }
                s
            })
        }
    }
}

fn record(ctx: &Ctx, args: ConsentArgs, state: ConsentState) -> Result<()> {
    let (store, policy) = ctx.store_and_policy()?;
    let Some(purpose) = policy.purpose(&args.purpose) else {
        let known: Vec<_> = policy.purposes().iter().map(|p| p.id.as_str()).collect();
        bail!(
            "purpose `{}` is not in policy `{}` (known: {})",
            args.purpose,
            policy.id(),
            known.join(", ")
        );
    };
    if !purpose.requires_consent() {
        bail!(
            "purpose `{}` has legal basis `{}`; consent is only recorded for consent-based purposes \
             (to stop legitimate-interest processing for a person, use `cohort subject object`)",
            purpose.id,
            purpose.legal_basis.as_str()
        );
    }
    let id = find_subject(&store, &policy, &args.who)?;
    let now = time::OffsetDateTime::now_utc();
    let at = match &args.at {
        Some(t) => {
            cohort_ingest::prepare::parse_time(t).map_err(|m| anyhow::anyhow!("--at {m}"))?
        }
        None => cohort_store::rfc3339(now),
    };
    let pseudonyms = selector_pseudonyms(&args.who, &policy, store.keys())?;
    let change = Change {
        source: args.source.clone(),
        received_at: cohort_store::rfc3339(now),
        received_day: cohort_store::day_number(now),
        identifiers: vec![IdentifierInput {
            kind: crate::context::selector_parts(&args.who)?.0,
            pseudonyms,
            contact_value: None,
        }],
        consents: vec![ConsentInput {
            purpose: purpose.id.clone(),
            event: ConsentEvent {
                record_id: cohort_ingest::prepare::random_record_id(),
                state,
                at: at.clone(),
                source: args.source.clone(),
                notice: args.notice.clone(),
                method: Some("cli".into()),
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
    batch.apply(change)?;
    let action = format!(
        "consent.{}",
        match state {
            ConsentState::Granted => "grant",
            ConsentState::Withdrawn => "withdraw",
            ConsentState::Refused => "refuse",
        }
    );
    batch.commit(
        AuditRecord::new(&ctx.actor, &action, Some(policy.sha256_hex()))
            .purpose(&purpose.id)
            .subject(id)
            .detail("source", args.source.clone()),
    )?;
    let out = serde_json::json!({"subject": id.to_hex(), "purpose": purpose.id, "state": state.as_str(), "at": at});
    emit(ctx.json, &out, || {
        format!(
            "Recorded: subject {id}, purpose {}, {} at {at}\n",
            purpose.id,
            state.as_str()
        )
    })
}
