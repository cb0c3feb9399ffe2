//! `cohort demo`: the end-to-end story on embedded defaults, in a temporary directory.
//!
//! Synthetic customers (deterministic) → canonical JSONL → ingest under the embedded example-retail policy →
//! what was stored, merged and dropped → a scan of every file on disk for the people's identifiers and values in
//! clear → consent state → one erasure and a refused re-import → audit verification.

use crate::cli::DemoArgs;
use crate::commands::ingest::{CliProgress, render_summary};
use crate::context::Ctx;
use crate::output::table;
use anyhow::{Context as _, Result, bail};
use cohort_crypto::KeyRing;
use cohort_ingest::IngestOptions;
use cohort_store::{AuditRecord, ErasureRequest, Store};
use std::path::{Path, PathBuf};

/// The example policy, embedded so that the demo needs no file.
pub const EXAMPLE_POLICY: &str = include_str!("../../../../policies/example-retail.yaml");
/// How the embedded policy is named in messages and audit entries.
pub const EXAMPLE_POLICY_NAME: &str = "policies/example-retail.yaml (embedded)";

pub fn run(ctx: &Ctx, args: &DemoArgs) -> Result<()> {
    let started = std::time::Instant::now();
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
    let policy = cohort_policy::parse_policy(EXAMPLE_POLICY_NAME, EXAMPLE_POLICY)
        .map_err(|e| anyhow::anyhow!("the embedded policy is invalid: {e}"))?;

    println!(
        "Cohort demo: {} synthetic customers, seed {}, policy {} v{}\n",
        args.customers,
        args.seed,
        policy.id(),
        policy.version()
    );

    // 1. Keys and store.
    KeyRing::create(
        &key_file,
        &cohort_store::rfc3339(time::OffsetDateTime::now_utc()),
    )?;
    let keys = KeyRing::load(&key_file)?;
    let store = Store::init(&data_dir, keys)?;
    store.note_policy(policy.sha256_hex(), policy.id(), policy.version(), "demo")?;
    println!(
        "1. Initialised {} with a separate key file (0600).",
        data_dir.display()
    );

    // 2. Synthetic data.
    let spec = cohort_demo::DemoSpec {
        customers: args.customers,
        seed: args.seed,
        ..cohort_demo::DemoSpec::default()
    };
    let dataset = cohort_demo::generate(&spec);
    let input = root.join("demo-records.jsonl");
    let file = std::fs::File::create(&input)?;
    cohort_demo::write_jsonl(&dataset.records, std::io::BufWriter::new(file))?;
    println!(
        "2. Generated {} records ({} customers across CRM, analytics and survey sources) into {}.",
        dataset.records.len(),
        dataset.stats.customers,
        input
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    );

    // 3. Ingest.
    let size = std::fs::metadata(&input).map(|m| m.len()).unwrap_or(0);
    let mut progress = CliProgress::new(size, false, ctx.json);
    let summary = cohort_ingest::ingest_jsonl_file(
        &store,
        &policy,
        &input,
        &IngestOptions {
            actor: "demo".into(),
            ..IngestOptions::default()
        },
        &mut progress,
    )?;
    progress.finish();
    println!(
        "3. {}",
        render_summary("demo-records.jsonl", &summary).trim_end()
    );
    // The input file is personal data (synthetic here); remove it as a real pipeline would after ingest.
    std::fs::remove_file(&input)?;

    // 4. Privacy on disk.
    let needles = needles(&dataset.people, 300);
    let scan = scan_dir(&data_dir, &needles)?;
    println!(
        "\n4. Scanned every file of the data directory ({} files, {:.1} MiB) for {} identifiers and attribute values \
         of the customers: {} found in clear.",
        scan.files,
        scan.bytes as f64 / (1024.0 * 1024.0),
        needles.len(),
        scan.hits.len()
    );
    if !scan.hits.is_empty() {
        bail!(
            "privacy invariant broken: values found in clear in {:?}",
            scan.hits
        );
    }

    // 5. Consent, from the stored (decrypted) ledgers.
    let mut granted = std::collections::BTreeMap::<String, u64>::new();
    let mut subjects = 0u64;
    for id in store.subject_ids() {
        let id = id?;
        subjects += 1;
        if let Some(view) = store.subject(&id)? {
            for p in policy.purposes().iter().filter(|p| p.requires_consent()) {
                if view.body.consents.is_granted(&p.id) {
                    *granted.entry(p.id.clone()).or_default() += 1;
                }
            }
        }
    }
    println!(
        "\n5. {subjects} subjects after identity resolution. Consent granted now (consent purposes default to no):"
    );
    for (purpose, n) in &granted {
        println!(
            "     {purpose:<18} {n:>7}  ({:.1}%)",
            *n as f64 * 100.0 / subjects.max(1) as f64
        );
    }

    // 6. Erasure and re-import.
    let person = dataset
        .people
        .first()
        .context("the demo generated no people")?;
    let selector = crate::cli::SubjectSelector {
        email: Some(person.email.clone()),
        phone: None,
        id: None,
    };
    let id = crate::context::find_subject(&store, &policy, &selector)?;
    let report = store.erase(
        &id,
        ErasureRequest {
            request_id: "demo-request-1".into(),
            reason: "art17-1-b-consent-withdrawn".into(),
            suppress: true,
            audit: AuditRecord::new("demo", "subject.erase", Some(policy.sha256_hex())),
        },
    )?;
    let again: Vec<serde_json::Value> = dataset
        .records
        .iter()
        .filter(|r| {
            r["identifiers"]["email"]
                .as_str()
                .map(str::trim)
                .map(str::to_lowercase)
                == Some(person.email.to_lowercase())
        })
        .cloned()
        .collect();
    let reimport = cohort_ingest::ingest_values(
        &store,
        &policy,
        &again,
        "demo-reimport",
        &IngestOptions::default(),
        &mut cohort_ingest::NoProgress,
    )?;
    println!(
        "\n6. Erased one customer (subject {}): data key destroyed first, {} identifier hash(es) suppressed.\n   \
         Re-importing their {} record(s): {} stored, {} refused as erased.",
        report.subject,
        report.identifiers_suppressed,
        again.len(),
        reimport.stored,
        reimport.refused_suppressed
    );

    // 7. Audit.
    let verified = store.verify_audit()?;
    let stats = store.stats()?;
    println!(
        "\n7. Audit log verified: {} entries, {} signed checkpoints, root {}.",
        verified.entries,
        verified.checkpoints_checked,
        &verified.root_hex[..16]
    );
    print!(
        "{}",
        table(&[
            ("subjects", stats.subjects.to_string()),
            ("identity entries (HMAC only)", stats.identities.to_string()),
            ("tombstones", stats.tombstones.to_string()),
            (
                "elapsed",
                format!("{:.1} s", started.elapsed().as_secs_f64())
            ),
        ])
    );
    if args.keep.is_some() {
        println!(
            "\nKept {} (key file {}).",
            data_dir.display(),
            key_file.display()
        );
    }
    Ok(())
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
        if let Some(serde_json::Value::String(b)) = p.attributes.get("birth_date") {
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
