//! `cohort store`: integrity check and statistics.

use crate::cli::StoreCommand;
use crate::context::Ctx;
use crate::output::{emit, table};
use anyhow::{Result, anyhow};

pub fn run(ctx: &Ctx, command: StoreCommand) -> Result<()> {
    let store = ctx.store()?;
    match command {
        StoreCommand::Check => {
            let report = store.check_integrity()?;
            emit(ctx.json, &report, || {
                let mut s = format!(
                    "{} subjects open completely; {} identity entries checked; {} problem(s)\n",
                    report.subjects_ok,
                    report.identities_checked,
                    report.problems.len()
                );
                for p in &report.problems {
                    s.push_str(&format!("  {p}\n"));
                }
                s
            })?;
            if report.is_ok() {
                Ok(())
            } else {
                Err(anyhow!(crate::exit::VerificationFailed(format!(
                    "{} store problem(s)",
                    report.problems.len()
                ))))
            }
        }
        StoreCommand::Stats => {
            let s = store.stats()?;
            emit(ctx.json, &s, || {
                table(&[
                    ("subjects", s.subjects.to_string()),
                    ("identity entries", s.identities.to_string()),
                    ("event pages", s.event_pages.to_string()),
                    (
                        "suppressed identifiers",
                        s.suppressed_identifiers.to_string(),
                    ),
                    ("tombstones", s.tombstones.to_string()),
                    ("audit entries", s.audit_entries.to_string()),
                ])
            })
        }
    }
}
