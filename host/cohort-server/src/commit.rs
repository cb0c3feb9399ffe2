//! Group commit: one writer thread owns the store's write path for ingestion. Handlers validate and prepare their
//! records, queue them with a reply channel and wait; the writer takes every queued request (up to
//! `max_commit_events` events) and stores them in one commit (one sled batch, one audit entry, one fsync). Commits
//! are pipelined: a group's sled write and fsync run on the store's background thread while the writer applies the
//! next group, and that background thread answers the group's requests the moment its commit is durable. A request
//! is therefore acknowledged only once its events are durable, an fsync is shared by all the requests that arrived
//! while the previous one ran, and no answer waits for the next group.

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

/// The writer thread: takes every queued request (up to `max_events` events) as one group, applies it, and hands
/// its commit to the store's background thread with a callback that answers the group's requests once durable.
fn writer(
    mut rx: mpsc::Receiver<Job>,
    store: &Store,
    policy: &Policy,
    metrics: &Arc<Metrics>,
    max_events: usize,
) {
    while let Some(first) = rx.blocking_recv() {
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
        let options = IngestOptions {
            skip_invalid: false,
            actor,
            // One commit for the whole group: the group is already bounded by `max_events`.
            commit_every: events.max(1),
        };
        let on_stored: cohort_ingest::OnStored = {
            let metrics = Arc::clone(metrics);
            Box::new(move |outcome| {
                let outcome = match outcome {
                    Ok(events) => {
                        metrics.add_events_ingested(events);
                        metrics.add_group_commit();
                        Ok(())
                    }
                    Err(e) => {
                        tracing::error!("group commit failed, request(s) refused: {e}");
                        Err(())
                    }
                };
                for reply in replies {
                    let _ = reply.send(outcome);
                }
            })
        };
        match cohort_ingest::store_prepared_records_then(
            store, policy, records, "http", &options, on_stored,
        ) {
            Ok(summary) => {
                tracing::debug!(
                    records = summary.lines,
                    stored = summary.stored,
                    events = summary.events_stored,
                    "group commit handed to the background writer"
                );
            }
            // The replies went with the callback, which is now dropped uncalled (or was told of the failure):
            // every request of the group is refused.
            Err(e) => tracing::error!("group commit failed, request(s) refused: {e}"),
        }
    }
    // Closing: the last group in flight is answered by its own callback; wait for it so that the store is flushed.
    if let Err(e) = store.flush() {
        tracing::error!("flushing the store at shutdown failed: {e}");
    }
}
