//! Federation over HTTP: `cohort-federation`'s protocol carried by this server.
//!
//! - `POST /v1/federation/query` (**peer endpoint**, [`Access::Peer`](crate::routes::Access::Peer)): a coordinator's
//!   signed query, the envelope in the [`ENVELOPE_HEADER`] header and the raw body it signs (at most
//!   `MAX_QUERY_BYTES`). `auth::authorise_peer` verifies it before anything is read from the store; then this host
//!   counts the segment under its own policy (threshold, noise, budget charged to `peer:<coordinator>`) with the
//!   same `count_segment` as `cohort segment count`, and answers the released rows, signed, the envelope again in
//!   the header. Refusals are plain JSON errors ([`refusal`]): 401 unsigned, bad signature, altered body, wrong
//!   recipient, expired, from the future, signed before this host started, replayed; 403 not a peer; 400 a
//!   malformed envelope or query; 413 too large; 429 this host's budget for the coordinator is spent; 503 with
//!   `Retry-After` when the replay cache is full.
//! - `POST /v1/federation/count` (**coordinator endpoint**, analyst role) `{"segment", "purpose", "by"?, "sums"?}`:
//!   signs the query for every listed peer and posts them all at once, each under the `serve.federation_timeout`
//!   (a task per peer under `tokio::time::timeout`; a request given up on is forgotten, so a late answer is
//!   refused), counts this host's own part meanwhile (charged to the API key's name, like a local count), verifies
//!   every answer, merges with `cohort_federation::merge` and answers the `MergedCount`.
//!
//! Bodies are never logged. What crosses hosts is exactly the query and the released rows (see
//! `cohort_federation::messages`).

use crate::App;
use crate::auth::PeerDenied;
use crate::reply::{self, Reply};
use crate::segments::{count_metrics, output_error, parse, reserved_requester};
use cohort_federation::messages::{MAX_ANSWER_BYTES, MAX_QUERY_BYTES};
use cohort_federation::{
    ENVELOPE_HEADER, FederatedAnswer, FederatedQuery, Federation, FederationError, MergedCount,
    PeerOutcome, PeerResult, VerifiedQuery, merge, unix_now,
};
use cohort_outputs::CountRequest;
use hyper::StatusCode;
use hyper::header::{HeaderName, HeaderValue, RETRY_AFTER};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// The path of the peer endpoint, appended to a peer's base URL.
pub const QUERY_PATH: &str = "/v1/federation/query";

/// Seconds a coordinator is asked to wait when this host's replay cache is full. Nonces leave the cache as their
/// clock window passes, so a minute frees the room taken by the messages of a minute earlier.
pub const REPLAY_FULL_RETRY_AFTER_SECS: u64 = 60;

/// The largest body of the peer endpoint.
pub const MAX_PEER_BODY_BYTES: usize = MAX_QUERY_BYTES;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountBody {
    segment: String,
    purpose: String,
    #[serde(default)]
    by: Vec<String>,
    #[serde(default)]
    sums: Vec<String>,
}

/// The answer to a peer request refused before it was answered.
pub fn denied(d: &PeerDenied) -> Reply {
    match d {
        PeerDenied::NoFederation => reply::error(
            StatusCode::FORBIDDEN,
            "not_a_peer",
            "this host has no federation identity (serve.federation_key) and answers no peer",
        ),
        PeerDenied::Refused(e) => refusal(e),
    }
}

/// The answer for a refused federation message or a failed count: see the module documentation for the statuses.
pub fn refusal(e: &FederationError) -> Reply {
    use FederationError as F;
    let (status, code) = match e {
        F::Unsigned => (StatusCode::UNAUTHORIZED, "unsigned"),
        F::BodyMismatch { .. } => (StatusCode::UNAUTHORIZED, "body_mismatch"),
        F::BadSignature { .. } => (StatusCode::UNAUTHORIZED, "bad_signature"),
        F::WrongRecipient { .. } => (StatusCode::UNAUTHORIZED, "wrong_recipient"),
        F::Expired { .. } => (StatusCode::UNAUTHORIZED, "expired"),
        F::FromTheFuture { .. } => (StatusCode::UNAUTHORIZED, "from_the_future"),
        F::BeforeStart { .. } => (StatusCode::UNAUTHORIZED, "before_start"),
        F::Replayed { .. } => (StatusCode::UNAUTHORIZED, "replayed"),
        F::UnknownSender { .. } | F::NotAPeer(_) => (StatusCode::FORBIDDEN, "not_a_peer"),
        F::MalformedEnvelope(_) => (StatusCode::BAD_REQUEST, "malformed_envelope"),
        F::WrongKind { .. } => (StatusCode::BAD_REQUEST, "wrong_kind"),
        F::InvalidMessage { .. } => (StatusCode::BAD_REQUEST, "invalid_query"),
        F::BodyTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
        F::ReplayCacheFull { .. } => {
            let mut r = reply::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "replay_cache_full",
                e.to_string(),
            );
            r.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(REPLAY_FULL_RETRY_AFTER_SECS));
            return r;
        }
        F::Count(out) => return output_error(out),
        F::Aggregate(cohort_aggregate::AggregateError::TooManyCells { .. }) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "table_too_large")
        }
        _ => {
            tracing::error!("federation request failed: {e}");
            return reply::internal();
        }
    };
    reply::error(status, code, e.to_string())
}

/// `POST /v1/federation/query`, after `auth::authorise_peer` verified it: this host's count, signed.
pub async fn query(app: Arc<App>, request: VerifiedQuery) -> Reply {
    let work = tokio::task::spawn_blocking(move || {
        let Some(federation) = app.federation.as_deref() else {
            // A verified query exists only where a federation does.
            return reply::internal();
        };
        let answered = federation.answer(&request, |local| {
            let report = cohort_outputs::count_segment(local.request(
                &app.store,
                &app.policy,
                time::OffsetDateTime::now_utc(),
            ));
            if let Ok(r) = &report {
                count_metrics(&app, r);
            }
            report
        });
        let signed =
            answered.and_then(|answer| federation.sign_answer(&request, &answer, unix_now()));
        match signed {
            Ok(message) => {
                let header = message.header();
                let mut r = reply::bytes(StatusCode::OK, "application/json", message.body);
                match HeaderValue::from_str(&header) {
                    Ok(v) => {
                        r.headers_mut()
                            .insert(HeaderName::from_static(ENVELOPE_HEADER), v);
                        r
                    }
                    Err(_) => reply::internal(),
                }
            }
            Err(e) => refusal(&e),
        }
    });
    match work.await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("a federation query panicked: {e}");
            reply::internal()
        }
    }
}

/// `POST /v1/federation/count`; `requester` is the API key's name.
pub async fn count(app: Arc<App>, body: Value, requester: String) -> Reply {
    let Some(federation) = app.federation.clone() else {
        return reply::error(
            StatusCode::CONFLICT,
            "federation_not_configured",
            "this host does not federate: create its identity with `cohort peer keygen`, name the key file as \
             serve.federation_key and list its peers as [[peers]] in cohort.toml",
        );
    };
    let req: CountBody = match parse(
        body,
        r#"{"segment": ..., "purpose": ..., "by"?: [...], "sums"?: [...]}"#,
    ) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    if let Some(refusal) = reserved_requester(&requester) {
        return refusal;
    }
    let query = FederatedQuery {
        segment: req.segment,
        purpose: req.purpose,
        by: req.by,
        sums: req.sums,
        requester,
        coordinator: federation.name().to_owned(),
    };
    if let Err(e) = query.check() {
        return refusal(&e);
    }
    match coordinate(&app, &federation, &query).await {
        Ok(merged) => reply::json(StatusCode::OK, &json!(merged)),
        Err(e @ FederationError::NoAnswers(_)) => {
            reply::error(StatusCode::BAD_GATEWAY, "no_answers", e.to_string())
        }
        Err(e) => refusal(&e),
    }
}

/// The coordinator's work: every peer asked at once (each within the fan-out timeout), this host's own part
/// counted meanwhile, the answers verified, then merged.
pub async fn coordinate(
    app: &Arc<App>,
    federation: &Arc<Federation>,
    query: &FederatedQuery,
) -> Result<MergedCount, FederationError> {
    let now = unix_now();
    let timeout = app.settings.federation_timeout;
    let mut asked = Vec::new();
    for peer in federation.peers().iter() {
        let signed = match federation.sign_request(peer.name(), query, now) {
            Ok(s) => s,
            Err(e) => {
                asked.push((peer.name().to_owned(), None, Err(e.to_string())));
                continue;
            }
        };
        let request_id = signed.request_id().to_owned();
        let url = format!("{}{QUERY_PATH}", peer.url());
        let client = app.client.clone();
        let task = tokio::spawn(async move {
            let header = signed.header();
            tokio::time::timeout(
                timeout,
                client.post_json(
                    &url,
                    &[(ENVELOPE_HEADER, header.as_str())],
                    signed.body,
                    MAX_ANSWER_BYTES,
                ),
            )
            .await
        });
        asked.push((peer.name().to_owned(), Some(request_id), Ok(task)));
    }

    let own = {
        let app = app.clone();
        let federation = federation.clone();
        let query = query.clone();
        tokio::task::spawn_blocking(move || own_part(&app, &federation, &query))
    };
    let mut results = vec![PeerResult {
        host: federation.name().to_owned(),
        outcome: own.await.unwrap_or_else(|_| {
            PeerOutcome::Failed("this host's own count failed unexpectedly".into())
        }),
    }];

    for (host, request_id, task) in asked {
        let outcome = match task {
            Err(reason) => PeerOutcome::Failed(reason),
            Ok(handle) => match handle.await {
                Ok(Ok(Ok(response))) => receive(federation, &response),
                Ok(Ok(Err(transport))) => PeerOutcome::Failed(transport.to_string()),
                Ok(Err(_elapsed)) => PeerOutcome::TimedOut,
                Err(_) => PeerOutcome::Failed("the request task failed".into()),
            },
        };
        if !matches!(outcome, PeerOutcome::Answered(_))
            && let Some(id) = &request_id
        {
            // Given up on: a late or second answer to it is refused.
            federation.forget(id);
        }
        results.push(PeerResult { host, outcome });
    }

    let query = query.clone();
    match tokio::task::spawn_blocking(move || merge(&query, results)).await {
        Ok(merged) => merged,
        Err(_) => Err(FederationError::NoAnswers(
            "merging the answers failed unexpectedly".into(),
        )),
    }
}

/// A peer's HTTP answer, verified: a signed answer to the request it was sent, or a failure with its reason.
fn receive(federation: &Federation, response: &crate::client::Response) -> PeerOutcome {
    if response.status != 200 {
        return PeerOutcome::Failed(format!(
            "HTTP {}: {}",
            response.status,
            response.error_message()
        ));
    }
    match federation.verify_answer(response.header(ENVELOPE_HEADER), &response.body, unix_now()) {
        Ok(answer) => PeerOutcome::Answered(answer),
        Err(e) => PeerOutcome::Failed(format!("answer refused: {e}")),
    }
}

/// This host's own part of a federated count: its own `count_segment`, charged to the requester like a local count.
fn own_part(app: &App, federation: &Federation, query: &FederatedQuery) -> PeerOutcome {
    let report = cohort_outputs::count_segment(CountRequest {
        store: &app.store,
        policy: &app.policy,
        segment: &query.segment,
        purpose: &query.purpose,
        by: &query.by,
        sums: &query.sums,
        requester: &query.requester,
        dry_run: false,
        now: time::OffsetDateTime::now_utc(),
    });
    match report {
        Ok(report) => {
            count_metrics(app, &report);
            PeerOutcome::Answered(FederatedAnswer::from_report(federation.name(), &report))
        }
        Err(e) => PeerOutcome::Failed(e.to_string()),
    }
}
