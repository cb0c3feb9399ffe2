//! The one error type of this crate: a peer list that is wrong, a key file that cannot be used, a message that is
//! refused, a count that failed, or a merge with nothing to merge.

use std::path::PathBuf;

/// Everything that can go wrong in federation.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    /// A `[[peers]]` entry of the configuration is wrong.
    #[error("peers[{index}]{}: `{field}` {reason}", peer_label(.peer))]
    PeerConfig {
        /// Position in the `[[peers]]` array, from 0.
        index: usize,
        /// The entry's name, when it has a usable one.
        peer: Option<String>,
        /// The field at fault.
        field: &'static str,
        /// What is wrong, completing "`field` ...".
        reason: String,
    },
    /// Two `[[peers]]` entries have the same name.
    #[error(
        "peers[{second}] (`{name}`): `name` is already used by peers[{first}]; peer names must be unique"
    )]
    DuplicatePeerName {
        /// The name.
        name: String,
        /// The first entry with it.
        first: usize,
        /// The second.
        second: usize,
    },
    /// Two `[[peers]]` entries have the same public key: a signature would not say which host made it.
    #[error(
        "peers[{second}] (`{name}`): `public_key` is the same as that of peer `{other}`; every host has its own key"
    )]
    DuplicatePeerKey {
        /// The second entry's name.
        name: String,
        /// The entry that has the key first.
        other: String,
        /// Position of the second entry.
        second: usize,
    },
    /// The peer list names this host itself.
    #[error(
        "peer `{0}` has this host's own name; list the other hosts only (this host answers its own part locally)"
    )]
    PeerIsSelf(String),
    /// The host identity key file could not be read or written.
    #[error("host identity key file {path}: {source}")]
    KeyFileIo {
        /// The key file's path.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Creating a host identity key file would replace an existing one.
    #[error(
        "host identity key file {0} already exists; refusing to overwrite it (every peer lists its public key)"
    )]
    KeyFileExists(PathBuf),
    /// The host identity key file is readable by other users.
    #[error(
        "host identity key file {path} has mode {mode:o}: group or others can access it; run `chmod 600 {path}`"
    )]
    KeyFileTooOpen {
        /// The key file's path.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The host identity key file's content is not a valid key.
    #[error("host identity key {source_name}: {reason}")]
    KeyFileInvalid {
        /// The key file's path, or where the text came from.
        source_name: String,
        /// What is wrong with it (never the secret).
        reason: String,
    },
    /// A host name is not valid.
    #[error("`{0}` is not a valid host name: {HOST_NAME_RULE}")]
    InvalidHostName(String),
    /// The operating system's random generator failed.
    #[error("the system random generator failed")]
    Random,

    /// A message came without an envelope, or with an empty signature.
    #[error(
        "the message is not signed: a federation message needs its envelope with the sender's signature"
    )]
    Unsigned,
    /// The envelope is not what the protocol sends.
    #[error("malformed envelope: {0}")]
    MalformedEnvelope(String),
    /// A request where an answer was expected, or the reverse.
    #[error("a federation {found} was sent where a {expected} is expected")]
    WrongKind {
        /// What this endpoint takes.
        expected: &'static str,
        /// What the envelope says it is.
        found: &'static str,
    },
    /// The sender is not among the peers this host lists.
    #[error(
        "host `{sender}` is not a peer of this host (its `[[peers]]` does not list it); refused"
    )]
    UnknownSender {
        /// The claimed sender.
        sender: String,
    },
    /// The body is not the one the envelope was signed over.
    #[error(
        "the body from `{sender}` does not match the SHA-256 its envelope states: it was altered on the way"
    )]
    BodyMismatch {
        /// The sender.
        sender: String,
    },
    /// The signature does not verify under the sender's listed key.
    #[error(
        "the signature of `{sender}` does not verify under the key this host lists for it (altered envelope, \
         wrong key, or a different message)"
    )]
    BadSignature {
        /// The sender.
        sender: String,
    },
    /// The message was signed for another host.
    #[error(
        "the message from `{sender}` is addressed to `{recipient}`, not to this host (`{this_host}`)"
    )]
    WrongRecipient {
        /// The sender.
        sender: String,
        /// Whom it was signed for.
        recipient: String,
        /// This host.
        this_host: String,
    },
    /// The timestamp is further in the past than the window allows.
    #[error(
        "the message from `{sender}` was signed {age} s ago; messages older than {window} s are refused \
         (replay protection; check both hosts' clocks)",
        window = crate::envelope::CLOCK_WINDOW_SECS
    )]
    Expired {
        /// The sender.
        sender: String,
        /// Seconds since its timestamp.
        age: i64,
    },
    /// The timestamp is further in the future than the window allows.
    #[error(
        "the message from `{sender}` is dated {ahead} s in the future; more than {window} s is refused (check both \
         hosts' clocks)",
        window = crate::envelope::CLOCK_WINDOW_SECS
    )]
    FromTheFuture {
        /// The sender.
        sender: String,
        /// Seconds ahead of this host's clock.
        ahead: i64,
    },
    /// The message was signed before this process started: its nonce may have been seen by the previous one.
    #[error(
        "the message from `{sender}` was signed before this host started; it is refused because the replay cache \
         does not survive a restart (send it again)"
    )]
    BeforeStart {
        /// The sender.
        sender: String,
    },
    /// The nonce was seen before within the window.
    #[error("replayed message: nonce {nonce} from `{sender}` was already accepted")]
    Replayed {
        /// The sender.
        sender: String,
        /// The nonce.
        nonce: String,
    },
    /// Too many messages within one window to remember them all; refusing is the only safe answer.
    #[error(
        "more than {limit} federation messages within {window} s; refusing until older ones expire",
        window = 2 * crate::envelope::CLOCK_WINDOW_SECS
    )]
    ReplayCacheFull {
        /// The cache's size.
        limit: usize,
    },
    /// An answer to a request that this host did not send, already got its answer, or gave up on.
    #[error(
        "answer from `{sender}` to request {request_id}, which is not outstanding for that host"
    )]
    NotOutstanding {
        /// The sender.
        sender: String,
        /// The request id it answers.
        request_id: String,
    },
    /// Too many requests waiting for answers.
    #[error("{limit} federation requests are already waiting for answers; try again later")]
    TooManyOutstanding {
        /// The limit.
        limit: usize,
    },
    /// A body larger than the protocol allows.
    #[error("the {what} body is {bytes} bytes; at most {limit} are accepted")]
    BodyTooLarge {
        /// `query` or `answer`.
        what: &'static str,
        /// Its size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// A query or answer that does not have the expected shape.
    #[error("invalid {what}: {reason}")]
    InvalidMessage {
        /// `query` or `answer`.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A query from a host that this host does not list.
    #[error("host `{0}` is not listed in this host's `[[peers]]`; it may not query this host")]
    NotAPeer(String),
    /// The local count failed (unknown segment, purpose not allowed, budget exceeded, ...).
    #[error(transparent)]
    Count(#[from] cohort_outputs::OutputError),
    /// The merged table could not be thresholded.
    #[error("merging the answers: {0}")]
    Aggregate(#[from] cohort_aggregate::AggregateError),
    /// No host answered.
    #[error("no host answered the federated count: {0}")]
    NoAnswers(String),
}

/// The rule for host names, as error messages state it.
pub(crate) const HOST_NAME_RULE: &str = "use 1 to 63 lower-case letters, digits and `-`, starting with a letter and not ending with `-`";

fn peer_label(peer: &Option<String>) -> String {
    match peer {
        Some(name) => format!(" (`{name}`)"),
        None => String::new(),
    }
}
