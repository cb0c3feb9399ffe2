//! Segment-compatible ingestion over real HTTP on loopback: every tracking endpoint stores what the CLI ingest
//! would, gzip bodies included; consent from `context.consent` and `Sec-GPC: 1`; bad requests are 4xx with a JSON
//! error, store nothing, and the server keeps serving; logs hold no identifier; SIGTERM drains and exits cleanly.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

mod http_common;

use cohort_store::Role;
use cohort_tests::Env;
use http_common::{Server, answer};
use serde_json::{Value, json};

fn export(env: &Env, id: &str) -> Value {
    env.json(&["subject", "export", "--id", id])
}

fn consent_state(env: &Env, id: &str, purpose: &str) -> Value {
    let show = env.json(&["consent", "show", "--id", id]);
    show.as_array()
        .unwrap()
        .iter()
        .find(|r| r["purpose"] == purpose)
        .unwrap()
        .clone()
}

#[test]
fn every_tracking_endpoint_stores_through_the_ingest_path() {
    let server = Server::start(Env::new("example-retail.yaml"), &[]);
    let key = server.key(Role::Ingest).to_string();
    let ok = |path: &str, body: Value| {
        let a = server.post(path, Some(&key), &body);
        assert_eq!(
            (a.status, &a.body),
            (200, &json!({"success": true})),
            "{path}"
        );
    };
    ok(
        "/v1/identify",
        json!({"userId": "u-1", "anonymousId": "a-1",
               "traits": {"email": "Ana@Example.com", "firstName": "Ana", "birthday": "1990-04-01",
                          "address": {"country": "de", "city": "Berlin"}, "favourite_colour": "red",
                          "health_status": "secret"},
               "timestamp": "2026-10-01T12:00:00Z"}),
    );
    ok(
        "/v1/track",
        json!({"userId": "u-1", "event": "Order Completed", "messageId": "m-1",
               "properties": {"total": 54.9, "revenue": 45, "currency": "eur", "order_id": "o-1", "coupon": "X"},
               "timestamp": "2026-10-02T12:00:00Z"}),
    );
    ok(
        "/v1/page",
        json!({"anonymousId": "a-1", "name": "Home",
               "properties": {"path": "/shoes?email=ana@example.com", "referrer": "https://search.example/?q=1"},
               "timestamp": "2026-10-03T12:00:00Z"}),
    );
    // Screen, group and an unmapped track with one id carry nothing the policy keeps: accepted, not stored.
    ok("/v1/screen", json!({"userId": "u-1", "name": "Home"}));
    ok(
        "/v1/group",
        json!({"userId": "u-1", "groupId": "g-1", "traits": {"name": "Acme"}}),
    );
    ok(
        "/v1/track",
        json!({"userId": "u-1", "event": "Product Added"}),
    );
    // Alias links a device id to the user id.
    ok("/v1/alias", json!({"userId": "u-1", "previousId": "a-2"}));
    ok(
        "/v1/batch",
        json!({"batch": [
            {"type": "track", "userId": "u-2", "event": "order_completed", "properties": {"total": "10.50"},
             "timestamp": "2015-2-02T00:30:08.276Z"},
            {"type": "page", "anonymousId": "a-2", "timestamp": "2026-10-04T12:00:00Z"},
            {"type": "identify", "userId": "u-3", "traits": {"lifecycle_stage": "customer"}}
        ], "context": {"ip": "203.0.113.7"}}),
    );
    let metrics = server.get("/metrics", Some(server.key(Role::Admin)));
    assert_eq!(metrics.status, 200);
    assert!(metrics.content_type.starts_with("text/plain"));
    let text = metrics.body.as_str().unwrap().to_string();
    assert!(text.contains("cohort_events_ingested_total 4"), "{text}");
    assert!(text.contains("cohort_http_requests_total{route=\"segment.track\",status=\"200\"} 2"));
    assert!(text.contains("cohort_cells_suppressed_total 0"));
    assert!(text.contains("cohort_plugin_runs_total 0"));
    assert!(text.contains("cohort_privacy_budget_spent_total 0"));
    let log = server.log_text();
    let env = server.stop();

    let u1 = export(&env, "user_id=u-1");
    assert_eq!(u1["attributes"]["first_name"]["value"], "Ana");
    assert_eq!(u1["attributes"]["country"]["value"], "DE");
    assert!(
        u1["attributes"]["age_band"]["value"].is_string(),
        "birthday generalised: {u1}"
    );
    assert!(u1["attributes"].get("birth_date").is_none());
    assert!(
        u1["attributes"].get("favourite_colour").is_none(),
        "not in the policy"
    );
    assert!(
        u1["attributes"].get("health_status").is_none(),
        "special category refused"
    );
    let kinds: Vec<&str> = u1["identifiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    for k in ["user_id", "anonymous_id", "email"] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
    let events = u1["events"].as_array().unwrap();
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["event_type"].as_str().or(e["type"].as_str()).unwrap())
        .collect();
    // The page of a-1 (same person through identify), the order of u-1 and the page of a-2 (aliased to u-1).
    assert_eq!(
        types.iter().filter(|t| **t == "order_completed").count(),
        1,
        "{events:?}"
    );
    assert_eq!(
        types.iter().filter(|t| **t == "page_viewed").count(),
        2,
        "{events:?}"
    );
    let order = events
        .iter()
        .find(|e| e["properties"]["order_id"] == "o-1")
        .unwrap();
    assert_eq!(order["properties"]["revenue"], 54.9, "spend is `total`");
    assert_eq!(order["properties"]["currency"], "EUR");
    assert!(order["properties"].get("coupon").is_none());
    let page = events
        .iter()
        .find(|e| e["at"] == "2026-10-03T12:00:00Z")
        .unwrap();
    assert_eq!(page["properties"]["path"], "/shoes", "query string removed");
    assert_eq!(page["properties"]["referrer"], "https://search.example/");

    let u2 = export(&env, "user_id=u-2");
    let e = &u2["events"][0];
    assert_eq!(e["at"], "2015-02-02T00:30:08Z", "unpadded month coerced");
    assert_eq!(e["properties"]["revenue"], 10.5);
    assert_eq!(
        export(&env, "user_id=u-3")["attributes"]["lifecycle_stage"]["value"],
        "customer"
    );

    // The request log names routes and key ids, never an identifier or a path's query.
    for secret in ["u-1", "a-1", "Ana@Example.com", "ana@example.com", "/shoes"] {
        assert!(!log.contains(secret), "log leaks {secret}:\n{log}");
    }
    assert!(log.contains("segment.batch"), "{log}");
}

#[test]
fn consent_manager_updates_and_gpc_are_honoured() {
    let env = Env::new("example-retail.yaml");
    let config = env.tmp.path().join("cohort.toml");
    std::fs::write(
        &config,
        "[serve]\nconsent_categories = { Advertising = \"personalisation\", Email = \"email_marketing\" }\n",
    )
    .unwrap();
    let config = config.to_string_lossy().into_owned();
    let keys = http_common::keys_for(&env);
    let server = Server::start_with_keys(env, keys, &["--config", &config]);
    let key = server.key(Role::Ingest).to_string();
    let update = json!({"userId": "c-1", "event": "Segment Consent Preference Updated",
        "timestamp": "2026-10-01T12:00:00Z",
        "context": {"consent": {"categoryPreferences": {"Advertising": true, "Email": false, "Other": true}}}});
    assert_eq!(server.post("/v1/track", Some(&key), &update).status, 200);
    // Other messages repeat the preferences; they are not recorded again.
    let repeat = json!({"userId": "c-1", "type": "identify", "traits": {"firstName": "C"},
        "context": {"consent": {"categoryPreferences": {"Advertising": false}}}});
    assert_eq!(server.post("/v1/identify", Some(&key), &repeat).status, 200);
    // A GPC request refuses the per-subject consent purposes of another person.
    let gpc = answer(
        server
            .request("POST", "/v1/identify", Some(&key))
            .set("Content-Type", "application/json")
            .set("Sec-GPC", "1")
            .send_string(&json!({"userId": "g-1", "traits": {"firstName": "G"}}).to_string()),
    );
    assert_eq!(gpc.status, 200, "{:?}", gpc.body);
    // A wrong type in the consent object is a 400.
    let bad = json!({"userId": "c-1", "event": "Segment Consent Preference Updated",
        "context": {"consent": {"categoryPreferences": {"Advertising": "yes"}}}});
    let a = server.post("/v1/track", Some(&key), &bad);
    assert_eq!(a.status, 400);
    assert_eq!(
        a.body["error"]["fields"][0]["field"],
        "context.consent.categoryPreferences.Advertising"
    );
    let env = server.stop();

    let p = consent_state(&env, "user_id=c-1", "personalisation");
    assert_eq!(p["state"], "granted");
    assert_eq!(p["history"].as_array().unwrap().len(), 1);
    assert_eq!(p["history"][0]["source"], "segment_consent_manager");
    assert_eq!(
        consent_state(&env, "user_id=c-1", "email_marketing")["state"],
        "refused"
    );
    for purpose in ["personalisation", "email_marketing"] {
        let g = consent_state(&env, "user_id=g-1", purpose);
        assert_eq!(g["state"], "refused", "{purpose}: {g}");
        assert_eq!(g["history"][0]["source"], "gpc");
    }
    // Legitimate-interest processing is untouched by GPC: no objection recorded.
    let g = export(&env, "user_id=g-1");
    assert_eq!(g["restrictions"]["objected_art21"], false);
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn gzip_bodies_are_stored_like_plain_ones() {
    // RudderStack's SDKs gzip every batch by default; Segment's can be told to.
    let server = Server::start(Env::new("example-retail.yaml"), &[]);
    let body = json!({"batch": [
        {"type": "identify", "userId": "gz-1", "traits": {"email": "gz@example.com", "firstName": "Gia"}},
        {"type": "track", "userId": "gz-1", "event": "Order Completed", "timestamp": "2026-10-01T12:00:00Z",
         "properties": {"order_id": "gz-o-1", "total": 12.5, "currency": "EUR"}},
    ]});
    let a = answer(
        server
            .request("POST", "/v1/batch", Some(server.key(Role::Ingest)))
            .set("Content-Type", "application/json")
            .set("Content-Encoding", "gzip")
            .send_bytes(&gzip(body.to_string().as_bytes())),
    );
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(a.body["success"], true);
    let env = server.stop();
    let doc = export(&env, "user_id=gz-1");
    assert_eq!(doc["attributes"]["first_name"]["value"], "Gia");
    let order = doc["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "order_completed")
        .expect("the gzipped track call was not stored");
    assert_eq!(order["properties"]["revenue"], 12.5);
}

#[test]
fn bad_requests_are_refused_with_a_json_error_and_store_nothing() {
    let server = Server::start(
        Env::new("example-retail.yaml"),
        &["--max-body-bytes", "2048"],
    );
    let key = server.key(Role::Ingest).to_string();
    let good =
        json!({"userId": "x-1", "event": "Order Completed", "timestamp": "2026-10-01T12:00:00Z"});
    let raw = |path: &str, key: Option<&str>, content_type: &str, body: &str| {
        let mut r = server.request("POST", path, key);
        if !content_type.is_empty() {
            r = r.set("Content-Type", content_type);
        }
        answer(r.send_string(body))
    };
    let encoded = |encoding: &str, body: Vec<u8>| {
        answer(
            server
                .request("POST", "/v1/batch", Some(&key))
                .set("Content-Type", "application/json")
                .set("Content-Encoding", encoding)
                .send_bytes(&body),
        )
    };
    let big = json!({"batch": [{"type": "track", "userId": "x", "event": "e", "properties": {"p": "y".repeat(4000)}}]});
    // Compresses far below the 2,048-byte limit, and expands far above it.
    let bomb = gzip(big.to_string().as_bytes());
    assert!(bomb.len() < 2048);
    let mut truncated = gzip(json!({"batch": [good.clone()]}).to_string().as_bytes());
    truncated.truncate(truncated.len() / 2);
    let cases: Vec<(&str, http_common::Answer, u16, &str)> = vec![
        ("malformed JSON", raw("/v1/track", Some(&key), "application/json", "{\"userId\": "), 400, "invalid_json"),
        ("not an object", raw("/v1/track", Some(&key), "application/json", "[1,2]"), 400, "invalid_fields"),
        ("wrong type", server.post("/v1/track", Some(&key), &json!({"userId": {"a": 1}, "event": "x"})), 400, "invalid_fields"),
        ("no id", server.post("/v1/identify", Some(&key), &json!({"traits": {}})), 400, "invalid_fields"),
        ("track without event", server.post("/v1/track", Some(&key), &json!({"userId": "x-1"})), 400, "invalid_fields"),
        ("bad timestamp", server.post("/v1/track", Some(&key), &json!({"userId": "x-1", "event": "Order Completed", "timestamp": "soon"})), 400, "invalid_fields"),
        ("batch not an array", server.post("/v1/batch", Some(&key), &json!({"batch": {}})), 400, "invalid_fields"),
        ("one bad message in a batch", server.post("/v1/batch", Some(&key), &json!({"batch": [good.clone(), {"type": "nope", "userId": "x"}]})), 400, "invalid_fields"),
        ("schema: bad email", server.post("/v1/identify", Some(&key), &json!({"userId": "x-1", "traits": {"email": "not-an-email"}})), 400, "invalid_fields"),
        ("oversize", server.post("/v1/batch", Some(&key), &big), 413, "body_too_large"),
        ("oversize single call", server.post("/v1/track", Some(&key), &json!({"userId": "x", "event": "e", "p": "y".repeat(40_000)})), 413, "body_too_large"),
        ("no auth", server.post("/v1/track", None, &good), 401, "unauthenticated"),
        ("wrong key", server.post("/v1/track", Some("ck_0000000000000000_0000000000000000000000000000000000000000000000000000000000000000"), &good), 401, "unauthenticated"),
        ("garbage key", server.post("/v1/track", Some("wk_demo"), &good), 401, "unauthenticated"),
        ("wrong role", server.post("/v1/track", Some(server.key(Role::Analyst)), &good), 403, "forbidden"),
        ("gzip bomb", encoded("gzip", bomb), 413, "body_too_large"),
        ("damaged gzip", encoded("gzip", truncated), 400, "invalid_gzip"),
        ("not gzip at all", encoded("gzip", good.to_string().into_bytes()), 400, "invalid_gzip"),
        ("brotli", encoded("br", good.to_string().into_bytes()), 415, "unsupported_content_encoding"),
        // A form is accepted only as RudderStack's Node.js SDK sends it: gzipped JSON on a tracking route.
        ("form, not gzipped", raw("/v1/track", Some(&key), "application/x-www-form-urlencoded", &good.to_string()), 415, "unsupported_media_type"),
        ("wrong content type", raw("/v1/track", Some(&key), "text/plain", &good.to_string()), 415, "unsupported_media_type"),
        ("no content type", raw("/v1/track", Some(&key), "", &good.to_string()), 415, "unsupported_media_type"),
        ("unknown path", server.post("/v1/nope", Some(&key), &good), 404, "not_found"),
        ("wrong method", server.get("/v1/track", Some(&key)), 405, "method_not_allowed"),
    ];
    for (name, a, status, code) in cases {
        assert_eq!(a.status, status, "{name}: {:?}", a.body);
        assert!(a.content_type.starts_with("application/json"), "{name}");
        assert_eq!(a.body["success"], false, "{name}");
        assert_eq!(a.body["error"]["code"], code, "{name}: {:?}", a.body);
        assert!(
            !a.body["error"]["message"].as_str().unwrap().is_empty(),
            "{name}"
        );
        // The server keeps serving after each.
        assert_eq!(server.get("/healthz", None).status, 200, "after {name}");
    }
    let wrong = server.post(
        "/v1/track",
        Some(&key),
        &json!({"userId": {"a": 1}, "event": "x"}),
    );
    assert_eq!(wrong.body["error"]["fields"][0]["field"], "userId");
    let metrics = server.get("/metrics", Some(server.key(Role::Admin))).body;
    assert!(
        metrics
            .as_str()
            .unwrap()
            .contains("cohort_events_ingested_total 0")
    );
    let env = server.stop();
    assert_eq!(env.stats()["subjects"], 0, "nothing was stored");
}

#[test]
fn sigterm_drains_and_the_store_opens_afterwards() {
    let server = Server::start(Env::new("example-retail.yaml"), &[]);
    assert_eq!(server.get("/readyz", None).status, 200);
    let key = server.key(Role::Ingest).to_string();
    let batch: Vec<Value> = (0..100)
        .map(|i| {
            json!({"type": "track", "userId": format!("s-{i}"), "event": "Order Completed",
                        "messageId": format!("m-{i}"), "timestamp": "2026-10-01T12:00:00Z",
                        "properties": {"total": i}})
        })
        .collect();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let a = server.post("/v1/batch", Some(&key), &json!({"batch": batch}));
                assert_eq!(a.status, 200);
            });
        }
    });
    let env = server.stop();
    assert_eq!(env.stats()["subjects"], 100);
    assert_eq!(env.json(&["audit", "verify"])["ok"], true);
}
