//! `cohort keys rotate`: adds a key; new data uses it and old keys stay for reading.

use crate::cli::{KeyKindArg, KeysCommand};
use crate::context::Ctx;
use crate::output::emit;
use anyhow::Result;
use cohort_crypto::{KeyKind, KeyRing};

pub fn run(ctx: &Ctx, command: KeysCommand) -> Result<()> {
    let KeysCommand::Rotate { kind } = command;
    let path = ctx.locations.key_file()?;
    let kind = match kind {
        KeyKindArg::Identity => KeyKind::Identity,
        KeyKindArg::Master => KeyKind::Master,
        KeyKindArg::Signing => KeyKind::Signing,
    };
    // Load first: a rotation of a key file that does not load would only hide the real problem.
    KeyRing::load(&path)?;
    let id = KeyRing::rotate(
        &path,
        kind,
        &cohort_store::rfc3339(time::OffsetDateTime::now_utc()),
    )?;
    if let Ok(store) = ctx.store() {
        store.audit(
            cohort_store::AuditRecord::new(&ctx.actor, "keys.rotate", None)
                .detail("kind", format!("{kind:?}"))
                .detail("key_id", id.to_string()),
        )?;
    }
    emit(
        ctx.json,
        &serde_json::json!({"kind": format!("{kind:?}"), "key_id": id}),
        || {
            format!(
                "Added {kind:?} key {id} to {}; new data uses it, older keys remain for reading.\n",
                path.display()
            )
        },
    )
}
