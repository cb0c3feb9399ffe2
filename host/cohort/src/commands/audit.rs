//! `cohort audit`: verify, checkpoint and list the tamper-evident log.

use crate::cli::AuditCommand;
use crate::context::Ctx;
use crate::output::{emit, table};
use anyhow::{Result, anyhow};
use base64::Engine as _;

pub fn run(ctx: &Ctx, command: AuditCommand) -> Result<()> {
    let store = ctx.store()?;
    match command {
        AuditCommand::Verify => match store.verify_audit() {
            Ok(report) => emit(
                ctx.json,
                &serde_json::json!({"ok": true, "entries": report.entries,
                    "checkpoints_checked": report.checkpoints_checked, "root": report.root_hex}),
                || {
                    format!(
                        "Audit log verified: {} entries, {} signed checkpoints match, root {}\n",
                        report.entries, report.checkpoints_checked, report.root_hex
                    )
                },
            ),
            Err(e) => Err(anyhow!(crate::exit::VerificationFailed(format!(
                "audit log verification FAILED: {e}"
            )))),
        },
        AuditCommand::Checkpoint => {
            let Some(cp) = store.latest_checkpoint()? else {
                return Err(anyhow!("the audit log is empty"));
            };
            let public = base64::engine::general_purpose::STANDARD
                .encode(store.keys().signing_key().public_key());
            emit(
                ctx.json,
                &serde_json::json!({"checkpoint": cp, "public_key": format!("ed25519:{public}")}),
                || {
                    table(&[
                        ("size", cp.size.to_string()),
                        ("root", cp.root_hex.clone()),
                        ("signed at", cp.at.to_string()),
                        ("signing key id", cp.key_id.clone()),
                        ("signature", cp.signature_b64.clone()),
                        ("public key", format!("ed25519:{public}")),
                    ])
                },
            )
        }
        AuditCommand::Log { tail } => {
            let entries: Vec<(u64, Vec<u8>)> = store.audit_entries().collect::<Result<_, _>>()?;
            let skip = tail.map_or(0, |t| entries.len().saturating_sub(t));
            let parsed: Vec<serde_json::Value> = entries[skip..]
                .iter()
                .map(|(_, b)| serde_json::from_slice(b).unwrap_or(serde_json::Value::Null))
                .collect();
            emit(ctx.json, &parsed, || {
                parsed
                    .iter()
                    .map(|e| {
                        format!(
                            "{:>6}  {}  {:<24} {:<18} {}\n",
                            e["seq"],
                            e["at"].as_str().unwrap_or_default(),
                            e["action"].as_str().unwrap_or_default(),
                            e["actor"].as_str().unwrap_or_default(),
                            e["counts"]
                        )
                    })
                    .collect()
            })
        }
    }
}
