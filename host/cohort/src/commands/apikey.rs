//! `cohort apikey`: create, list and revoke the HTTP API's keys (stored hashed in the store, see
//! `cohort_store::api_keys`).

use crate::cli::ApikeyCommand;
use crate::context::Ctx;
use crate::output::emit;
use anyhow::{Result, anyhow};
use cohort_store::Role;

pub fn run(ctx: &Ctx, command: ApikeyCommand) -> Result<()> {
    let store = ctx.store()?;
    match command {
        ApikeyCommand::Create { role, name } => {
            let role = Role::parse(&role).ok_or_else(|| {
                let all: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
                anyhow!("--role must be one of {}", all.join(", "))
            })?;
            let new = store.create_api_key(&name, role, &ctx.actor)?;
            let out = serde_json::json!({"key": new.key, "id": new.info.id, "name": new.info.name,
                "role": new.info.role, "created_at": new.info.created_at});
            emit(ctx.json, &out, || {
                format!(
                    "Created API key {} ({}, role {}). It is shown this once and not stored:\n\n  {}\n\n\
                     Segment SDKs: use it as the write key.\n",
                    new.info.id, new.info.name, new.info.role, new.key
                )
            })
        }
        ApikeyCommand::List => {
            let keys = store.api_keys()?;
            emit(ctx.json, &keys, || {
                let mut s = String::new();
                for k in &keys {
                    s.push_str(&format!(
                        "{}  {:<9} {:<24} created {}{}\n",
                        k.id,
                        k.role.as_str(),
                        k.name,
                        k.created_at,
                        k.revoked_at
                            .as_ref()
                            .map(|r| format!(", revoked {r}"))
                            .unwrap_or_default()
                    ));
                }
                if keys.is_empty() {
                    s.push_str("No API keys. Create one with `cohort apikey create --role ROLE --name NAME`.\n");
                }
                s
            })
        }
        ApikeyCommand::Revoke { id } => {
            let info = store.revoke_api_key(&id, &ctx.actor)?;
            emit(ctx.json, &info, || {
                format!(
                    "Revoked API key {} ({}, role {}).\n",
                    info.id, info.name, info.role
                )
            })
        }
    }
}
