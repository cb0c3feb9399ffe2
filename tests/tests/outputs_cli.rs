//! `cohort segment list|count|export` through the real binary: thresholded text and JSON, the budget refusal's exit
//! code, exports written private with consenting people only, and run reports that print sizes only through the
//! threshold.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

use cohort_tests::{Env, output_people_store, stderr};

const PEOPLE: usize = 240;

/// `segment count` of the good segmenter's `all` for analytics, charged to requester `ana`.
const COUNT_ALL: &[&str] = &[
    "segment",
    "count",
    "all",
    "--purpose",
    "analytics",
    "--requester",
    "ana",
];
/// The same, by country.
const BY_COUNTRY: &[&str] = &["--by", "country"];

fn env() -> (tempfile::TempDir, Env) {
    output_people_store(PEOPLE)
}

#[test]
fn list_count_and_export_through_the_cli() {
    let (_side, env) = env();
    let run = env.json(&["segment", "run", "good-segmenter", "--purpose", "analytics"]);
    // The run report shows sizes only through the threshold: no exact per-segment figure under another name.
    assert!(run.get("by_segment").is_none(), "{run}");
    assert_eq!(
        run["segments"][0],
        serde_json::json!(["all", {"value": PEOPLE}])
    );
    env.ok(&[
        "segment",
        "run",
        "good-segmenter",
        "--purpose",
        "email_marketing",
    ]);

    let list = env.ok(&["segment", "list"]);
    assert!(list.contains("good-segmenter/all"), "{list}");
    assert!(list.contains(&PEOPLE.to_string()), "{list}");

    // The example policy has differential privacy on: noisy, withheld cells marked, budget shown.
    let text = env.ok(&[COUNT_ALL, BY_COUNTRY].concat());
    assert!(text.contains("withheld"), "{text}");
    assert!(text.contains("Differential privacy: laplace"), "{text}");
    assert!(text.contains("requester:ana"), "{text}");
    let json = env.json(&[COUNT_ALL, BY_COUNTRY].concat());
    let it = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"] == serde_json::json!(["IT"]))
        .unwrap();
    assert!(
        it["count"].is_null(),
        "IT has 10 people and must be withheld: {it}"
    );
    assert_eq!(json["budget"][0]["spent_micro"], 1_000_000);

    // Eight more queries spend the daily 5.0; the next is refused with exit code 5 and nothing printed as data.
    for _ in 0..8 {
        env.ok(COUNT_ALL);
    }
    let refused = env.run(COUNT_ALL);
    assert_eq!(refused.status.code(), Some(5), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("privacy budget exceeded"),
        "{}",
        stderr(&refused)
    );
    // A dry run still works and charges nothing.
    let dry = env.json(&[COUNT_ALL, &["--dry-run"]].concat());
    assert_eq!(dry["budget"][0]["spent_micro"], 5_000_000);

    // Exports: refused for an aggregate-only purpose, written private for a per-subject one.
    let refused = env.run(&["segment", "export", "all", "--purpose", "analytics"]);
    assert_eq!(refused.status.code(), Some(5));
    assert!(
        stderr(&refused).contains("aggregate_only"),
        "{}",
        stderr(&refused)
    );
    let out = env.tmp.path().join("list.csv");
    env.ok(&[
        "segment",
        "export",
        "all",
        "--purpose",
        "email_marketing",
        "-o",
        out.to_str().unwrap(),
    ]);
    let csv = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "email");
    assert_eq!(rows.len() - 1, (0..PEOPLE).filter(|i| i % 10 < 8).count());
    assert!(
        rows.iter().all(|r| !r.contains("person9@")),
        "person 9 did not consent"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let log = env.ok(&["audit", "log"]);
    assert!(log.contains("segment.export"), "{log}");
    assert!(log.contains("aggregate.refused"), "{log}");
}
