//! `cohort bench plugins`: plugin instantiation, a trivial call, and the `rfm` segmenter in Wasm beside the same
//! crate compiled natively, in one run.
//!
//! The RFM comparison runs the same job on both sides: from the host's profiles (`cohort_plugins::Profile`, as a
//! segment run holds them) to the host's assignments (`cohort_plugins::Assignments`, as a run stores them), a
//! chunk of profiles and a page of assignments at a time.
//! - **Wasm**: the built component under the production runtime (pooling allocator, fuel, deadline, memory cap),
//!   on interface 0.2.0: the host encodes each chunk into columns, and checks each page it takes back.
//! - **native**: the `rfm` crate linked into this binary, as a host running an SDK plugin in process would: each
//!   chunk becomes the SDK's `Profile`s (a token's text, owned strings), and each page of the SDK's `Assignment`s
//!   becomes host assignments (the token read back from its text), the SDK's values dropped as they are taken in.
//!
//! Beside them, **plugin only**: the native crate alone on ready-made SDK profiles (each chunk cloned, as `add`
//! takes profiles by value) with its assignments left as the SDK's and not dropped in the timed part. No host could
//! use it as it is, so it is no end-to-end figure, but it is the floor: the plugin's own work with no conversion.
//!
//! Rounds alternate the sides, and the best round of each is reported: the machine's slow spells (page zeroing,
//! another process) only ever add time. Every round is listed too.

use crate::context::Ctx;
use crate::output::emit;
use anyhow::{Result, anyhow, ensure};
use cohort_plugin_package::Manifest;
use cohort_plugins::{Assignments, LoadedPlugin, Runtime};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Profiles per `add` call, on every side.
const CHUNK: usize = 2_000;
/// Assignments per page on the native side, as the runtime asks a plugin for them (`drain(256)`).
const NATIVE_PAGE: usize = 256;
/// The analysis time of the RFM runs.
const NOW: i64 = 1_790_000_000;

/// Runs the benchmark and prints (or emits as JSON) its report.
pub fn run(
    ctx: &Ctx,
    wasm_dir: Option<PathBuf>,
    profiles: usize,
    iterations: usize,
    rounds: u32,
) -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins");
    let wasm_dir = wasm_dir.unwrap_or_else(|| root.join("target/wasm32-unknown-unknown/release"));
    let rt = Runtime::new()?;
    let load_plugin = |dir: &str, file: &str| load(&rt, &root, &wasm_dir, dir, file);

    // 1. Instantiation (pooling allocator, pre-instantiated component).
    let good = load_plugin("fixtures/good-segmenter", "good_segmenter.wasm")?;
    let instantiate_us = per_call_us(iterations, &mut || {
        good.instantiate_only()?;
        Ok(())
    })?;

    // 2. A trivial call: `drain` on a run with nothing left (no data either way; fuel and deadline set each call).
    //    Beside it, `add` of no profiles in each interface version: in 0.2.0 that lowers 13 empty columns, and
    //    wasmtime calls the plugin's allocator for each one, empty or not.
    let mut run = good.start_segmenter("{}", "analytics", 0)?;
    let empty_add_us = per_call_us(iterations, &mut || {
        run.add(&[])?;
        Ok(())
    })?;
    run.end_input()?;
    let call_us = per_call_us(iterations, &mut || {
        ensure!(
            run.drain_page()?.is_empty(),
            "the good segmenter had assignments left"
        );
        Ok(())
    })?;
    drop(run);
    let legacy = load_plugin("fixtures/legacy-segmenter", "legacy_segmenter.wasm")?;
    let mut run = legacy.start_segmenter("{}", "analytics", 0)?;
    let empty_add_v0_1_us = per_call_us(iterations, &mut || {
        run.add(&[])?;
        Ok(())
    })?;
    drop(run);

    // 3. RFM over the same synthetic profiles, in Wasm, natively, and natively without conversions.
    let host_profiles: Vec<cohort_plugins::Profile> =
        (0..profiles).map(synthetic_profile).collect();
    let sdk_profiles: Vec<cohort_plugin_sdk::Profile> =
        host_profiles.iter().map(sdk_profile).collect();
    let rfm_wasm = load_plugin("segmenters/rfm", "rfm.wasm")?;
    let mut wasm_rounds = Vec::new();
    let mut native_rounds = Vec::new();
    let mut plugin_only_rounds = Vec::new();
    let mut stats = cohort_plugins::CallStats::default();
    for round in 0..rounds {
        let (native, native_out) = rfm_native(&host_profiles)?;
        let (plugin_only, _) = rfm_plugin_only(&sdk_profiles)?;
        let (wasm, wasm_out, wasm_stats) = rfm_wasm_round(&rfm_wasm, &host_profiles)?;
        if round == 0 {
            stats = wasm_stats;
            ensure!(
                wasm_out.len() == native_out.len()
                    && wasm_out.iter().zip(native_out.iter()).all(|(w, n)| {
                        w.token == n.token
                            && w.segment == n.segment
                            && w.score == n.score
                            && w.reasons().eq(n.reasons())
                    }),
                "Wasm and native RFM disagree"
            );
        }
        native_rounds.push(native);
        plugin_only_rounds.push(plugin_only);
        wasm_rounds.push(wasm);
    }
    let (native, wasm, plugin_only) = (
        Timing::best(&native_rounds),
        Timing::best(&wasm_rounds),
        Timing::best(&plugin_only_rounds),
    );
    let report = serde_json::json!({
        "instantiate_us": instantiate_us,
        "trivial_call_us": call_us,
        "empty_add_us": empty_add_us, "empty_add_v0_1_us": empty_add_v0_1_us,
        "rfm": {
            "profiles": profiles,
            "native_s": native.total_s, "wasm_s": wasm.total_s,
            // The two phases: profiles in (`add`), then scoring and assignments out (`finish`, `drain`).
            "native_add_s": native.add_s, "wasm_add_s": wasm.add_s,
            "native_finish_s": native.finish_s(), "wasm_finish_s": wasm.finish_s(),
            "native_profiles_per_s": profiles as f64 / native.total_s,
            "wasm_profiles_per_s": profiles as f64 / wasm.total_s,
            "wasm_vs_native": native.total_s / wasm.total_s,
            "plugin_only_s": plugin_only.total_s,
            "plugin_only_add_s": plugin_only.add_s,
            "wasm_vs_plugin_only": plugin_only.total_s / wasm.total_s,
            "wasm_fuel": stats.fuel, "wasm_peak_memory_mib": stats.peak_memory >> 20,
            "rounds": rounds,
            "native_rounds_s": Timing::totals(&native_rounds),
            "wasm_rounds_s": Timing::totals(&wasm_rounds),
            "plugin_only_rounds_s": Timing::totals(&plugin_only_rounds),
        },
        "iterations": iterations,
        "machine": format!("{} cores, {}", std::thread::available_parallelism().map_or(0, |n| n.get()), std::env::consts::ARCH),
    });
    emit(ctx.json, &report, || {
        format!(
            "bench plugins\n  \
             instantiate (pooling, pre-instantiated): {instantiate_us:.2} µs\n  \
             trivial call (drain, nothing left):     {call_us:.2} µs\n  \
             add of 0 profiles:                      {empty_add_us:.2} µs (interface 0.1.0: {empty_add_v0_1_us:.2} µs)\n  \
             rfm, {profiles} profiles, host profiles in and host assignments out, best of {rounds} rounds:\n    \
             native {:.3} s, Wasm {:.3} s ({:.0} profiles/s): Wasm runs at {:.2}x native speed\n    \
             (rounds: native {} s; Wasm {} s)\n    \
             (profiles in: native {:.3} s, Wasm {:.3} s; scoring and assignments out: native {:.3} s, Wasm {:.3} s)\n    \
             (plugin only, no conversions: {:.3} s, Wasm at {:.2}x; rounds {} s)\n    \
             (Wasm fuel {}, peak memory {} MiB; same assignments both ways)\n",
            native.total_s,
            wasm.total_s,
            profiles as f64 / wasm.total_s,
            native.total_s / wasm.total_s,
            Timing::listed(&native_rounds),
            Timing::listed(&wasm_rounds),
            native.add_s,
            wasm.add_s,
            native.finish_s(),
            wasm.finish_s(),
            plugin_only.total_s,
            plugin_only.total_s / wasm.total_s,
            Timing::listed(&plugin_only_rounds),
            stats.fuel,
            stats.peak_memory >> 20
        )
    })
}

/// Loads a built component with its manifest.
fn load(rt: &Runtime, root: &Path, wasm_dir: &Path, dir: &str, file: &str) -> Result<LoadedPlugin> {
    let path = wasm_dir.join(file);
    let wasm = std::fs::read(&path).map_err(|e| {
        anyhow!(
            "{}: {e}; build the plugins first: (cd plugins && cargo build --release --target wasm32-unknown-unknown)",
            path.display()
        )
    })?;
    let manifest = Manifest::parse(&std::fs::read_to_string(
        root.join(dir).join("manifest.toml"),
    )?)?;
    Ok(rt.load_with_manifest(&manifest, String::new(), &wasm)?)
}

/// Microseconds per call of `f`, over `iterations` calls after 100 to warm up.
fn per_call_us(iterations: usize, f: &mut dyn FnMut() -> Result<()>) -> Result<f64> {
    for _ in 0..100 {
        f()?;
    }
    let start = Instant::now();
    for _ in 0..iterations {
        f()?;
    }
    Ok(start.elapsed().as_secs_f64() * 1e6 / iterations.max(1) as f64)
}

/// One round of one side: seconds to the end of the input, and in all.
#[derive(Debug, Clone, Copy)]
struct Timing {
    add_s: f64,
    total_s: f64,
}

impl Timing {
    fn since(start: Instant, add_s: f64) -> Self {
        Self {
            add_s,
            total_s: start.elapsed().as_secs_f64(),
        }
    }

    fn finish_s(&self) -> f64 {
        self.total_s - self.add_s
    }

    /// The fastest round (the total decides).
    fn best(rounds: &[Timing]) -> Timing {
        rounds
            .iter()
            .copied()
            .min_by(|a, b| a.total_s.total_cmp(&b.total_s))
            .unwrap_or(Timing {
                add_s: f64::NAN,
                total_s: f64::NAN,
            })
    }

    fn totals(rounds: &[Timing]) -> Vec<f64> {
        rounds.iter().map(|r| r.total_s).collect()
    }

    fn listed(rounds: &[Timing]) -> String {
        rounds
            .iter()
            .map(|r| format!("{:.3}", r.total_s))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// RFM in Wasm: chunks in through the runtime, pages out as the runtime drains them.
fn rfm_wasm_round(
    plugin: &LoadedPlugin,
    profiles: &[cohort_plugins::Profile],
) -> Result<(Timing, Assignments, cohort_plugins::CallStats)> {
    let start = Instant::now();
    let mut run = plugin.start_segmenter("{}", "analytics", NOW)?;
    let mut out = Assignments::new();
    for chunk in profiles.chunks(CHUNK) {
        out.append(run.add(chunk)?);
    }
    let add_s = start.elapsed().as_secs_f64();
    run.finish_into(&mut out)?;
    let stats = run.stats;
    // The instance goes back to the pool (its memory reset) inside the time, as the native side drops its run.
    drop(run);
    Ok((Timing::since(start, add_s), out, stats))
}

/// RFM natively, in process: each chunk converted to the SDK's profiles, each page of the SDK's assignments
/// converted to host assignments.
fn rfm_native(profiles: &[cohort_plugins::Profile]) -> Result<(Timing, Assignments)> {
    let start = Instant::now();
    let mut rfm = rfm::Rfm::new("{}", &sdk_context()).map_err(|e| anyhow!("{e}"))?;
    let mut out = Assignments::new();
    let mut page = Vec::new();
    for chunk in profiles.chunks(CHUNK) {
        rfm.add_profiles(chunk.iter().map(sdk_profile).collect(), &mut page)
            .map_err(|e| anyhow!("{e}"))?;
        take_page(&mut page, &mut out)?;
    }
    let add_s = start.elapsed().as_secs_f64();
    rfm.finish_scoring();
    loop {
        rfm.drain_into(NATIVE_PAGE, &mut page);
        if page.is_empty() {
            break;
        }
        take_page(&mut page, &mut out)?;
    }
    drop(rfm);
    Ok((Timing::since(start, add_s), out))
}

/// RFM natively on ready-made SDK profiles, its assignments left as they are (see the module docs).
fn rfm_plugin_only(
    profiles: &[cohort_plugin_sdk::Profile],
) -> Result<(Timing, Vec<cohort_plugin_sdk::Assignment>)> {
    let start = Instant::now();
    let mut rfm = rfm::Rfm::new("{}", &sdk_context()).map_err(|e| anyhow!("{e}"))?;
    let mut out = Vec::new();
    for chunk in profiles.chunks(CHUNK) {
        rfm.add_profiles(chunk.to_vec(), &mut out)
            .map_err(|e| anyhow!("{e}"))?;
    }
    let add_s = start.elapsed().as_secs_f64();
    rfm.finish_into(&mut out);
    drop(rfm);
    Ok((Timing::since(start, add_s), out))
}

fn sdk_context() -> cohort_plugin_sdk::RunContext {
    cohort_plugin_sdk::RunContext {
        purpose: "analytics".into(),
        now: NOW,
    }
}

/// Moves a page of the SDK's assignments to the end of `out` as one page of host assignments, as an in-process
/// host takes them.
fn take_page(page: &mut Vec<cohort_plugin_sdk::Assignment>, out: &mut Assignments) -> Result<()> {
    let mut taken = Assignments::new();
    for assignment in page.drain(..) {
        let token = cohort_plugins::token_from_text(&assignment.token)
            .ok_or_else(|| anyhow!("rfm assigned a token it was never given"))?;
        taken.push(
            token,
            &assignment.segment,
            assignment.score,
            assignment.reasons.iter().map(String::as_str),
        );
    }
    out.append(taken);
    Ok(())
}

/// A host profile as the SDK shows it to a plugin.
fn sdk_profile(profile: &cohort_plugins::Profile) -> cohort_plugin_sdk::Profile {
    let value = |value: &cohort_plugins::Value| match value {
        cohort_plugins::Value::Text(text) => cohort_plugin_sdk::Value::Text(text.clone()),
        cohort_plugins::Value::Number(n) => cohort_plugin_sdk::Value::Number(*n),
        cohort_plugins::Value::Boolean(b) => cohort_plugin_sdk::Value::Boolean(*b),
    };
    cohort_plugin_sdk::Profile {
        token: cohort_plugins::token_text(profile.token),
        attributes: profile
            .attributes
            .iter()
            .map(|a| cohort_plugin_sdk::Attribute {
                name: a.name.clone(),
                value: value(&a.value),
            })
            .collect(),
        events: profile
            .events
            .iter()
            .map(|e| cohort_plugin_sdk::Event {
                event_type: e.event_type.clone(),
                at: e.at,
                properties: e
                    .properties
                    .iter()
                    .map(|(key, v)| (key.clone(), value(v)))
                    .collect(),
            })
            .collect(),
    }
}

/// Profile `i` of the synthetic shop: 1 to 6 orders over two years, each with a total, deterministic, with a long
/// tail like real shops.
fn synthetic_profile(i: usize) -> cohort_plugins::Profile {
    let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let orders = [1, 1, 1, 2, 2, 3, 4, 6][(next() % 8) as usize];
    cohort_plugins::Profile {
        token: i as u64,
        attributes: vec![],
        events: (0..orders)
            .map(|_| cohort_plugins::Event {
                event_type: "order_completed".into(),
                at: NOW - (next() % (730 * 86_400)) as i64,
                properties: vec![(
                    "total".into(),
                    cohort_plugins::Value::Number((next() % 20_000) as f64 / 100.0),
                )],
            })
            .collect(),
    }
}
