//! Consent and data-subject-rights endpoints: the request bodies, and calls into `cohort-rights`, the same code the
//! CLI's `consent` and `subject` commands run. The person is named in the body (never in the URL, which proxies
//! and logs keep). Every request gets a request id (the caller's `request_id`, or a new one) that is recorded in
//! the audit entry and answered, so `GET /v1/subject-requests/{id}` can report its status.

use crate::App;
use crate::reply::{self, Reply};
use cohort_rights::{ConsentChange, Flag, RightsError, Who};
use cohort_store::ConsentState;
use hyper::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// How a request names a person.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Identifier {
    kind: String,
    value: String,
}

impl From<Identifier> for Who {
    fn from(i: Identifier) -> Self {
        Who {
            kind: i.kind,
            value: i.value,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsentBody {
    identifier: Identifier,
    purpose: String,
    state: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    notice: Option<String>,
    #[serde(default)]
    at: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WhoBody {
    identifier: Identifier,
    #[serde(default)]
    request_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EraseBody {
    identifier: Identifier,
    reason: String,
    #[serde(default)]
    request_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FlagBody {
    identifier: Identifier,
    #[serde(default)]
    lift: bool,
    #[serde(default)]
    request_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RectifyBody {
    identifier: Identifier,
    attributes: serde_json::Map<String, Value>,
    #[serde(default)]
    request_id: Option<String>,
}

/// Which rights operation.
#[derive(Debug, Clone, Copy)]
pub enum Op {
    /// Record a consent change.
    ConsentRecord,
    /// Show consents.
    ConsentShow,
    /// Export.
    Export,
    /// Erase.
    Erase,
    /// Restrict (or lift).
    Restrict,
    /// Object (or lift).
    Object,
    /// Rectify.
    Rectify,
}

/// Parses `body` for `op` and runs it on a blocking thread.
pub async fn handle(app: Arc<App>, op: Op, body: Value, actor: String) -> Reply {
    match tokio::task::spawn_blocking(move || run(&app, op, body, &actor)).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("a rights request panicked: {e}");
            reply::internal()
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, RightsError> {
    serde_json::from_value(body).map_err(|e| RightsError::Invalid {
        field: "body".into(),
        message: format!("does not have the expected fields: {e}"),
    })
}

fn request_id(given: Option<String>) -> Result<String, RightsError> {
    match given {
        Some(id) => cohort_rights::check_request_id(&id).map(|()| id),
        None => Ok(cohort_rights::new_request_id()),
    }
}

fn run(app: &App, op: Op, body: Value, actor: &str) -> Reply {
    let result = match op {
        Op::ConsentRecord => parse::<ConsentBody>(body).map(|b| consent_record(app, b, actor)),
        Op::ConsentShow => parse::<WhoBody>(body).map(|b| {
            cohort_rights::consent_show(&app.store, &app.policy, actor, &b.identifier.into())
                .map(|(id, records)| json!({"subject": id.to_hex(), "consents": records}))
        }),
        Op::Export => parse::<WhoBody>(body).map(|b| {
            let id = request_id(b.request_id)?;
            let doc =
                cohort_rights::export(&app.store, &app.policy, actor, &b.identifier.into(), &id)?;
            Ok(json!({"request_id": id, "status": "completed", "export": doc}))
        }),
        Op::Erase => parse::<EraseBody>(body).map(|b| {
            let id = request_id(b.request_id)?;
            let report = cohort_rights::erase(
                &app.store,
                &app.policy,
                actor,
                &b.identifier.into(),
                &b.reason,
                &id,
            )?;
            Ok(json!({"request_id": id, "status": "completed", "erasure": report}))
        }),
        Op::Restrict | Op::Object => parse::<FlagBody>(body).map(|b| {
            let id = request_id(b.request_id)?;
            let flag = if matches!(op, Op::Restrict) {
                Flag::Restrict
            } else {
                Flag::Object
            };
            let (subject, flags) = cohort_rights::set_flag(
                &app.store,
                &app.policy,
                actor,
                &b.identifier.into(),
                flag,
                b.lift,
                &id,
            )?;
            Ok(
                json!({"request_id": id, "status": "completed", "subject": subject.to_hex(),
                      "restricted": flags.restricted, "objected": flags.objected}),
            )
        }),
        Op::Rectify => parse::<RectifyBody>(body).map(|b| {
            let id = request_id(b.request_id)?;
            let r = cohort_rights::rectify(
                &app.store,
                &app.policy,
                actor,
                &b.identifier.into(),
                &b.attributes,
                &id,
            )?;
            Ok(json!({"request_id": id, "status": "completed", "rectification": r}))
        }),
    };
    match result.and_then(|r| r) {
        Ok(value) => reply::json(StatusCode::OK, &value),
        Err(e) => rights_error(&e),
    }
}

fn consent_record(app: &App, b: ConsentBody, actor: &str) -> Result<Value, RightsError> {
    let state = ConsentState::parse(&b.state).ok_or_else(|| RightsError::Invalid {
        field: "state".into(),
        message: "must be granted, withdrawn or refused".into(),
    })?;
    let change = ConsentChange {
        who: b.identifier.into(),
        purpose: b.purpose,
        state,
        source: b.source.unwrap_or_else(|| "api".into()),
        notice: b.notice,
        method: "api".into(),
        at: b.at,
    };
    let recorded = cohort_rights::record_consent(&app.store, &app.policy, actor, &change)?;
    Ok(json!(recorded))
}

/// The answer for a rights error: the caller's mistakes are 4xx with the library's message (it never holds the
/// identifier), store failures 500.
pub fn rights_error(e: &RightsError) -> Reply {
    match e {
        RightsError::NoSuchSubject | RightsError::Erased => {
            reply::error(StatusCode::NOT_FOUND, "no_such_subject", e.to_string())
        }
        RightsError::Store(err) => {
            tracing::error!("store error in a rights request: {err}");
            reply::internal()
        }
        _ => reply::error(StatusCode::BAD_REQUEST, "invalid_request", e.to_string()),
    }
}

/// `GET /v1/subject-requests/{request_id}`: the audit entries recorded under the request id (found through the
/// store's request index, not by reading the log).
pub async fn request_status(app: Arc<App>, request_id: String) -> Reply {
    let work = tokio::task::spawn_blocking(move || -> Result<Vec<Value>, String> {
        let mut found = Vec::new();
        for (_, bytes) in app
            .store
            .audit_entries_for_request(&request_id)
            .map_err(|e| e.to_string())?
        {
            let entry = cohort_audit::AuditEntry::from_bytes(&bytes).map_err(|e| e.to_string())?;
            found.push(
                json!({"seq": entry.seq, "action": entry.action, "subject": entry.subject,
                       "at": cohort_store::rfc3339(entry.at)}),
            );
        }
        Ok(found)
    });
    match work.await {
        Ok(Ok(entries)) if entries.is_empty() => reply::error(
            StatusCode::NOT_FOUND,
            "no_such_request",
            "no request with that id was recorded",
        ),
        Ok(Ok(entries)) => reply::json(
            StatusCode::OK,
            &json!({"status": "completed", "entries": entries}),
        ),
        Ok(Err(e)) => {
            tracing::error!("reading the audit log: {e}");
            reply::internal()
        }
        Err(_) => reply::internal(),
    }
}
