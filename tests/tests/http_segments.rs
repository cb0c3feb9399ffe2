//! The segment endpoints over real HTTP on loopback, against a real `cohort serve`, a real signed segmenter and a
//! real store: runs (admin) answer sizes only through the threshold; lists and counts are thresholded, noised and
//! charged per API key, with 429 once a key's budget is spent; exports are refused for aggregate-only purposes
//! (403) and under the minimum size (422), and otherwise carry only consenting people's contact identifiers; the
//! metrics count plugin runs, suppressed cells and spent budget. The same flow as `outputs_cli.rs`, over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

mod http_common;

use cohort_store::Role;
use cohort_tests::output_people_store;
use http_common::{Server, answer};
use serde_json::{Value, json};

const PEOPLE: usize = 240;

/// A store with the output people ingested and the good segmenter installed, served.
fn server() -> (tempfile::TempDir, Server) {
    let (side, env) = output_people_store(PEOPLE);
    (side, Server::start(env, &[]))
}

fn count_body(by: &[&str]) -> Value {
    json!({"segment": "all", "purpose": "analytics", "by": by})
}

/// The value of an unlabelled metric line.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .parse()
        .unwrap()
}

#[test]
fn run_list_count_and_export_over_http() {
    let (_side, server) = server();
    let admin = server.key(Role::Admin).to_string();
    let analyst = server.key(Role::Analyst).to_string();
    let marketer = server.key(Role::Marketer).to_string();
    let dpo = server.key(Role::Dpo).to_string();

    // Runs: admin only; the report shows sizes through the threshold, never the exact per-segment figures.
    let run = server.post(
        "/v1/segments/run",
        Some(&admin),
        &json!({"plugin": "good-segmenter", "purpose": "analytics"}),
    );
    assert_eq!(run.status, 200, "{:?}", run.body);
    assert!(run.body.get("by_segment").is_none(), "{:?}", run.body);
    assert!(run.body.get("excluded").is_none(), "{:?}", run.body);
    assert_eq!(run.body["segments"][0], json!(["all", {"value": PEOPLE}]));
    assert_eq!(run.body["purpose"], "analytics");
    let run = server.post(
        "/v1/segments/run",
        Some(&admin),
        &json!({"plugin": "good-segmenter", "purpose": "email_marketing", "config": {}}),
    );
    assert_eq!(run.status, 200, "{:?}", run.body);
    let missing = server.post(
        "/v1/segments/run",
        Some(&admin),
        &json!({"plugin": "no-such-plugin", "purpose": "analytics"}),
    );
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["error"]["code"], "plugin_not_installed");
    let by_analyst = server.post(
        "/v1/segments/run",
        Some(&analyst),
        &json!({"plugin": "good-segmenter", "purpose": "analytics"}),
    );
    assert_eq!(by_analyst.status, 403);

    // List: both runs, sizes through the threshold.
    let list = server.get("/v1/segments", Some(&analyst));
    assert_eq!(list.status, 200, "{:?}", list.body);
    let runs = list.body["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{runs:?}");
    for run in runs {
        assert_eq!(run["segments"][0]["segment"], "good-segmenter/all");
    }
    let analytics = runs.iter().find(|r| r["purpose"] == "analytics").unwrap();
    assert_eq!(analytics["segments"][0]["size"], json!({"value": PEOPLE}));

    // Count: thresholded (IT has 10 people, under k = 50) and noised; charged to the key's own name.
    let count = server.post(
        "/v1/segments/count",
        Some(&analyst),
        &count_body(&["country"]),
    );
    assert_eq!(count.status, 200, "{:?}", count.body);
    let it = count.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"] == json!(["IT"]))
        .unwrap();
    assert!(it["count"].is_null(), "IT must be withheld: {it}");
    assert_eq!(count.body["differential_privacy"]["mechanism"], "laplace");
    assert_eq!(count.body["budget"][0]["scope"], "requester:test-analyst");
    assert_eq!(count.body["budget"][0]["spent_micro"], 500_000);
    let unknown = server.post(
        "/v1/segments/count",
        Some(&analyst),
        &json!({"segment": "nope", "purpose": "analytics"}),
    );
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["error"]["code"], "unknown_segment");
    let not_allowed = server.post(
        "/v1/segments/count",
        Some(&analyst),
        &count_body(&["email"]),
    );
    assert_eq!(not_allowed.status, 400, "{:?}", not_allowed.body);
    let wrong_field = server.post(
        "/v1/segments/count",
        Some(&analyst),
        &json!({"segment": "all", "purpose": "analytics", "group_by": ["country"]}),
    );
    assert_eq!(wrong_field.status, 400);
    assert_eq!(wrong_field.body["error"]["code"], "invalid_body");

    // Nine more spend the daily 5.0; the next is refused with 429, the budget named, and nothing charged.
    for _ in 0..9 {
        assert_eq!(
            server
                .post("/v1/segments/count", Some(&analyst), &count_body(&[]))
                .status,
            200
        );
    }
    let refused = server.post("/v1/segments/count", Some(&analyst), &count_body(&[]));
    assert_eq!(refused.status, 429, "{:?}", refused.body);
    assert_eq!(refused.body["error"]["code"], "budget_exceeded");
    let message = refused.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("privacy budget exceeded for requester:test-analyst"),
        "{message}"
    );
    let wait: u64 = refused.retry_after.unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&wait), "{wait}");
    let dry = server.post(
        "/v1/segments/count",
        Some(&analyst),
        &json!({"segment": "all", "purpose": "analytics", "dry_run": true}),
    );
    assert_eq!(dry.status, 200);
    assert_eq!(dry.body["budget"][0]["spent_micro"], 5_000_000);
    assert_eq!(dry.body["rows"], json!([]));
    // Budgets are per key: the marketer's is untouched.
    let other = server.post("/v1/segments/count", Some(&marketer), &count_body(&[]));
    assert_eq!(other.status, 200, "{:?}", other.body);
    assert_eq!(other.body["budget"][0]["spent_micro"], 500_000);

    // Exports: refused for an aggregate-only purpose; otherwise consenting people's emails only.
    let aggregate_only = server.post(
        "/v1/segments/export",
        Some(&marketer),
        &json!({"segment": "all", "purpose": "analytics"}),
    );
    assert_eq!(aggregate_only.status, 403);
    assert_eq!(
        aggregate_only.body["error"]["code"],
        "aggregate_only_purpose"
    );
    assert!(
        aggregate_only.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("aggregate_only")
    );
    let export = server.post(
        "/v1/segments/export",
        Some(&marketer),
        &json!({"segment": "all", "purpose": "email_marketing"}),
    );
    assert_eq!(export.status, 200, "{:?}", export.body);
    assert_eq!(export.body["columns"], json!(["email"]));
    let consenting: Vec<usize> = (0..PEOPLE).filter(|i| i % 10 < 8).collect();
    let rows = export.body["rows"].as_array().unwrap();
    assert_eq!(rows.len(), consenting.len());
    let emails: Vec<&str> = rows.iter().map(|r| r[0].as_str().unwrap()).collect();
    assert!(emails.contains(&"person0@example.com"));
    assert!(
        !emails.contains(&"person9@example.com"),
        "person 9 did not consent"
    );
    let csv = answer(
        server
            .request("POST", "/v1/segments/export", Some(&marketer))
            .set("Content-Type", "application/json")
            .send_string(
                &json!({"segment": "all", "purpose": "email_marketing", "format": "csv"})
                    .to_string(),
            ),
    );
    assert_eq!(csv.status, 200);
    assert!(
        csv.content_type.starts_with("text/csv"),
        "{}",
        csv.content_type
    );
    let text = csv.body.as_str().unwrap();
    assert_eq!(text.lines().next(), Some("email"));
    assert_eq!(text.lines().count(), consenting.len() + 1);

    // Withdrawals take people out at once; under min_export_size (100) the export is refused with 422.
    for i in consenting.iter().take(consenting.len() - 99) {
        let withdrawn = server.post(
            "/v1/consent",
            Some(&dpo),
            &json!({"identifier": {"kind": "email", "value": format!("person{i}@example.com")},
                    "purpose": "email_marketing", "state": "withdrawn"}),
        );
        assert_eq!(withdrawn.status, 200, "{:?}", withdrawn.body);
    }
    let too_small = server.post(
        "/v1/segments/export",
        Some(&marketer),
        &json!({"segment": "all", "purpose": "email_marketing"}),
    );
    assert_eq!(too_small.status, 422, "{:?}", too_small.body);
    assert_eq!(too_small.body["error"]["code"], "export_too_small");
    assert!(
        !too_small.body.to_string().contains("99"),
        "the refusal does not say how many remain: {:?}",
        too_small.body
    );

    // Metrics: two runs, eleven charged counts at 0.5, suppressed cells counted.
    let metrics = server.get("/metrics", Some(&admin));
    let text = metrics.body.as_str().unwrap();
    assert_eq!(metric(text, "cohort_plugin_runs_total"), 2.0);
    assert_eq!(metric(text, "cohort_privacy_budget_spent_total"), 5.5);
    assert!(metric(text, "cohort_cells_suppressed_total") >= 1.0);

    // Everything is in the audit log, under the key that did it.
    let log = server.get("/v1/audit/log?tail=1000", Some(server.key(Role::Auditor)));
    let actions: Vec<&str> = log.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in [
        "segment.run",
        "plugin.refused",
        "aggregate.release",
        "aggregate.refused",
        "segment.export",
        "segment.export_refused",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    server.stop();
}
