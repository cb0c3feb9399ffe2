//! The HTTP API of `cohort serve` (hyper 1 on tokio).
//!
//! - `routes`: the one table of endpoints and the roles allowed on each.
//! - `auth`: API keys from the `Authorization` header, checked against that table in one place.
//! - `limits`: per-key rate limits (429 with `Retry-After`).
//! - `server`: the accept loop and the request pipeline (route, auth, rate, content type, body limit, JSON,
//!   handler, timeout, log line, metrics).
//! - `segment_compat`: Segment tracking messages to canonical records, with consent and GPC.
//! - `ingest`: the Segment endpoints; `commit`: the group-commit writer that makes their events durable.
//! - `rights`: consent and data-subject-rights endpoints over `cohort-rights`.
//! - `oversight`: policy, audit and API-key endpoints.
//! - `segments`: the segment endpoints (list, run, count, export) over `cohort-outputs` and `cohort-segments`, the
//!   same code and privacy rules as `cohort segment`.
//! - `federation`: the peer endpoint (a signed query answered with this host's released count) and the
//!   coordinator endpoint (fan-out to every peer, merge); `client`: the HTTP client the fan-out uses.
//! - `metrics`: Prometheus counters and histogram; `reply`: responses and the error shape; `settings`: limits and
//!   their defaults; `shutdown`: SIGTERM / SIGINT.
//!
//! **Invariants.** No raw identifier reaches a log: request logs name the route, never the path, query or body.
//! A tracking request is answered 200 only after its events are durable. A request refused for any reason stores
//! nothing.

pub mod auth;
pub mod client;
pub mod commit;
pub mod encoding;
pub mod federation;
pub mod ingest;
pub mod limits;
pub mod metrics;
pub mod oversight;
pub mod reply;
pub mod rights;
pub mod routes;
pub mod segment_compat;
pub mod segments;
pub mod server;
pub mod settings;
pub mod shutdown;

pub use routes::{Access, ROUTES, Route};
pub use settings::{ServeConfig, Settings};

use cohort_policy::Policy;
use cohort_store::Store;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Errors that stop the server, and errors of its HTTP client.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The settings are inconsistent with each other or the policy.
    #[error("{0}")]
    Settings(String),
    /// The runtime or the writer thread could not start.
    #[error("starting the server: {0}")]
    Start(#[source] std::io::Error),
    /// The final flush failed: requests answered before were durable, but the store reported an error.
    #[error("flushing the store at shutdown: {0}")]
    Flush(#[from] cohort_store::StoreError),
    /// This host's federation identity or peer list cannot be used.
    #[error("federation: {0}")]
    Federation(#[from] cohort_federation::FederationError),
    /// A request sent by the client (`client`) failed: bad URL, no connection, an unreadable answer.
    #[error("{url}: {reason}")]
    Request {
        /// Where it was sent.
        url: String,
        /// What went wrong.
        reason: String,
    },
}

/// Everything a request handler may use.
pub struct App {
    /// The store.
    pub store: Arc<Store>,
    /// The policy in force.
    pub policy: Arc<Policy>,
    /// The settings.
    pub settings: Settings,
    /// The metrics.
    pub metrics: Arc<metrics::Metrics>,
    /// Per-key rate limits.
    pub limiter: limits::RateLimiter,
    /// Failed authentications per client address (`None`: not limited).
    pub auth_failures: Option<limits::RateLimiter>,
    /// This host in federation, when `serve.federation_key` is set.
    pub federation: Option<Arc<cohort_federation::Federation>>,
    /// The HTTP client of the federation fan-out.
    pub client: client::HttpClient,
    /// The plugin runtime of `POST /v1/segments/run`.
    pub plugins: segments::PluginHost,
    committer: Mutex<Option<commit::Committer>>,
    ready: AtomicBool,
}

impl App {
    /// The group-commit queue, unless the server is shutting down.
    pub fn committer(&self) -> Option<commit::Committer> {
        match self.committer.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Whether `/readyz` answers 200.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Relaxed);
    }

    fn close_committer(&self) {
        match self.committer.lock() {
            Ok(mut g) => *g = None,
            Err(p) => *p.into_inner() = None,
        }
    }
}

/// Runs the server until SIGTERM or SIGINT: binds `settings.listen`, calls `on_bound` with the bound address
/// (port 0 picks one), serves, then drains in-flight requests, lets the group-commit writer finish its last commit
/// and flushes the store. Blocks the calling thread; returns the signal's name.
pub fn run(
    settings: Settings,
    store: Store,
    policy: Policy,
    on_bound: impl FnOnce(SocketAddr),
) -> Result<&'static str, ServerError> {
    serve(settings, store, policy, on_bound, shutdown::signal())
}

/// Asks a server started with [`run_until`] to stop (as SIGTERM would).
pub struct StopHandle(tokio::sync::oneshot::Sender<()>);

/// What [`run_until`] waits for.
pub struct StopSignal(tokio::sync::oneshot::Receiver<()>);

/// A stop handle and the signal it sends.
pub fn stop_channel() -> (StopHandle, StopSignal) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    (StopHandle(tx), StopSignal(rx))
}

impl StopHandle {
    /// Stops the server: it drains and returns from [`run_until`].
    pub fn stop(self) {
        let _ = self.0.send(());
    }
}

/// Like [`run`], but stops when `stop` fires (or SIGTERM / SIGINT arrives): for benchmarks and embedding.
pub fn run_until(
    settings: Settings,
    store: Store,
    policy: Policy,
    on_bound: impl FnOnce(SocketAddr),
    stop: StopSignal,
) -> Result<&'static str, ServerError> {
    let stopped = async move {
        tokio::select! {
            name = shutdown::signal() => name,
            _ = stop.0 => "stop",
        }
    };
    serve(settings, store, policy, on_bound, stopped)
}

fn serve(
    settings: Settings,
    store: Store,
    policy: Policy,
    on_bound: impl FnOnce(SocketAddr),
    stop: impl std::future::Future<Output = &'static str>,
) -> Result<&'static str, ServerError> {
    settings.check(&policy).map_err(ServerError::Settings)?;
    let federation = match &settings.federation_key {
        None => None,
        Some(path) => {
            let identity = cohort_federation::HostIdentity::load(path)?;
            // Messages signed before this second are refused: the replay cache starts empty (see
            // `cohort_federation::envelope`, "Restarts").
            let started_at = cohort_federation::unix_now();
            Some(Arc::new(cohort_federation::Federation::new(
                identity,
                settings.peers.clone(),
                started_at,
            )?))
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("cohort-http")
        .build()
        .map_err(ServerError::Start)?;
    let store = Arc::new(store);
    let policy = Arc::new(policy);
    let metrics = Arc::new(metrics::Metrics::default());
    let (committer, writer) = commit::Committer::start(
        store.clone(),
        policy.clone(),
        metrics.clone(),
        settings.max_commit_events,
    )
    .map_err(ServerError::Start)?;
    let app = Arc::new(App {
        limiter: limits::RateLimiter::new(settings.rate_per_second, settings.rate_burst),
        auth_failures: (settings.auth_failure_burst > 0.0).then(|| {
            limits::RateLimiter::new(
                settings.auth_failure_per_second,
                settings.auth_failure_burst,
            )
        }),
        federation,
        client: client::HttpClient::new(),
        plugins: segments::PluginHost::new(settings.plugin_dir.clone()),
        store: store.clone(),
        policy,
        settings,
        metrics,
        committer: Mutex::new(Some(committer)),
        ready: AtomicBool::new(false),
    });
    let result = runtime.block_on(async {
        let (listener, bound) = server::bind(app.settings.listen).await?;
        on_bound(bound);
        app.set_ready(true);
        server::accept_loop(app.clone(), listener, stop).await
    });
    // No new work may reach the writer; it ends after the commits already queued.
    app.close_committer();
    drop(app);
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    if writer.join().is_err() {
        tracing::error!("the group-commit writer panicked");
    }
    store.flush()?;
    result
}
