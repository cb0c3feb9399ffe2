//! The route table: every endpoint, its method, path, handler and the roles allowed to call it. This table is the
//! one place access is declared; `auth::authorise` is the one place it is enforced, and the OpenAPI document
//! (`docs/openapi.yaml`) is checked against it by a test.

use cohort_store::Role;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a key (liveness and readiness probes).
    Public,
    /// A valid key with one of these roles.
    Roles(&'static [Role]),
    /// A federation peer: no API key, but a request signed by a host the `[[peers]]` list names, checked by
    /// `auth::authorise_peer` on the raw body (`cohort_federation::Federation::verify_request`).
    Peer,
}

/// What handles a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    /// Liveness.
    Healthz,
    /// Readiness.
    Readyz,
    /// Prometheus metrics.
    Metrics,
    /// A single Segment call of this type.
    SegmentCall(&'static str),
    /// A Segment batch.
    SegmentBatch,
    /// Record a consent change.
    ConsentRecord,
    /// Show a person's consents.
    ConsentShow,
    /// Art. 15/20 export.
    SubjectExport,
    /// Art. 17 erasure.
    SubjectErase,
    /// Art. 18 restriction.
    SubjectRestrict,
    /// Art. 21 objection.
    SubjectObject,
    /// Art. 16 rectification.
    SubjectRectify,
    /// Status of a data-subject request, from the audit log.
    SubjectRequest,
    /// The policy in force (summary and source hash).
    Policy,
    /// The Art. 30 record of the policy in force (Markdown).
    PolicyExplain,
    /// Audit entries.
    AuditLog,
    /// Audit log verification.
    AuditVerify,
    /// Newest signed checkpoint.
    AuditCheckpoint,
    /// List API keys.
    ApiKeysList,
    /// Create an API key.
    ApiKeysCreate,
    /// Revoke an API key.
    ApiKeysRevoke,
    /// Segments of the latest runs, with thresholded sizes.
    SegmentsList,
    /// Run an installed segmenter for a purpose.
    SegmentsRun,
    /// A thresholded (and, by policy, noised and charged) count of a segment.
    SegmentsCount,
    /// A consented per-subject export of a segment.
    SegmentsExport,
    /// A federation peer's signed query, answered with this host's released count.
    FederationQuery,
    /// A federated count: every peer asked, this host's part added, merged.
    FederationCount,
}

/// One endpoint.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// HTTP method.
    pub method: &'static str,
    /// Path; a `{name}` segment matches any one segment.
    pub path: &'static str,
    /// Short stable name, used in logs and metrics.
    pub name: &'static str,
    /// The handler.
    pub handler: Handler,
    /// Who may call it.
    pub access: Access,
}

use Role::{Admin, Analyst, Auditor, Dpo, Ingest, Marketer};

const INGEST: Access = Access::Roles(&[Ingest]);
const DPO: Access = Access::Roles(&[Dpo]);
const OVERSIGHT: Access = Access::Roles(&[Auditor, Dpo, Admin]);

const fn route(
    method: &'static str,
    path: &'static str,
    name: &'static str,
    handler: Handler,
    access: Access,
) -> Route {
    Route {
        method,
        path,
        name,
        handler,
        access,
    }
}

/// Every route. Writers of new endpoints add a row here and a path in `docs/openapi.yaml`.
///
/// Segment roles: listing and counting are for `analyst` and `marketer` (a marketer sizes a segment before
/// exporting it; every count is thresholded and charged to the key's own budget), and `admin` may list too (it
/// runs the segmenters and checks what they produced); exports, the one per-subject output, are for `marketer`
/// only; runs are for `admin` only, because a run executes plugin code over every lawful profile and rewrites the
/// stored memberships that every count and export then reads: an operator's act, not a query. The federated count
/// is for `analyst`: it spends every peer's budget for this host (`peer:<host>`), which analysts share.
pub const ROUTES: &[Route] = &[
    route(
        "GET",
        "/healthz",
        "healthz",
        Handler::Healthz,
        Access::Public,
    ),
    route("GET", "/readyz", "readyz", Handler::Readyz, Access::Public),
    route(
        "GET",
        "/metrics",
        "metrics",
        Handler::Metrics,
        Access::Roles(&[Admin, Auditor]),
    ),
    route(
        "POST",
        "/v1/identify",
        "segment.identify",
        Handler::SegmentCall("identify"),
        INGEST,
    ),
    route(
        "POST",
        "/v1/track",
        "segment.track",
        Handler::SegmentCall("track"),
        INGEST,
    ),
    route(
        "POST",
        "/v1/page",
        "segment.page",
        Handler::SegmentCall("page"),
        INGEST,
    ),
    route(
        "POST",
        "/v1/screen",
        "segment.screen",
        Handler::SegmentCall("screen"),
        INGEST,
    ),
    route(
        "POST",
        "/v1/group",
        "segment.group",
        Handler::SegmentCall("group"),
        INGEST,
    ),
    route(
        "POST",
        "/v1/alias",
        "segment.alias",
        Handler::SegmentCall("alias"),
        INGEST,
    ),
    route(
        "POST",
        "/v1/batch",
        "segment.batch",
        Handler::SegmentBatch,
        INGEST,
    ),
    route(
        "POST",
        "/v1/consent",
        "consent.record",
        Handler::ConsentRecord,
        DPO,
    ),
    route(
        "POST",
        "/v1/consent/show",
        "consent.show",
        Handler::ConsentShow,
        DPO,
    ),
    route(
        "POST",
        "/v1/subjects/export",
        "subject.export",
        Handler::SubjectExport,
        DPO,
    ),
    route(
        "POST",
        "/v1/subjects/erase",
        "subject.erase",
        Handler::SubjectErase,
        DPO,
    ),
    route(
        "POST",
        "/v1/subjects/restrict",
        "subject.restrict",
        Handler::SubjectRestrict,
        DPO,
    ),
    route(
        "POST",
        "/v1/subjects/object",
        "subject.object",
        Handler::SubjectObject,
        DPO,
    ),
    route(
        "POST",
        "/v1/subjects/rectify",
        "subject.rectify",
        Handler::SubjectRectify,
        DPO,
    ),
    route(
        "GET",
        "/v1/subject-requests/{request_id}",
        "subject.request",
        Handler::SubjectRequest,
        Access::Roles(&[Dpo, Auditor]),
    ),
    route(
        "GET",
        "/v1/policy",
        "policy.show",
        Handler::Policy,
        Access::Roles(&[Auditor, Dpo, Admin, Analyst, Marketer]),
    ),
    route(
        "GET",
        "/v1/policy/explain",
        "policy.explain",
        Handler::PolicyExplain,
        OVERSIGHT,
    ),
    route(
        "GET",
        "/v1/audit/log",
        "audit.log",
        Handler::AuditLog,
        OVERSIGHT,
    ),
    route(
        "GET",
        "/v1/audit/verify",
        "audit.verify",
        Handler::AuditVerify,
        OVERSIGHT,
    ),
    route(
        "GET",
        "/v1/audit/checkpoint",
        "audit.checkpoint",
        Handler::AuditCheckpoint,
        OVERSIGHT,
    ),
    route(
        "GET",
        "/v1/apikeys",
        "apikeys.list",
        Handler::ApiKeysList,
        Access::Roles(&[Admin]),
    ),
    route(
        "POST",
        "/v1/apikeys",
        "apikeys.create",
        Handler::ApiKeysCreate,
        Access::Roles(&[Admin]),
    ),
    route(
        "DELETE",
        "/v1/apikeys/{key_id}",
        "apikeys.revoke",
        Handler::ApiKeysRevoke,
        Access::Roles(&[Admin]),
    ),
    route(
        "GET",
        "/v1/segments",
        "segments.list",
        Handler::SegmentsList,
        Access::Roles(&[Analyst, Marketer, Admin]),
    ),
    route(
        "POST",
        "/v1/segments/run",
        "segments.run",
        Handler::SegmentsRun,
        Access::Roles(&[Admin]),
    ),
    route(
        "POST",
        "/v1/segments/count",
        "segments.count",
        Handler::SegmentsCount,
        Access::Roles(&[Analyst, Marketer]),
    ),
    route(
        "POST",
        "/v1/segments/export",
        "segments.export",
        Handler::SegmentsExport,
        Access::Roles(&[Marketer]),
    ),
    route(
        "POST",
        "/v1/federation/query",
        "federation.query",
        Handler::FederationQuery,
        Access::Peer,
    ),
    route(
        "POST",
        "/v1/federation/count",
        "federation.count",
        Handler::FederationCount,
        Access::Roles(&[Analyst]),
    ),
];

impl Route {
    /// Whether this is one of Segment's tracking endpoints (which also take the write key in the body).
    pub fn is_tracking(&self) -> bool {
        matches!(
            self.handler,
            Handler::SegmentCall(_) | Handler::SegmentBatch
        )
    }
}

/// What a method and path lead to.
#[derive(Debug)]
pub enum Found<'p> {
    /// A route, with the values of its `{...}` segments.
    Route(&'static Route, Vec<&'p str>),
    /// The path exists with other methods.
    MethodNotAllowed(Vec<&'static str>),
    /// No such path.
    NotFound,
}

/// Finds the route for `method` and `path` (no query string).
pub fn find<'p>(method: &str, path: &'p str) -> Found<'p> {
    let mut allowed = Vec::new();
    for r in ROUTES {
        if let Some(params) = matches(r.path, path) {
            if r.method == method {
                return Found::Route(r, params);
            }
            allowed.push(r.method);
        }
    }
    if allowed.is_empty() {
        Found::NotFound
    } else {
        Found::MethodNotAllowed(allowed)
    }
}

fn matches<'p>(pattern: &str, path: &'p str) -> Option<Vec<&'p str>> {
    let mut params = Vec::new();
    let mut want = pattern.split('/');
    let mut got = path.split('/');
    loop {
        match (want.next(), got.next()) {
            (None, None) => return Some(params),
            (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') && !g.is_empty() => {
                params.push(g)
            }
            (Some(w), Some(g)) if w == g => {}
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_found_by_its_own_path_and_names_are_unique() {
        let mut names = std::collections::BTreeSet::new();
        for r in ROUTES {
            assert!(names.insert(r.name), "duplicate name {}", r.name);
            let path = r
                .path
                .replace("{request_id}", "req-1")
                .replace("{key_id}", "ab");
            match find(r.method, &path) {
                Found::Route(found, _) => assert_eq!(found.name, r.name),
                other => panic!("{} {}: {other:?}", r.method, r.path),
            }
        }
    }

    #[test]
    fn wrong_method_and_unknown_path() {
        assert!(matches!(find("GET", "/v1/track"), Found::MethodNotAllowed(m) if m == ["POST"]));
        assert!(matches!(find("GET", "/v1/nope"), Found::NotFound));
        assert!(matches!(
            find("GET", "/v1/subject-requests/"),
            Found::NotFound
        ));
        match find("GET", "/v1/subject-requests/req-9") {
            Found::Route(r, p) => assert_eq!((r.name, p), ("subject.request", vec!["req-9"])),
            other => panic!("{other:?}"),
        }
    }
}
