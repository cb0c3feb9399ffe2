//! Segment's official Python SDK (segment-analytics-python, installed into tests/sdk/.venv by
//! tests/sdk/install-segment-python.sh, which tests/run-all.sh runs) sends to `cohort serve` with only its host
//! changed, and its events are stored.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

mod http_common;

use cohort_store::Role;
use cohort_tests::{Env, repo_root};
use http_common::Server;

#[test]
fn the_official_python_sdk_sends_to_cohort_unchanged() {
    let sdk = repo_root().join("tests/sdk");
    let python = sdk.join(".venv/bin/python");
    assert!(
        python.is_file(),
        "the Segment SDK is not installed: run `bash tests/sdk/install-segment-python.sh` (tests/run-all.sh does)"
    );
    let server = Server::start(Env::new("example-retail.yaml"), &[]);
    let out = std::process::Command::new(&python)
        .arg(sdk.join("send_with_segment_python.py"))
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
    let doc = env.json(&["subject", "export", "--id", "user_id=sdk-user-1"]);
    assert_eq!(doc["attributes"]["first_name"]["value"], "Sam");
    let kinds: Vec<&str> = doc["identifiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    for k in ["user_id", "email", "anonymous_id"] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
    let events = doc["events"].as_array().unwrap();
    let order = events
        .iter()
        .find(|e| e["type"] == "order_completed")
        .unwrap();
    assert_eq!(order["properties"]["revenue"], 99.5);
    assert_eq!(order["properties"]["currency"], "EUR");
    let page = events.iter().find(|e| e["type"] == "page_viewed").unwrap();
    assert_eq!(page["properties"]["path"], "/home");
}
