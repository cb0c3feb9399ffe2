//! `cohort bench http`: `/v1/batch` over loopback beside the CLI ingest of the same events, in one run.
//!
//! The workload: Segment `track` calls of `Order Completed`, each a new person (a `userId` and an email in
//! `context.traits`) with one order, 100 to a request. The HTTP side runs a real server (hyper, group commit, fsync
//! per commit) in this process and a bounded generator: `clients` threads on keep-alive connections send the
//! pre-serialised requests, each waiting for its answer (so at most `clients` requests are in flight), and time every
//! request. The CLI side maps the same messages to the same canonical records and stores them with
//! `cohort_ingest::ingest_values` into a fresh store, as `cohort ingest` would.

use crate::context::Ctx;
use crate::output::emit;
use anyhow::{Context as _, Result, anyhow, bail};
use base64::Engine as _;
use cohort_crypto::KeyRing;
use cohort_ingest::{IngestOptions, NoProgress};
use cohort_store::{Role, Store};
use serde::Serialize;
use serde_json::{Value, json};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

#[derive(Debug, Serialize)]
struct Report {
    events: usize,
    events_per_request: usize,
    clients: usize,
    http_events_per_s: f64,
    http_requests_per_s: f64,
    http_p50_ms: f64,
    http_p99_ms: f64,
    http_max_ms: f64,
    cli_events_per_s: f64,
    http_over_cli: f64,
    group_commits: u64,
    machine: String,
}

/// The Segment messages of the workload.
fn messages(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({"type": "track", "userId": format!("bench-u-{i}"), "event": "Order Completed",
                   "messageId": format!("bench-m-{i}"), "timestamp": "2026-10-01T12:00:00Z",
                   "context": {"traits": {"email": format!("bench{i}@example.com")}},
                   "properties": {"order_id": format!("o-{i}"), "total": 10 + i % 90, "currency": "EUR"}})
        })
        .collect()
}

fn fresh_store(dir: &std::path::Path) -> Result<Store> {
    let key_file = dir.join("bench.keys.json");
    KeyRing::create(&key_file, "bench")?;
    Ok(Store::init(&dir.join("data"), KeyRing::load(&key_file)?)?)
}

pub fn run(ctx: &Ctx, events: usize, per_request: usize, clients: usize) -> Result<()> {
    if per_request == 0 || clients == 0 || events < per_request {
        bail!("need --events >= --batch > 0 and --clients > 0");
    }
    let policy = cohort_policy::parse_policy(
        crate::commands::demo::EXAMPLE_POLICY_NAME,
        crate::commands::demo::EXAMPLE_POLICY,
    )
    .map_err(|e| anyhow!("{e}"))?;
    let msgs = messages(events);
    let bodies: Vec<Vec<u8>> = msgs
        .chunks(per_request)
        .map(|c| json!({"batch": c}).to_string().into_bytes())
        .collect();

    // HTTP side.
    let tmp = tempfile::tempdir()?;
    let store = fresh_store(tmp.path())?;
    let basic = |key: String| base64::engine::general_purpose::STANDARD.encode(format!("{key}:"));
    let auth = basic(store.create_api_key("bench", Role::Ingest, "bench")?.key);
    let admin = basic(
        store
            .create_api_key("bench-admin", Role::Admin, "bench")?
            .key,
    );
    let settings = cohort_server::Settings {
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        // The bench measures throughput, not the rate limit.
        rate_per_second: 1e9,
        rate_burst: 1e9,
        ..cohort_server::Settings::default()
    };
    let (stop, signal) = cohort_server::stop_channel();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let server_policy = policy.clone();
    let server = std::thread::spawn(move || {
        cohort_server::run_until(
            settings,
            store,
            server_policy,
            |a| {
                let _ = addr_tx.send(a);
            },
            signal,
        )
    });
    let addr = addr_rx
        .recv()
        .context("the server did not start (see the log)")?;
    let next = AtomicUsize::new(0);
    let latencies = Mutex::new(Vec::with_capacity(bodies.len()));
    let failures = Mutex::new(Vec::new());
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..clients {
            s.spawn(|| {
                if let Err(e) = client(addr, &auth, &bodies, &next, &latencies)
                    && let Ok(mut f) = failures.lock()
                {
                    f.push(e.to_string());
                }
            });
        }
    });
    let http_seconds = start.elapsed().as_secs_f64();
    let metrics_text = get_metrics(addr, &admin)?;
    stop.stop();
    server
        .join()
        .map_err(|_| anyhow!("the server thread panicked"))??;
    let failures = failures.into_inner().unwrap_or_default();
    if !failures.is_empty() {
        bail!(
            "{} client(s) failed: {}",
            failures.len(),
            failures.join("; ")
        );
    }
    let mut lat = latencies.into_inner().unwrap_or_default();
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat[((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1];
    let group_commits = metrics_text
        .lines()
        .find_map(|l| l.strip_prefix("cohort_group_commits_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);

    // CLI side: the same messages, mapped to the same records, through `ingest_values`.
    let categories = Default::default();
    let mapper = cohort_server::segment_compat::Mapper::new(&policy, &categories, None);
    let now = time::OffsetDateTime::now_utc();
    let mut records = Vec::with_capacity(events);
    for chunk in msgs.chunks(per_request) {
        let mapped = mapper
            .map_request(None, &json!({ "batch": chunk }), false, now)
            .map_err(|p| anyhow!("mapping the workload: {p:?}"))?;
        records.extend(mapped.records);
    }
    let tmp2 = tempfile::tempdir()?;
    let store2 = fresh_store(tmp2.path())?;
    let options = IngestOptions {
        actor: "bench".into(),
        ..IngestOptions::default()
    };
    let start = Instant::now();
    let summary = cohort_ingest::ingest_values(
        &store2,
        &policy,
        &records,
        "bench",
        &options,
        &mut NoProgress,
    )?;
    let cli_seconds = start.elapsed().as_secs_f64();
    if summary.events_stored != events as u64 {
        bail!(
            "the CLI side stored {} events of {events}",
            summary.events_stored
        );
    }

    let http_eps = events as f64 / http_seconds;
    let cli_eps = events as f64 / cli_seconds;
    let report = Report {
        events,
        events_per_request: per_request,
        clients,
        http_events_per_s: http_eps,
        http_requests_per_s: bodies.len() as f64 / http_seconds,
        http_p50_ms: pct(0.50),
        http_p99_ms: pct(0.99),
        http_max_ms: pct(1.0),
        cli_events_per_s: cli_eps,
        http_over_cli: http_eps / cli_eps,
        group_commits,
        machine: format!(
            "{} logical CPUs",
            std::thread::available_parallelism().map_or(0, |n| n.get())
        ),
    };
    emit(ctx.json, &report, || {
        format!(
            "POST /v1/batch, {per_request} events a request, {clients} clients, {events} events ({}):\n  \
             HTTP: {:.0} events/s ({:.0} requests/s), latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, \
             {group_commits} group commits\n  CLI ingest of the same events: {:.0} events/s\n  \
             HTTP / CLI: {:.2}\n",
            report.machine,
            report.http_events_per_s,
            report.http_requests_per_s,
            report.http_p50_ms,
            report.http_p99_ms,
            report.http_max_ms,
            report.cli_events_per_s,
            report.http_over_cli
        )
    })
}

/// One keep-alive connection sending requests until none are left; latencies in ms.
fn client(
    addr: std::net::SocketAddr,
    auth: &str,
    bodies: &[Vec<u8>],
    next: &AtomicUsize,
    latencies: &Mutex<Vec<f64>>,
) -> Result<()> {
    let stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut mine = Vec::new();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(body) = bodies.get(i) else { break };
        let t = Instant::now();
        let head = format!(
            "POST /v1/batch HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic {auth}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        writer.write_all(head.as_bytes())?;
        writer.write_all(body)?;
        let (status, answer) = read_response(&mut reader)?;
        if status != 200 {
            bail!("HTTP {status}: {}", String::from_utf8_lossy(&answer));
        }
        mine.push(t.elapsed().as_secs_f64() * 1e3);
    }
    if let Ok(mut l) = latencies.lock() {
        l.extend(mine);
    }
    Ok(())
}

/// Reads one HTTP/1.1 response with a Content-Length body.
fn read_response(reader: &mut BufReader<TcpStream>) -> Result<(u16, Vec<u8>)> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("bad status line {line:?}"))?;
    let mut length = 0usize;
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok((status, body))
}

/// `GET /metrics` with an admin key.
fn get_metrics(addr: std::net::SocketAddr, auth: &str) -> Result<String> {
    let stream = TcpStream::connect(addr)?;
    let mut writer = stream.try_clone()?;
    writer.write_all(
        format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic {auth}\r\n\r\n")
            .as_bytes(),
    )?;
    let (status, body) = read_response(&mut BufReader::new(stream))?;
    if status != 200 {
        bail!("GET /metrics: HTTP {status}");
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}
