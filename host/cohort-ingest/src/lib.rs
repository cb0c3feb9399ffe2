//! Ingest of canonical records: JSONL in, pseudonymised and encrypted subjects out.
//!
//! The pipeline for each line: read with limits ([`reader`]) → parse JSON → validate against the record schema
//! ([`schema`]) → normalise, keyed-hash, minimise and generalise under the policy ([`prepare`]) → apply to a store
//! batch → commit in chunks, each chunk atomic with its audit entry.
//!
//! A file is all-or-nothing by default: a first pass validates every line and, if any line is bad, nothing is stored
//! and every error is reported with file, line and field. With `skip_invalid`, bad lines are reported and skipped.
//!
//! This crate owns the mapping from record fields to store changes; it never writes to disk itself.

pub mod prepare;
pub mod reader;
pub mod schema;

use cohort_policy::Policy;
use cohort_store::{ApplyError, AuditRecord, BatchOptions, ChangeOutcome, Store, StoreError};
use prepare::{DropCounts, Preparer};
use reader::{Line, LineReader};
use schema::FieldError;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Records per commit. Each commit is one sled batch plus one fsync; 2,000 keeps a batch's overlay to a few MiB and
/// a crash loses at most a few hundred milliseconds of work, while the fsync cost is spread thin.
pub const COMMIT_EVERY_RECORDS: usize = 2_000;
/// Prepared records handed from the reading thread to the storing thread at a time.
const PIPELINE_CHUNK: usize = 256;
/// Chunks in flight between the two threads (bounds memory to a few thousand prepared records).
const PIPELINE_DEPTH: usize = 8;
/// Errors kept in full for the report; beyond this they are only counted.
pub const MAX_REPORTED_ERRORS: usize = 1_000;

/// One problem with one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    /// 1-based line number.
    pub line: u64,
    /// Dotted field path, empty for the whole line.
    pub field: String,
    /// What is wrong (never the value itself).
    pub message: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            write!(f, "line {}: {}: {}", self.line, self.field, self.message)
        }
    }
}

/// Errors of an ingest run.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The input could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Some lines are invalid and `skip_invalid` was not set: nothing was stored.
    #[error("{}", render_invalid(path, errors, *invalid_lines))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The first errors.
        errors: Vec<LineError>,
        /// How many lines are invalid in all.
        invalid_lines: u64,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn render_invalid(path: &Path, errors: &[LineError], invalid_lines: u64) -> String {
    let mut s = format!(
        "{}: {invalid_lines} invalid line(s); nothing was stored (use --skip-invalid to store the valid lines)",
        path.display()
    );
    for e in errors {
        s.push_str(&format!("\n  {}:{e}", path.display()));
    }
    if (errors.len() as u64) < invalid_lines {
        s.push_str(&format!("\n  ... and more ({} errors shown)", errors.len()));
    }
    s
}

/// How to run an ingest.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Store the valid lines of a file with bad lines, reporting every skipped line.
    pub skip_invalid: bool,
    /// Who runs it, for the audit log.
    pub actor: String,
    /// Records per commit.
    pub commit_every: usize,
}

impl Default for IngestOptions {
    fn default() -> Self {
        Self {
            skip_invalid: false,
            actor: "cli".into(),
            commit_every: COMMIT_EVERY_RECORDS,
        }
    }
}

/// The outcome of an ingest run; every figure is safe to print.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct IngestSummary {
    /// Non-blank lines read.
    pub lines: u64,
    /// Records stored (created, updated or merged a subject).
    pub stored: u64,
    /// New subjects.
    pub subjects_created: u64,
    /// Records that updated an existing subject.
    pub subjects_updated: u64,
    /// Subjects merged into others because a record linked them.
    pub subjects_merged: u64,
    /// Records refused because an identifier belongs to an erased person.
    pub refused_suppressed: u64,
    /// Records refused by the store for another reason (see `errors`).
    pub refused_other: u64,
    /// Invalid lines skipped (with `skip_invalid`).
    pub invalid_skipped: u64,
    /// What minimisation dropped.
    pub dropped: DropCounts,
    /// Events stored.
    pub events_stored: u64,
    /// Consent events recorded.
    pub consents_recorded: u64,
    /// Commits (each one audit entry).
    pub commits: u64,
    /// Keys the commits wrote to sled (for benchmarks).
    pub keys_written: u64,
    /// Key and value bytes the commits wrote to sled (for benchmarks).
    pub bytes_written: u64,
    /// Errors of skipped or refused lines (the first [`MAX_REPORTED_ERRORS`]).
    pub errors: Vec<LineError>,
}

/// Receives progress from a long ingest.
pub trait Progress {
    /// After the validation pass has read `lines` lines (`bytes` of the input).
    fn validated(&mut self, _lines: u64, _bytes: u64) {}
    /// After a commit: every record up to and including `line` is durable.
    fn committed(&mut self, _line: u64, _summary: &IngestSummary) {}
}

/// A progress sink that ignores everything.
pub struct NoProgress;
impl Progress for NoProgress {}

/// Parses, validates and prepares one line; errors carry the line number.
fn check_line(
    line: Line,
    preparer: &Preparer<'_>,
    now: time::OffsetDateTime,
) -> Result<(u64, prepare::Prepared), (u64, Vec<LineError>)> {
    let (number, text) = match line {
        Line::Text { number, text } => (number, text),
        Line::TooLong { number } => {
            return Err((
                number,
                vec![LineError {
                    line: number,
                    field: String::new(),
                    message: format!("line is longer than {} bytes", reader::MAX_LINE_BYTES),
                }],
            ));
        }
        Line::NotUtf8 { number, at_byte } => {
            return Err((
                number,
                vec![LineError {
                    line: number,
                    field: String::new(),
                    message: format!("invalid UTF-8 at byte {}", at_byte + 1),
                }],
            ));
        }
    };
    let to_line_errors = |errs: Vec<FieldError>| {
        errs.into_iter()
            .map(|e| LineError {
                line: number,
                field: e.field,
                message: e.message,
            })
            .collect::<Vec<_>>()
    };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        (
            number,
            vec![LineError {
                line: number,
                field: String::new(),
                message: format!(
                    "malformed JSON at column {}: {}",
                    e.column(),
                    json_error_kind(&e)
                ),
            }],
        )
    })?;
    let schema_errors = schema::validate(&value);
    if !schema_errors.is_empty() {
        return Err((number, to_line_errors(schema_errors)));
    }
    preparer
        .prepare(&value, now)
        .map(|p| (number, p))
        .map_err(|e| (number, to_line_errors(e)))
}

/// serde_json's message without the excerpt of input it sometimes quotes.
fn json_error_kind(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    }
}

/// Ingests a canonical JSONL file into `store` under `policy`.
pub fn ingest_jsonl_file(
    store: &Store,
    policy: &Policy,
    path: &Path,
    options: &IngestOptions,
    progress: &mut dyn Progress,
) -> Result<IngestSummary, IngestError> {
    let open = || {
        std::fs::File::open(path).map_err(|source| IngestError::Io {
            path: path.to_path_buf(),
            source,
        })
    };
    let preparer = Preparer::new(policy, store.keys().pseudonymiser());
    let now = time::OffsetDateTime::now_utc();

    // Pass 1: validate everything, store nothing.
    let mut invalid: BTreeSet<u64> = BTreeSet::new();
    let mut errors = Vec::new();
    let mut reader = LineReader::new(open()?);
    let mut lines = 0u64;
    while let Some(line) = reader.next_line().map_err(|source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    })? {
        lines += 1;
        if let Err((number, errs)) = check_line(line, &preparer, now) {
            invalid.insert(number);
            for e in errs {
                if errors.len() < MAX_REPORTED_ERRORS {
                    errors.push(e);
                }
            }
        }
        if lines.is_multiple_of(10_000) {
            progress.validated(lines, reader.bytes_read);
        }
    }
    progress.validated(lines, reader.bytes_read);
    if !invalid.is_empty() && !options.skip_invalid {
        return Err(IngestError::Invalid {
            path: path.to_path_buf(),
            errors,
            invalid_lines: invalid.len() as u64,
        });
    }

    // Pass 2: store the valid lines in chunks.
    let mut summary = IngestSummary {
        lines,
        invalid_skipped: invalid.len() as u64,
        errors,
        ..IngestSummary::default()
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // A producer thread reads and prepares lines while this thread stores them: on two cores the CPU-bound
    // preparation (parsing, schema, HMAC) overlaps the store's work. The channel is bounded, so memory stays small.
    let reader = LineReader::new(open()?);
    type Chunk = Result<Vec<(u64, prepare::Prepared)>, IngestError>;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(PIPELINE_DEPTH);
    let invalid = &invalid;
    let preparer = &preparer;
    std::thread::scope(|scope| -> Result<(), IngestError> {
        scope.spawn(move || {
            let mut reader = reader;
            let mut chunk = Vec::with_capacity(PIPELINE_CHUNK);
            loop {
                let line = match reader.next_line() {
                    Err(source) => {
                        let _ = tx.send(Err(IngestError::Io {
                            path: path.to_path_buf(),
                            source,
                        }));
                        return;
                    }
                    Ok(None) => break,
                    Ok(Some(line)) => line,
                };
                let n = match &line {
                    Line::Text { number, .. }
                    | Line::TooLong { number }
                    | Line::NotUtf8 { number, .. } => *number,
                };
                if invalid.contains(&n) {
                    continue;
                }
                match check_line(line, preparer, now) {
                    Ok(p) => chunk.push(p),
                    // A line valid in pass 1 is valid in pass 2 (same bytes, policy and clock) unless the file
                    // changed underneath us.
                    Err((number, _)) => {
                        let _ = tx.send(Err(IngestError::Io {
                            path: path.to_path_buf(),
                            source: std::io::Error::other(format!(
                                "line {number} changed while it was being ingested"
                            )),
                        }));
                        return;
                    }
                }
                if chunk.len() == PIPELINE_CHUNK && tx.send(Ok(std::mem::take(&mut chunk))).is_err()
                {
                    return;
                }
            }
            if !chunk.is_empty() {
                let _ = tx.send(Ok(chunk));
            }
        });
        // Owned here, so that it is dropped when this closure returns, before the scope joins the producer: a
        // producer blocked on a full channel then wakes with an error instead of waiting forever.
        let rx = rx;
        let mut pending = Vec::new().into_iter();
        let mut source = || -> Option<Result<(u64, prepare::Prepared), IngestError>> {
            loop {
                if let Some(item) = pending.next() {
                    return Some(Ok(item));
                }
                match rx.recv() {
                    Ok(Ok(chunk)) => pending = chunk.into_iter(),
                    Ok(Err(e)) => return Some(Err(e)),
                    Err(_) => return None,
                }
            }
        };
        // On a store error the closure (and with it the receiver) is dropped, which stops the producer.
        store_prepared(
            store,
            policy,
            &mut source,
            &file_name,
            options,
            &mut summary,
            progress,
        )
    })?;
    Ok(summary)
}

/// Ingests records already in memory (connectors, the HTTP API, benchmarks): each is validated, prepared and stored;
/// invalid ones are skipped and reported when `options.skip_invalid`, else the first invalid one stops the run before
/// anything is stored.
pub fn ingest_values(
    store: &Store,
    policy: &Policy,
    records: &[serde_json::Value],
    source_name: &str,
    options: &IngestOptions,
    progress: &mut dyn Progress,
) -> Result<IngestSummary, IngestError> {
    let preparer = Preparer::new(policy, store.keys().pseudonymiser());
    let now = time::OffsetDateTime::now_utc();
    let mut summary = IngestSummary {
        lines: records.len() as u64,
        ..IngestSummary::default()
    };
    // Preparation (schema, normalisation, HMAC, minimisation) is independent per record: spread it over the
    // cores, keeping input order, while the store's single writer waits for the result.
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let per = records.len().div_ceil(workers).max(1);
    let prepared: Vec<Result<prepare::Prepared, Vec<FieldError>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = records
            .chunks(per)
            .map(|chunk| {
                let preparer = &preparer;
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|value| {
                            let schema_errors = schema::validate(value);
                            if schema_errors.is_empty() {
                                preparer.prepare(value, now)
                            } else {
                                Err(schema_errors)
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(v) => v,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    let mut ready = Vec::with_capacity(records.len());
    let mut errors = Vec::new();
    for (i, result) in prepared.into_iter().enumerate() {
        let number = i as u64 + 1;
        match result {
            Ok(p) => ready.push((number, p)),
            Err(errs) => {
                summary.invalid_skipped += 1;
                errors.extend(errs.into_iter().map(|e| LineError {
                    line: number,
                    field: e.field,
                    message: e.message,
                }));
            }
        }
    }
    if summary.invalid_skipped > 0 && !options.skip_invalid {
        return Err(IngestError::Invalid {
            path: PathBuf::from(source_name),
            invalid_lines: summary.invalid_skipped,
            errors: errors.into_iter().take(MAX_REPORTED_ERRORS).collect(),
        });
    }
    summary.errors = errors.into_iter().take(MAX_REPORTED_ERRORS).collect();
    let mut iter = ready.into_iter();
    let mut source = || iter.next().map(Ok);
    store_prepared(
        store,
        policy,
        &mut source,
        source_name,
        options,
        &mut summary,
        progress,
    )?;
    Ok(summary)
}

/// Stores records its caller already validated and prepared (the HTTP API validates each request before it is
/// queued, then commits many requests' records together): chunks of `options.commit_every`, each one batch with its
/// `ingest.commit` audit entry. Returns once the last commit is handed to the store's background writer, which calls
/// `on_settled` with the number of events stored when every record is durable (or with the error if the write
/// failed). The HTTP API's group commit uses this to apply
/// the next group while the previous one is synced, and acknowledges a group from `on_settled`. When this returns
/// `Err`, `on_settled` may have been dropped uncalled: treat that as a failure too.
pub fn store_prepared_records_then(
    store: &Store,
    policy: &Policy,
    records: Vec<prepare::Prepared>,
    source_name: &str,
    options: &IngestOptions,
    on_settled: OnStored,
) -> Result<IngestSummary, IngestError> {
    let mut summary = IngestSummary {
        lines: records.len() as u64,
        ..IngestSummary::default()
    };
    let mut iter = records
        .into_iter()
        .enumerate()
        .map(|(i, p)| (i as u64 + 1, p));
    let mut source = || iter.next().map(Ok);
    store_prepared_then(
        store,
        policy,
        &mut source,
        source_name,
        options,
        &mut summary,
        &mut NoProgress,
        Finish::Notify(on_settled),
    )?;
    Ok(summary)
}

/// Told on the store's background writer that the records of a [`store_prepared_records_then`] call are durable
/// (`Ok`, with the number of events stored) or that their commit failed.
pub type OnStored = Box<dyn FnOnce(Result<u64, &cohort_store::StoreError>) + Send + 'static>;

type NextPrepared<'a> = dyn FnMut() -> Option<Result<(u64, prepare::Prepared), IngestError>> + 'a;

fn store_prepared(
    store: &Store,
    policy: &Policy,
    next: &mut NextPrepared<'_>,
    source_name: &str,
    options: &IngestOptions,
    summary: &mut IngestSummary,
    progress: &mut dyn Progress,
) -> Result<(), IngestError> {
    store_prepared_then(
        store,
        policy,
        next,
        source_name,
        options,
        summary,
        progress,
        Finish::Flush,
    )
}

/// How a store call ends once its last commit is handed to the background writer.
enum Finish {
    /// Wait until it is durable (flush) before returning.
    Flush,
    /// Return at once; the background writer calls this when the last commit is durable or failed.
    Notify(OnStored),
    /// `Notify`'s callback went with the last commit: return at once.
    Handed,
}

#[allow(clippy::too_many_arguments)] // The private core of the three public entry points.
fn store_prepared_then(
    store: &Store,
    policy: &Policy,
    next: &mut NextPrepared<'_>,
    source_name: &str,
    options: &IngestOptions,
    summary: &mut IngestSummary,
    progress: &mut dyn Progress,
    mut finish: Finish,
) -> Result<(), IngestError> {
    let batch_options = BatchOptions {
        bulk: true,
        reimport_with_new_consent: matches!(
            policy.erasure().reimport,
            cohort_policy::Reimport::WithNewConsent
        ),
    };
    let commit_every = options.commit_every.max(1);
    let mut reported_later: Option<(u64, IngestSummary)> = None;
    // One record read ahead, so that the last chunk is known as such when it is committed.
    let mut upcoming = next().transpose()?;
    while upcoming.is_some() {
        let mut batch = store.batch(batch_options);
        let mut chunk = ChunkCounts::default();
        let mut first_line = None;
        let mut last_line = 0;
        while chunk.records < commit_every {
            let Some((line, p)) = upcoming.take() else {
                break;
            };
            upcoming = next().transpose()?;
            first_line.get_or_insert(line);
            last_line = line;
            chunk.records += 1;
            let events = p.change.events.len() as u64;
            let consents = p.change.consents.len() as u64;
            match batch.apply(p.change) {
                Ok(ChangeOutcome::Suppressed) => chunk.suppressed += 1,
                Ok(_) => {
                    chunk.stored += 1;
                    chunk.events += events;
                    chunk.consents += consents;
                    chunk.dropped.add(&p.dropped);
                }
                Err(ApplyError::Store(e)) => return Err(e.into()),
                Err(e) => {
                    chunk.refused += 1;
                    if summary.errors.len() < MAX_REPORTED_ERRORS {
                        summary.errors.push(LineError {
                            line,
                            field: "identifiers".into(),
                            message: e.to_string(),
                        });
                    }
                }
            }
        }
        let mut record =
            AuditRecord::new(&options.actor, "ingest.commit", Some(policy.sha256_hex()))
                .detail("source", source_name.to_string())
                .detail(
                    "lines",
                    format!("{}-{}", first_line.unwrap_or(0), last_line),
                )
                .count("records", chunk.records as u64)
                .count("records_stored", chunk.stored)
                .count("records_refused", chunk.refused)
                .count("events_stored", chunk.events)
                .count("consents_recorded", chunk.consents);
        record.counts.extend(chunk.dropped.to_map());
        // Written in the background while the next chunk is applied; durable when the next commit (or the final
        // flush) returns, and only then reported as committed.
        let report = match (upcoming.is_none(), finish) {
            (true, Finish::Notify(on_stored)) => {
                finish = Finish::Handed;
                let events = summary.events_stored + chunk.events;
                batch.commit_async_then(record, Box::new(move |r| on_stored(r.map(|()| events))))?
            }
            (_, f) => {
                finish = f;
                batch.commit_async(record)?
            }
        };
        if let Some((line, snapshot)) = reported_later.take() {
            progress.committed(line, &snapshot);
        }
        summary.commits += 1;
        summary.keys_written += report.keys_written;
        summary.bytes_written += report.bytes_written;
        summary.stored += chunk.stored;
        summary.subjects_created += report.created;
        summary.subjects_updated += report.updated - report.merged.min(report.updated);
        summary.subjects_merged += report.merged;
        summary.refused_suppressed += report.suppressed;
        summary.refused_other += chunk.refused;
        summary.events_stored += chunk.events;
        summary.consents_recorded += chunk.consents;
        summary.dropped.add(&chunk.dropped);
        tracing::info!(
            source = source_name,
            lines = %format!("{}-{}", first_line.unwrap_or(0), last_line),
            stored = chunk.stored,
            refused = chunk.refused,
            suppressed = chunk.suppressed,
            audit_seq = report.audit_seq,
            "committed ingest chunk"
        );
        reported_later = Some((last_line, summary.clone()));
    }
    match finish {
        // Nothing was left to commit (no records): nothing to wait for.
        Finish::Notify(on_stored) => on_stored(Ok(0)),
        Finish::Flush => store.flush()?,
        Finish::Handed => {}
    }
    if let Some((line, snapshot)) = reported_later.take() {
        progress.committed(line, &snapshot);
    }
    Ok(())
}

#[derive(Default)]
struct ChunkCounts {
    records: usize,
    stored: u64,
    suppressed: u64,
    refused: u64,
    events: u64,
    consents: u64,
    dropped: DropCounts,
}
