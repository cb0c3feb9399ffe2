//! `cohort retention sweep`: applies the policy's retention periods.

use crate::cli::RetentionCommand;
use crate::context::Ctx;
use crate::output::{emit, table};
use anyhow::{Context as _, Result};
use cohort_store::{AuditRecord, RetentionCutoffs};
use time::{Date, Duration, OffsetDateTime, Time};

pub fn run(ctx: &Ctx, command: RetentionCommand) -> Result<()> {
    let RetentionCommand::Sweep { as_of } = command;
    let (store, policy) = ctx.store_and_policy()?;
    let today = match as_of {
        Some(s) => Date::parse(
            &s,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .with_context(|| format!("--as-of {s}: expected YYYY-MM-DD"))?,
        None => OffsetDateTime::now_utc().date(),
    };
    let midnight = today.with_time(Time::MIDNIGHT).assume_utc();
    let r = policy.retention();
    let cutoffs = RetentionCutoffs {
        events_before: cohort_store::rfc3339(midnight - Duration::days(i64::from(r.events_days))),
        inactive_before_day: cohort_store::day_number(
            midnight - Duration::days(i64::from(r.inactive_profile_days)),
        ),
    };
    let report = store.retention_sweep(
        &cutoffs,
        AuditRecord::new(&ctx.actor, "retention.sweep", Some(policy.sha256_hex())),
    )?;
    emit(ctx.json, &report, || {
        format!(
            "Retention sweep as of {today} (events {} days, inactive profiles {} days)\n{}",
            r.events_days,
            r.inactive_profile_days,
            table(&[
                ("subjects examined", report.subjects_examined.to_string()),
                (
                    "inactive profiles erased",
                    report.profiles_erased.to_string()
                ),
                ("events dropped", report.events_dropped.to_string()),
            ])
        )
    })
}
