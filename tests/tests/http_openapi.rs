//! `docs/openapi.yaml` and the server's route table describe the same endpoints, with the same roles: every route
//! is documented and every documented operation is a route.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

use cohort_server::{Access, ROUTES};
use cohort_tests::repo_root;
use std::collections::BTreeMap;

/// (METHOD, path) → roles, read from the `paths:` section (two-space indentation, one path or method per line).
fn documented() -> BTreeMap<(String, String), Vec<String>> {
    let text = std::fs::read_to_string(repo_root().join("docs/openapi.yaml")).unwrap();
    assert!(text.starts_with("openapi: 3.1"), "an OpenAPI 3.1 document");
    let mut out = BTreeMap::new();
    let mut in_paths = false;
    let mut path = String::new();
    let mut op: Option<(String, String)> = None;
    for line in text.lines() {
        if !line.starts_with(' ') {
            in_paths = line == "paths:";
            continue;
        }
        if !in_paths {
            continue;
        }
        if let Some(p) = line.strip_prefix("  /") {
            path = format!("/{}", p.trim_end_matches(':'));
        } else if let Some(m) = line.strip_prefix("    ").and_then(|l| l.strip_suffix(':'))
            && ["get", "post", "put", "patch", "delete"].contains(&m)
        {
            let key = (m.to_ascii_uppercase(), path.clone());
            assert!(
                out.insert(key.clone(), Vec::new()).is_none(),
                "{key:?} twice"
            );
            op = Some(key);
        } else if let Some(roles) = line.trim().strip_prefix("x-cohort-roles: ") {
            let list = roles
                .trim_matches(['[', ']'])
                .split(',')
                .map(|r| r.trim().to_string())
                .collect();
            *out.get_mut(op.as_ref().expect("roles after a method"))
                .unwrap() = list;
        }
    }
    out
}

#[test]
fn openapi_documents_exactly_the_route_table() {
    let docs = documented();
    let mut table = BTreeMap::new();
    for r in ROUTES {
        let roles: Vec<String> = match r.access {
            Access::Public => vec!["public".into()],
            Access::Peer => vec!["peer".into()],
            Access::Roles(rs) => rs.iter().map(|r| r.as_str().to_string()).collect(),
        };
        table.insert((r.method.to_string(), r.path.to_string()), roles);
    }
    let missing: Vec<_> = table.keys().filter(|k| !docs.contains_key(*k)).collect();
    let extra: Vec<_> = docs.keys().filter(|k| !table.contains_key(*k)).collect();
    assert!(
        missing.is_empty(),
        "routes not in docs/openapi.yaml: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "documented operations with no route: {extra:?}"
    );
    for (key, roles) in &table {
        let mut want = roles.clone();
        let mut got = docs[key].clone();
        want.sort();
        got.sort();
        assert_eq!(got, want, "x-cohort-roles of {key:?}");
    }
}
