//! Privacy invariant: no raw identifier and no plaintext attribute value reaches disk. Checked by scanning every
//! byte of every file in the data directory after a real ingest through the CLI.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

use cohort_tests::{Env, dir_size, scan_files};
use serde_json::json;

#[test]
fn known_identifiers_and_values_never_appear_in_the_data_directory() {
    let env = Env::new("example-retail.yaml");
    let mut lines = Vec::new();
    let mut needles = Vec::new();
    for i in 0..400 {
        let email = format!("Person.Secret{i:04}@Example.com");
        let phone = format!("+49 151 7{i:06}");
        let crm = format!("CRMSECRET-{i:05}");
        let city = format!("Cityzq{i:04}");
        let first = format!("Firstnamezq{i:04}");
        lines.push(
            json!({"source": "crm",
                   "identifiers": {"email": email, "phone": phone, "crm_id": crm},
                   "attributes": {"country": "DE", "city": city, "first_name": first,
                                  "birth_date": format!("19{:02}-04-01", 50 + i % 40),
                                  "postcode": format!("D{i:05}")},
                   "events": [{"type": "order_completed", "at": "2026-10-01T12:00:00Z", "id": format!("ORDSECRET{i}"),
                               "properties": {"order_id": format!("ORDSECRET{i}"), "revenue": 120.5, "currency": "EUR"}}],
                   "consents": [{"purpose": "email_marketing", "state": "granted", "at": "2026-09-30T08:00:00Z",
                                 "source": "web_form", "notice": "NOTICESECRET-v3"}]})
            .to_string(),
        );
        // As written in the input, and as the host normalises it (lower-case email, E.164 phone).
        needles.push(email.clone());
        needles.push(email.to_lowercase());
        needles.push(phone.clone());
        needles.push(phone.replace(' ', ""));
        needles.push(crm);
        needles.push(city);
        needles.push(first);
        needles.push(format!("ORDSECRET{i}"));
    }
    needles.push("NOTICESECRET".into());
    let input = env.write_input("input.jsonl", &lines);
    let summary = env.json(&["ingest", &input]);
    assert_eq!(summary["stored"], 400, "{summary}");

    // The scan must be looking at real data: the store holds several hundred KiB for these records.
    assert!(dir_size(&env.data_dir) > 100_000);
    let hits = scan_files(&env.data_dir, &needles);
    assert!(
        hits.is_empty(),
        "found in clear on disk: {:?}",
        &hits[..hits.len().min(5)]
    );

    // And the values are really there, encrypted: an export decrypts them.
    let export = env.ok(&[
        "subject",
        "export",
        "--email",
        "person.secret0007@example.com",
    ]);
    assert!(export.contains("Cityzq0007"), "{export}");
    assert!(export.contains("ORDSECRET7"), "{export}");
}

#[test]
fn logs_never_contain_raw_identifiers() {
    let env = Env::new("example-retail.yaml");
    let lines = vec![
        json!({"source": "crm", "identifiers": {"email": "log.secret@example.com"}, "attributes": {"country": "DE"}}).to_string(),
        // A bad line: its error must name the field but not repeat the value.
        json!({"source": "crm", "identifiers": {"email": "not-an-email-secret"}}).to_string(),
    ];
    let input = env.write_input("input.jsonl", &lines);
    let out = env
        .cmd()
        .args(["-vv", "--log-format", "json", "ingest", &input])
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        all.contains("input.jsonl:line 2: identifiers.email"),
        "{all}"
    );
    assert!(!all.contains("log.secret"), "{all}");
    assert!(!all.contains("not-an-email-secret"), "{all}");
}
