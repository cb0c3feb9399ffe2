//! `cohort demo`: the end-to-end story on embedded defaults, in a temporary directory.
//!
//! Synthetic customers (deterministic for a seed and a date) → what four source systems export about them (CRM
//! CSV, sign-up form, web analytics, NPS survey) → ingest through the built-in connector plugins, signed by a key
//! made for the run and trusted by the demo's copy of the example policy → identity resolution → a scan of every
//! file on disk for identifiers and values in clear → consent state → segmentation by the built-in segmenters →
//! thresholded, noised counts → one consented export, checked against the generator's ground truth → one erasure
//! and a refused re-import → audit verification. Every step is timed; `--json` prints the facts instead.

use crate::cli::DemoArgs;
use crate::commands::ingest::{ConnectorIngest, ingest_with_connector};
use crate::context::Ctx;
use anyhow::{Context as _, Result, anyhow, bail};
use cohort_aggregate::Count;
use cohort_crypto::KeyRing;
use cohort_plugin_package::{Package, PluginKind, PublisherKey, TrustedPackage, authorise_load};
use cohort_store::{AuditRecord, ErasureRequest, Store};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The example policy, embedded so that the demo needs no file.
pub const EXAMPLE_POLICY: &str = include_str!("../../../../policies/example-retail.yaml");
/// How the embedded policy is named in messages and audit entries.
pub const EXAMPLE_POLICY_NAME: &str = "policies/example-retail.yaml (embedded)";
/// The rules segmenter's example configuration (the segments its manifest declares).
const RULES_CONFIG: &str =
    include_str!("../../../../plugins/segmenters/rules/samples/segments.json");

/// Who the demo acts as in the audit log and the privacy budget.
const ACTOR: &str = "demo";
/// The publisher every built-in manifest names.
const BUILTIN_PUBLISHER: &str = "cohort-builtin";
/// Purposes a connector's records may serve in the demo's policy.
const CONNECTOR_PURPOSES: &str = "[analytics, email_marketing, personalisation]";

/// Segmentation runs: plugin, purpose, configuration (JSON). The longest first, as they run side by side.
const RUNS: [(&str, &str, &str); 5] = [
    ("rules", "analytics", RULES_CONFIG),
    ("churn-risk", "analytics", "{}"),
    ("lifecycle", "analytics", "{}"),
    ("rfm", "analytics", "{}"),
    ("lifecycle", "email_marketing", "{}"),
];

/// Counts released for the analytics purpose: segment, dimensions, sums. Small countries and the rare `sms`
/// channel fall under `min_group_size`; the sum is clamped per customer by the policy's `sum_bounds`.
const COUNTS: [(&str, &[&str], &[&str]); 3] = [
    ("rfm/champions", &["country"], &[]),
    ("rfm/champions", &["loyalty_tier", "preferred_channel"], &[]),
    (
        "rfm/loyal_customers",
        &["country"],
        &["order_completed.revenue"],
    ),
];

/// The export: segment and purpose (a `per_subject` purpose).
const EXPORT: (&str, &str) = ("lifecycle/lapsed", "email_marketing");

/// Customers whose identifiers and values the on-disk scan looks for.
const SCANNED_PEOPLE: usize = 300;

pub fn run(ctx: &Ctx, args: &DemoArgs) -> Result<()> {
    let started = Instant::now();
    let mut story = Story::new(ctx.json);
    let today = match &args.today {
        Some(text) => time::Date::parse(
            text,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map_err(|e| anyhow!("--today {text}: not a date as YYYY-MM-DD ({e})"))?,
        None => time::OffsetDateTime::now_utc().date(),
    };
    let spec = cohort_demo::DemoSpec {
        customers: args.customers,
        seed: args.seed,
        today,
    };
    spec.validate()?;
    let (_tmp, root) = match &args.keep {
        Some(dir) => {
            if dir.exists() {
                bail!("{} exists; --keep needs a new directory", dir.display());
            }
            std::fs::create_dir_all(dir)?;
            (None, dir.clone())
        }
        None => {
            let t = tempfile::Builder::new().prefix("cohort-demo-").tempdir()?;
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    };
    let data_dir = root.join("data");
    let key_file = root.join("data.keys.json");
    story.say(format!(
        "Cohort demo: {} synthetic customers (seed {}, data up to {}), policy example-retail, in {}",
        thousands(spec.customers as u64),
        spec.seed,
        cohort_demo_date(today),
        root.display()
    ));
    story.fact("customers", json!(spec.customers));
    story.fact("seed", json!(spec.seed));
    story.fact("today", json!(cohort_demo_date(today)));

    // 1. Keys, store, the built-in plugins and the policy that trusts them.
    let step = Instant::now();
    let publisher_key = root.join("demo-publisher.key");
    let public_key = PublisherKey::create_file(&publisher_key, BUILTIN_PUBLISHER)?;
    let signing = PublisherKey::load(&publisher_key)?;
    // Only this run signs with it: the secret goes as soon as it is loaded, so a kept demo policy trusts nothing new.
    std::fs::remove_file(&publisher_key)?;
    let policy_text = demo_policy(&public_key)?;
    let policy_file = root.join("policy.yaml");
    std::fs::write(&policy_file, &policy_text)?;
    let policy = cohort_policy::parse_policy(&policy_file.display().to_string(), &policy_text)
        .map_err(|e| anyhow!("the demo's policy is invalid: {e}"))?;
    KeyRing::create(
        &key_file,
        &cohort_store::rfc3339(time::OffsetDateTime::now_utc()),
    )?;
    let store = Store::init(&data_dir, KeyRing::load(&key_file)?)?;
    store.note_policy(policy.sha256_hex(), policy.id(), policy.version(), ACTOR)?;
    let runtime = cohort_plugins::Runtime::new()?;
    let mut plugins: BTreeMap<&str, Plugin> = BTreeMap::new();
    for builtin in cohort_builtin_plugins::builtin() {
        let mut package = Package::build(builtin.manifest, builtin.wasm.to_vec())
            .with_context(|| format!("built-in plugin {}", builtin.id))?;
        package.sign(&signing)?;
        let trusted = authorise_load(&package.verify()?, &policy)?;
        plugins.insert(
            builtin.id,
            Plugin {
                trusted,
                loaded: None,
            },
        );
    }
    story.step(
        step,
        format!(
            "Initialised the store (key file apart, 0600). {} built-in plugins signed by a demo key trusted for this \
             run only (policy.yaml, `plugins:`).",
            plugins.len()
        ),
    );
    story.fact("plugins", json!(plugins.keys().collect::<Vec<_>>()));

    // 2. Synthetic customers and what the source systems export about them.
    let step = Instant::now();
    let dataset = cohort_demo::generate(&spec);
    let sources = cohort_demo::source_exports(&spec, &dataset);
    let expected_profiles = sources.expected_profiles;
    let people = dataset.people;
    drop(dataset.records);
    let inbox = root.join("inbox");
    std::fs::create_dir_all(&inbox)?;
    let mut lines = Vec::new();
    let mut files = Vec::new();
    for export in &sources.exports {
        std::fs::write(inbox.join(&export.file_name), &export.bytes)?;
        lines.push(format!(
            "     {:<48} {:<36} {:>9} rows {:>8.1} MiB",
            export.file_name,
            export.description,
            thousands(export.rows as u64),
            export.bytes.len() as f64 / (1024.0 * 1024.0)
        ));
        files.push(
            json!({"file": export.file_name, "connector": export.connector, "rows": export.rows,
            "bytes": export.bytes.len()}),
        );
    }
    story.step(
        step,
        format!(
            "Generated {} customers and the exports of four systems about them:",
            thousands(people.len() as u64)
        ),
    );
    story.lines(&lines);
    story.fact("exports", json!(files));

    // 3. Ingest through the connectors.
    let step = Instant::now();
    let mut lines = vec![format!(
        "     {:<20} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "connector", "rows", "records", "stored", "merged", "events", "consents", "dropped"
    )];
    let mut ingested = Vec::new();
    for export in &sources.exports {
        let plugin = plugin(
            ctx,
            &store,
            &policy,
            &runtime,
            &mut plugins,
            export.connector,
        )?;
        let run = connector_ingest(
            &store,
            &policy,
            plugin,
            &export.config,
            &inbox.join(&export.file_name),
        )?;
        let s = &run.summary;
        let d = &s.dropped;
        let dropped = d.attributes_not_listed
            + d.attributes_not_allowed
            + d.identifiers_not_declared
            + d.events_not_declared
            + d.event_properties_dropped;
        lines.push(format!(
            "     {:<20} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            export.connector,
            thousands(export.rows as u64),
            thousands(run.records),
            thousands(s.stored),
            thousands(s.subjects_merged + s.subjects_updated),
            thousands(s.events_stored),
            thousands(s.consents_recorded),
            thousands(dropped)
        ));
        ingested.push(
            json!({"connector": export.connector, "rows": export.rows, "records": run.records,
            "summary": s}),
        );
        // The inputs are personal data (synthetic here); a real pipeline removes them once ingested.
        std::fs::remove_file(inbox.join(&export.file_name))?;
    }
    let subjects = store.stats()?.subjects;
    if subjects as usize != expected_profiles {
        bail!(
            "identity resolution ended in {subjects} profiles, but the exports describe {expected_profiles}"
        );
    }
    story.step(
        step,
        "Ingested each export through its connector (sandboxed, output checked against the manifest, minimised by \
         the policy):"
            .to_string(),
    );
    story.lines(&lines);
    story.say(format!(
        "     → {} profiles after identity resolution, as the generator expects; the input files are deleted.\n     \
         Dropped: what the policy keeps for no purpose (the CRM's last names). What no connector reads (the CRM's \
         Favourite Colour column,\n     app crash events, survey comments) never reaches Cohort: rows without a \
         record are the skipped app crashes.",
        thousands(subjects)
    ));
    story.fact("ingest", json!(ingested));
    story.fact(
        "profiles",
        json!({"stored": subjects, "expected": expected_profiles}),
    );

    // 4. Privacy on disk.
    let step = Instant::now();
    let needles = needles(&people, SCANNED_PEOPLE);
    let scan = scan_dir(&data_dir, &needles)?;
    if !scan.hits.is_empty() {
        bail!(
            "privacy invariant broken: values found in clear in {:?}",
            scan.hits
        );
    }
    story.step(
        step,
        format!(
            "Scanned every file of the data directory ({} files, {:.1} MiB) for {} identifiers and values of {} \
             customers: 0 found in clear.",
            scan.files,
            scan.bytes as f64 / (1024.0 * 1024.0),
            thousands(needles.len() as u64),
            SCANNED_PEOPLE.min(people.len())
        ),
    );
    story.fact(
        "scan",
        json!({"files": scan.files, "bytes": scan.bytes, "needles": needles.len(), "found": 0}),
    );

    // 5. Consent, from the stored (decrypted) ledgers.
    let step = Instant::now();
    let granted = consent_held(&store, &policy)?;
    story.step(
        step,
        "Consent held now (from the sign-up form, the CRM's unsubscribes and the site's consent banner; no answer \
         means no):"
            .to_string(),
    );
    story.lines(
        &granted
            .iter()
            .map(|(purpose, n)| {
                format!(
                    "     {purpose:<18} {:>9}  ({:.1}% of profiles)",
                    thousands(*n),
                    *n as f64 * 100.0 / subjects.max(1) as f64
                )
            })
            .collect::<Vec<_>>(),
    );
    story.fact("consent_granted", json!(granted));

    // 6. Segmentation: the runs share the store (reads are lock-free, writes take the store's writer lock), so
    // they run side by side, one per core.
    let step = Instant::now();
    for (plugin_id, _, _) in RUNS {
        plugin(ctx, &store, &policy, &runtime, &mut plugins, plugin_id)?;
    }
    let mut jobs = Vec::new();
    for (plugin_id, purpose, config) in RUNS {
        let config: Value = serde_json::from_str(config)
            .with_context(|| format!("the demo's configuration of {plugin_id}"))?;
        let plugin = plugins
            .get(plugin_id)
            .with_context(|| format!("no built-in plugin `{plugin_id}`"))?;
        let loaded = plugin.loaded.as_ref().context("a plugin was not loaded")?;
        jobs.push((plugin, loaded, purpose, config));
    }
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(jobs.len());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((plugin, loaded, purpose, config)) = jobs.get(i) else {
                        break;
                    };
                    let run = cohort_segments::run_segmenter(cohort_segments::RunRequest {
                        store: &store,
                        policy: &policy,
                        package: &plugin.trusted,
                        plugin: loaded,
                        purpose,
                        config,
                        actor: ACTOR,
                        now: time::OffsetDateTime::now_utc(),
                        chunk: cohort_segments::DEFAULT_CHUNK,
                    });
                    if let Err(e) = run
                        && let Ok(mut f) = failures.lock()
                    {
                        f.push(format!("{} for {purpose}: {e}", loaded.name()));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap_or_default();
    if !failures.is_empty() {
        bail!("segmentation failed: {}", failures.join("; "));
    }
    let runs = cohort_outputs::list_segments(&store, &policy)?;
    let mut lines = Vec::new();
    for run in &runs {
        lines.push(format!(
            "     {} for {} ({} profiles seen):",
            run.plugin,
            run.purpose,
            show(run.subjects_seen)
        ));
        let cells: Vec<String> = run
            .segments
            .iter()
            .map(|s| format!("{} {}", s.segment, show(s.size)))
            .collect();
        lines.extend(wrap(&cells, "       ", 112));
    }
    story.step(
        step,
        format!(
            "Segmented with the built-in segmenters: {} runs, each shown only what its purpose allows (sizes under \
             {} withheld):",
            RUNS.len(),
            policy.aggregates().min_group_size
        ),
    );
    story.lines(&lines);
    story.fact("segments", json!(runs));

    // 7. Aggregates.
    let step = Instant::now();
    let mut lines = Vec::new();
    let mut reports = Vec::new();
    for (segment, by, sums) in COUNTS {
        let by: Vec<String> = by.iter().map(|s| (*s).to_owned()).collect();
        let sums: Vec<String> = sums.iter().map(|s| (*s).to_owned()).collect();
        let report = cohort_outputs::count_segment(cohort_outputs::CountRequest {
            store: &store,
            policy: &policy,
            segment,
            purpose: "analytics",
            by: &by,
            sums: &sums,
            requester: ACTOR,
            dry_run: false,
            now: time::OffsetDateTime::now_utc(),
        })?;
        let mut command = format!("cohort segment count {segment} --purpose analytics");
        for b in &by {
            command.push_str(&format!(" --by {b}"));
        }
        for s in &sums {
            command.push_str(&format!(" --sum {s}"));
        }
        lines.push(format!("\n   $ {command}"));
        lines.extend(
            crate::commands::count_view::render(&report)
                .lines()
                .map(|l| format!("     {l}")),
        );
        reports.push(report);
    }
    story.step(
        step,
        "Released aggregates for the analytics purpose: small groups withheld, noise added, budget charged:"
            .to_string(),
    );
    story.lines(&lines);
    story.fact("counts", json!(reports));

    // 8. One consented export.
    let step = Instant::now();
    let (segment, purpose) = EXPORT;
    let export = cohort_outputs::export_segment(cohort_outputs::ExportRequest {
        store: &store,
        policy: &policy,
        segment,
        purpose,
        requester: ACTOR,
    })?;
    let out_dir = root.join("exports");
    std::fs::create_dir_all(&out_dir)?;
    let export_file = out_dir.join(format!("{}-{purpose}.csv", segment.replace('/', "-")));
    cohort_crypto::private_file::create_new(&export_file, export.to_csv().as_bytes())
        .with_context(|| format!("writing {}", export_file.display()))?;
    let by_email: HashMap<String, &cohort_demo::Person> =
        people.iter().map(|p| (p.email.clone(), p)).collect();
    let email_column = export
        .columns
        .iter()
        .position(|c| c == "email")
        .context("the export has no email column")?;
    let mut consenting = 0;
    let mut first_exported = None;
    for row in &export.rows {
        let email = row[email_column].trim().to_lowercase();
        let person = by_email.get(&email).with_context(|| {
            format!(
                "exported row {} is nobody the demo generated",
                consenting + 1
            )
        })?;
        if person.consent_state(purpose) != Some(cohort_demo::ConsentState::Granted) {
            bail!("the export holds someone whose latest {purpose} choice is not a grant");
        }
        consenting += 1;
        first_exported.get_or_insert(*person);
    }
    let person = first_exported.context("the export is empty")?;
    story.step(
        step,
        format!(
            "Exported {segment} for {purpose}: {} customers, columns [{}] only, to {} (0600, audit entry {}). \
             Checked against the generator: every one of them opted in and did not withdraw.",
            thousands(export.rows.len() as u64),
            export.columns.join(", "),
            relative(&export_file, &root),
            export.audit_seq
        ),
    );
    story.fact(
        "export",
        json!({"segment": segment, "purpose": purpose, "rows": export.rows.len(), "columns": export.columns,
            "file": export_file, "audit_seq": export.audit_seq, "all_consenting": consenting == export.rows.len()}),
    );

    // 9. One erasure and a refused re-import.
    let step = Instant::now();
    let selector = crate::cli::SubjectSelector {
        email: Some(person.email.clone()),
        phone: None,
        id: None,
    };
    let id = crate::context::find_subject(&store, &policy, &selector)?;
    let erased = store.erase(
        &id,
        ErasureRequest {
            request_id: "demo-request-1".into(),
            reason: "art17-1-b-consent-withdrawn".into(),
            suppress: true,
            audit: AuditRecord::new(ACTOR, "subject.erase", Some(policy.sha256_hex())),
        },
    )?;
    let (mut resent, mut stored, mut refused) = (0, 0, 0);
    for export in sources.only_about(person) {
        let file = inbox.join(format!("resent-{}", export.file_name));
        std::fs::write(&file, &export.bytes)?;
        let plugin = plugin(
            ctx,
            &store,
            &policy,
            &runtime,
            &mut plugins,
            export.connector,
        )?;
        let run = connector_ingest(&store, &policy, plugin, &export.config, &file)?;
        std::fs::remove_file(&file)?;
        resent += run.records;
        stored += run.summary.stored;
        refused += run.summary.refused_suppressed;
    }
    story.step(
        step,
        format!(
            "Erased the first exported customer (Art. 17): data key destroyed first, {} identifier hash(es) \
             suppressed. Re-sent every row naming them from all four sources: {resent} record(s), {stored} stored, \
             {refused} refused as erased.",
            erased.identifiers_suppressed
        ),
    );
    story.fact(
        "erasure",
        json!({"subject": erased.subject, "identifiers_suppressed": erased.identifiers_suppressed,
            "reimported_records": resent, "reimport_stored": stored, "reimport_refused": refused}),
    );

    // 10. Audit.
    let step = Instant::now();
    let verified = store.verify_audit()?;
    let stats = store.stats()?;
    story.step(
        step,
        format!(
            "Audit log verified: {} entries, {} signed checkpoints, root {}. Store: {} subjects, {} identity entries \
             (HMAC only), {} tombstone(s).",
            thousands(verified.entries),
            verified.checkpoints_checked,
            &verified.root_hex[..16.min(verified.root_hex.len())],
            thousands(stats.subjects),
            thousands(stats.identities),
            stats.tombstones
        ),
    );
    story.fact(
        "audit",
        json!({"verified": true, "entries": verified.entries, "checkpoints": verified.checkpoints_checked,
            "root": verified.root_hex}),
    );

    let total = started.elapsed();
    story.say(format!("\nTotal: {:.1} s.", total.as_secs_f64()));
    if args.keep.is_some() {
        story.say(format!(
            "Kept {} (key file {}, policy {}, export {}).",
            data_dir.display(),
            key_file.display(),
            policy_file.display(),
            export_file.display()
        ));
    }
    story.fact("total_seconds", json!(total.as_secs_f64()));
    story.finish()
}

/// Subjects holding each consent-based purpose now, read from the stored (decrypted) ledgers on every core.
fn consent_held(store: &Store, policy: &cohort_policy::Policy) -> Result<BTreeMap<String, u64>> {
    let ids = store.subject_ids().collect::<Result<Vec<_>, _>>()?;
    let purposes: Vec<&str> = policy
        .purposes()
        .iter()
        .filter(|p| p.requires_consent())
        .map(|p| p.id.as_str())
        .collect();
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let share = ids.len().div_ceil(workers).max(1);
    let counted: Vec<Result<BTreeMap<String, u64>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = ids
            .chunks(share)
            .map(|part| {
                let purposes = &purposes;
                scope.spawn(move || {
                    let mut granted = BTreeMap::<String, u64>::new();
                    for id in part {
                        if let Some(view) = store.subject(id)? {
                            for p in purposes {
                                if view.body.consents.is_granted(p) {
                                    *granted.entry((*p).to_owned()).or_default() += 1;
                                }
                            }
                        }
                    }
                    Ok(granted)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow!("a consent reader panicked")))
            })
            .collect()
    });
    let mut total: BTreeMap<String, u64> = purposes.iter().map(|p| ((*p).to_owned(), 0)).collect();
    for part in counted {
        for (purpose, n) in part? {
            *total.entry(purpose).or_default() += n;
        }
    }
    Ok(total)
}

/// A built-in plugin: trusted under the demo's policy, loaded into the sandbox on first use.
struct Plugin {
    trusted: TrustedPackage,
    loaded: Option<cohort_plugins::LoadedPlugin>,
}

/// The built-in plugin `id`, loaded.
fn plugin<'a>(
    ctx: &Ctx,
    store: &Store,
    policy: &cohort_policy::Policy,
    runtime: &cohort_plugins::Runtime,
    plugins: &'a mut BTreeMap<&str, Plugin>,
    id: &str,
) -> Result<&'a Plugin> {
    let plugin = plugins
        .get_mut(id)
        .with_context(|| format!("no built-in plugin `{id}`"))?;
    if plugin.loaded.is_none() {
        plugin.loaded = Some(crate::commands::plugin::load_or_audit(
            ctx,
            store,
            policy,
            runtime,
            &plugin.trusted,
        )?);
    }
    Ok(plugin)
}

/// One export through its connector, checked like `cohort ingest --connector`.
fn connector_ingest(
    store: &Store,
    policy: &cohort_policy::Policy,
    plugin: &Plugin,
    config: &Value,
    file: &Path,
) -> Result<crate::commands::ingest::ConnectorRun> {
    let manifest = plugin.trusted.manifest();
    if manifest.kind() != PluginKind::Connector {
        bail!("`{}` is not a connector", manifest.id());
    }
    manifest
        .validate_config(config)
        .map_err(|e| anyhow!("configuration of {}: {}", manifest.id(), e.join("; ")))?;
    let loaded = plugin.loaded.as_ref().context("a plugin was not loaded")?;
    ingest_with_connector(&ConnectorIngest {
        store,
        policy,
        plugin: loaded,
        manifest,
        config,
        file,
        skip_invalid: false,
        actor: ACTOR,
    })
}

/// The example policy with a `plugins:` section that trusts the demo's publisher key and allows the connectors.
fn demo_policy(public_key: &str) -> Result<String> {
    let untrusted = "  trusted_publishers: []\n";
    let allow = "  allow:\n";
    if !EXAMPLE_POLICY.contains(untrusted) || !EXAMPLE_POLICY.contains(allow) {
        bail!(
            "the embedded policy's `plugins:` section is not the one the demo knows how to extend"
        );
    }
    let trusted = format!(
        "  # cohort demo: the built-in plugins, signed by a key made for this run only.\n  trusted_publishers:\n    \
         - {{ name: {BUILTIN_PUBLISHER}, key: \"{public_key}\" }}\n"
    );
    let mut connectors = String::from(allow);
    for builtin in cohort_builtin_plugins::builtin() {
        if builtin.kind == PluginKind::Connector {
            connectors.push_str(&format!(
                "    - {{ plugin: {}, purposes: {CONNECTOR_PURPOSES} }}\n",
                builtin.id
            ));
        }
    }
    Ok(EXAMPLE_POLICY
        .replacen(untrusted, &trusted, 1)
        .replacen(allow, &connectors, 1))
}

/// Prints the story (or, with `--json`, collects its facts and prints them at the end).
struct Story {
    json: bool,
    step: usize,
    facts: serde_json::Map<String, Value>,
    timings: Vec<Value>,
}

impl Story {
    fn new(json: bool) -> Self {
        Self {
            json,
            step: 0,
            facts: serde_json::Map::new(),
            timings: Vec::new(),
        }
    }

    fn say(&self, text: String) {
        if !self.json {
            println!("{text}");
        }
    }

    fn lines(&self, lines: &[String]) {
        for line in lines {
            self.say(line.clone());
        }
    }

    /// Ends a step that started at `started`, printing its number, its text and its time.
    fn step(&mut self, started: Instant, text: String) {
        self.step += 1;
        let took = started.elapsed();
        self.timings
            .push(json!({"step": self.step, "seconds": took.as_secs_f64()}));
        self.say(format!("\n{:>2}. [{}] {text}", self.step, seconds(took)));
    }

    fn fact(&mut self, key: &str, value: Value) {
        self.facts.insert(key.to_owned(), value);
    }

    fn finish(mut self) -> Result<()> {
        if self.json {
            self.facts.insert(
                "steps".into(),
                Value::Array(std::mem::take(&mut self.timings)),
            );
            println!(
                "{}",
                serde_json::to_string_pretty(&Value::Object(self.facts))?
            );
        }
        Ok(())
    }
}

fn seconds(d: Duration) -> String {
    format!("{:5.1} s", d.as_secs_f64())
}

fn show(c: Count) -> String {
    match c {
        Count::Value(n) => thousands(n),
        Count::Suppressed => "withheld".into(),
    }
}

/// `50000` → `50,000`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Items joined with `·`, in lines of at most `width` characters after `indent`.
fn wrap(items: &[String], indent: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for item in items {
        if !line.is_empty() && line.chars().count() + item.chars().count() + 3 > width {
            lines.push(format!("{indent}{line}"));
            line.clear();
        }
        if !line.is_empty() {
            line.push_str(" · ");
        }
        line.push_str(item);
    }
    if !line.is_empty() {
        lines.push(format!("{indent}{line}"));
    }
    lines
}

fn cohort_demo_date(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn relative(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Identifiers and distinctive attribute values of the first `n` people, as they appeared in the input.
pub fn needles(people: &[cohort_demo::Person], n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for p in people.iter().take(n) {
        out.push(p.email.clone());
        out.extend(p.phone.clone());
        out.extend(p.phone_e164.clone());
        out.push(p.crm_id.clone());
        if p.last_name.len() >= 5 {
            out.push(format!("{} {}", p.first_name, p.last_name));
        }
        if let Some(Value::String(b)) = p.attributes.get("birth_date") {
            out.push(b.clone());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The result of scanning files for values.
pub struct Scan {
    pub files: u64,
    pub bytes: u64,
    pub hits: Vec<(PathBuf, String)>,
}

/// Reads every file under `dir` as raw bytes and looks for every needle at once (Aho-Corasick).
pub fn scan_dir(dir: &Path, needles: &[String]) -> Result<Scan> {
    let patterns: Vec<&String> = needles.iter().filter(|n| n.len() >= 4).collect();
    let matcher = aho_corasick::AhoCorasick::new(&patterns)?;
    let mut scan = Scan {
        files: 0,
        bytes: 0,
        hits: Vec::new(),
    };
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path)?;
            scan.files += 1;
            scan.bytes += bytes.len() as u64;
            for m in matcher.find_iter(&bytes) {
                scan.hits
                    .push((path.clone(), format!("pattern {}", m.pattern().as_usize())));
            }
        }
    }
    Ok(scan)
}
