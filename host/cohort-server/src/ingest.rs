//! The Segment-compatible tracking endpoints: map the messages ([`crate::segment_compat`]), validate each record
//! against the record schema and prepare it under the policy exactly as `cohort ingest` does (normalise,
//! pseudonymise, minimise, generalise, check consent purposes), then hand them to the group-commit writer and
//! answer `{"success": true}` once they are durable. A request with any invalid message stores nothing.

use crate::App;
use crate::reply::{self, Reply};
use crate::segment_compat::Mapper;
use cohort_ingest::prepare::{Prepared, Preparer};
use hyper::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

/// Handles one `/v1/<call>` (`call` set) or `/v1/batch` (`call` `None`) request.
pub async fn handle(
    app: Arc<App>,
    call: Option<&'static str>,
    body: Value,
    gpc: bool,
    key_id: String,
) -> Reply {
    let work = {
        let app = app.clone();
        tokio::task::spawn_blocking(move || prepare(&app, call, &body, gpc))
    };
    let (prepared, skipped) = match work.await {
        Ok(Ok(p)) => p,
        Ok(Err(fields)) => {
            return reply::invalid_fields(
                "the request has invalid messages; nothing was stored",
                fields,
            );
        }
        Err(e) => {
            tracing::error!("preparing a request panicked: {e}");
            return reply::internal();
        }
    };
    app.metrics.add_messages_skipped(skipped);
    if prepared.is_empty() {
        return reply::success();
    }
    let Some(committer) = app.committer() else {
        return reply::error(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the server is shutting down; nothing was stored, send again",
        );
    };
    match committer.commit(prepared, &key_id).await {
        Ok(()) => reply::success(),
        Err(()) => reply::internal(),
    }
}

/// Maps, validates and prepares; `Err` holds the problems as JSON (field and message, never a value).
fn prepare(
    app: &App,
    call: Option<&str>,
    body: &Value,
    gpc: bool,
) -> Result<(Vec<Prepared>, u64), Value> {
    let now = time::OffsetDateTime::now_utc();
    let mapper = Mapper::new(
        &app.policy,
        &app.settings.consent_categories,
        app.settings.gpc_purposes.as_deref(),
    );
    let mapped = mapper
        .map_request(call, body, gpc, now)
        .map_err(|problems| json!(problems))?;
    let preparer = Preparer::new(&app.policy, app.store.keys().pseudonymiser());
    let mut prepared = Vec::with_capacity(mapped.records.len());
    let mut problems = Vec::new();
    for (record, origin) in mapped.records.iter().zip(&mapped.origins) {
        let prefix = if call.is_some() {
            String::new()
        } else {
            format!("batch[{origin}]: ")
        };
        let errors = cohort_ingest::schema::validate(record);
        let result = if errors.is_empty() {
            preparer.prepare(record, now)
        } else {
            Err(errors)
        };
        match result {
            Ok(p) => prepared.push(p),
            Err(errors) => problems.extend(errors.into_iter().map(
                |e| json!({"field": format!("{prefix}record.{}", e.field), "message": e.message}),
            )),
        }
    }
    if problems.is_empty() {
        Ok((prepared, mapped.skipped))
    } else {
        Err(Value::Array(problems))
    }
}
