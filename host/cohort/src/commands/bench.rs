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
        } => return plugins(ctx, wasm_dir, profiles, iterations, rounds),
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

/// `cohort bench plugins`.
pub fn plugins(
    ctx: &Ctx,
    wasm_dir: Option<std::path::PathBuf>,
    profiles: usize,
    iterations: usize,
    rounds: u32,
) -> Result<()> {
    use cohort_plugin_package::Manifest;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins");
    let wasm_dir = wasm_dir.unwrap_or_else(|| root.join("target/wasm32-unknown-unknown/release"));
    let load = |rt: &cohort_plugins::Runtime,
                dir: &str,
                file: &str|
     -> Result<cohort_plugins::LoadedPlugin> {
        let wasm = std::fs::read(wasm_dir.join(file)).map_err(|e| {
            anyhow::anyhow!(
                "{}: {e}; build the plugins first: (cd plugins && cargo build --release --target wasm32-unknown-unknown)",
                wasm_dir.join(file).display()
            )
        })?;
        let manifest = Manifest::parse(&std::fs::read_to_string(
            root.join(dir).join("manifest.toml"),
        )?)?;
        Ok(rt.load_with_manifest(&manifest, String::new(), &wasm)?)
    };
    let rt = cohort_plugins::Runtime::new()?;

    // 1. Instantiation (pooling allocator, pre-instantiated component).
    let good = load(&rt, "fixtures/good-segmenter", "good_segmenter.wasm")?;
    for _ in 0..100 {
        good.instantiate_only()?;
    }
    let start = Instant::now();
    for _ in 0..iterations {
        good.instantiate_only()?;
    }
    let instantiate_us = start.elapsed().as_secs_f64() * 1e6 / iterations as f64;

    // 2. A trivial call: `drain` on a run with nothing left (no data either way; fuel and deadline set each call).
    //    Beside it, `add` of no profiles in each interface version: in 0.2.0 that lowers 13 empty columns, and
    //    wasmtime calls the plugin's allocator for each one, empty or not.
    let per_call_us = |f: &mut dyn FnMut() -> Result<()>| -> Result<f64> {
        for _ in 0..100 {
            f()?;
        }
        let start = Instant::now();
        for _ in 0..iterations {
            f()?;
        }
        Ok(start.elapsed().as_secs_f64() * 1e6 / iterations as f64)
    };
    let mut run = good.start_segmenter("{}", "analytics", 0)?;
    let empty_add_us = per_call_us(&mut || run.add(&[]).map(drop).map_err(Into::into))?;
    run.end_input()?;
    let call_us = per_call_us(&mut || {
        anyhow::ensure!(
            run.drain_page()?.is_empty(),
            "the good segmenter had assignments left"
        );
        Ok(())
    })?;
    drop(run);
    let legacy = load(&rt, "fixtures/legacy-segmenter", "legacy_segmenter.wasm")?;
    let mut run = legacy.start_segmenter("{}", "analytics", 0)?;
    let empty_add_v0_1_us = per_call_us(&mut || run.add(&[]).map(drop).map_err(Into::into))?;
    drop(run);

    // 3. RFM over the same synthetic profiles, natively and in Wasm.
    let now = 1_790_000_000i64;
    let spec = |i: usize| -> (usize, Vec<(i64, f64)>) {
        // 1-6 orders over two years, deterministic, a long tail like real shops.
        let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let orders = [1, 1, 1, 2, 2, 3, 4, 6][(next() % 8) as usize];
        (
            orders,
            (0..orders)
                .map(|_| {
                    (
                        now - (next() % (730 * 86_400)) as i64,
                        (next() % 20_000) as f64 / 100.0,
                    )
                })
                .collect(),
        )
    };
    let native_profiles: Vec<cohort_plugin_sdk::Profile> = (0..profiles)
        .map(|i| cohort_plugin_sdk::Profile {
            // The text the SDK shows a plugin for token `i`, so both sides assign the same tokens.
            token: format!("{i:016x}"),
            attributes: vec![],
            events: spec(i)
                .1
                .into_iter()
                .map(|(at, total)| cohort_plugin_sdk::Event {
                    event_type: "order_completed".into(),
                    at,
                    properties: vec![("total".into(), cohort_plugin_sdk::Value::Number(total))],
                })
                .collect(),
        })
        .collect();
    let wasm_profiles: Vec<cohort_plugins::Profile> = native_profiles
        .iter()
        .zip(0u64..)
        .map(|(p, token)| cohort_plugins::Profile {
            token,
            attributes: vec![],
            events: p
                .events
                .iter()
                .map(|e| cohort_plugins::Event {
                    event_type: e.event_type.clone(),
                    at: e.at,
                    properties: vec![(
                        "total".into(),
                        cohort_plugins::Value::Number(match e.properties[0].1 {
                            cohort_plugin_sdk::Value::Number(n) => n,
                            _ => 0.0,
                        }),
                    )],
                })
                .collect(),
        })
        .collect();
    const CHUNK: usize = 2_000;
    let ctx_native = cohort_plugin_sdk::RunContext {
        purpose: "analytics".into(),
        now,
    };
    // One round of each side: (seconds to the end of `add`, seconds in all, assignments).
    let native_round = || -> Result<(f64, f64, Vec<cohort_plugin_sdk::Assignment>)> {
        let start = Instant::now();
        let mut rfm = rfm::Rfm::new("{}", &ctx_native).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut out = Vec::new();
        for chunk in native_profiles.chunks(CHUNK) {
            rfm.add_profiles(chunk.to_vec(), &mut out)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        let add_s = start.elapsed().as_secs_f64();
        rfm.finish_into(&mut out);
        Ok((add_s, start.elapsed().as_secs_f64(), out))
    };
    let rfm_wasm = load(&rt, "segmenters/rfm", "rfm.wasm")?;
    let wasm_round =
        || -> Result<(f64, f64, cohort_plugins::Assignments, cohort_plugins::CallStats)> {
            let start = Instant::now();
            let mut run = rfm_wasm.start_segmenter("{}", "analytics", now)?;
            let mut out = cohort_plugins::Assignments::new();
            for chunk in wasm_profiles.chunks(CHUNK) {
                out.append(run.add(chunk)?);
            }
            let add_s = start.elapsed().as_secs_f64();
            run.finish_into(&mut out)?;
            Ok((add_s, start.elapsed().as_secs_f64(), out, run.stats))
        };
    // Rounds alternate the sides, so a slow spell of the machine (page faults, another process) tends to hit both.
    let mut native_rounds = Vec::new();
    let mut wasm_rounds = Vec::new();
    let mut stats = cohort_plugins::CallStats::default();
    for round in 0..rounds {
        let (native_add_s, native_s, native_out) = native_round()?;
        let (wasm_add_s, wasm_s, wasm_out, wasm_stats) = wasm_round()?;
        if round == 0 {
            stats = wasm_stats;
            anyhow::ensure!(
                wasm_out.len() == native_out.len()
                    && wasm_out
                        .iter()
                        .zip(&native_out)
                        .all(|(w, n)| format!("{:016x}", w.token) == n.token
                            && w.segment == n.segment
                            && w.score == n.score
                            && w.reasons().eq(n.reasons.iter().map(String::as_str))),
                "Wasm and native RFM disagree"
            );
        }
        native_rounds.push((native_add_s, native_s));
        wasm_rounds.push((wasm_add_s, wasm_s));
    }
    let best = |rounds: &[(f64, f64)]| {
        rounds
            .iter()
            .copied()
            .fold((f64::INFINITY, f64::INFINITY), |a, b| {
                if b.1 < a.1 { b } else { a }
            })
    };
    let (native_add_s, native_s) = best(&native_rounds);
    let (wasm_add_s, wasm_s) = best(&wasm_rounds);
    let listed = |rounds: &[(f64, f64)]| {
        rounds
            .iter()
            .map(|r| format!("{:.3}", r.1))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (native_list, wasm_list) = (listed(&native_rounds), listed(&wasm_rounds));
    let report = serde_json::json!({
        "instantiate_us": instantiate_us,
        "trivial_call_us": call_us,
        "empty_add_us": empty_add_us, "empty_add_v0_1_us": empty_add_v0_1_us,
        "rfm": {
            "profiles": profiles,
            "native_s": native_s, "wasm_s": wasm_s,
            // The two phases: profiles in (`add`), then scoring and assignments out (`finish`, `drain`).
            "native_add_s": native_add_s, "wasm_add_s": wasm_add_s,
            "native_finish_s": native_s - native_add_s, "wasm_finish_s": wasm_s - wasm_add_s,
            "native_profiles_per_s": profiles as f64 / native_s,
            "wasm_profiles_per_s": profiles as f64 / wasm_s,
            "wasm_vs_native": native_s / wasm_s,
            "wasm_fuel": stats.fuel, "wasm_peak_memory_mib": stats.peak_memory >> 20,
            "rounds": rounds,
            "native_rounds_s": native_rounds.iter().map(|r| r.1).collect::<Vec<_>>(),
            "wasm_rounds_s": wasm_rounds.iter().map(|r| r.1).collect::<Vec<_>>(),
        },
        "iterations": iterations,
        "machine": format!("{} cores, {}", std::thread::available_parallelism().map_or(0, |n| n.get()), std::env::consts::ARCH),
    });
    emit(ctx.json, &report, || {
        format!(
            "bench plugins\n  instantiate (pooling, pre-instantiated): {instantiate_us:.2} µs\n  trivial call (drain, nothing left):     {call_us:.2} µs\n  \
             add of 0 profiles:                      {empty_add_us:.2} µs (interface 0.1.0: {empty_add_v0_1_us:.2} µs)\n  \
             rfm, {profiles} profiles, best of {rounds} rounds: native {native_s:.3} s, Wasm {wasm_s:.3} s ({:.0} profiles/s); Wasm runs at {:.2}x native speed\n  \
             (rounds: native {native_list} s; Wasm {wasm_list} s)\n  \
             (best rounds, profiles in: native {native_add_s:.3} s, Wasm {wasm_add_s:.3} s; scoring and assignments out: native {:.3} s, Wasm {:.3} s)\n  \
             (Wasm fuel {}, peak memory {} MiB; same assignments both ways)\n",
            profiles as f64 / wasm_s,
            native_s / wasm_s,
            native_s - native_add_s,
            wasm_s - wasm_add_s,
            stats.fuel,
            stats.peak_memory >> 20
        )
    })
}
