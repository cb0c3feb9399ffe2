//! `cohort ingest`: canonical JSONL records into the store, with a progress bar and a summary.

use crate::cli::IngestArgs;
use crate::context::Ctx;
use crate::output::{emit, table};
use anyhow::Context as _;
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

/// Input bytes fed to a connector per call: big enough to amortise the call, small enough to bound memory.
const CONNECTOR_CHUNK: usize = 256 * 1024;

/// What a connector made of a file.
pub struct Conversion {
    /// Canonical records as JSON text.
    pub records: Vec<String>,
    /// Row-numbered problems.
    pub diagnostics: Vec<(u64, Option<String>, String)>,
    /// What the plugin cost.
    pub stats: cohort_plugins::CallStats,
}

/// Streams `input` through a connector.
pub fn convert(
    plugin: &cohort_plugins::LoadedPlugin,
    config: &str,
    input: &std::path::Path,
) -> Result<Conversion> {
    use std::io::Read as _;
    let mut file =
        std::fs::File::open(input).with_context(|| format!("opening {}", input.display()))?;
    let mut session = plugin.start_connector(config)?;
    let mut records = Vec::new();
    let mut diagnostics = Vec::new();
    let mut buf = vec![0u8; CONNECTOR_CHUNK];
    loop {
        let n = file
            .read(&mut buf)
            .with_context(|| format!("reading {}", input.display()))?;
        let out = if n == 0 {
            session.finish()?
        } else {
            session.push(&buf[..n])?
        };
        records.extend(out.records);
        diagnostics.extend(out.diagnostics);
        if n == 0 {
            break;
        }
    }
    Ok(Conversion {
        records,
        diagnostics,
        stats: session.stats,
    })
}

fn run_connector(ctx: &Ctx, args: &IngestArgs, name: &str) -> Result<()> {
    let (store, policy) = ctx.store_and_policy()?;
    let package = crate::commands::plugin::trusted_or_audit(ctx, &store, &policy, name)?;
    let manifest = package.manifest();
    // A connector feeds every purpose its records serve; the policy must allow it for at least one of them.
    let allowed: Vec<&str> = policy
        .purposes()
        .iter()
        .filter(|p| cohort_plugin_package::authorise_purpose(&package, &policy, &p.id).is_ok())
        .map(|p| p.id.as_str())
        .collect();
    if allowed.is_empty() {
        store.audit(
            cohort_store::AuditRecord::new(&ctx.actor, "plugin.refused", Some(policy.sha256_hex()))
                .detail(
                    "plugin",
                    format!("{}@{}", manifest.id(), manifest.version()),
                )
                .detail("package_sha256", package.sha256_hex())
                .detail("reason", "not_allowed"),
        )?;
        anyhow::bail!(
            "connector `{}` is trusted but policy `{}` allows it for no purpose (plugins.allow)",
            manifest.id(),
            policy.id()
        );
    }
    if manifest.kind() != cohort_plugin_package::PluginKind::Connector {
        anyhow::bail!(
            "`{name}` is a {}, not a connector",
            manifest.kind().as_str()
        );
    }
    let config = crate::commands::plugin::read_plugin_config(args.plugin_config.as_deref())?;
    manifest.validate_config(&config).map_err(|e| {
        anyhow!(crate::exit::Invalid(format!(
            "configuration of {name}: {}",
            e.join("; ")
        )))
    })?;
    let runtime = cohort_plugins::Runtime::new()?;
    let loaded = crate::commands::plugin::load_or_audit(ctx, &store, &policy, &runtime, &package)?;
    let run = ingest_with_connector(&ConnectorIngest {
        store: &store,
        policy: &policy,
        plugin: &loaded,
        manifest,
        config: &config,
        file: &args.file,
        skip_invalid: args.skip_invalid,
        actor: &ctx.actor,
    })?;
    let out = serde_json::json!({"connector": loaded.name(), "package_sha256": loaded.sha256(),
        "rows_skipped": run.problems, "plugin_fuel": run.fuel, "summary": run.summary});
    emit(ctx.json, &out, || {
        let mut s = render_summary(
            &format!("{} with {}", args.file.display(), loaded.name()),
            &run.summary,
        );
        for p in run.problems.iter().take(20) {
            s.push_str(&format!("  skipped: {p}\n"));
        }
        s
    })
}

/// One file through a loaded connector into the store.
pub struct ConnectorIngest<'a> {
    /// The store.
    pub store: &'a cohort_store::Store,
    /// The policy in force.
    pub policy: &'a cohort_policy::Policy,
    /// The connector, loaded from a trusted package.
    pub plugin: &'a cohort_plugins::LoadedPlugin,
    /// Its manifest (what its records may carry).
    pub manifest: &'a cohort_plugin_package::Manifest,
    /// Its configuration, already checked against the manifest's schema.
    pub config: &'a serde_json::Value,
    /// The input file.
    pub file: &'a std::path::Path,
    /// Store the good rows of a file with bad ones.
    pub skip_invalid: bool,
    /// Who runs it, for the audit log.
    pub actor: &'a str,
}

/// What a connector ingest did.
pub struct ConnectorRun {
    /// Records the connector produced.
    pub records: u64,
    /// Rows the connector reported and records that broke the manifest (skipped with `skip_invalid`).
    pub problems: Vec<String>,
    /// What ingest stored, merged and dropped.
    pub summary: IngestSummary,
    /// Fuel the plugin used.
    pub fuel: u64,
}

/// Streams `file` through the connector, checks every record against the manifest's `[output]`, ingests the good
/// ones under the policy and audits the run (`connector.run`, or `plugin.failed` when the plugin fails). Without
/// `skip_invalid`, any problem stores nothing and the error lists the problems.
pub fn ingest_with_connector(req: &ConnectorIngest<'_>) -> Result<ConnectorRun> {
    let (store, loaded, file) = (req.store, req.plugin, req.file);
    let conversion = match convert(loaded, &req.config.to_string(), file) {
        Ok(c) => c,
        Err(e) => {
            store.audit(
                cohort_store::AuditRecord::new(
                    req.actor,
                    "plugin.failed",
                    Some(req.policy.sha256_hex()),
                )
                .detail("plugin", loaded.name().to_string())
                .detail("package_sha256", loaded.sha256().to_string())
                .detail(
                    "error_kind",
                    e.downcast_ref::<cohort_plugins::PluginError>()
                        .map_or("io", |p| p.kind())
                        .to_string(),
                ),
            )?;
            return Err(e);
        }
    };
    // The connector's output is untrusted: each record must be JSON and use only what the manifest declares;
    // the record schema and the policy are applied by the ingest that follows.
    let output = req.manifest.output().cloned().unwrap_or_default();
    let mut values = Vec::with_capacity(conversion.records.len());
    let mut problems: Vec<String> = conversion
        .diagnostics
        .iter()
        .map(|(row, field, m)| {
            format!(
                "{}: row {row}: {}{m}",
                file.display(),
                field.as_ref().map(|f| format!("{f}: ")).unwrap_or_default()
            )
        })
        .collect();
    for (i, text) in conversion.records.iter().enumerate() {
        let checked = serde_json::from_str::<serde_json::Value>(text)
            .map_err(|e| format!("not JSON ({e})"))
            .and_then(|v| output.check_record(&v).map(|()| v));
        match checked {
            Ok(v) => values.push(v),
            Err(e) => problems.push(format!(
                "{}: record {} from {}: {e}",
                file.display(),
                i + 1,
                loaded.name()
            )),
        }
    }
    if !problems.is_empty() && !req.skip_invalid {
        return Err(anyhow!(crate::exit::Invalid(format!(
            "{} problem(s) converting {} with {}; nothing was stored (use --skip-invalid to store the good rows)\n  {}",
            problems.len(),
            file.display(),
            loaded.name(),
            problems
                .iter()
                .take(50)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n  ")
        ))));
    }
    let options = IngestOptions {
        skip_invalid: req.skip_invalid,
        actor: req.actor.to_string(),
        ..IngestOptions::default()
    };
    let source = format!(
        "{} via {}",
        file.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        loaded.name()
    );
    let mut summary = match cohort_ingest::ingest_values(
        store,
        req.policy,
        &values,
        &source,
        &options,
        &mut cohort_ingest::NoProgress,
    ) {
        Ok(s) => s,
        Err(e @ IngestError::Invalid { .. }) => {
            return Err(anyhow!(crate::exit::Invalid(e.to_string())));
        }
        Err(e) => return Err(e.into()),
    };
    summary.invalid_skipped += problems.len() as u64;
    store.audit(
        cohort_store::AuditRecord::new(req.actor, "connector.run", Some(req.policy.sha256_hex()))
            .detail("plugin", loaded.name().to_string())
            .detail("package_sha256", loaded.sha256().to_string())
            .count("records", conversion.records.len() as u64)
            .count("rows_skipped", problems.len() as u64)
            .count("records_stored", summary.stored)
            .count("fuel", conversion.stats.fuel),
    )?;
    Ok(ConnectorRun {
        records: conversion.records.len() as u64,
        problems,
        summary,
        fuel: conversion.stats.fuel,
    })
}

pub fn run(ctx: &Ctx, args: &IngestArgs) -> Result<()> {
    if let Some(name) = &args.connector {
        return run_connector(ctx, args, name);
    }
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
