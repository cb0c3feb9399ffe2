//! Group commit: one writer thread owns the store's write path for ingestion. Handlers validate and prepare their
//! records, queue them with a reply channel and wait; the writer takes every queued request (up to
//! `max_commit_events` events) and stores them in one commit (one sled batch, one audit entry, one fsync). Commits
//! are pipelined: a group's sled write and fsync run in the background while the next group is applied, and a group
//! is answered only once its commit is durable (the next commit waits for it, or the writer flushes when idle). A
//! request is therefore acknowledged only once its events are durable, and an fsync is shared by all the requests
//! that arrived while the previous one ran.

use crate::metrics::Metrics;
use cohort_ingest::IngestOptions;
use cohort_ingest::prepare::Prepared;
use cohort_policy::Policy;
use cohort_store::Store;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// One request's prepared records.
pub struct Job {
    /// The records.
    pub records: Vec<Prepared>,
    /// The key that sent them (its id, for the audit entry).
    pub key_id: String,
    /// Where to say whether they are durable.
    pub done: oneshot::Sender<Result<(), ()>>,
}

/// The handle handlers use to queue jobs.
#[derive(Clone)]
pub struct Committer {
    tx: mpsc::Sender<Job>,
}

impl Committer {
    /// Starts the writer thread; it ends when every `Committer` is dropped and the queue is drained.
    pub fn start(
        store: Arc<Store>,
        policy: Arc<Policy>,
        metrics: Arc<Metrics>,
        max_events: usize,
    ) -> std::io::Result<(Self, std::thread::JoinHandle<()>)> {
        let (tx, rx) = mpsc::channel(crate::settings::COMMIT_QUEUE_REQUESTS);
        let handle = std::thread::Builder::new()
            .name("cohort-group-commit".into())
            .spawn(move || writer(rx, &store, &policy, &metrics, max_events))?;
        Ok((Self { tx }, handle))
    }

    /// Queues `records` and waits until they are durable. `Err` when the store failed or the writer stopped.
    pub async fn commit(&self, records: Vec<Prepared>, key_id: &str) -> Result<(), ()> {
        let (done, wait) = oneshot::channel();
        let job = Job {
            records,
            key_id: key_id.to_string(),
            done,
        };
        self.tx.send(job).await.map_err(|_| ())?;
        wait.await.map_err(|_| ())?
    }
}

/// The replies of a group whose commit is written but not yet known to be durable.
struct Pending {
    replies: Vec<oneshot::Sender<Result<(), ()>>>,
    events: u64,
}

fn writer(
    mut rx: mpsc::Receiver<Job>,
    store: &Store,
    policy: &Policy,
    metrics: &Metrics,
    max_events: usize,
) {
    // Pipelined group commit: group N's sled write and fsync run on the store's background thread while group N+1
    // is applied; group N is acknowledged once group N+1's commit has started (which waits for N to settle), or,
    // when nothing else is queued, after an explicit flush. No request is acknowledged before its commit is durable.
    let mut pending: Option<Pending> = None;
    loop {
        let first = match rx.try_recv() {
            Ok(job) => job,
            Err(_) => {
                // Idle (or closing): make the group in flight durable and answer it before waiting.
                settle(store, metrics, pending.take());
                match rx.blocking_recv() {
                    Some(job) => job,
                    None => break,
                }
            }
        };
        let mut jobs = vec![first];
        let mut events: usize = jobs[0].records.len();
        while events < max_events {
            match rx.try_recv() {
                Ok(job) => {
                    events += job.records.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        let mut keys: Vec<&str> = jobs.iter().map(|j| j.key_id.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        let actor = format!("api:{}", keys.join(","));
        let mut records = Vec::with_capacity(events);
        let mut replies = Vec::with_capacity(jobs.len());
        for job in jobs {
            records.extend(job.records);
            replies.push(job.done);
        }
        if records.is_empty() {
            // Nothing to write starts no commit, so nothing would settle the group in flight: settle it here.
            settle(store, metrics, pending.take());
            answer(metrics, Some(Pending { replies, events: 0 }), Ok(()));
            continue;
        }
        let options = IngestOptions {
            skip_invalid: false,
            actor,
            // One commit for the whole group: the group is already bounded by `max_events`.
            commit_every: events.max(1),
        };
        match cohort_ingest::store_prepared_records_pending(
            store, policy, records, "http", &options,
        ) {
            Ok(summary) => {
                // This group's commit started only after the previous one settled: the previous group is durable.
                answer(metrics, pending.take(), Ok(()));
                tracing::debug!(
                    requests = replies.len(),
                    records = summary.lines,
                    stored = summary.stored,
                    events = summary.events_stored,
                    "group commit written"
                );
                pending = Some(Pending {
                    replies,
                    events: summary.events_stored,
                });
            }
            Err(e) => {
                // The error may be the previous group's write surfacing, or this group's: refuse both.
                tracing::error!("group commit failed, request(s) refused: {e}");
                answer(metrics, pending.take(), Err(()));
                answer(metrics, Some(Pending { replies, events: 0 }), Err(()));
            }
        }
    }
}

/// Flushes the store and answers the group in flight, if any.
fn settle(store: &Store, metrics: &Metrics, pending: Option<Pending>) {
    if pending.is_none() {
        return;
    }
    let outcome = store.flush().map_err(|e| {
        tracing::error!("group commit failed at flush, request(s) refused: {e}");
    });
    answer(metrics, pending, outcome);
}

/// Answers every request of a group.
fn answer(metrics: &Metrics, pending: Option<Pending>, outcome: Result<(), ()>) {
    let Some(group) = pending else {
        return;
    };
    if outcome.is_ok() {
        metrics.add_events_ingested(group.events);
        metrics.add_group_commit();
    }
    for reply in group.replies {
        let _ = reply.send(outcome);
    }
}
