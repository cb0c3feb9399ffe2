//! What leaves the host: thresholded counts with complementary suppression, sums and means, differential privacy
//! charged to budgets that concurrent queries cannot overspend, and consented per-subject exports. Real sled, real
//! signed Wasm segmenter, real policies.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

use cohort_ingest::{IngestOptions, NoProgress};
use cohort_outputs::{
    CountReport, CountRequest, ExportRequest, OutputError, RowKind, count_segment, export_segment,
};
use cohort_plugin_package::{Package, authorise_load};
use cohort_plugins::Runtime;
use cohort_segments::{RunRequest, run_segmenter};
use cohort_store::{AuditRecord, Store};
use cohort_tests::{output_people, plugin, policy_trusting, test_publisher};
use serde_json::json;
use std::collections::BTreeSet;

/// People of the fixture ([`output_people`]): 150 in DE, 80 in FR, 10 in IT; 80 % consented to email marketing.
const PEOPLE: usize = 240;

fn revenue(i: usize) -> i64 {
    (i % 50) as i64 + 1
}

fn consented(i: usize) -> bool {
    i % 10 < 8
}

fn email(i: usize) -> String {
    format!("person{i}@example.com")
}

struct World {
    tmp: tempfile::TempDir,
    store: Store,
    policy: cohort_policy::Policy,
}

/// A store of [`people`] segmented by the good-segmenter (everyone in `all`) for analytics and email marketing,
/// under the example retail policy with `edit` applied to its text.
fn world(edit: impl Fn(String) -> String) -> World {
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = test_publisher(tmp.path());
    let path = policy_trusting(
        tmp.path(),
        "cohort-test",
        &public,
        &[("good-segmenter", &["analytics", "email_marketing"])],
    );
    let text = edit(std::fs::read_to_string(&path).unwrap());
    std::fs::write(&path, text).unwrap();
    let policy = cohort_policy::load_policy(&path).unwrap();
    let keys_path = tmp.path().join("k.json");
    cohort_crypto::KeyRing::create(&keys_path, "t").unwrap();
    let store = Store::init(
        &tmp.path().join("data"),
        cohort_crypto::KeyRing::load(&keys_path).unwrap(),
    )
    .unwrap();
    ingest(&store, &policy, &output_people(PEOPLE));
    let (wasm, manifest) = plugin("fixtures/good-segmenter");
    let mut pkg = Package::build(&manifest, wasm).unwrap();
    pkg.sign(&key).unwrap();
    let verified = Package::from_bytes(&pkg.to_bytes())
        .unwrap()
        .verify()
        .unwrap();
    let trusted = authorise_load(&verified, &policy).unwrap();
    let runtime = Runtime::new().unwrap();
    let loaded = runtime.load(&trusted).unwrap();
    for purpose in ["analytics", "email_marketing"] {
        run_segmenter(RunRequest {
            store: &store,
            policy: &policy,
            package: &trusted,
            plugin: &loaded,
            purpose,
            config: &json!({}),
            actor: "test",
            now: time::OffsetDateTime::now_utc(),
            chunk: 100,
        })
        .unwrap();
    }
    World { tmp, store, policy }
}

fn ingest(store: &Store, policy: &cohort_policy::Policy, records: &[serde_json::Value]) {
    cohort_ingest::ingest_values(
        store,
        policy,
        records,
        "test",
        &IngestOptions::default(),
        &mut NoProgress,
    )
    .unwrap();
}

/// The example policy without differential privacy: exact counts, thresholds only.
fn without_dp(text: String) -> String {
    let start = text.find("  differential_privacy:").unwrap();
    let end = text[start..].find("\nretention:").unwrap() + start;
    let block = &text[start..end];
    let kept: String = block
        .lines()
        .skip_while(|l| l.starts_with("  differential_privacy:") || l.starts_with("    "))
        .map(|l| format!("{l}\n"))
        .collect();
    format!("{}{}{}", &text[..start], kept, &text[end..])
}

fn count(
    w: &World,
    by: &[&str],
    sums: &[&str],
    requester: &str,
) -> Result<CountReport, OutputError> {
    count_segment(CountRequest {
        store: &w.store,
        policy: &w.policy,
        segment: "all",
        purpose: "analytics",
        by: &by.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        sums: &sums.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        requester,
        dry_run: false,
        now: time::OffsetDateTime::now_utc(),
    })
}

fn subject_with_marker(w: &World, i: usize) -> cohort_store::SubjectId {
    let marker = format!("marker{i}");
    w.store
        .subject_ids()
        .map(Result::unwrap)
        .find(|id| {
            let view = w.store.subject(id).unwrap().unwrap();
            view.body.attributes.get("city").map(|a| a.value.clone()) == Some(json!(marker))
        })
        .unwrap()
}

#[test]
fn counts_withhold_small_groups_and_their_complements_and_sums_follow() {
    let w = world(without_dp);
    let report = count(&w, &["country"], &["order_completed.revenue"], "analyst").unwrap();
    assert!(report.differential_privacy.is_none());
    let row = |label: &str| {
        report
            .rows
            .iter()
            .find(|r| r.kind == RowKind::Cell && r.group == [label])
            .unwrap()
            .clone()
    };
    // IT has 10 people (< k = 50): withheld; FR (80) is the smallest other cell, withheld so that the total minus
    // DE cannot reveal IT.
    assert_eq!(row("DE").count, Some(150));
    assert_eq!(row("IT").count, None);
    assert_eq!(row("FR").count, None);
    let total = report
        .rows
        .iter()
        .find(|r| r.kind == RowKind::Total)
        .unwrap();
    assert_eq!(total.count, Some(PEOPLE as u64));
    // Sums and means follow the count's suppression exactly.
    let de_revenue: i64 = (0..150).map(revenue).sum();
    let all_revenue: i64 = (0..PEOPLE).map(revenue).sum();
    assert_eq!(row("DE").measures[0].sum, Some(i128::from(de_revenue)));
    assert_eq!(row("DE").measures[0].mean, Some(de_revenue as f64 / 150.0));
    assert_eq!(row("IT").measures[0].sum, None);
    assert_eq!(total.measures[0].sum, Some(i128::from(all_revenue)));
    for r in &report.rows {
        if let Some(n) = r.count {
            assert!(n >= report.k, "released {n} under k in {r:?}");
        }
    }
    assert_eq!(report.suppressed, 2);

    // Two dimensions with margins: still nothing released under k.
    let two = count(&w, &["country", "loyalty_tier"], &[], "analyst").unwrap();
    assert!(two.rows.iter().any(|r| r.kind == RowKind::RowMargin));
    for r in &two.rows {
        if let Some(n) = r.count {
            assert!(n >= two.k, "released {n} under k in {r:?}");
        }
    }
    // FR (40 + 40) and IT (5 + 5) cells are under k; the gold column then holds DE gold (75) beside 45 withheld
    // people, which would expose them, so DE gold goes too, and with it DE silver. The DE margin (150) and the
    // total stay.
    let find = |kind: RowKind, group: [&str; 2]| {
        two.rows
            .iter()
            .find(|r| r.kind == kind && r.group == group)
            .unwrap()
            .count
    };
    assert_eq!(find(RowKind::Cell, ["DE", "gold"]), None);
    assert_eq!(find(RowKind::RowMargin, ["DE", "*"]), Some(150));
    assert_eq!(find(RowKind::Total, ["*", "*"]), Some(240));

    // Every release is audited with k and the policy hash.
    let entries: Vec<String> = w
        .store
        .audit_entries()
        .map(|e| String::from_utf8_lossy(&e.unwrap().1).into_owned())
        .filter(|e| e.contains("aggregate.release"))
        .collect();
    assert_eq!(entries.len(), 2);
    assert!(entries[0].contains(w.policy.sha256_hex()));
}

#[test]
fn a_segment_under_the_minimum_export_size_releases_nothing_and_bad_queries_are_refused() {
    let w = world(|t| without_dp(t).replace("min_export_size: 100", "min_export_size: 1000"));
    let report = count(&w, &["country"], &[], "analyst").unwrap();
    assert!(report.rows.iter().all(|r| r.count.is_none()));

    let err = count(&w, &["first_name"], &[], "analyst").unwrap_err();
    assert!(
        err.to_string()
            .contains("does not allow attribute `first_name`"),
        "{err}"
    );
    let err = count(&w, &["country", "city", "loyalty_tier"], &[], "analyst").unwrap_err();
    assert!(err.to_string().contains("at most 2"), "{err}");
    let err = count(&w, &[], &["order_completed.discount"], "analyst").unwrap_err();
    assert!(
        err.to_string()
            .contains("does not allow property `discount`"),
        "{err}"
    );
}

#[test]
fn noise_stays_within_its_bounds_and_the_budget_refuses_overspending() {
    // Example policy: Laplace, epsilon 0.5 per query, 5.0 per requester per day.
    // Its sum bounds clamp order revenue to [0, 100] per person here (the example says 2,000).
    let w = world(|t| t.replace("{ min: 0, max: 2000 }", "{ min: 0, max: 100 }"));
    let dry = count_segment(CountRequest {
        store: &w.store,
        policy: &w.policy,
        segment: "all",
        purpose: "analytics",
        by: &["country".to_string()],
        sums: &[],
        requester: "analyst",
        dry_run: true,
        now: time::OffsetDateTime::now_utc(),
    })
    .unwrap();
    assert!(dry.rows.is_empty() && dry.audit_seq.is_none());
    assert_eq!(dry.budget[0].spent_micro, 0);

    let report = count(&w, &["country"], &["order_completed.revenue"], "analyst").unwrap();
    let dp = report.differential_privacy.clone().unwrap();
    assert_eq!(dp.mechanism, "laplace");
    // Count: 2 levels (cell and total) over epsilon 0.25 (half of 0.5; the other half pays the sum): scale 8.
    assert_eq!(dp.noise[0].value, 8.0);
    let de = report.rows.iter().find(|r| r.group == ["DE"]).unwrap();
    let noisy = de.count.unwrap() as i64;
    // 30 scales: exceeded with probability about e^-30.
    assert!((noisy - 150).abs() <= 240, "noisy DE count {noisy}");
    assert_eq!(report.budget[0].spent_micro, 500_000);
    // The dry run charged nothing: this first real query is what was spent.
    for _ in 1..10 {
        count(&w, &["country"], &[], "analyst").unwrap();
    }
    let err = count(&w, &["country"], &[], "analyst").unwrap_err();
    match &err {
        OutputError::BudgetExceeded {
            spent,
            limit,
            asked,
            ..
        } => {
            assert_eq!((*spent, *limit, *asked), (5.0, 5.0, 0.5));
        }
        other => panic!("expected a budget refusal, got {other}"),
    }
    // Another requester has its own budget.
    count(&w, &["country"], &[], "someone-else").unwrap();
    // The refusal is audited, and sums need bounds under DP.
    let refused = w
        .store
        .audit_entries()
        .filter(|e| String::from_utf8_lossy(&e.as_ref().unwrap().1).contains("aggregate.refused"))
        .count();
    assert_eq!(refused, 1);
    let err = count(&w, &[], &["nps_score"], "third").unwrap_err();
    assert!(
        err.to_string().contains("aggregates.sum_bounds.nps_score"),
        "{err}"
    );
}

#[test]
fn concurrent_queries_cannot_overspend_a_budget() {
    let w = world(|t| t);
    let successes = std::sync::atomic::AtomicU32::new(0);
    let refusals = std::sync::atomic::AtomicU32::new(0);
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                for _ in 0..3 {
                    match count(&w, &[], &[], "racer") {
                        Ok(_) => successes.fetch_add(1, std::sync::atomic::Ordering::SeqCst),
                        Err(OutputError::BudgetExceeded { .. }) => {
                            refusals.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
                        }
                        Err(e) => panic!("{e}"),
                    };
                }
            });
        }
    });
    // 5.0 per day at 0.5 per query: exactly ten of the 24 attempts pass.
    assert_eq!(successes.into_inner(), 10);
    assert_eq!(refusals.into_inner(), 14);
    let lines = w
        .store
        .budget_lines(&[cohort_store::BudgetLimit {
            scope: "requester:racer".into(),
            period: {
                let now = time::OffsetDateTime::now_utc();
                format!(
                    "day:{:04}-{:02}-{:02}",
                    now.year(),
                    u8::from(now.month()),
                    now.day()
                )
            },
            limit_micro: 5_000_000,
        }])
        .unwrap();
    assert_eq!(lines[0].spent_micro, 5_000_000);
}

#[test]
fn exports_release_consenting_members_only_and_follow_withdrawals_at_once() {
    let w = world(without_dp);
    let export = |purpose: &str| {
        export_segment(ExportRequest {
            store: &w.store,
            policy: &w.policy,
            segment: "all",
            purpose,
            requester: "marketer",
        })
    };
    let err = export("analytics").unwrap_err();
    assert!(matches!(err, OutputError::NotPerSubject { .. }), "{err}");

    // Person 1 objects, person 2 is restricted, person 0 withdraws consent.
    for (i, objected) in [(1, true), (2, false)] {
        let id = subject_with_marker(&w, i);
        w.store
            .set_flags(
                &id,
                |f| {
                    if objected {
                        f.objected = true
                    } else {
                        f.restricted = true
                    }
                },
                AuditRecord::new("test", "subject.flag", None),
            )
            .unwrap();
    }
    let withdrawn = subject_with_marker(&w, 0);
    assert!(
        w.store
            .memberships(&withdrawn)
            .unwrap()
            .iter()
            .any(|m| m.purpose == "email_marketing")
    );
    ingest(
        &w.store,
        &w.policy,
        &[json!({"source": "crm", "identifiers": {"email": email(0)},
                 "consents": [{"purpose": "email_marketing", "state": "withdrawn", "at": "2026-06-01T00:00:00Z", "source": "web_form"}]})],
    );
    // The withdrawal removed the memberships of that purpose in the same commit.
    assert!(
        !w.store
            .memberships(&withdrawn)
            .unwrap()
            .iter()
            .any(|m| m.purpose == "email_marketing")
    );

    let exported = export("email_marketing").unwrap();
    assert_eq!(exported.columns, ["email"]);
    let got: BTreeSet<String> = exported.rows.iter().map(|r| r[0].clone()).collect();
    let expected: BTreeSet<String> = (3..PEOPLE).filter(|i| consented(*i)).map(email).collect();
    assert_eq!(got, expected);
    assert!(exported.to_csv().starts_with("email\r\nperson"));
    drop(exported);

    // Under the minimum export size: refused, and the refusal is audited.
    let w = world(|t| without_dp(t).replace("min_export_size: 100", "min_export_size: 500"));
    let err = export_segment(ExportRequest {
        store: &w.store,
        policy: &w.policy,
        segment: "all",
        purpose: "email_marketing",
        requester: "marketer",
    })
    .unwrap_err();
    assert!(err.to_string().contains("fewer than 500"), "{err}");
    let audited = w
        .store
        .audit_entries()
        .filter(|e| {
            String::from_utf8_lossy(&e.as_ref().unwrap().1).contains("segment.export_refused")
        })
        .count();
    assert_eq!(audited, 1);
    let _ = &w.tmp;
}
