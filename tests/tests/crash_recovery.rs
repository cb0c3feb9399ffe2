//! Crash safety: a child process ingesting a large file is killed with SIGKILL at random moments; after restart
//! every record the ingest reported as committed is present and no subject is half-written.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

use cohort_tests::{Env, cohort_bin};
use rand::{Rng as _, SeedableRng as _};
use serde_json::json;
use std::io::{BufRead as _, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

const RECORDS: usize = 12_000;

fn email(i: usize) -> String {
    format!("crash{i:06}@example.com")
}

#[test]
fn sigkill_during_ingest_loses_no_committed_record_and_leaves_no_half_subject() {
    let env = Env::new("example-retail.yaml");
    let lines: Vec<String> = (0..RECORDS)
        .map(|i| {
            json!({"source": "crm",
                   "identifiers": {"email": email(i), "crm_id": format!("C-{i}")},
                   "attributes": {"country": "DE", "city": "Berlin", "lifecycle_stage": "customer"},
                   "events": [{"type": "order_completed", "at": "2026-10-01T12:00:00Z", "properties": {"revenue": 10}}]})
            .to_string()
        })
        .collect();
    let input = env.write_input("big.jsonl", &lines);
    let mut rng = rand::rngs::StdRng::seed_from_u64(0xC0FFEE);
    let mut committed_max = 0u64;
    let mut mid_commit_kills = 0;
    for round in 0..5 {
        let mut child = env
            .cmd()
            .args(["ingest", "--progress-json", &input])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        // Read progress on a thread so the kill can come at any moment, not only between progress lines.
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let committed = serde_json::from_str::<serde_json::Value>(&line)
                    .ok()
                    .and_then(|v| v["committed_through_line"].as_u64());
                if let Some(n) = committed
                    && tx.send(n).is_err()
                {
                    break;
                }
            }
        });
        // Round 0 kills during the validation pass; the others after a random number of commits plus a random
        // delay, so that the kill lands inside a later commit's work.
        let commits_to_wait = if round == 0 {
            0
        } else {
            rng.random_range(1..RECORDS / 2_000)
        };
        let mut seen = Vec::new();
        while seen.len() < commits_to_wait {
            match rx.recv_timeout(Duration::from_secs(120)) {
                Ok(n) => seen.push(n),
                Err(_) => break,
            }
        }
        let delay = Duration::from_millis(rng.random_range(0..60));
        let start = Instant::now();
        while start.elapsed() < delay {
            std::thread::sleep(Duration::from_millis(1));
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        reader.join().unwrap();
        seen.extend(rx.try_iter());
        let reported = seen;
        if reported.last().is_some_and(|n| (*n as usize) < RECORDS) {
            mid_commit_kills += 1;
        }
        let committed = reported.last().copied().unwrap_or(0);
        committed_max = committed_max.max(committed);

        // After the crash: the store opens, every subject is whole, every committed record is there.
        let check = env.json(&["store", "check"]);
        assert_eq!(
            check["problems"].as_array().unwrap().len(),
            0,
            "round {round}: {check}"
        );
        // Every committed record, not a sample: open the store in-process and look each email up.
        let keys = cohort_crypto::KeyRing::load(&env.key_file).unwrap();
        let store = cohort_store::Store::open(&env.data_dir, keys).unwrap();
        for i in 0..committed_max as usize {
            let p = store
                .keys()
                .pseudonymiser()
                .pseudonymise_all("email", &email(i));
            assert!(
                store.find_subject(&p).unwrap().is_some(),
                "round {round}: committed record {i} missing after SIGKILL"
            );
        }
        drop(store);
        env.ok(&["audit", "verify"]);
    }
    assert!(
        mid_commit_kills >= 3,
        "only {mid_commit_kills} kills landed between commits"
    );
    // Finally a full run completes, and re-ingesting what was already stored only updates.
    let summary = env.json(&["ingest", &input]);
    assert_eq!(summary["stored"], RECORDS as u64);
    assert_eq!(env.stats()["subjects"], RECORDS as u64);
    let _ = cohort_bin();
}
