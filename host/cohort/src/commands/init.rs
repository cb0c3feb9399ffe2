//! `cohort init`: a new data directory and its key file.

use crate::context::Ctx;
use crate::output::{emit, table};
use anyhow::{Context as _, Result};
use cohort_crypto::KeyRing;
use cohort_store::Store;

pub fn run(ctx: &Ctx) -> Result<()> {
    let dir = ctx.locations.data_dir()?;
    let key_file = ctx.locations.key_file()?;
    if key_file.starts_with(&dir) {
        tracing::warn!(
            "the key file is inside the data directory; a copy of the data directory then carries its keys"
        );
    }
    let created = cohort_store::rfc3339(time::OffsetDateTime::now_utc());
    KeyRing::create(&key_file, &created)?;
    let keys = KeyRing::load(&key_file)?;
    let store =
        Store::init(&dir, keys).with_context(|| format!("initialising {}", dir.display()))?;
    store.audit(cohort_store::AuditRecord::new(
        &ctx.actor,
        "store.init",
        None,
    ))?;
    let out = serde_json::json!({"data_dir": dir, "key_file": key_file});
    emit(ctx.json, &out, || {
        format!(
            "Initialised a Cohort store.\n{}\nKeep the key file safe and apart from the data directory: without it \
             the data cannot be read; with it, whoever holds the data directory can.\n",
            table(&[
                ("data directory", dir.display().to_string()),
                ("key file (0600)", key_file.display().to_string()),
            ])
        )
    })
}
