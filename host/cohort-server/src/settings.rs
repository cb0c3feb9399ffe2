//! The server's settings: the `[serve]` table of `cohort.toml`, overridden by command-line flags, with the default
//! and the reason for every limit.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Largest request body on `/v1/batch` and the other bulk routes: Segment accepts 500 KB per batch request; a
/// little more so that a batch Segment accepts is never refused here.
pub const DEFAULT_MAX_BODY_BYTES: usize = 512 * 1024;
/// Largest body of a single Segment call (`/v1/track`, ...): Segment's own limit is 32 KB per call.
pub const DEFAULT_MAX_CALL_BYTES: usize = 32 * 1024;
/// Messages per `/v1/batch` request: Segment's limit (it drops the rest silently; we refuse the request instead).
pub const MAX_BATCH_MESSAGES: usize = 2_500;
/// Requests per second a key may make on average: Segment's per-workspace figure (DOMAIN.md §1).
pub const DEFAULT_RATE_PER_SECOND: f64 = 1_000.0;
/// Requests a key may make at once above the average (the token bucket's size): two seconds' worth.
pub const DEFAULT_RATE_BURST: f64 = 2_000.0;
/// Connections served at once. Each holds a socket, a task and its buffers; past the cap the server stops
/// accepting until one closes (the kernel's listen backlog holds the rest), rather than running out of file
/// descriptors or memory under a connection flood.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1_024;
/// Failed authentications one client address may make at once before it is refused (429) without its key being
/// checked: enough for an operator fixing a mistyped key, far too few to guess one.
pub const DEFAULT_AUTH_FAILURE_BURST: f64 = 20.0;
/// Failed authentications per second a client address earns back (one every five seconds).
pub const DEFAULT_AUTH_FAILURE_PER_SECOND: f64 = 0.2;
/// Events one group commit may hold: big enough to amortise an fsync over many requests, small enough that one
/// commit's sled batch stays a few MiB and its latency a few milliseconds.
pub const DEFAULT_MAX_COMMIT_EVENTS: usize = 10_000;
/// Requests waiting for the group-commit writer: bounds memory; a full queue makes handlers wait (backpressure).
pub const COMMIT_QUEUE_REQUESTS: usize = 1_024;
/// Seconds a federation coordinator waits for each peer's answer. A peer's answer is one local count (a scan of
/// the segment's members, each decrypted) and a round trip; ten seconds leave room for large segments and a slow
/// link while staying well inside the default request timeout of 30 s, so a slow peer makes the answer partial
/// rather than the whole request time out.
pub const DEFAULT_FEDERATION_TIMEOUT_SECS: u64 = 10;

/// The `[serve]` table of `cohort.toml`. Every key is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// Address to listen on (`127.0.0.1:8080`; port 0 picks a free port).
    pub listen: Option<SocketAddr>,
    /// Largest request body in bytes (bulk routes).
    pub max_body_bytes: Option<usize>,
    /// Largest body of a single Segment call in bytes.
    pub max_call_bytes: Option<usize>,
    /// Seconds to wait for a request's headers.
    pub header_timeout_secs: Option<u64>,
    /// Seconds a whole request may take, body and answer included.
    pub request_timeout_secs: Option<u64>,
    /// Seconds in-flight requests get to finish after SIGTERM or SIGINT.
    pub shutdown_grace_secs: Option<u64>,
    /// Average requests per second per API key.
    pub rate_per_second: Option<f64>,
    /// Burst size per API key.
    pub rate_burst: Option<f64>,
    /// Events per group commit.
    pub max_commit_events: Option<usize>,
    /// Connections served at once.
    pub max_connections: Option<usize>,
    /// Failed authentications a client address may make at once before it is refused (0: no limit, for a server
    /// behind a proxy that hides client addresses and limits them itself).
    pub auth_failure_burst: Option<f64>,
    /// Failed authentications per second a client address earns back.
    pub auth_failure_per_second: Option<f64>,
    /// Consent-manager category id (Segment's `context.consent.categoryPreferences`) → consent-based purpose.
    #[serde(default)]
    pub consent_categories: BTreeMap<String, String>,
    /// Consent-based purposes a `Sec-GPC: 1` header refuses. Default: every consent-based purpose whose outputs
    /// are per subject (see `segment_compat`).
    pub gpc_purposes: Option<Vec<String>>,
    /// This host's federation identity key file (`cohort peer keygen`); without it the host neither answers nor
    /// coordinates federated counts. Relative to the configuration file's folder.
    pub federation_key: Option<PathBuf>,
    /// Seconds the coordinator waits for each peer's answer.
    pub federation_timeout_secs: Option<u64>,
}

/// The effective settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Largest request body (bulk routes).
    pub max_body_bytes: usize,
    /// Largest single-call body.
    pub max_call_bytes: usize,
    /// Time to receive a request's headers.
    pub header_timeout: Duration,
    /// Time for a whole request.
    pub request_timeout: Duration,
    /// Time in-flight requests get at shutdown.
    pub shutdown_grace: Duration,
    /// Average requests per second per key.
    pub rate_per_second: f64,
    /// Burst per key.
    pub rate_burst: f64,
    /// Events per group commit.
    pub max_commit_events: usize,
    /// Connections served at once.
    pub max_connections: usize,
    /// Failed authentications per client address at once (0: unlimited).
    pub auth_failure_burst: f64,
    /// Failed authentications per second a client address earns back.
    pub auth_failure_per_second: f64,
    /// Consent categories → purposes.
    pub consent_categories: BTreeMap<String, String>,
    /// Purposes a GPC signal refuses (`None`: the default rule).
    pub gpc_purposes: Option<Vec<String>>,
    /// This host's federation identity key file, if it federates.
    pub federation_key: Option<PathBuf>,
    /// Time the coordinator waits for each peer.
    pub federation_timeout: Duration,
    /// The peers it federates with (`[[peers]]` of `cohort.toml`, checked).
    pub peers: cohort_federation::Peers,
    /// The folder of installed plugin packages, for `POST /v1/segments/run` (none: that endpoint refuses).
    pub plugin_dir: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Self::from_config(&ServeConfig::default())
    }
}

impl Settings {
    /// The settings a `[serve]` table gives, with defaults for what it leaves out.
    pub fn from_config(c: &ServeConfig) -> Self {
        Self {
            listen: c
                .listen
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            max_body_bytes: c.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES),
            max_call_bytes: c.max_call_bytes.unwrap_or(DEFAULT_MAX_CALL_BYTES),
            // Ten seconds for headers stops slow-header clients from holding connections.
            header_timeout: Duration::from_secs(c.header_timeout_secs.unwrap_or(10)),
            // A 500 KB batch on a slow link plus a group commit fits well within 30 s.
            request_timeout: Duration::from_secs(c.request_timeout_secs.unwrap_or(30)),
            // Kubernetes' default termination grace period.
            shutdown_grace: Duration::from_secs(c.shutdown_grace_secs.unwrap_or(30)),
            rate_per_second: c.rate_per_second.unwrap_or(DEFAULT_RATE_PER_SECOND),
            rate_burst: c.rate_burst.unwrap_or(DEFAULT_RATE_BURST),
            max_commit_events: c.max_commit_events.unwrap_or(DEFAULT_MAX_COMMIT_EVENTS),
            max_connections: c.max_connections.unwrap_or(DEFAULT_MAX_CONNECTIONS),
            auth_failure_burst: c.auth_failure_burst.unwrap_or(DEFAULT_AUTH_FAILURE_BURST),
            auth_failure_per_second: c
                .auth_failure_per_second
                .unwrap_or(DEFAULT_AUTH_FAILURE_PER_SECOND),
            consent_categories: c.consent_categories.clone(),
            gpc_purposes: c.gpc_purposes.clone(),
            federation_key: c.federation_key.clone(),
            federation_timeout: Duration::from_secs(
                c.federation_timeout_secs
                    .unwrap_or(DEFAULT_FEDERATION_TIMEOUT_SECS),
            ),
            peers: cohort_federation::Peers::default(),
            plugin_dir: None,
        }
    }

    /// Checks the settings against each other and the policy.
    pub fn check(&self, policy: &cohort_policy::Policy) -> Result<(), String> {
        if self.max_body_bytes == 0 || self.max_call_bytes == 0 {
            return Err("serve: body limits must be above 0".into());
        }
        if !(self.rate_per_second > 0.0 && self.rate_burst >= 1.0) {
            return Err("serve: rate_per_second must be above 0 and rate_burst at least 1".into());
        }
        if self.max_commit_events == 0 {
            return Err("serve: max_commit_events must be above 0".into());
        }
        if self.max_connections == 0 {
            return Err("serve: max_connections must be above 0".into());
        }
        if !(self.auth_failure_burst == 0.0
            || (self.auth_failure_burst >= 1.0 && self.auth_failure_per_second > 0.0))
        {
            return Err(
                "serve: auth_failure_burst must be 0 (no limit) or at least 1, with auth_failure_per_second above 0"
                    .into(),
            );
        }
        if self.federation_timeout.is_zero() || self.federation_timeout >= self.request_timeout {
            return Err(format!(
                "serve: federation_timeout_secs must be above 0 and below the request timeout ({} s), so that a \
                 federated count can answer with the peers that did answer",
                self.request_timeout.as_secs()
            ));
        }
        if !self.peers.is_empty() && self.federation_key.is_none() {
            return Err(
                "[[peers]] are listed but serve.federation_key is not set: create this host's identity with \
                 `cohort peer keygen` and name its file in [serve]"
                    .into(),
            );
        }
        for peer in self.peers.iter() {
            if !peer.url().starts_with("http://") {
                return Err(format!(
                    "peer `{}`: url `{}`: cohort serve speaks plain HTTP to its peers; for TLS point the url at a \
                     TLS-originating proxy beside this host (docs/federation.md, Deployment)",
                    peer.name(),
                    peer.url()
                ));
            }
        }
        let consent_purpose = |p: &str| {
            policy
                .purpose(p)
                .is_some_and(cohort_policy::Purpose::requires_consent)
        };
        for (category, purpose) in &self.consent_categories {
            if !consent_purpose(purpose) {
                return Err(format!(
                    "serve.consent_categories: category `{category}` maps to `{purpose}`, which is not a \
                     consent-based purpose of policy `{}`",
                    policy.id()
                ));
            }
        }
        for purpose in self.gpc_purposes.iter().flatten() {
            if !consent_purpose(purpose) {
                return Err(format!(
                    "serve.gpc_purposes: `{purpose}` is not a consent-based purpose of policy `{}`",
                    policy.id()
                ));
            }
        }
        Ok(())
    }
}
