//! `cohort ingest`: canonical JSONL records into the store, with a progress bar and a summary.

use crate::cli::IngestArgs;
use crate::context::Ctx;
use crate::output::{emit, table};
use anyhow::{Result, anyhow};
use cohort_ingest::{IngestError, IngestOptions, IngestSummary, Progress};
use indicatif::{ProgressBar, ProgressStyle};

/// Shows a bar on a terminal; with `--progress-json`, one JSON line per commit on stdout.
pub struct CliProgress {
    bar: Option<ProgressBar>,
    json_lines: bool,
}

impl CliProgress {
    pub fn new(total_bytes: u64, json_lines: bool, quiet: bool) -> Self {
        let bar = (!quiet && !json_lines && std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .then(|| {
                let bar = ProgressBar::new(total_bytes * 2);
                bar.set_style(
                    ProgressStyle::with_template(
                        "{spinner} {msg:12} [{bar:40}] {percent}% {elapsed_precise}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                bar.set_message("validating");
                bar
            });
        Self { bar, json_lines }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Progress for CliProgress {
    fn validated(&mut self, _lines: u64, bytes: u64) {
        if let Some(b) = &self.bar {
            b.set_position(bytes);
        }
    }

    fn committed(&mut self, line: u64, summary: &IngestSummary) {
        if self.json_lines {
            println!(
                "{}",
                serde_json::json!({"committed_through_line": line, "stored": summary.stored})
            );
        }
        if let Some(b) = &self.bar {
            b.set_message("storing");
            let len = b.length().unwrap_or(0) / 2;
            let frac = if summary.lines == 0 {
                1.0
            } else {
                line as f64 / summary.lines as f64
            };
            b.set_position(len + (len as f64 * frac) as u64);
        }
    }
}

pub fn run(ctx: &Ctx, args: &IngestArgs) -> Result<()> {
    let (store, policy) = ctx.store_and_policy()?;
    let total = std::fs::metadata(&args.file).map(|m| m.len()).unwrap_or(0);
    let mut progress = CliProgress::new(total, args.progress_json, ctx.json);
    let options = IngestOptions {
        skip_invalid: args.skip_invalid,
        actor: ctx.actor.clone(),
        ..IngestOptions::default()
    };
    let result =
        cohort_ingest::ingest_jsonl_file(&store, &policy, &args.file, &options, &mut progress);
    progress.finish();
    let summary = match result {
        Ok(s) => s,
        Err(e @ IngestError::Invalid { .. }) => {
            return Err(anyhow!(crate::exit::Invalid(e.to_string())));
        }
        Err(e) => return Err(e.into()),
    };
    if args.progress_json {
        println!("{}", serde_json::json!({"summary": summary}));
        return Ok(());
    }
    emit(ctx.json, &summary, || {
        render_summary(&args.file.display().to_string(), &summary)
    })
}

pub fn render_summary(source: &str, s: &IngestSummary) -> String {
    let d = &s.dropped;
    let mut out = format!("Ingested {source}\n");
    out.push_str(&table(&[
        ("lines read", s.lines.to_string()),
        ("records stored", s.stored.to_string()),
        ("  new subjects", s.subjects_created.to_string()),
        ("  subjects merged", s.subjects_merged.to_string()),
        ("events stored", s.events_stored.to_string()),
        ("consent events", s.consents_recorded.to_string()),
        ("refused: erased person", s.refused_suppressed.to_string()),
        ("refused: other", s.refused_other.to_string()),
        ("invalid lines skipped", s.invalid_skipped.to_string()),
        (
            "dropped: attrs not listed",
            d.attributes_not_listed.to_string(),
        ),
        (
            "dropped: attrs forbidden",
            d.attributes_not_allowed.to_string(),
        ),
        ("dropped: id kinds", d.identifiers_not_declared.to_string()),
        ("dropped: event types", d.events_not_declared.to_string()),
        (
            "dropped: event props",
            d.event_properties_dropped.to_string(),
        ),
        ("audit entries (commits)", s.commits.to_string()),
    ]));
    for e in s.errors.iter().take(20) {
        out.push_str(&format!("  {source}:{e}\n"));
    }
    if s.errors.len() > 20 {
        out.push_str(&format!(
            "  ... {} more (use --json for all)\n",
            s.errors.len() - 20
        ));
    }
    out
}
