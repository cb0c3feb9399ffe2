//! Bad input gets a clear error naming file, line and field, and stores nothing; `--skip-invalid` stores the good
//! lines and reports every skipped one.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

use cohort_tests::{Env, stderr};
use serde_json::json;

fn good(i: usize) -> String {
    json!({"source": "crm", "identifiers": {"email": format!("good{i}@example.com")}, "attributes": {"country": "DE"}})
        .to_string()
}

fn assert_refused(env: &Env, name: &str, bad: Vec<u8>, expect: &[&str]) {
    let path = env.tmp.path().join(name);
    let mut bytes = format!("{}\n{}\n", good(1), good(2)).into_bytes();
    bytes.extend_from_slice(&bad);
    bytes.extend_from_slice(format!("\n{}\n", good(3)).as_bytes());
    std::fs::write(&path, bytes).unwrap();
    let out = env.run(&["ingest", path.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{name}: expected exit 3, got {:?}: {}",
        out.status.code(),
        stderr(&out)
    );
    let err = stderr(&out);
    for e in expect {
        assert!(err.contains(e), "{name}: expected `{e}` in:\n{err}");
    }
    assert!(err.contains("nothing was stored"), "{err}");
    assert_eq!(env.stats()["subjects"], 0, "{name}: something was stored");
}

#[test]
fn each_kind_of_bad_line_is_named_and_nothing_is_stored() {
    let env = Env::new("example-retail.yaml");
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        ("malformed.jsonl", b"{\"source\": \"crm\", \"identifiers\": ".to_vec(), vec!["malformed.jsonl:line 3", "malformed JSON"]),
        ("wrong-type.jsonl", br#"{"source": "crm", "identifiers": {"email": "x@example.com"}, "attributes": {"country": ["DE"]}}"#.to_vec(),
            vec!["wrong-type.jsonl:line 3: attributes.country"]),
        ("missing-field.jsonl", br#"{"identifiers": {"email": "x@example.com"}}"#.to_vec(), vec!["line 3", "missing required field \"source\""]),
        ("bad-time.jsonl", br#"{"source": "crm", "identifiers": {"email": "x@example.com"}, "events": [{"type": "order_completed", "at": "yesterday"}]}"#.to_vec(),
            vec!["line 3: events[0].at"]),
        ("bad-email.jsonl", br#"{"source": "crm", "identifiers": {"email": "no-at-sign"}}"#.to_vec(), vec!["line 3: identifiers.email"]),
        ("unknown-purpose.jsonl", br#"{"source": "crm", "identifiers": {"email": "x@example.com"}, "consents": [{"purpose": "nope", "state": "granted", "at": "2026-01-01T00:00:00Z", "source": "web"}]}"#.to_vec(),
            vec!["line 3: consents[0].purpose", "`nope`"]),
        ("not-utf8.jsonl", b"{\"source\": \"crm\", \"identifiers\": {\"email\": \"\xff\xfe@example.com\"}}".to_vec(), vec!["line 3", "invalid UTF-8"]),
        ("oversize.jsonl", {
            let mut v = br#"{"source": "crm", "identifiers": {"email": "x@example.com"}, "attributes": {"city": ""#.to_vec();
            v.extend(std::iter::repeat_n(b'a', 2 << 20));
            v.extend_from_slice(br#""}}"#);
            v
        }, vec!["line 3", "longer than"]),
    ];
    for (name, bad, expect) in cases {
        assert_refused(&env, name, bad, &expect);
    }
    // The store kept serving: a good file still ingests.
    let input = env.write_input("good.jsonl", &[good(1)]);
    assert_eq!(env.json(&["ingest", &input])["stored"], 1);
}

#[test]
fn skip_invalid_stores_the_good_lines_and_reports_each_skipped_one() {
    let env = Env::new("example-retail.yaml");
    let lines = vec![
        good(1),
        "not json".into(),
        good(2),
        r#"{"source":"crm","identifiers":{}}"#.into(),
        good(3),
    ];
    let input = env.write_input("mixed.jsonl", &lines);
    let summary = env.json(&["ingest", "--skip-invalid", &input]);
    assert_eq!(summary["stored"], 3);
    assert_eq!(summary["invalid_skipped"], 2);
    let lines_reported: Vec<u64> = summary["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines_reported, vec![2, 4]);
    assert_eq!(env.stats()["subjects"], 3);
}

#[test]
fn minimisation_drops_and_counts_what_the_policy_does_not_allow() {
    let env = Env::new("example-retail.yaml");
    let line = json!({"source": "crm", "identifiers": {"email": "min@example.com", "ssn": "123-45-6789"},
        "attributes": {"country": "DE", "favourite_colour": "teal", "health_allergies": "peanuts", "birth_date": "1990-04-01"},
        "events": [{"type": "app_crashed", "at": "2026-10-01T12:00:00Z"},
                   {"type": "order_completed", "at": "2026-10-01T12:00:00Z", "properties": {"revenue": 5, "card_number": "4111"}}]})
    .to_string();
    let input = env.write_input("min.jsonl", &[line]);
    let s = env.json(&["ingest", &input]);
    assert_eq!(s["dropped"]["attributes_not_listed"], 1, "{s}");
    assert_eq!(s["dropped"]["attributes_not_allowed"], 1, "{s}");
    assert_eq!(s["dropped"]["identifiers_not_declared"], 1, "{s}");
    assert_eq!(s["dropped"]["events_not_declared"], 1, "{s}");
    assert_eq!(s["dropped"]["event_properties_dropped"], 1, "{s}");
    let export = env.json(&["subject", "export", "--email", "min@example.com"]);
    let attrs = &export["attributes"];
    assert!(attrs.get("favourite_colour").is_none() && attrs.get("health_allergies").is_none());
    // birth_date is stored only generalised, as the policy's store_as says.
    assert!(attrs.get("birth_date").is_none(), "{attrs}");
    assert!(attrs["age_band"]["value"].as_str().is_some(), "{attrs}");
    let text = export.to_string();
    assert!(
        !text.contains("123-45-6789") && !text.contains("4111") && !text.contains("1990-04-01")
    );
}
