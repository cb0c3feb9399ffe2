//! Read-only endpoints for auditors and the DPO (the policy in force, its Art. 30 record, the audit log, its
//! verification and newest checkpoint), the admin's API-key endpoints, and the operational probes.

use crate::App;
use crate::reply::{self, Reply};
use base64::Engine as _;
use cohort_store::{ApiKeyError, Role};
use hyper::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// Entries `GET /v1/audit/log` returns by default, and at most (`?tail=N`).
pub const AUDIT_TAIL_DEFAULT: usize = 100;
/// The most entries one `GET /v1/audit/log` returns.
pub const AUDIT_TAIL_MAX: usize = 10_000;

/// `GET /v1/policy`: what the policy in force is and allows, without its text.
pub fn policy(app: &App) -> Reply {
    let p = &app.policy;
    let purposes: Vec<Value> = p
        .purposes()
        .iter()
        .map(|u| {
            json!({"id": u.id, "description": u.description, "legal_basis": u.legal_basis.as_str(),
                   "outputs": u.outputs.as_str(), "attributes": u.attributes, "event_types": u.event_types})
        })
        .collect();
    reply::json(
        StatusCode::OK,
        &json!({"id": p.id(), "version": p.version(), "sha256": p.sha256_hex(),
                "controller": {"name": p.controller().name, "dpo": p.controller().dpo},
                "purposes": purposes,
                "min_group_size": p.aggregates().min_group_size}),
    )
}

/// `GET /v1/policy/explain`: the Art. 30 record of processing, Markdown.
pub fn policy_explain(app: &App) -> Reply {
    reply::text(
        StatusCode::OK,
        "text/markdown; charset=utf-8",
        cohort_policy::explain_markdown(&app.policy),
    )
}

/// Runs blocking store work and turns a failure into a 500.
async fn blocking(app: Arc<App>, f: impl FnOnce(&App) -> Reply + Send + 'static) -> Reply {
    match tokio::task::spawn_blocking(move || f(&app)).await {
        Ok(r) => r,
        Err(_) => reply::internal(),
    }
}

/// `GET /v1/audit/log?tail=N`: the last N entries (default [`AUDIT_TAIL_DEFAULT`]).
pub async fn audit_log(app: Arc<App>, query: Option<String>) -> Reply {
    let tail = match query_param(query.as_deref(), "tail") {
        None => AUDIT_TAIL_DEFAULT,
        Some(t) => match t.parse::<usize>() {
            Ok(n) if (1..=AUDIT_TAIL_MAX).contains(&n) => n,
            _ => {
                return reply::error(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    format!("tail must be a number from 1 to {AUDIT_TAIL_MAX}"),
                );
            }
        },
    };
    blocking(app, move |app| {
        let entries: Result<Vec<(u64, Vec<u8>)>, _> = app.store.audit_entries().collect();
        match entries {
            Ok(entries) => {
                let skip = entries.len().saturating_sub(tail);
                let parsed: Vec<Value> = entries[skip..]
                    .iter()
                    .map(|(_, b)| serde_json::from_slice(b).unwrap_or(Value::Null))
                    .collect();
                reply::json(StatusCode::OK, &json!({"entries": parsed}))
            }
            Err(e) => {
                tracing::error!("reading the audit log: {e}");
                reply::internal()
            }
        }
    })
    .await
}

/// `GET /v1/audit/verify`: recomputes the log against its signed checkpoints. A failed verification is an answer
/// (`ok: false`), not a server error.
pub async fn audit_verify(app: Arc<App>) -> Reply {
    blocking(app, |app| match app.store.verify_audit() {
        Ok(r) => reply::json(
            StatusCode::OK,
            &json!({"ok": true, "entries": r.entries, "checkpoints_checked": r.checkpoints_checked,
                    "root": r.root_hex}),
        ),
        Err(e) => reply::json(
            StatusCode::OK,
            &json!({"ok": false, "error": e.to_string()}),
        ),
    })
    .await
}

/// `GET /v1/audit/checkpoint`: the newest signed checkpoint and the key to check it.
pub async fn audit_checkpoint(app: Arc<App>) -> Reply {
    blocking(app, |app| match app.store.latest_checkpoint() {
        Ok(Some(cp)) => {
            let public = base64::engine::general_purpose::STANDARD
                .encode(app.store.keys().signing_key().public_key());
            reply::json(
                StatusCode::OK,
                &json!({"checkpoint": cp, "public_key": format!("ed25519:{public}")}),
            )
        }
        Ok(None) => reply::error(StatusCode::NOT_FOUND, "empty_log", "the audit log is empty"),
        Err(e) => {
            tracing::error!("reading the audit checkpoint: {e}");
            reply::internal()
        }
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateKey {
    name: String,
    role: String,
}

/// `GET /v1/apikeys`.
pub async fn keys_list(app: Arc<App>) -> Reply {
    blocking(app, |app| match app.store.api_keys() {
        Ok(keys) => reply::json(StatusCode::OK, &json!({"keys": keys})),
        Err(e) => {
            tracing::error!("listing API keys: {e}");
            reply::internal()
        }
    })
    .await
}

/// `POST /v1/apikeys` `{"name", "role"}`: 201 with the key, shown this once.
pub async fn keys_create(app: Arc<App>, body: Value, actor: String) -> Reply {
    let req: CreateKey = match serde_json::from_value(body) {
        Ok(r) => r,
        Err(e) => {
            return reply::error(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                format!("expected {{\"name\": ..., \"role\": ...}}: {e}"),
            );
        }
    };
    let Some(role) = Role::parse(&req.role) else {
        let all: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
        return reply::error(
            StatusCode::BAD_REQUEST,
            "invalid_role",
            format!("role must be one of {}", all.join(", ")),
        );
    };
    blocking(app, move |app| {
        match app.store.create_api_key(&req.name, role, &actor) {
            Ok(new) => reply::json(
                StatusCode::CREATED,
                &json!({"key": new.key, "id": new.info.id, "name": new.info.name,
                        "role": new.info.role, "created_at": new.info.created_at}),
            ),
            Err(ApiKeyError::Store(e)) => {
                tracing::error!("creating an API key: {e}");
                reply::internal()
            }
            Err(e) => reply::error(StatusCode::BAD_REQUEST, "invalid_request", e.to_string()),
        }
    })
    .await
}

/// `DELETE /v1/apikeys/{key_id}`.
pub async fn keys_revoke(app: Arc<App>, id: String, actor: String) -> Reply {
    blocking(app, move |app| {
        match app.store.revoke_api_key(&id, &actor) {
            Ok(info) => reply::json(StatusCode::OK, &json!(info)),
            Err(e @ ApiKeyError::NoSuchKey(_)) => {
                reply::error(StatusCode::NOT_FOUND, "no_such_key", e.to_string())
            }
            Err(e @ ApiKeyError::AlreadyRevoked(_)) => {
                reply::error(StatusCode::CONFLICT, "already_revoked", e.to_string())
            }
            Err(e) => {
                tracing::error!("revoking an API key: {e}");
                reply::internal()
            }
        }
    })
    .await
}

/// The value of `name` in a query string (`a=1&b=2`); no percent-decoding (the parameters are numbers).
pub fn query_param<'q>(query: Option<&'q str>, name: &str) -> Option<&'q str> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}
