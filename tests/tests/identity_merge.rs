//! Identity resolution: records that share any identifier end in one subject, and the export shows the union.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

use cohort_tests::Env;
use serde_json::json;

#[test]
fn records_sharing_identifiers_merge_into_one_subject() {
    let env = Env::new("example-retail.yaml");
    let lines = vec![
        // Two unrelated-looking subjects first...
        json!({"source": "crm", "identifiers": {"email": "Ana.Merge@Example.com", "crm_id": "H-1"},
               "attributes": {"country": "DE"}}).to_string(),
        json!({"source": "analytics", "identifiers": {"user_id": "u-42", "anonymous_id": "a-9f"},
               "attributes": {"device_type": "mobile"},
               "events": [{"type": "page_viewed", "at": "2026-10-02T10:00:00Z", "properties": {"path": "/x"}}]}).to_string(),
        json!({"source": "survey", "identifiers": {"phone": "0151 1234 5678"}, "attributes": {"nps_score": 9}}).to_string(),
        // ...then one record links all three (email in another case, the phone in E.164).
        json!({"source": "crm", "identifiers": {"email": " ana.merge@example.com ", "user_id": "u-42", "phone": "+49 151 12345678"},
               "attributes": {"city": "Berlin"}}).to_string(),
    ];
    let input = env.write_input("in.jsonl", &lines);
    let summary = env.json(&["ingest", &input]);
    assert_eq!(summary["subjects_created"], 3, "{summary}");
    assert_eq!(summary["subjects_merged"], 2, "{summary}");
    assert_eq!(env.stats()["subjects"], 1);

    // Every identifier finds the same subject, and the export holds the union.
    let by_email = env.json(&["subject", "export", "--email", "ana.merge@example.com"]);
    let by_anon = env.json(&["subject", "export", "--id", "anonymous_id=a-9f"]);
    let by_phone = env.json(&["subject", "export", "--phone", "+4915112345678"]);
    assert_eq!(by_email["subject_id"], by_anon["subject_id"]);
    assert_eq!(by_email["subject_id"], by_phone["subject_id"]);
    let kinds: Vec<&str> = by_email["identifiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    for k in ["email", "crm_id", "user_id", "anonymous_id", "phone"] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    for a in ["country", "device_type", "nps_score", "city"] {
        assert!(
            by_email["attributes"].get(a).is_some(),
            "{a} missing: {}",
            by_email["attributes"]
        );
    }
    assert_eq!(by_email["events"].as_array().unwrap().len(), 1);
    assert_eq!(by_email["merged_from"].as_array().unwrap().len(), 2);
    let sources: Vec<&str> = by_email["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(sources, vec!["analytics", "crm", "survey"]);
    // Only the contact identifier the policy releases is kept in clear (encrypted); the others are hashes only.
    for i in by_email["identifiers"].as_array().unwrap() {
        let value = i["value"].as_str().unwrap();
        // example-retail releases `email` (email_marketing) and `user_id` (personalisation) as contact identifiers.
        if i["kind"] == "email" {
            assert_eq!(value, "ana.merge@example.com");
        } else if i["kind"] == "user_id" {
            assert_eq!(value, "u-42");
        } else {
            assert!(value.starts_with("not stored in clear"), "{i}");
        }
    }
    let check = env.json(&["store", "check"]);
    assert_eq!(check["problems"].as_array().unwrap().len(), 0, "{check}");
}
