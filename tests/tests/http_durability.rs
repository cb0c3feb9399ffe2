//! SIGKILL during batched ingestion under load: every event the server acknowledged is in the store after the
//! crash, and the store opens, checks and verifies cleanly.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

mod http_common;

use cohort_crypto::KeyRing;
use cohort_store::{Role, Store};
use cohort_tests::Env;
use http_common::Server;
use serde_json::json;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Concurrent senders.
const CLIENTS: usize = 4;
/// Messages per batch request (each a new person).
const PER_BATCH: usize = 50;
/// Acknowledged requests after which the server is killed (a count, not a time).
const KILL_AFTER_ACKS: usize = 24;

#[test]
fn every_acknowledged_event_survives_sigkill() {
    let server = Server::start(Env::new("example-retail.yaml"), &[]);
    let key = server.key(Role::Ingest).to_string();
    let acked: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let acks = AtomicUsize::new(0);
    let server_ref = &server;
    std::thread::scope(|s| {
        for client in 0..CLIENTS {
            let (key, acked, acks) = (&key, &acked, &acks);
            s.spawn(move || {
                for b in 0.. {
                    let ids: Vec<String> = (0..PER_BATCH).map(|i| format!("k{client}-{b}-{i}")).collect();
                    let batch: Vec<_> = ids
                        .iter()
                        .map(|id| json!({"type": "track", "userId": id, "event": "Order Completed",
                                         "messageId": format!("m-{id}"), "timestamp": "2026-10-01T12:00:00Z",
                                         "properties": {"total": 1}}))
                        .collect();
                    let sent = server_ref
                        .request("POST", "/v1/batch", Some(key))
                        .set("Content-Type", "application/json")
                        .send_string(&json!({"batch": batch}).to_string());
                    match sent {
                        Ok(r) if r.status() == 200 => {
                            acked.lock().unwrap().extend(ids);
                            acks.fetch_add(1, Ordering::SeqCst);
                        }
                        // The server is gone (killed mid-request): stop sending.
                        _ => return,
                    }
                }
            });
        }
        while acks.load(Ordering::SeqCst) < KILL_AFTER_ACKS {
            std::thread::yield_now();
        }
        // SIGKILL while the clients are still sending: no drain, no flush.
        let pid = server_ref.pid().to_string();
        let status = std::process::Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .unwrap();
        assert!(status.success());
    });
    let env = server.kill();
    let acked = acked.into_inner().unwrap();
    assert!(acked.len() >= KILL_AFTER_ACKS * PER_BATCH);

    let keys = KeyRing::load(&env.key_file).unwrap();
    let store = Store::open(&env.data_dir, KeyRing::load(&env.key_file).unwrap()).unwrap();
    let mut missing = Vec::new();
    for id in &acked {
        let p = keys.pseudonymiser().pseudonymise_all("user_id", id);
        match store.find_subject(&p).unwrap() {
            Some(s) => {
                let view = store.subject(&s).unwrap().unwrap();
                assert_eq!(view.body.events.len(), 1, "{id}");
            }
            None => missing.push(id.clone()),
        }
    }
    assert!(
        missing.is_empty(),
        "{} acknowledged people lost: {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    drop(store);
    assert_eq!(env.json(&["audit", "verify"])["ok"], true);
    env.ok(&["store", "check"]);
}
