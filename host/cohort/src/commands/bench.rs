//! `cohort bench ingest`: Cohort's ingest path beside plain sled writing the same keys and bytes, in one run.
//!
//! The workload is the one the foundation issue names: records of one email, five attributes and one event, all
//! new people. Cohort's side runs the whole path (schema validation, normalisation, HMAC, minimisation, AES-GCM
//! under a fresh per-subject key, key vault, sled batch, fsync per commit). The baseline writes, into a fresh sled
//! database with the same configuration, exactly as many keys and bytes as Cohort's commits wrote, in the same number
//! of batches, each followed by a flush: so the ratio is the price of privacy over sled itself.

use crate::cli::BenchCommand;
use crate::context::Ctx;
use crate::output::emit;
use anyhow::Result;
use cohort_crypto::KeyRing;
use cohort_ingest::{IngestOptions, NoProgress};
use cohort_store::Store;
use serde::Serialize;
use std::time::Instant;

#[derive(Debug, Serialize)]
struct Side {
    records_per_s: f64,
    seconds: Vec<f64>,
}

#[derive(Debug, Serialize)]
struct Report {
    workload: String,
    records: usize,
    runs: usize,
    keys_written: u64,
    bytes_written: u64,
    commits: u64,
    cohort: Side,
    plain_sled: Side,
    ratio: f64,
    machine: String,
}

pub fn run(ctx: &Ctx, command: BenchCommand) -> Result<()> {
    let (records, runs) = match command {
        BenchCommand::Ingest { records, runs } => (records, runs),
        BenchCommand::Plugins {
            wasm_dir,
            profiles,
            iterations,
            rounds,
        } => {
            return crate::commands::bench_plugins::run(
                ctx, wasm_dir, profiles, iterations, rounds,
            );
        }
        BenchCommand::Http {
            events,
            batch,
            clients,
        } => return crate::commands::bench_http::run(ctx, events, batch, clients),
    };
    let runs = runs.max(1);
    let policy = cohort_policy::parse_policy(
        crate::commands::demo::EXAMPLE_POLICY_NAME,
        crate::commands::demo::EXAMPLE_POLICY,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let input = cohort_demo::bench_records(records, 7);
    let mut cohort_times = Vec::new();
    let mut sled_times = Vec::new();
    let mut keys_written = 0;
    let mut bytes_written = 0;
    let mut commits = 0;
    for run in 0..runs {
        let tmp = tempfile::tempdir()?;
        let key_file = tmp.path().join("bench.keys.json");
        KeyRing::create(&key_file, "bench")?;
        let keys = KeyRing::load(&key_file)?;
        let dir = tmp.path().join("data");
        let store = Store::init(&dir, keys)?;
        let options = IngestOptions {
            actor: "bench".into(),
            ..IngestOptions::default()
        };
        let start = Instant::now();
        let summary = cohort_ingest::ingest_values(
            &store,
            &policy,
            &input,
            "bench",
            &options,
            &mut NoProgress,
        )?;
        cohort_times.push(start.elapsed().as_secs_f64());
        anyhow::ensure!(
            summary.stored as usize == records,
            "bench stored {} of {records} records",
            summary.stored
        );
        keys_written = summary.keys_written;
        bytes_written = summary.bytes_written;
        commits = summary.commits;
        drop(store);

        let base_dir = tmp.path().join("plain");
        sled_times.push(plain_sled(
            &base_dir,
            keys_written,
            bytes_written,
            commits,
            run as u64,
        )?);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (mut ct, mut st) = (cohort_times.clone(), sled_times.clone());
    let (cm, sm) = (median(&mut ct), median(&mut st));
    let report = Report {
        workload: "new people: 1 email, 5 attributes, 1 event each".into(),
        records,
        runs,
        keys_written,
        bytes_written,
        commits,
        cohort: Side {
            records_per_s: records as f64 / cm,
            seconds: cohort_times,
        },
        plain_sled: Side {
            records_per_s: records as f64 / sm,
            seconds: sled_times,
        },
        ratio: sm / cm,
        machine: format!(
            "{} cores, {}",
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            std::env::consts::ARCH
        ),
    };
    emit(ctx.json, &report, || {
        format!(
            "bench ingest: {records} records x {runs} runs ({})\n  keys written {keys_written}, bytes {bytes_written}, commits {commits}\n  \
             cohort (validate+pseudonymise+encrypt+store): {:>9.0} records/s (median {cm:.3} s)\n  \
             plain sled, same keys and bytes:              {:>9.0} records/s (median {sm:.3} s)\n  \
             ratio cohort / plain sled: {:.2}\n",
            report.workload,
            report.cohort.records_per_s,
            report.plain_sled.records_per_s,
            report.ratio
        )
    })
}

/// Writes `keys` keys totalling `bytes` bytes in `batches` batches, each flushed, into a fresh sled database with
/// the store's configuration. Returns seconds.
fn plain_sled(
    dir: &std::path::Path,
    keys: u64,
    bytes: u64,
    batches: u64,
    seed: u64,
) -> Result<f64> {
    let db = sled::Config::new()
        .path(dir)
        .mode(sled::Mode::HighThroughput)
        .open()?;
    let tree = db.open_tree("plain")?;
    let per_key = (bytes / keys.max(1)).max(17) as usize;
    let per_batch = keys.div_ceil(batches.max(1));
    // Values are pseudo-random so that sled's work matches incompressible ciphertext; keys are 17 bytes like a
    // subject key, value fills the rest of the average.
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut value = vec![0u8; per_key - 17];
    let start = Instant::now();
    let mut written = 0u64;
    while written < keys {
        let mut batch = sled::Batch::default();
        for _ in 0..per_batch.min(keys - written) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut key = [0u8; 17];
            key[0] = b'S';
            key[1..9].copy_from_slice(&x.to_be_bytes());
            key[9..17].copy_from_slice(&written.to_be_bytes());
            for chunk in value.chunks_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let b = x.to_le_bytes();
                chunk.copy_from_slice(&b[..chunk.len()]);
            }
            batch.insert(&key[..], &value[..]);
            written += 1;
        }
        tree.apply_batch(batch)?;
        db.flush()?;
    }
    Ok(start.elapsed().as_secs_f64())
}
