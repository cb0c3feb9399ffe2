//! The segment endpoints, under exactly the privacy rules of `cohort segment`: they call the same library
//! functions (`cohort_outputs::{list_segments, count_segment, export_segment, RunView}`,
//! `cohort_segments::{installed, run_segmenter}`), so thresholds, noise, budgets, consent checks, refusals and audit
//! entries are the CLI's. Store and plugin work runs on blocking threads.
//!
//! - `GET /v1/segments`: the latest run of every plugin and purpose, sizes through the threshold;
//! - `POST /v1/segments/run` `{"plugin", "purpose", "config"?}`: runs an installed segmenter, answers the run
//!   report as `cohort segment run` prints it ([`cohort_outputs::RunView`]);
//! - `POST /v1/segments/count` `{"segment", "purpose", "by"?, "sums"?, "dry_run"?}`: the requester, whose budget
//!   is charged, is the API key's name; an overspent budget is `429` with the budget named;
//! - `POST /v1/segments/export` `{"segment", "purpose", "format"?}`: per-subject purposes only; refusals are `403`
//!   (an aggregate-only purpose) or `422` (fewer people than `min_export_size`).

use crate::App;
use crate::reply::{self, Reply};
use cohort_outputs::{CountRequest, ExportRequest, OutputError, RunView};
use cohort_plugin_package::PackageError;
use cohort_plugins::Runtime;
use cohort_segments::{SegmentError, installed};
use hyper::StatusCode;
use hyper::header::{HeaderValue, RETRY_AFTER};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Requester names a key may not count under: `peer:<host>` is the budget a federation peer's queries are charged
/// to (`cohort_federation::FederatedQuery::peer_requester`), and a key named so would spend it.
pub const RESERVED_REQUESTER_PREFIX: &str = "peer:";

/// The plugin side of the server: where installed packages are, the sandbox runtime (made on the first run and
/// kept), and whether a run is in progress.
pub struct PluginHost {
    dir: Option<PathBuf>,
    runtime: Mutex<Option<Arc<Runtime>>>,
    running: AtomicBool,
}

impl std::fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHost")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// Marks a run in progress until dropped.
struct Running<'a>(&'a AtomicBool);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl PluginHost {
    /// Plugins installed in `dir` (none: runs are refused).
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self {
            dir,
            runtime: Mutex::new(None),
            running: AtomicBool::new(false),
        }
    }

    fn runtime(&self) -> Result<Arc<Runtime>, SegmentError> {
        let mut slot = self
            .runtime
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(r) = slot.as_ref() {
            return Ok(r.clone());
        }
        let runtime = Arc::new(Runtime::new()?);
        *slot = Some(runtime.clone());
        Ok(runtime)
    }

    /// One run at a time: a run uses every core it can and rewrites the memberships counts read, and the
    /// sandbox's instance pool is sized for one run's instances.
    fn start(&self) -> Option<Running<'_>> {
        self.running
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .ok()
            .map(|_| Running(&self.running))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunBody {
    plugin: String,
    purpose: String,
    #[serde(default)]
    config: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountBody {
    segment: String,
    purpose: String,
    #[serde(default)]
    by: Vec<String>,
    #[serde(default)]
    sums: Vec<String>,
    #[serde(default)]
    dry_run: bool,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum ExportFormat {
    #[default]
    Json,
    Csv,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportBody {
    segment: String,
    purpose: String,
    #[serde(default)]
    format: ExportFormat,
}

/// Parses a request body; the error is the 400 answer naming what is expected.
pub(crate) fn parse<T: DeserializeOwned>(body: Value, expected: &str) -> Result<T, Box<Reply>> {
    serde_json::from_value(body).map_err(|e| {
        Box::new(reply::error(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("expected {expected}: {e}"),
        ))
    })
}

/// Runs `f` on a blocking thread; a panic is a 500.
async fn blocking(app: Arc<App>, f: impl FnOnce(&App) -> Reply + Send + 'static) -> Reply {
    match tokio::task::spawn_blocking(move || f(&app)).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("a segment request panicked: {e}");
            reply::internal()
        }
    }
}

/// `GET /v1/segments`.
pub async fn list(app: Arc<App>) -> Reply {
    blocking(app, |app| {
        match cohort_outputs::list_segments(&app.store, &app.policy) {
            Ok(runs) => reply::json(StatusCode::OK, &json!({"runs": runs})),
            Err(e) => output_error(&e),
        }
    })
    .await
}

/// `POST /v1/segments/run`.
pub async fn run(app: Arc<App>, body: Value, actor: String) -> Reply {
    let req: RunBody = match parse(body, r#"{"plugin": ..., "purpose": ..., "config"?: {...}}"#) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    blocking(app, move |app| {
        let Some(dir) = app.plugins.dir.as_deref() else {
            return reply::error(
                StatusCode::CONFLICT,
                "no_plugin_folder",
                "this server has no plugin folder; start it with one (`--plugin-dir`, COHORT_PLUGIN_DIR or \
                 `plugin_dir` in cohort.toml)",
            );
        };
        let Some(_running) = app.plugins.start() else {
            return reply::error(
                StatusCode::CONFLICT,
                "run_in_progress",
                "a segmentation run is in progress on this server; try again when it has finished",
            );
        };
        let config = req.config.unwrap_or_else(|| json!({}));
        let result = installed::trusted_installed(
            &app.store,
            &app.policy,
            &actor,
            dir,
            &req.plugin,
        )
        .and_then(|package| {
            let runtime = app.plugins.runtime()?;
            let loaded =
                installed::load_audited(&app.store, &app.policy, &actor, &runtime, &package)?;
            app.metrics.add_plugin_runs(1);
            cohort_segments::run_segmenter(cohort_segments::RunRequest {
                store: &app.store,
                policy: &app.policy,
                package: &package,
                plugin: &loaded,
                purpose: &req.purpose,
                config: &config,
                actor: &actor,
                now: time::OffsetDateTime::now_utc(),
                chunk: cohort_segments::DEFAULT_CHUNK,
            })
        });
        match result {
            Ok(report) => reply::json(
                StatusCode::OK,
                &json!(RunView::new(&report, &app.policy)),
            ),
            Err(e) => segment_error(&e),
        }
    })
    .await
}

/// `POST /v1/segments/count`; `requester` is the API key's name.
pub async fn count(app: Arc<App>, body: Value, requester: String) -> Reply {
    let req: CountBody = match parse(
        body,
        r#"{"segment": ..., "purpose": ..., "by"?: [...], "sums"?: [...], "dry_run"?: bool}"#,
    ) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    if let Some(refusal) = reserved_requester(&requester) {
        return refusal;
    }
    blocking(app, move |app| {
        let result = cohort_outputs::count_segment(CountRequest {
            store: &app.store,
            policy: &app.policy,
            segment: &req.segment,
            purpose: &req.purpose,
            by: &req.by,
            sums: &req.sums,
            requester: &requester,
            dry_run: req.dry_run,
            now: time::OffsetDateTime::now_utc(),
        });
        match result {
            Ok(report) => {
                count_metrics(app, &report);
                reply::json(StatusCode::OK, &json!(report))
            }
            Err(e) => output_error(&e),
        }
    })
    .await
}

/// A count's suppressed rows and spent budget, into the metrics (nothing for a dry run).
pub(crate) fn count_metrics(app: &App, report: &cohort_outputs::CountReport) {
    if report.dry_run {
        return;
    }
    app.metrics.add_cells_suppressed(report.suppressed);
    if let Some(dp) = &report.differential_privacy {
        app.metrics.add_budget_spent(dp.epsilon);
    }
}

/// The refusal for a requester name in the reserved `peer:` space, if it is one.
pub(crate) fn reserved_requester(requester: &str) -> Option<Reply> {
    requester.starts_with(RESERVED_REQUESTER_PREFIX).then(|| {
        reply::error(
            StatusCode::FORBIDDEN,
            "reserved_requester",
            format!(
                "this API key's name starts with `{RESERVED_REQUESTER_PREFIX}`, which names federation peers' \
                 budgets; make a key with another name"
            ),
        )
    })
}

/// `POST /v1/segments/export`.
pub async fn export(app: Arc<App>, body: Value, actor: String) -> Reply {
    let req: ExportBody = match parse(
        body,
        r#"{"segment": ..., "purpose": ..., "format"?: "json" | "csv"}"#,
    ) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    blocking(app, move |app| {
        let result = cohort_outputs::export_segment(ExportRequest {
            store: &app.store,
            policy: &app.policy,
            segment: &req.segment,
            purpose: &req.purpose,
            requester: &actor,
        });
        match (result, req.format) {
            (Ok(export), ExportFormat::Json) => reply::json(StatusCode::OK, &json!(export)),
            (Ok(export), ExportFormat::Csv) => {
                reply::text(StatusCode::OK, "text/csv; charset=utf-8", export.to_csv())
            }
            (Err(e), _) => output_error(&e),
        }
    })
    .await
}

/// The answer for an output error: the caller's mistakes 4xx with the library's message (which names the
/// segment, purpose, attribute or budget, never a person), refusals by the privacy rules 403 / 422 / 429, store
/// and internal failures 500.
pub fn output_error(e: &OutputError) -> Reply {
    let (status, code) = match e {
        OutputError::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
        OutputError::UnknownPurpose { .. } => (StatusCode::BAD_REQUEST, "unknown_purpose"),
        OutputError::UnknownSegment { .. } => (StatusCode::NOT_FOUND, "unknown_segment"),
        OutputError::AmbiguousSegment { .. } => (StatusCode::BAD_REQUEST, "ambiguous_segment"),
        OutputError::NotPerSubject { .. } => (StatusCode::FORBIDDEN, "aggregate_only_purpose"),
        OutputError::ExportTooSmall { .. } => {
            (StatusCode::UNPROCESSABLE_ENTITY, "export_too_small")
        }
        OutputError::BudgetExceeded { period, .. } => {
            let mut r = reply::error(
                StatusCode::TOO_MANY_REQUESTS,
                "budget_exceeded",
                e.to_string(),
            );
            if let Some(wait) = budget_retry_after(period, time::OffsetDateTime::now_utc()) {
                r.headers_mut().insert(RETRY_AFTER, HeaderValue::from(wait));
            }
            return r;
        }
        OutputError::Aggregate(cohort_aggregate::AggregateError::TooManyCells { .. }) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "table_too_large")
        }
        OutputError::Aggregate(_)
        | OutputError::Corrupt(_)
        | OutputError::Noise(_)
        | OutputError::Store(_) => {
            tracing::error!("output failed: {e}");
            return reply::internal();
        }
    };
    reply::error(status, code, e.to_string())
}

/// Seconds until the budget period `period` (`day:YYYY-MM-DD` or `month:YYYY-MM`, UTC) that is current at `now`
/// ends, when a new period brings a new budget.
pub fn budget_retry_after(period: &str, now: time::OffsetDateTime) -> Option<u64> {
    let now = now.to_offset(time::UtcOffset::UTC);
    let today = now.date();
    let end = if period.starts_with("day:") {
        today.next_day()?
    } else if period.starts_with("month:") {
        let (year, month) = match today.month() {
            time::Month::December => (today.year() + 1, time::Month::January),
            m => (today.year(), m.next()),
        };
        time::Date::from_calendar_date(year, month, 1).ok()?
    } else {
        return None;
    };
    let seconds = (end.midnight().assume_utc() - now).whole_seconds();
    u64::try_from(seconds).ok().map(|s| s.max(1))
}

fn segment_error(e: &SegmentError) -> Reply {
    let (status, code) = match e {
        SegmentError::NotInstalled { .. } => (StatusCode::NOT_FOUND, "plugin_not_installed"),
        SegmentError::NotAllowed(PackageError::UnknownPurpose { .. }) => {
            (StatusCode::BAD_REQUEST, "unknown_purpose")
        }
        SegmentError::NotAllowed(_) => (StatusCode::FORBIDDEN, "plugin_refused"),
        SegmentError::Plugin(_) => (StatusCode::UNPROCESSABLE_ENTITY, "plugin_failed"),
        SegmentError::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
        SegmentError::Store(_) => {
            tracing::error!("segmentation run failed: {e}");
            return reply::internal();
        }
    };
    reply::error(status, code, e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn budgets_renew_at_the_next_utc_day_or_month() {
        let now = datetime!(2026-12-31 23:00:00 UTC);
        assert_eq!(budget_retry_after("day:2026-12-31", now), Some(3_600));
        assert_eq!(budget_retry_after("month:2026-12", now), Some(3_600));
        let mid_month = datetime!(2026-02-10 12:00:00 UTC);
        assert_eq!(
            budget_retry_after("month:2026-02", mid_month),
            Some((18 * 24 + 12) * 3_600)
        );
        assert_eq!(budget_retry_after("week:7", mid_month), None);
    }

    #[test]
    fn peer_budgets_are_reserved() {
        assert!(reserved_requester("peer:hq").is_some());
        assert!(reserved_requester("ana").is_none());
    }
}
