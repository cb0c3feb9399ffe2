//! `cohort segment`: run segmenters over the store and list runs.

use crate::cli::{ExportFormat, SegmentCommand};
use crate::context::Ctx;
use crate::output::{emit, table};
use anyhow::{Context as _, Result, anyhow};
use cohort_aggregate::Count;
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
            let view = cohort_outputs::RunView::new(&report, &policy);
            emit(ctx.json, &view, || {
                let mut s = format!(
                    "Segmented with {} for purpose {} (run {})\n",
                    report.plugin, report.purpose, report.run_id
                );
                s.push_str(&table(&[
                    ("subjects seen", show_count(view.subjects_seen)),
                    ("attributes released", report.attributes_released.join(", ")),
                    (
                        "event types released",
                        report.event_types_released.join(", "),
                    ),
                    (
                        "plugin fuel / peak memory",
                        format!("{} / {} KiB", report.fuel, report.peak_memory / 1024),
                    ),
                    ("audit entry", report.audit_seq.to_string()),
                ]));
                s.push_str("  segments (members; withheld under the policy's min_group_size):\n");
                for (segment, size) in &view.segments {
                    s.push_str(&format!("    {segment:<28} {}\n", show_count(*size)));
                }
                s
            })
        }
        SegmentCommand::List => {
            let (store, policy) = ctx.store_and_policy()?;
            let runs = cohort_outputs::list_segments(&store, &policy)?;
            emit(ctx.json, &runs, || {
                if runs.is_empty() {
                    return "No segmentation runs yet: `cohort segment run PLUGIN --purpose P`.\n"
                        .into();
                }
                let mut s = format!(
                    "  {:<36} {:<20} {:<16} {:>12}  last run\n",
                    "segment", "plugin", "purpose", "size"
                );
                for run in &runs {
                    for seg in &run.segments {
                        s.push_str(&format!(
                            "  {:<36} {:<20} {:<16} {:>12}  {} ({})\n",
                            seg.segment,
                            seg.plugin,
                            seg.purpose,
                            show_count(seg.size),
                            seg.last_run,
                            seg.run_id
                        ));
                    }
                }
                s
            })
        }
        SegmentCommand::Count {
            segment,
            purpose,
            by,
            sums,
            dry_run,
            requester,
        } => {
            let (store, policy) = ctx.store_and_policy()?;
            let requester = requester.unwrap_or_else(|| ctx.actor.clone());
            let report = cohort_outputs::count_segment(cohort_outputs::CountRequest {
                store: &store,
                policy: &policy,
                segment: &segment,
                purpose: &purpose,
                by: &by,
                sums: &sums,
                requester: &requester,
                dry_run,
                now: time::OffsetDateTime::now_utc(),
            })?;
            emit(ctx.json, &report, || {
                crate::commands::count_view::render(&report)
            })
        }
        SegmentCommand::Export {
            segment,
            purpose,
            format,
            output,
        } => {
            let (store, policy) = ctx.store_and_policy()?;
            let export = cohort_outputs::export_segment(cohort_outputs::ExportRequest {
                store: &store,
                policy: &policy,
                segment: &segment,
                purpose: &purpose,
                requester: &ctx.actor,
            })?;
            let body = match format {
                ExportFormat::Csv => export.to_csv(),
                ExportFormat::Json => serde_json::to_string_pretty(&export)? + "\n",
            };
            match output {
                Some(path) => {
                    cohort_crypto::private_file::create_new(&path, body.as_bytes())
                        .with_context(|| format!("writing the export to {}", path.display()))?;
                    eprintln!(
                        "Exported {} subjects of {} for {} to {} (audit entry {}).",
                        export.rows.len(),
                        export.segment,
                        export.purpose,
                        path.display(),
                        export.audit_seq
                    );
                }
                None => print!("{body}"),
            }
            Ok(())
        }
    }
}

fn show_count(c: Count) -> String {
    match c {
        Count::Value(n) => n.to_string(),
        Count::Suppressed => "withheld".into(),
    }
}

/// A test profile from JSON: `{"token", "attributes": {name: value}, "events": [{"type", "at", "properties"}]}`.
pub fn profile_from_json(v: &serde_json::Value, index: usize) -> Result<(String, Profile)> {
    let label = v["token"]
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
    let profile = Profile {
        token: index as u64,
        attributes,
        events,
    };
    Ok((label, profile))
}
