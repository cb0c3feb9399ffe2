//! The signed envelope every federation message travels in, and the two memories that make it single-use: the
//! replay cache (nonces seen) and the outstanding requests (answers expected).
//!
//! # What is signed
//!
//! The sender signs, with its identity key (Ed25519), this byte string:
//!
//! ```text
//! cohort-federation/v1/request        (or cohort-federation/v1/answer)
//! sender=<host name>
//! recipient=<host name>
//! timestamp=<unix seconds, decimal>
//! nonce=<128-bit random, 32 lower-case hex digits>
//! request=<the request's nonce, for an answer; empty for a request>
//! body-sha256=<SHA-256 of the body, 64 lower-case hex digits>
//! ```
//!
//! lines joined by `\n`, no trailing newline. The first line is the domain tag: a request's signature never
//! verifies as an answer's, and no other use of the key (there is none today) can produce either. Every value is
//! checked against its syntax before the message is built (host names are `[a-z0-9-]`, the rest hex or decimal),
//! so no value can contain a newline and the encoding is unambiguous. The body itself is not in the message, only
//! its digest: the body travels as it is (the HTTP request or response body) and the envelope beside it (an HTTP
//! header, [`ENVELOPE_HEADER`], as compact JSON).
//!
//! # What is refused
//!
//! A message is accepted only if, in this order: it has an envelope with a signature ([`FederationError::Unsigned`]);
//! the envelope is well formed; it is of the kind expected (a request where requests are taken); its sender is a
//! listed peer; the body's SHA-256 is the one stated; the signature verifies under the sender's listed key; it is
//! addressed to this host; its timestamp is within [`CLOCK_WINDOW_SECS`] of this host's clock, both ways; it was
//! signed after this process started; its nonce was not accepted before; and, for an answer, it answers a request
//! this host sent to that sender and has not had an answer to yet.
//!
//! # Restarts
//!
//! The replay cache lives in memory, bounded by [`MAX_REMEMBERED_NONCES`]. Rather than persisting it, a host
//! refuses every message whose timestamp is not after the second it started: a message the previous process might
//! have accepted is therefore never accepted again, whatever the cache forgot. The cost is that a message signed
//! just before a restart must be sent again (and a peer whose clock is behind by `s` seconds is refused for the
//! first `s` seconds after a restart). Outstanding requests are in memory too: after a restart no answer to an
//! earlier request is accepted, which is right, since nobody waits for it any more.

use std::collections::{BTreeSet, HashMap, HashSet};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::error::FederationError;
use crate::peer::{HostIdentity, Peer, Peers, is_host_name};

/// The domain tag of a request's signed message.
pub const REQUEST_DOMAIN: &str = "cohort-federation/v1/request";
/// The domain tag of an answer's signed message.
pub const ANSWER_DOMAIN: &str = "cohort-federation/v1/answer";
/// How far a message's timestamp may be from the receiver's clock, either way, in seconds. Five minutes absorbs
/// the clock skew of hosts synchronised by NTP many times over while keeping the replay cache small; it is the
/// window Kerberos uses by default for the same reason.
pub const CLOCK_WINDOW_SECS: i64 = 300;
/// The header (HTTP) or field that carries the envelope beside the body.
pub const ENVELOPE_HEADER: &str = "cohort-federation-envelope";
/// Largest envelope accepted, in bytes. A real one is about 400 bytes (two names of at most 63 characters, two
/// nonces, a digest and a signature).
pub const MAX_ENVELOPE_BYTES: usize = 1_024;
/// Nonces remembered at most. A nonce is kept for the window on either side of its timestamp (ten minutes);
/// 65,536 of them allow over a hundred federation messages a second, sustained, far beyond analysts' counts,
/// in about 10 MB. When full, messages are refused rather than a live nonce forgotten.
pub const MAX_REMEMBERED_NONCES: usize = 65_536;
/// Requests waiting for an answer at most. A federated count sends one request per peer ([`crate::MAX_PEERS`]);
/// 4,096 allows 64 concurrent counts to 64 peers.
pub const MAX_OUTSTANDING: usize = 4_096;

/// Bytes of a nonce: 128 bits, so random nonces never collide in practice.
const NONCE_BYTES: usize = 16;

/// What a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A query, from a coordinator to a peer.
    Request,
    /// A peer's answer to one request.
    Answer,
}

impl Kind {
    /// `request` or `answer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Request => "request",
            Kind::Answer => "answer",
        }
    }

    /// The domain tag its signed message starts with.
    pub fn domain(self) -> &'static str {
        match self {
            Kind::Request => REQUEST_DOMAIN,
            Kind::Answer => ANSWER_DOMAIN,
        }
    }
}

/// The envelope of one message: who sends it to whom, when, its nonce, what it answers, its body's digest and the
/// signature over all of that (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Request or answer.
    pub kind: Kind,
    /// The sending host's name.
    pub sender: String,
    /// The receiving host's name.
    pub recipient: String,
    /// When it was signed, in unix seconds.
    pub timestamp: i64,
    /// 128 random bits, 32 lower-case hex digits. A request's nonce is also its request id.
    pub nonce: String,
    /// For an answer, the request id (the request's nonce) it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<String>,
    /// SHA-256 of the body, 64 lower-case hex digits.
    pub body_sha256: String,
    /// The Ed25519 signature, standard base64 (empty when unsigned).
    #[serde(default)]
    pub signature: String,
}

impl Envelope {
    /// The exact bytes the signature covers.
    pub fn signed_message(&self) -> Vec<u8> {
        format!(
            "{}\nsender={}\nrecipient={}\ntimestamp={}\nnonce={}\nrequest={}\nbody-sha256={}",
            self.kind.domain(),
            self.sender,
            self.recipient,
            self.timestamp,
            self.nonce,
            self.in_reply_to.as_deref().unwrap_or(""),
            self.body_sha256
        )
        .into_bytes()
    }

    /// The envelope as compact JSON, for the [`ENVELOPE_HEADER`] header. Only ASCII: names are `[a-z0-9-]`, the
    /// rest hex, decimal and base64.
    pub fn to_header(&self) -> String {
        // Serialising strings, an integer and an enum cannot fail; an empty header reads back as unsigned.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads an envelope from its header value; `None` (no header) is an unsigned message.
    pub fn from_header(value: Option<&str>) -> Result<Self, FederationError> {
        let Some(value) = value else {
            return Err(FederationError::Unsigned);
        };
        if value.len() > MAX_ENVELOPE_BYTES {
            return Err(FederationError::MalformedEnvelope(format!(
                "{} bytes; at most {MAX_ENVELOPE_BYTES}",
                value.len()
            )));
        }
        let envelope: Envelope = serde_json::from_str(value)
            .map_err(|e| FederationError::MalformedEnvelope(e.to_string()))?;
        envelope.check_syntax()?;
        Ok(envelope)
    }

    /// The request id this message is or answers: a request's own nonce, an answer's `in_reply_to`.
    pub fn request_id(&self) -> &str {
        match self.kind {
            Kind::Request => &self.nonce,
            Kind::Answer => self.in_reply_to.as_deref().unwrap_or(""),
        }
    }

    /// Every value has its syntax, so the signed message is unambiguous.
    fn check_syntax(&self) -> Result<(), FederationError> {
        let bad = |what: &str, value: &str| {
            FederationError::MalformedEnvelope(format!("`{what}` is not valid: {value:?}"))
        };
        if !is_host_name(&self.sender) {
            return Err(bad("sender", &self.sender));
        }
        if !is_host_name(&self.recipient) {
            return Err(bad("recipient", &self.recipient));
        }
        if !is_hex(&self.nonce, 2 * NONCE_BYTES) {
            return Err(bad("nonce", &self.nonce));
        }
        match (self.kind, &self.in_reply_to) {
            (Kind::Request, Some(_)) => {
                return Err(FederationError::MalformedEnvelope(
                    "a request has no `in_reply_to`".into(),
                ));
            }
            (Kind::Answer, None) => {
                return Err(FederationError::MalformedEnvelope(
                    "an answer needs `in_reply_to`, the request id it answers".into(),
                ));
            }
            (Kind::Answer, Some(id)) if !is_hex(id, 2 * NONCE_BYTES) => {
                return Err(bad("in_reply_to", id));
            }
            _ => {}
        }
        if !is_hex(&self.body_sha256, 64) {
            return Err(bad("body_sha256", &self.body_sha256));
        }
        if self.signature.is_empty() {
            return Err(FederationError::Unsigned);
        }
        Ok(())
    }
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// SHA-256 of `body`, lower-case hex.
pub fn body_digest(body: &[u8]) -> String {
    cohort_crypto::sha256_hex(body)
}

/// A fresh 128-bit nonce.
fn new_nonce() -> Result<String, FederationError> {
    let mut bytes = [0u8; NONCE_BYTES];
    cohort_crypto::random_bytes(&mut bytes).map_err(|_| FederationError::Random)?;
    Ok(hex::encode(bytes))
}

/// Signs `body` as `identity`, for `recipient`, now.
pub(crate) fn seal(
    identity: &HostIdentity,
    kind: Kind,
    recipient: &str,
    in_reply_to: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<Envelope, FederationError> {
    let mut envelope = Envelope {
        kind,
        sender: identity.name().to_owned(),
        recipient: recipient.to_owned(),
        timestamp: now,
        nonce: new_nonce()?,
        in_reply_to: in_reply_to.map(str::to_owned),
        body_sha256: body_digest(body),
        signature: String::new(),
    };
    envelope.signature = B64.encode(identity.sign(&envelope.signed_message()));
    Ok(envelope)
}

/// The stateless checks, in the documented order: kind, sender listed, body digest, signature, recipient, clock.
/// Returns the sender's peer entry. The replay cache and the outstanding requests are checked by the caller.
pub(crate) fn authenticate<'p>(
    envelope: &Envelope,
    expected: Kind,
    this_host: &str,
    peers: &'p Peers,
    body: &[u8],
    now: i64,
) -> Result<&'p Peer, FederationError> {
    if envelope.kind != expected {
        return Err(FederationError::WrongKind {
            expected: expected.as_str(),
            found: envelope.kind.as_str(),
        });
    }
    let sender = || envelope.sender.clone();
    let peer = peers
        .get(&envelope.sender)
        .ok_or_else(|| FederationError::UnknownSender { sender: sender() })?;
    if body_digest(body) != envelope.body_sha256 {
        return Err(FederationError::BodyMismatch { sender: sender() });
    }
    let signature = B64
        .decode(envelope.signature.as_bytes())
        .map_err(|_| FederationError::BadSignature { sender: sender() })?;
    if !cohort_crypto::named_key::verify_signature(
        peer.key_bytes(),
        &envelope.signed_message(),
        &signature,
    ) {
        return Err(FederationError::BadSignature { sender: sender() });
    }
    if envelope.recipient != this_host {
        return Err(FederationError::WrongRecipient {
            sender: sender(),
            recipient: envelope.recipient.clone(),
            this_host: this_host.to_owned(),
        });
    }
    let age = now.saturating_sub(envelope.timestamp);
    if age > CLOCK_WINDOW_SECS {
        return Err(FederationError::Expired {
            sender: sender(),
            age,
        });
    }
    if -age > CLOCK_WINDOW_SECS {
        return Err(FederationError::FromTheFuture {
            sender: sender(),
            ahead: -age,
        });
    }
    Ok(peer)
}

/// Nonces accepted within the window, so that each message is accepted once (see the module documentation).
#[derive(Debug)]
pub struct ReplayGuard {
    /// Timestamps at or before this are refused: the process start, or, once the clock has moved on, the oldest
    /// timestamp the cache still answers for.
    floor: i64,
    started_at: i64,
    capacity: usize,
    seen: HashSet<(String, String)>,
    by_time: BTreeSet<(i64, String, String)>,
}

impl ReplayGuard {
    /// A cache for a process that started at `started_at` (unix seconds), remembering at most `capacity` nonces.
    pub fn new(started_at: i64, capacity: usize) -> Self {
        Self {
            floor: started_at,
            started_at,
            capacity,
            seen: HashSet::new(),
            by_time: BTreeSet::new(),
        }
    }

    /// Accepts (`sender`, `nonce`) signed at `timestamp` once, and remembers it; refuses it when signed before the
    /// process started, older than the cache answers for, or seen before. Call only for authenticated messages,
    /// so that nobody but a listed peer can fill the cache.
    pub fn admit(
        &mut self,
        sender: &str,
        nonce: &str,
        timestamp: i64,
        now: i64,
    ) -> Result<(), FederationError> {
        if timestamp <= self.started_at {
            return Err(FederationError::BeforeStart {
                sender: sender.to_owned(),
            });
        }
        self.forget_expired(now);
        if timestamp <= self.floor {
            // Only after this host's clock went back: the nonce may have been forgotten already.
            return Err(FederationError::Expired {
                sender: sender.to_owned(),
                age: now.saturating_sub(timestamp),
            });
        }
        let key = (sender.to_owned(), nonce.to_owned());
        if self.seen.contains(&key) {
            return Err(FederationError::Replayed {
                sender: key.0,
                nonce: key.1,
            });
        }
        if self.seen.len() >= self.capacity {
            return Err(FederationError::ReplayCacheFull {
                limit: self.capacity,
            });
        }
        self.by_time
            .insert((timestamp, key.0.clone(), key.1.clone()));
        self.seen.insert(key);
        Ok(())
    }

    /// Nonces remembered now.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether no nonce is remembered.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Drops nonces whose timestamps the clock check refuses by now anyway, and raises the floor to match.
    fn forget_expired(&mut self, now: i64) {
        let cutoff = now.saturating_sub(CLOCK_WINDOW_SECS + 1);
        if cutoff <= self.floor {
            return;
        }
        self.floor = cutoff;
        while let Some(first) = self.by_time.first() {
            if first.0 > cutoff {
                break;
            }
            if let Some((_, sender, nonce)) = self.by_time.pop_first() {
                self.seen.remove(&(sender, nonce));
            }
        }
    }
}

/// What the coordinator remembers of a request until its answer comes.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub peer: String,
    pub sent_at: i64,
    pub by: Vec<String>,
    pub sums: Vec<String>,
}

/// Requests sent and not answered yet, by request id.
#[derive(Debug, Default)]
pub(crate) struct Outstanding {
    by_id: HashMap<String, Pending>,
}

impl Outstanding {
    pub fn register(
        &mut self,
        id: String,
        pending: Pending,
        now: i64,
    ) -> Result<(), FederationError> {
        // A request older than the window can no longer be answered validly by an honest peer's clock: drop it.
        let cutoff = now.saturating_sub(2 * CLOCK_WINDOW_SECS);
        self.by_id.retain(|_, p| p.sent_at >= cutoff);
        if self.by_id.len() >= MAX_OUTSTANDING {
            return Err(FederationError::TooManyOutstanding {
                limit: MAX_OUTSTANDING,
            });
        }
        self.by_id.insert(id, pending);
        Ok(())
    }

    /// The pending request `id`, if it was sent to `sender`.
    pub fn get(&self, id: &str, sender: &str) -> Result<&Pending, FederationError> {
        self.by_id
            .get(id)
            .filter(|p| p.peer == sender)
            .ok_or_else(|| FederationError::NotOutstanding {
                sender: sender.to_owned(),
                request_id: id.to_owned(),
            })
    }

    pub fn remove(&mut self, id: &str) -> Option<Pending> {
        self.by_id.remove(id)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nonce(i: u32) -> String {
        format!("{i:032x}")
    }

    #[test]
    fn the_signed_message_is_line_per_field_with_the_domain_first() {
        let e = Envelope {
            kind: Kind::Answer,
            sender: "eu".into(),
            recipient: "us".into(),
            timestamp: 1_700_000_000,
            nonce: nonce(1),
            in_reply_to: Some(nonce(2)),
            body_sha256: body_digest(b"{}"),
            signature: String::new(),
        };
        let text = String::from_utf8(e.signed_message()).unwrap();
        let lines: Vec<&str> = text.split('\n').collect();
        assert_eq!(lines[0], ANSWER_DOMAIN);
        assert_eq!(lines[1], "sender=eu");
        assert_eq!(lines[3], "timestamp=1700000000");
        assert_eq!(lines[5], format!("request={}", nonce(2)));
        assert_eq!(lines.len(), 7);
        let request = Envelope {
            kind: Kind::Request,
            in_reply_to: None,
            ..e.clone()
        };
        assert!(
            request
                .signed_message()
                .starts_with(REQUEST_DOMAIN.as_bytes())
        );
        assert_ne!(request.signed_message(), e.signed_message());
    }

    #[test]
    fn a_nonce_is_accepted_once_and_forgotten_only_when_its_timestamp_is_refused_anyway() {
        let start = 1_000;
        let mut guard = ReplayGuard::new(start, 3);
        assert!(matches!(
            guard.admit("eu", &nonce(1), start, start + 1),
            Err(FederationError::BeforeStart { .. })
        ));
        guard.admit("eu", &nonce(1), start + 1, start + 1).unwrap();
        assert!(matches!(
            guard.admit("eu", &nonce(1), start + 1, start + 2),
            Err(FederationError::Replayed { .. })
        ));
        // The same nonce from another sender is another message.
        guard.admit("us", &nonce(1), start + 1, start + 2).unwrap();
        guard.admit("us", &nonce(2), start + 2, start + 2).unwrap();
        assert!(matches!(
            guard.admit("us", &nonce(3), start + 2, start + 2),
            Err(FederationError::ReplayCacheFull { limit: 3 })
        ));
        // Once the window has passed the first two, they are forgotten and their timestamps refused.
        let later = start + 1 + CLOCK_WINDOW_SECS + 1;
        guard.admit("us", &nonce(3), later, later).unwrap();
        assert_eq!(guard.len(), 2);
        assert!(matches!(
            guard.admit("eu", &nonce(1), start + 1, later),
            Err(FederationError::Expired { .. })
        ));
        // If this host's clock goes back, timestamps it may have forgotten stay refused.
        assert!(matches!(
            guard.admit("eu", &nonce(9), start + 1, start + 2),
            Err(FederationError::Expired { .. })
        ));
    }

    #[test]
    fn envelopes_with_bad_syntax_are_malformed_and_missing_ones_unsigned() {
        let good = Envelope {
            kind: Kind::Request,
            sender: "eu".into(),
            recipient: "us".into(),
            timestamp: 5,
            nonce: nonce(1),
            in_reply_to: None,
            body_sha256: body_digest(b""),
            signature: "AAAA".into(),
        };
        assert_eq!(
            Envelope::from_header(Some(&good.to_header())).unwrap(),
            good
        );
        assert!(matches!(
            Envelope::from_header(None),
            Err(FederationError::Unsigned)
        ));
        let unsigned = Envelope {
            signature: String::new(),
            ..good.clone()
        };
        assert!(matches!(
            Envelope::from_header(Some(&unsigned.to_header())),
            Err(FederationError::Unsigned)
        ));
        let without_field = good.to_header().replace(",\"signature\":\"AAAA\"", "");
        assert!(matches!(
            Envelope::from_header(Some(&without_field)),
            Err(FederationError::Unsigned)
        ));
        let bad = [
            Envelope {
                sender: "eu\nrecipient=x".into(),
                ..good.clone()
            },
            Envelope {
                nonce: "XYZ".into(),
                ..good.clone()
            },
            Envelope {
                in_reply_to: Some(nonce(2)),
                ..good.clone()
            },
            Envelope {
                kind: Kind::Answer,
                ..good.clone()
            },
            Envelope {
                body_sha256: "00".into(),
                ..good.clone()
            },
        ];
        for e in bad {
            assert!(
                matches!(
                    Envelope::from_header(Some(&e.to_header())),
                    Err(FederationError::MalformedEnvelope(_))
                ),
                "{e:?}"
            );
        }
        assert!(matches!(
            Envelope::from_header(Some(&"x".repeat(MAX_ENVELOPE_BYTES + 1))),
            Err(FederationError::MalformedEnvelope(_))
        ));
        assert!(matches!(
            Envelope::from_header(Some("{\"kind\":\"request\"}")),
            Err(FederationError::MalformedEnvelope(_))
        ));
    }
}
