//! Consent, data-subject rights, policy and audit over real HTTP: the same effects as the CLI commands, with
//! request ids that the status endpoint finds in the audit log.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

mod http_common;

use cohort_store::Role;
use cohort_tests::Env;
use http_common::Server;
use serde_json::json;

#[test]
fn consent_and_subject_rights_mirror_the_cli() {
    let env = Env::new("example-retail.yaml");
    let line =
        json!({"source": "crm", "identifiers": {"email": "dana@example.com", "crm_id": "H-7"},
        "attributes": {"country": "DE", "city": "Berlin"}})
        .to_string();
    let input = env.write_input("one.jsonl", &[line]);
    env.ok(&["ingest", &input]);
    let server = Server::start(env, &[]);
    let dpo = server.key(Role::Dpo).to_string();
    let who = json!({"kind": "email", "value": "dana@example.com"});

    // Consent: grant, then show.
    let granted = server.post(
        "/v1/consent",
        Some(&dpo),
        &json!({"identifier": who, "purpose": "email_marketing", "state": "granted",
                "notice": "pn-v3", "at": "2026-01-01T00:00:00Z"}),
    );
    assert_eq!(granted.status, 200, "{:?}", granted.body);
    assert_eq!(granted.body["state"], "granted");
    let shown = server.post("/v1/consent/show", Some(&dpo), &json!({"identifier": who}));
    assert_eq!(shown.status, 200);
    let m = shown.body["consents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purpose"] == "email_marketing")
        .unwrap()
        .clone();
    assert_eq!(m["state"], "granted");
    assert_eq!(m["history"][0]["notice"], "pn-v3");
    // Consent for a legitimate-interest purpose, an unknown purpose, an unknown person, a bad state.
    for (body, status) in [
        (
            json!({"identifier": who, "purpose": "analytics", "state": "granted"}),
            400,
        ),
        (
            json!({"identifier": who, "purpose": "nope", "state": "granted"}),
            400,
        ),
        (
            json!({"identifier": {"kind": "email", "value": "nobody@example.com"}, "purpose": "email_marketing", "state": "granted"}),
            404,
        ),
        (
            json!({"identifier": who, "purpose": "email_marketing", "state": "maybe"}),
            400,
        ),
        (
            json!({"identifier": {"kind": "shoe_size", "value": "42"}, "purpose": "email_marketing", "state": "granted"}),
            400,
        ),
        (json!({"who": who}), 400),
    ] {
        let a = server.post("/v1/consent", Some(&dpo), &body);
        assert_eq!(a.status, status, "{body}: {:?}", a.body);
        assert!(
            !a.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("nobody@"),
            "no identifier echoed"
        );
    }

    // Restrict and object, then lift the restriction.
    let r = server.post(
        "/v1/subjects/restrict",
        Some(&dpo),
        &json!({"identifier": who, "request_id": "T-1"}),
    );
    assert_eq!(
        (
            r.status,
            r.body["restricted"].clone(),
            r.body["request_id"].clone()
        ),
        (200, json!(true), json!("T-1"))
    );
    let o = server.post(
        "/v1/subjects/object",
        Some(&dpo),
        &json!({"identifier": who}),
    );
    assert_eq!(o.body["objected"], true);
    assert!(o.body["request_id"].as_str().unwrap().starts_with("req-"));
    let l = server.post(
        "/v1/subjects/restrict",
        Some(&dpo),
        &json!({"identifier": who, "lift": true}),
    );
    assert_eq!(l.body["restricted"], false);

    // Rectify through the ingest path: minimised and generalised like any record.
    let rect = server.post(
        "/v1/subjects/rectify",
        Some(&dpo),
        &json!({"identifier": {"kind": "crm_id", "value": "H-7"},
                "attributes": {"city": "Hamburg", "birth_date": "1990-04-01", "shoe_size": 42}, "request_id": "T-2"}),
    );
    assert_eq!(rect.status, 200, "{:?}", rect.body);
    assert_eq!(rect.body["rectification"]["attributes_dropped"], 1);
    let bad = server.post(
        "/v1/subjects/rectify",
        Some(&dpo),
        &json!({"identifier": who, "attributes": {"city": ["x"]}}),
    );
    assert_eq!(bad.status, 400);

    // Export: everything, decrypted, with the request id.
    let e = server.post(
        "/v1/subjects/export",
        Some(&dpo),
        &json!({"identifier": who, "request_id": "T-3"}),
    );
    assert_eq!(e.status, 200);
    let doc = &e.body["export"];
    assert_eq!(doc["attributes"]["city"]["value"], "Hamburg");
    assert!(doc["attributes"]["age_band"]["value"].is_string());
    assert_eq!(
        doc["restrictions"],
        json!({"restricted_art18": false, "objected_art21": true})
    );
    assert_eq!(e.body["request_id"], "T-3");

    // Status of a request, from the audit log.
    let s = server.get("/v1/subject-requests/T-2", Some(&dpo));
    assert_eq!(s.status, 200);
    assert_eq!(s.body["entries"][0]["action"], "subject.rectify");
    let s = server.get("/v1/subject-requests/T-3", Some(server.key(Role::Auditor)));
    assert_eq!(s.body["entries"][0]["action"], "subject.export");
    assert_eq!(
        server
            .get("/v1/subject-requests/unknown-9", Some(&dpo))
            .status,
        404
    );

    // Erase: then the person is gone, and a second erasure is a 404.
    let er = server.post(
        "/v1/subjects/erase",
        Some(&dpo),
        &json!({"identifier": who, "reason": "art17-1-a", "request_id": "T-4"}),
    );
    assert_eq!(er.status, 200, "{:?}", er.body);
    assert_eq!(er.body["erasure"]["identifiers_suppressed"], 2);
    let again = server.post(
        "/v1/subjects/erase",
        Some(&dpo),
        &json!({"identifier": who, "reason": "art17-1-a"}),
    );
    assert_eq!(again.status, 404);
    assert_eq!(
        server
            .post(
                "/v1/subjects/export",
                Some(&dpo),
                &json!({"identifier": who})
            )
            .status,
        404
    );
    assert_eq!(
        server
            .post(
                "/v1/subjects/erase",
                Some(&dpo),
                &json!({"identifier": who, "reason": ""})
            )
            .status,
        400
    );
    assert_eq!(
        server.get("/v1/subject-requests/T-4", Some(&dpo)).body["entries"][0]["action"],
        "subject.erase"
    );

    // Oversight: policy, Art. 30 record, audit log, verification, checkpoint.
    let auditor = server.key(Role::Auditor).to_string();
    let p = server.get("/v1/policy", Some(&auditor));
    assert_eq!(p.body["id"], "example-retail");
    assert_eq!(p.body["purposes"].as_array().unwrap().len(), 3);
    let x = server.get("/v1/policy/explain", Some(&auditor));
    assert!(x.content_type.starts_with("text/markdown"));
    assert!(x.body.as_str().unwrap().contains("email_marketing"));
    let log = server.get("/v1/audit/log?tail=5", Some(&auditor));
    let entries = log.body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 5);
    assert!(entries.iter().any(|e| e["action"] == "subject.erase"));
    assert!(!log.body.to_string().contains("dana@example.com"));
    assert_eq!(
        server.get("/v1/audit/log?tail=0", Some(&auditor)).status,
        400
    );
    let v = server.get("/v1/audit/verify", Some(&auditor));
    assert_eq!(v.body["ok"], true);
    let c = server.get("/v1/audit/checkpoint", Some(&auditor));
    assert!(
        c.body["public_key"]
            .as_str()
            .unwrap()
            .starts_with("ed25519:")
    );
    assert_eq!(server.get("/readyz", None).body["status"], "ready");
    let log_text = server.log_text();
    let env = server.stop();
    assert!(
        !log_text.contains("dana@example.com") && !log_text.contains("H-7"),
        "{log_text}"
    );
    // The CLI sees the same state.
    assert!(
        !env.run(&["subject", "export", "--email", "dana@example.com"])
            .status
            .success()
    );
    assert_eq!(env.json(&["audit", "verify"])["ok"], true);
}
