//! `cohort segment`: run segmenters over the store and list runs.

use crate::cli::SegmentCommand;
use crate::context::Ctx;
use crate::output::{emit, table};
use anyhow::{Context as _, Result, anyhow};
use cohort_plugins::{Attribute, Event, Profile};

pub fn run(ctx: &Ctx, command: SegmentCommand) -> Result<()> {
    match command {
        SegmentCommand::Run {
            plugin,
            purpose,
            plugin_config: config,
        } => {
            let (store, policy) = ctx.store_and_policy()?;
            let package = crate::commands::plugin::trusted_or_audit(ctx, &store, &policy, &plugin)?;
            let config = crate::commands::plugin::read_plugin_config(config.as_deref())?;
            let runtime = cohort_plugins::Runtime::new()?;
            let loaded =
                crate::commands::plugin::load_or_audit(ctx, &store, &policy, &runtime, &package)?;
            let report = cohort_segments::run_segmenter(cohort_segments::RunRequest {
                store: &store,
                policy: &policy,
                package: &package,
                plugin: &loaded,
                purpose: &purpose,
                config: &config,
                actor: &ctx.actor,
                now: time::OffsetDateTime::now_utc(),
                chunk: cohort_segments::DEFAULT_CHUNK,
            })?;
            emit(ctx.json, &report, || {
                let mut s = format!(
                    "Segmented with {} for purpose {} (run {})\n",
                    report.plugin, report.purpose, report.run_id
                );
                s.push_str(&table(&[
                    ("subjects seen", report.subjects_seen.to_string()),
                    (
                        "excluded (no lawful basis)",
                        report.excluded.values().sum::<u64>().to_string(),
                    ),
                    ("attributes released", report.attributes_released.join(", ")),
                    (
                        "event types released",
                        report.event_types_released.join(", "),
                    ),
                    ("assignments", report.assignments.to_string()),
                    (
                        "plugin fuel / peak memory",
                        format!("{} / {} KiB", report.fuel, report.peak_memory / 1024),
                    ),
                    ("audit entry", report.audit_seq.to_string()),
                ]));
                s
            })
        }
        SegmentCommand::List => {
            let store = ctx.store()?;
            let runs = store.runs()?;
            emit(ctx.json, &runs, || {
                runs.iter()
                    .map(|r| {
                        format!(
                            "  {}  {:<24} {:<16} seen {:>8}  {}\n",
                            r["at"].as_str().unwrap_or_default(),
                            r["plugin"].as_str().unwrap_or_default(),
                            r["purpose"].as_str().unwrap_or_default(),
                            r["subjects_seen"],
                            r["run_id"].as_str().unwrap_or_default()
                        )
                    })
                    .collect()
            })
        }
    }
}

/// A test profile from JSON: `{"token", "attributes": {name: value}, "events": [{"type", "at", "properties"}]}`.
pub fn profile_from_json(v: &serde_json::Value, index: usize) -> Result<Profile> {
    let token = v["token"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| format!("p{index}"));
    let attributes = v["attributes"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| {
                    cohort_segments::projection::scalar_value(v).map(|value| Attribute {
                        name: k.clone(),
                        value,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let mut events = Vec::new();
    for e in v["events"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let at = e["at"]
            .as_str()
            .ok_or_else(|| anyhow!("profile {}: event without `at`", index + 1))?;
        let at = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
            .with_context(|| format!("profile {}: event time", index + 1))?
            .unix_timestamp();
        events.push(Event {
            event_type: e["type"].as_str().unwrap_or_default().to_string(),
            at,
            properties: e["properties"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| {
                            cohort_segments::projection::scalar_value(v).map(|v| (k.clone(), v))
                        })
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    Ok(Profile {
        token,
        attributes,
        events,
    })
}
