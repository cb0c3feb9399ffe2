//! The official server-side SDKs of Segment (segment-analytics-python, @segment/analytics-node) and RudderStack
//! (rudder-sdk-python, @rudderstack/rudder-sdk-node), installed by tests/sdk/install-python-sdks.sh and tests/sdk/install-node-sdk.sh (which
//! tests/run-all.sh runs), send to `cohort serve` with only their host changed, and their events are stored.
//! RudderStack's SDKs gzip their batches by default, so their tests also cover compressed bodies from real clients.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

mod http_common;

use cohort_store::Role;
use cohort_tests::{Env, repo_root};
use http_common::Server;
use serde_json::Value;

/// Runs `script` (in tests/sdk) with the venv's Python, or with Node.js for a `.mjs` script, against a fresh
/// server, then returns the subject exported for `id` once the server has stopped.
fn send_with(script: &str, id: &str) -> Value {
    let sdk = repo_root().join("tests/sdk");
    let interpreter = if script.ends_with(".mjs") {
        assert!(
            sdk.join("node_modules/@segment/analytics-node").is_dir()
                && sdk
                    .join("node_modules/@rudderstack/rudder-sdk-node")
                    .is_dir(),
            "the Node.js SDKs are not installed: run `bash tests/sdk/install-node-sdk.sh` (tests/run-all.sh does)"
        );
        std::path::PathBuf::from("node")
    } else {
        let python = sdk.join(".venv/bin/python");
        assert!(
            python.is_file(),
            "the Python SDKs are not installed: run `bash tests/sdk/install-python-sdks.sh` (tests/run-all.sh does)"
        );
        python
    };
    let server = Server::start(Env::new("example-retail.yaml"), &[]);
    let out = std::process::Command::new(&interpreter)
        .current_dir(&sdk)
        .arg(sdk.join(script))
        .arg(format!("http://{}", server.addr))
        .arg(server.key(Role::Ingest))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the SDK reported errors: {}\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        server.log_text()
    );
    let env = server.stop();
    env.json(&["subject", "export", "--id", id])
}

fn identifier_kinds(doc: &Value) -> Vec<&str> {
    doc["identifiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect()
}

fn event<'a>(doc: &'a Value, event_type: &str) -> &'a Value {
    doc["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == event_type)
        .unwrap_or_else(|| panic!("no {event_type} event stored: {doc}"))
}

#[test]
fn the_official_segment_python_sdk_sends_to_cohort_unchanged() {
    let doc = send_with("send_with_segment_python.py", "user_id=sdk-user-1");
    assert_eq!(doc["attributes"]["first_name"]["value"], "Sam");
    let kinds = identifier_kinds(&doc);
    for k in ["user_id", "email", "anonymous_id"] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
    let order = event(&doc, "order_completed");
    assert_eq!(order["properties"]["revenue"], 99.5);
    assert_eq!(order["properties"]["currency"], "EUR");
    assert_eq!(event(&doc, "page_viewed")["properties"]["path"], "/home");
}

#[test]
fn the_official_rudderstack_python_sdk_sends_gzipped_batches_to_cohort_unchanged() {
    let doc = send_with("send_with_rudderstack_python.py", "user_id=rs-user-1");
    assert_eq!(doc["attributes"]["first_name"]["value"], "Rui");
    let kinds = identifier_kinds(&doc);
    for k in ["user_id", "email"] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
    let order = event(&doc, "order_completed");
    assert_eq!(order["properties"]["revenue"], 42.0);
    assert_eq!(order["properties"]["currency"], "EUR");
}

#[test]
fn the_official_segment_node_sdk_sends_to_cohort_unchanged() {
    let doc = send_with("send_with_segment_node.mjs", "user_id=node-user-1");
    assert_eq!(doc["attributes"]["first_name"]["value"], "Noa");
    let kinds = identifier_kinds(&doc);
    for k in ["user_id", "email"] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
    let order = event(&doc, "order_completed");
    assert_eq!(order["properties"]["revenue"], 77.5);
    assert_eq!(order["properties"]["currency"], "EUR");
    assert_eq!(event(&doc, "page_viewed")["properties"]["path"], "/start");
}

#[test]
fn the_official_rudderstack_node_sdk_sends_gzipped_batches_to_cohort_unchanged() {
    let doc = send_with("send_with_rudderstack_node.mjs", "user_id=rsn-user-1");
    assert_eq!(doc["attributes"]["first_name"]["value"], "Rosa");
    let kinds = identifier_kinds(&doc);
    for k in ["user_id", "email"] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
    let order = event(&doc, "order_completed");
    assert_eq!(order["properties"]["revenue"], 31.5);
    assert_eq!(event(&doc, "page_viewed")["properties"]["path"], "/basket");
}
