//! Federated aggregate queries across Cohort hosts, without moving personal data.
//!
//! An enterprise runs one host per region or subsidiary. A **coordinator** host sends a signed
//! [`FederatedQuery`] to every peer it lists; each peer verifies it, counts the segment in its own store under its
//! own policy ([`answer`]: its own threshold, noise and privacy budget, charged to `peer:<coordinator>`), and signs
//! a [`FederatedAnswer`] holding only its released rows, its `k` and its noise bounds. The coordinator verifies
//! each answer, then [`merge`]s them: a union by group, withheld wherever any host withheld, thresholded again at
//! the largest `k` among the hosts that answered, with complementary suppression, and marked `partial` when a host
//! failed or timed out.
//!
//! This crate is the protocol's core and knows nothing of HTTP: the server and the CLI carry [`SignedMessage`]s
//! (a JSON body and an envelope header, [`ENVELOPE_HEADER`]) and call [`Federation`]. Its parts:
//! - [`peer`]: host names, this host's identity key file ([`HostIdentity`]) and the `[[peers]]` list ([`Peers`]);
//! - [`envelope`]: the signed envelope, what it covers and what is refused, the replay cache and how restarts are
//!   handled;
//! - [`messages`]: the query and the answer, and [`answer`], the peer's side;
//! - [`merge`](mod@merge): the coordinator's merge;
//! - [`Federation`]: one host's state, tying these together.
//!
//! **Architecture invariant:** nothing per subject crosses hosts. A query names a segment, a purpose, dimensions
//! and measures; an answer holds rows of a released count (thresholded and, where the policy says so, noised) and
//! nothing else. Identities stay separate per host: each host keeps its own HMAC key, so pseudonyms cannot be
//! compared across hosts, and no federated join exists (`docs/federation.md`).

pub mod envelope;
mod error;
mod host;
pub mod merge;
pub mod messages;
pub mod peer;

pub use envelope::{CLOCK_WINDOW_SECS, ENVELOPE_HEADER, Envelope, Kind, ReplayGuard};
pub use error::FederationError;
pub use host::{Federation, SignedMessage, VerifiedQuery, unix_now};
pub use merge::{
    HostReport, HostStatus, MergedCount, MergedMeasure, MergedRow, PeerOutcome, PeerResult,
    Withheld, merge,
};
pub use messages::{
    AnswerMeasure, AnswerNoise, AnswerRow, FederatedAnswer, FederatedQuery, LocalCount, NoiseBound,
    RowKind, answer,
};
pub use peer::{HostIdentity, MAX_PEERS, Peer, PeerConfig, Peers, is_host_name, peers_entry};
