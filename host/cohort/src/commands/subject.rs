//! `cohort subject`: the data-subject rights of GDPR Articles 15, 17, 18, 20 and 21 (the logic is
//! `cohort-rights`', shared with the HTTP API).

use crate::cli::SubjectCommand;
use crate::context::{Ctx, who};
use crate::output::emit;
use anyhow::{Context as _, Result};
use cohort_rights::Flag;
use serde_json::json;

pub fn run(ctx: &Ctx, command: SubjectCommand) -> Result<()> {
    let (store, policy) = ctx.store_and_policy()?;
    match command {
        SubjectCommand::Export { who: selector, out } => {
            let request_id = cohort_rights::new_request_id();
            let mut doc =
                cohort_rights::export(&store, &policy, &ctx.actor, &who(&selector)?, &request_id)?;
            if let Some(o) = doc.as_object_mut() {
                o.remove("request_id");
            }
            let text = serde_json::to_string_pretty(&doc)?;
            let id = doc["subject_id"].as_str().unwrap_or_default().to_string();
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
            who: selector,
            reason,
            request_id,
        } => {
            let request_id = match request_id {
                Some(id) => id,
                None => cohort_rights::new_request_id(),
            };
            let report = cohort_rights::erase(
                &store,
                &policy,
                &ctx.actor,
                &who(&selector)?,
                &reason,
                &request_id,
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
        SubjectCommand::Restrict {
            who: selector,
            lift,
        } => flag(ctx, &store, &policy, &selector, Flag::Restrict, lift),
        SubjectCommand::Object {
            who: selector,
            lift,
        } => flag(ctx, &store, &policy, &selector, Flag::Object, lift),
    }
}

fn flag(
    ctx: &Ctx,
    store: &cohort_store::Store,
    policy: &cohort_policy::Policy,
    selector: &crate::cli::SubjectSelector,
    flag: Flag,
    lift: bool,
) -> Result<()> {
    let (id, flags) = cohort_rights::set_flag(
        store,
        policy,
        &ctx.actor,
        &who(selector)?,
        flag,
        lift,
        &cohort_rights::new_request_id(),
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
