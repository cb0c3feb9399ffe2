//! API keys and roles over real HTTP: the authorisation matrix (every route × every role, and no key, against the
//! one route table; a federation peer's route takes no API key at all), revocation, keys made over HTTP, per-key
//! rate limits, failed authentications limited per client address, the connection cap, and keys stored only as
//! tags.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

mod http_common;

use cohort_server::{Access, ROUTES};
use cohort_store::Role;
use cohort_tests::{Env, scan_files};
use http_common::{Server, answer};
use serde_json::json;

/// Fills a route's `{...}` segments with harmless values.
fn concrete(path: &str) -> String {
    path.replace("{request_id}", "req-none")
        .replace("{key_id}", "0000000000000000")
}

#[test]
fn authorisation_matrix_follows_the_route_table() {
    // Every route without a key is a failed authentication from this one address: the address limit (tested
    // below) is off here so that each answer is the route's own.
    let server = Server::start(
        Env::new("example-retail.yaml"),
        &["--auth-failure-burst", "0"],
    );
    let mut checked = 0;
    for route in ROUTES {
        let path = concrete(route.path);
        let send = |key: Option<&str>| {
            let r = server.request(route.method, &path, key);
            if route.method == "POST" {
                answer(r.set("Content-Type", "application/json").send_string("{}"))
            } else {
                answer(r.call())
            }
        };
        let anonymous = send(None);
        match route.access {
            Access::Public => assert_eq!(anonymous.status, 200, "{} without a key", route.name),
            Access::Roles(_) => {
                assert_eq!(anonymous.status, 401, "{} without a key", route.name);
                assert_eq!(anonymous.body["error"]["code"], "unauthenticated");
            }
            Access::Peer => {
                assert_eq!(anonymous.status, 401, "{} unsigned", route.name);
                assert_eq!(anonymous.body["error"]["code"], "unsigned");
            }
        }
        for role in Role::ALL {
            let allowed = match route.access {
                Access::Public => true,
                Access::Roles(roles) => roles.contains(&role),
                Access::Peer => false,
            };
            let a = send(Some(server.key(role)));
            if route.access == Access::Peer {
                // No API key, whatever its role, stands in for a peer's signature.
                assert_eq!(a.status, 401, "{} as {role}", route.name);
                assert_eq!(a.body["error"]["code"], "unsigned");
            } else if allowed {
                assert!(
                    a.status != 401 && a.status != 403,
                    "{} as {role} should be allowed: {} {:?}",
                    route.name,
                    a.status,
                    a.body
                );
            } else {
                assert_eq!(
                    a.status, 403,
                    "{} as {role} should be forbidden",
                    route.name
                );
                assert_eq!(a.body["error"]["code"], "forbidden");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, ROUTES.len() * Role::ALL.len());
    // Every role can reach something, and ingest keys reach only the tracking endpoints.
    for role in Role::ALL {
        assert!(
            ROUTES
                .iter()
                .any(|r| matches!(r.access, Access::Roles(rs) if rs.contains(&role))),
            "{role}"
        );
    }
    for r in ROUTES {
        if let Access::Roles(rs) = r.access
            && rs.contains(&Role::Ingest)
        {
            assert!(
                r.path.starts_with("/v1/") && r.name.starts_with("segment."),
                "{}",
                r.name
            );
        }
    }
    server.stop();
}

#[test]
fn keys_are_revocable_creatable_over_http_and_stored_only_as_tags() {
    let env = Env::new("example-retail.yaml");
    let extra = env.json(&[
        "apikey",
        "create",
        "--role",
        "ingest",
        "--name",
        "to-revoke",
    ]);
    let revoked_key = extra["key"].as_str().unwrap().to_string();
    let revoked_id = extra["id"].as_str().unwrap().to_string();
    let out = env.json(&["apikey", "revoke", &revoked_id]);
    assert!(out["revoked_at"].is_string());
    let keys = http_common::keys_for(&env);
    let listed = env.json(&["apikey", "list"]);
    assert_eq!(listed.as_array().unwrap().len(), 7);
    assert!(
        !listed.to_string().contains(&revoked_key[20..]),
        "list never shows a secret"
    );
    // No key's secret is on disk.
    let secrets: Vec<String> = keys
        .values()
        .chain([&revoked_key])
        .map(|k| k[20..].to_string())
        .collect();
    assert!(scan_files(&env.data_dir, &secrets).is_empty());

    let server = Server::start_with_keys(env, keys, &[]);
    let event = json!({"userId": "r-1", "event": "Order Completed"});
    assert_eq!(
        server.post("/v1/track", Some(&revoked_key), &event).status,
        401
    );
    // An admin makes a key over HTTP; it works at once, and stops at once when revoked.
    let admin = server.key(Role::Admin).to_string();
    let made = server.post(
        "/v1/apikeys",
        Some(&admin),
        &json!({"name": "web", "role": "ingest"}),
    );
    assert_eq!(made.status, 201, "{:?}", made.body);
    let new_key = made.body["key"].as_str().unwrap().to_string();
    assert_eq!(server.post("/v1/track", Some(&new_key), &event).status, 200);
    let bad_role = server.post(
        "/v1/apikeys",
        Some(&admin),
        &json!({"name": "x", "role": "root"}),
    );
    assert_eq!(bad_role.status, 400);
    let id = made.body["id"].as_str().unwrap();
    let gone = answer(
        server
            .request("DELETE", &format!("/v1/apikeys/{id}"), Some(&admin))
            .call(),
    );
    assert_eq!(gone.status, 200, "{:?}", gone.body);
    assert_eq!(server.post("/v1/track", Some(&new_key), &event).status, 401);
    let again = answer(
        server
            .request("DELETE", &format!("/v1/apikeys/{id}"), Some(&admin))
            .call(),
    );
    assert_eq!(again.status, 409);
    let list = server.get("/v1/apikeys", Some(&admin));
    assert_eq!(list.body["keys"].as_array().unwrap().len(), 8);
    // Bearer works as well as Basic.
    let bearer = answer(
        ureq::get(&format!("http://{}/v1/policy", server.addr))
            .set(
                "Authorization",
                &format!("Bearer {}", server.key(Role::Auditor)),
            )
            .call(),
    );
    assert_eq!(bearer.status, 200);
    let env = server.stop();
    let log = env.json(&["audit", "log"]);
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.iter().filter(|a| **a == "apikey.create").count(), 8);
    assert_eq!(actions.iter().filter(|a| **a == "apikey.revoke").count(), 2);
}

#[test]
fn rate_limits_answer_429_with_retry_after_per_key() {
    let server = Server::start(
        Env::new("example-retail.yaml"),
        &["--rate-per-second", "0.5", "--rate-burst", "3"],
    );
    let key = server.key(Role::Auditor).to_string();
    for _ in 0..3 {
        assert_eq!(server.get("/v1/policy", Some(&key)).status, 200);
    }
    let limited = server.get("/v1/policy", Some(&key));
    assert_eq!(limited.status, 429);
    assert_eq!(limited.body["error"]["code"], "rate_limited");
    let wait: u64 = limited.retry_after.unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    // Another key has its own budget; probes need none.
    assert_eq!(
        server.get("/v1/policy", Some(server.key(Role::Dpo))).status,
        200
    );
    assert_eq!(server.get("/healthz", None).status, 200);
    server.stop();
}

#[test]
fn failed_authentications_from_an_address_are_limited_before_any_key_is_checked() {
    let server = Server::start(
        Env::new("example-retail.yaml"),
        &["--auth-failure-burst", "3"],
    );
    let wrong =
        "ck_0000000000000000_0000000000000000000000000000000000000000000000000000000000000000";
    for _ in 0..3 {
        assert_eq!(server.get("/v1/policy", Some(wrong)).status, 401);
    }
    // Even the right key is refused now: the address is limited, not the key (guessing is what is slowed down).
    let refused = server.get("/v1/policy", Some(server.key(Role::Auditor)));
    assert_eq!(refused.status, 429, "{:?}", refused.body);
    assert_eq!(
        refused.body["error"]["code"],
        "too_many_failed_authentications"
    );
    let wait: u64 = refused.retry_after.unwrap().parse().unwrap();
    assert!((1..=5).contains(&wait), "{wait}");
    // Probes stay open, and a refused request counted nothing more: the wait did not grow.
    assert_eq!(server.get("/healthz", None).status, 200);
    let again = server.get("/v1/policy", Some(wrong));
    assert_eq!(again.status, 429);
    assert!(again.retry_after.unwrap().parse::<u64>().unwrap() <= wait);
    server.stop();
}

#[test]
fn past_the_connection_cap_the_server_waits_for_a_connection_to_close() {
    use std::io::{Read as _, Write as _};
    let server = Server::start(Env::new("example-retail.yaml"), &["--max-connections", "2"]);
    // Two idle connections take both places.
    let first = std::net::TcpStream::connect(&server.addr).unwrap();
    let second = std::net::TcpStream::connect(&server.addr).unwrap();
    let mut third = std::net::TcpStream::connect(&server.addr).unwrap();
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: cohort\r\nConnection: close\r\n\r\n")
        .unwrap();
    third
        .set_read_timeout(Some(std::time::Duration::from_millis(1500)))
        .unwrap();
    let mut buf = [0u8; 64];
    assert!(
        third.read(&mut buf).is_err(),
        "the third connection was served while two were open"
    );
    // One closes: the third is accepted and answered.
    drop(first);
    third
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut answer_text = String::new();
    third.read_to_string(&mut answer_text).unwrap();
    assert!(answer_text.starts_with("HTTP/1.1 200"), "{answer_text}");
    drop(second);
    server.stop();
}
