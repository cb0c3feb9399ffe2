//! One host's side of the protocol, whatever carries the bytes: signing requests and verifying their answers as a
//! coordinator; verifying requests, answering and signing answers as a peer. [`Federation`] holds the identity,
//! the peer list and the two memories (replay cache, outstanding requests) behind locks, so one value serves every
//! connection of a server.

use std::sync::{Mutex, MutexGuard};

use crate::envelope::{
    self, Envelope, Kind, MAX_REMEMBERED_NONCES, Outstanding, Pending, ReplayGuard,
};
use crate::error::FederationError;
use crate::messages::{
    self, FederatedAnswer, FederatedQuery, LocalCount, MAX_ANSWER_BYTES, MAX_QUERY_BYTES,
};
use crate::peer::{HostIdentity, Peers};
use cohort_outputs::{CountReport, OutputError};

/// A signed message: the body to send and the envelope to send beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedMessage {
    /// The signed envelope.
    pub envelope: Envelope,
    /// The body (JSON), exactly as signed.
    pub body: Vec<u8>,
}

impl SignedMessage {
    /// The envelope as the value of the [`crate::ENVELOPE_HEADER`] header.
    pub fn header(&self) -> String {
        self.envelope.to_header()
    }

    /// The request id: a request's nonce, or the request an answer answers.
    pub fn request_id(&self) -> &str {
        self.envelope.request_id()
    }
}

/// A query that passed every check of the envelope: signed by a listed peer, for this host, fresh, not replayed,
/// and with a coordinator that is its signer. Only [`Federation::verify_request`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedQuery {
    query: FederatedQuery,
    from: String,
    request_id: String,
}

impl VerifiedQuery {
    /// The query.
    pub fn query(&self) -> &FederatedQuery {
        &self.query
    }

    /// The peer that sent it.
    pub fn from(&self) -> &str {
        &self.from
    }

    /// Its request id.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }
}

/// This host in federation: identity, peers, replay cache and outstanding requests.
#[derive(Debug)]
pub struct Federation {
    identity: HostIdentity,
    peers: Peers,
    replay: Mutex<ReplayGuard>,
    outstanding: Mutex<Outstanding>,
}

/// Locks `m`. A panic while holding one of these locks leaves consistent state (each update is a single insert or
/// remove), so a poisoned lock is used as it is.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Now, in unix seconds.
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl Federation {
    /// This host as `identity`, listing `peers`, in a process that started at `started_at` (unix seconds): no
    /// message signed at or before that second is accepted (see [`crate::envelope`], "Restarts").
    pub fn new(
        identity: HostIdentity,
        peers: Peers,
        started_at: i64,
    ) -> Result<Self, FederationError> {
        if peers.get(identity.name()).is_some() {
            return Err(FederationError::PeerIsSelf(identity.name().to_owned()));
        }
        Ok(Self {
            identity,
            peers,
            replay: Mutex::new(ReplayGuard::new(started_at, MAX_REMEMBERED_NONCES)),
            outstanding: Mutex::new(Outstanding::default()),
        })
    }

    /// This host's name.
    pub fn name(&self) -> &str {
        self.identity.name()
    }

    /// This host's public key, `ed25519:<base64>`.
    pub fn public_key(&self) -> String {
        self.identity.public_key()
    }

    /// The peers this host lists.
    pub fn peers(&self) -> &Peers {
        &self.peers
    }

    /// Requests sent and still waiting for an answer.
    pub fn outstanding(&self) -> usize {
        lock(&self.outstanding).len()
    }

    // Coordinator side.

    /// Signs `query` for peer `peer` and records it as outstanding. Send the body with the header; then either
    /// [`Federation::verify_answer`] takes its answer, or call [`Federation::forget`] when giving up on it.
    pub fn sign_request(
        &self,
        peer: &str,
        query: &FederatedQuery,
        now: i64,
    ) -> Result<SignedMessage, FederationError> {
        if self.peers.get(peer).is_none() {
            return Err(FederationError::NotAPeer(peer.to_owned()));
        }
        if query.coordinator != self.name() {
            return Err(FederationError::InvalidMessage {
                what: "query",
                reason: format!(
                    "`coordinator` is `{}`, not this host (`{}`)",
                    query.coordinator,
                    self.name()
                ),
            });
        }
        query.check()?;
        let body = to_json(query, "query")?;
        let envelope = envelope::seal(&self.identity, Kind::Request, peer, None, &body, now)?;
        lock(&self.outstanding).register(
            envelope.nonce.clone(),
            Pending {
                peer: peer.to_owned(),
                sent_at: now,
                by: query.by.clone(),
                sums: query.sums.clone(),
            },
            now,
        )?;
        Ok(SignedMessage { envelope, body })
    }

    /// Stops waiting for request `request_id` (timed out, or its transport failed): a late answer is refused.
    pub fn forget(&self, request_id: &str) {
        lock(&self.outstanding).remove(request_id);
    }

    /// Verifies an answer (`header`: the envelope header's value, if any) and returns it, checked against the
    /// query it answers. The request stops being outstanding once an authentic answer to it arrives, valid or not.
    pub fn verify_answer(
        &self,
        header: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<FederatedAnswer, FederationError> {
        if body.len() > MAX_ANSWER_BYTES {
            return Err(FederationError::BodyTooLarge {
                what: "answer",
                bytes: body.len(),
                limit: MAX_ANSWER_BYTES,
            });
        }
        let envelope = Envelope::from_header(header)?;
        let peer =
            envelope::authenticate(&envelope, Kind::Answer, self.name(), &self.peers, body, now)?;
        let request_id = envelope.request_id();
        let mut outstanding = lock(&self.outstanding);
        lock(&self.replay).admit(peer.name(), &envelope.nonce, envelope.timestamp, now)?;
        let pending = outstanding.get(request_id, peer.name())?.clone();
        outstanding.remove(request_id);
        drop(outstanding);
        let answer: FederatedAnswer =
            serde_json::from_slice(body).map_err(|e| FederationError::InvalidMessage {
                what: "answer",
                reason: e.to_string(),
            })?;
        if answer.host != peer.name() {
            return Err(FederationError::InvalidMessage {
                what: "answer",
                reason: format!(
                    "it names host `{}`, but was signed by `{}`",
                    answer.host,
                    peer.name()
                ),
            });
        }
        answer.check(&pending.by, &pending.sums)?;
        Ok(answer)
    }

    // Peer side.

    /// Verifies a request (`header`: the envelope header's value, if any) and returns its query.
    pub fn verify_request(
        &self,
        header: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<VerifiedQuery, FederationError> {
        if body.len() > MAX_QUERY_BYTES {
            return Err(FederationError::BodyTooLarge {
                what: "query",
                bytes: body.len(),
                limit: MAX_QUERY_BYTES,
            });
        }
        let envelope = Envelope::from_header(header)?;
        let peer = envelope::authenticate(
            &envelope,
            Kind::Request,
            self.name(),
            &self.peers,
            body,
            now,
        )?;
        lock(&self.replay).admit(peer.name(), &envelope.nonce, envelope.timestamp, now)?;
        let query: FederatedQuery =
            serde_json::from_slice(body).map_err(|e| FederationError::InvalidMessage {
                what: "query",
                reason: e.to_string(),
            })?;
        if query.coordinator != peer.name() {
            return Err(FederationError::InvalidMessage {
                what: "query",
                reason: format!(
                    "`coordinator` is `{}` but the query was signed by `{}`",
                    query.coordinator,
                    peer.name()
                ),
            });
        }
        query.check()?;
        Ok(VerifiedQuery {
            query,
            from: peer.name().to_owned(),
            request_id: envelope.nonce,
        })
    }

    /// Answers a verified request with this host's own count (see [`messages::answer`]).
    pub fn answer<F>(
        &self,
        request: &VerifiedQuery,
        count: F,
    ) -> Result<FederatedAnswer, FederationError>
    where
        F: FnOnce(LocalCount<'_>) -> Result<CountReport, OutputError>,
    {
        messages::answer(
            self.name(),
            &request.query,
            &request.from,
            &self.peers,
            count,
        )
    }

    /// Signs `answer` to `request`, for the peer that sent it.
    pub fn sign_answer(
        &self,
        request: &VerifiedQuery,
        answer: &FederatedAnswer,
        now: i64,
    ) -> Result<SignedMessage, FederationError> {
        if answer.host != self.name() {
            return Err(FederationError::InvalidMessage {
                what: "answer",
                reason: format!(
                    "it names host `{}`, not this host (`{}`)",
                    answer.host,
                    self.name()
                ),
            });
        }
        let body = to_json(answer, "answer")?;
        if body.len() > MAX_ANSWER_BYTES {
            return Err(FederationError::BodyTooLarge {
                what: "answer",
                bytes: body.len(),
                limit: MAX_ANSWER_BYTES,
            });
        }
        let envelope = envelope::seal(
            &self.identity,
            Kind::Answer,
            &request.from,
            Some(&request.request_id),
            &body,
            now,
        )?;
        Ok(SignedMessage { envelope, body })
    }
}

fn to_json<T: serde::Serialize>(value: &T, what: &'static str) -> Result<Vec<u8>, FederationError> {
    serde_json::to_vec(value).map_err(|e| FederationError::InvalidMessage {
        what,
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::CLOCK_WINDOW_SECS;
    use crate::peer::PeerConfig;
    use cohort_outputs::{CountRow, MeasureValue, RowKind as OutRowKind};

    const START: i64 = 1_800_000_000;
    const NOW: i64 = START + 60;

    struct Hosts {
        hq: Federation,
        eu: Federation,
        us: Federation,
    }

    fn entry(id: &HostIdentity) -> PeerConfig {
        PeerConfig {
            name: Some(id.name().into()),
            url: Some(format!("https://{}.example:8443", id.name())),
            public_key: Some(id.public_key()),
        }
    }

    /// hq lists eu and us; eu and us each list hq only.
    fn hosts() -> Hosts {
        let hq = HostIdentity::generate("hq").unwrap();
        let eu = HostIdentity::generate("eu").unwrap();
        let us = HostIdentity::generate("us").unwrap();
        let hq_peers = Peers::from_config(&[entry(&eu), entry(&us)]).unwrap();
        let back = Peers::from_config(&[entry(&hq)]).unwrap();
        Hosts {
            hq: Federation::new(hq, hq_peers, START).unwrap(),
            eu: Federation::new(eu, back.clone(), START).unwrap(),
            us: Federation::new(us, back, START).unwrap(),
        }
    }

    fn query() -> FederatedQuery {
        FederatedQuery {
            segment: "rfm/champions".into(),
            purpose: "analytics".into(),
            by: vec!["country".into()],
            sums: vec!["order_completed.revenue".into()],
            requester: "alice".into(),
            coordinator: "hq".into(),
        }
    }

    /// A released one-dimensional count report as `count_segment` shapes it.
    fn report(requester_seen: &str) -> CountReport {
        assert_eq!(
            requester_seen, "peer:hq",
            "the peer's budget is charged to the coordinator"
        );
        let row = |kind, label: &str, count: Option<u64>, sum: Option<i128>| CountRow {
            kind,
            group: vec![label.into()],
            count,
            measures: vec![MeasureValue {
                name: "order_completed.revenue".into(),
                sum,
                mean: sum.zip(count).map(|(s, c)| s as f64 / c as f64),
            }],
        };
        CountReport {
            segment: "rfm/champions".into(),
            purpose: "analytics".into(),
            run_id: "run-secret-id".into(),
            run_at: "2026-01-01T00:00:00Z".into(),
            by: vec!["country".into()],
            sums: vec!["order_completed.revenue".into()],
            k: 50,
            min_export_size: 100,
            rows: vec![
                row(OutRowKind::Cell, "DE", Some(150), Some(3_900)),
                row(OutRowKind::Cell, "FR", None, None),
                row(OutRowKind::Cell, "IT", None, None),
                row(OutRowKind::Total, "*", Some(240), Some(6_000)),
            ],
            suppressed: 2,
            differential_privacy: None,
            budget: Vec::new(),
            dry_run: false,
            audit_seq: Some(42),
        }
    }

    /// eu verifies and answers a request from hq, and signs the answer.
    fn answer_at(h: &Hosts, request: &SignedMessage, now: i64) -> SignedMessage {
        let verified =
            h.eu.verify_request(Some(&request.header()), &request.body, now)
                .unwrap();
        let answer =
            h.eu.answer(&verified, |local| Ok(report(local.requester)))
                .unwrap();
        h.eu.sign_answer(&verified, &answer, now).unwrap()
    }

    #[test]
    fn a_query_and_its_answer_make_the_round_trip() {
        let h = hosts();
        let request = h.hq.sign_request("eu", &query(), NOW).unwrap();
        assert_eq!(h.hq.outstanding(), 1);
        let verified =
            h.eu.verify_request(Some(&request.header()), &request.body, NOW)
                .unwrap();
        assert_eq!(verified.query(), &query());
        assert_eq!(verified.from(), "hq");
        assert_eq!(verified.request_id(), request.request_id());
        let answer =
            h.eu.answer(&verified, |local| {
                assert_eq!(
                    (local.segment, local.purpose),
                    ("rfm/champions", "analytics")
                );
                Ok(report(local.requester))
            })
            .unwrap();
        let signed = h.eu.sign_answer(&verified, &answer, NOW + 1).unwrap();
        assert_eq!(signed.request_id(), request.request_id());
        let received =
            h.hq.verify_answer(Some(&signed.header()), &signed.body, NOW + 2)
                .unwrap();
        assert_eq!(received, answer);
        assert_eq!(received.k, 50);
        assert_eq!(received.rows.len(), 4);
        assert_eq!(h.hq.outstanding(), 0);
        // Only released rows, k and noise cross: not the run id, the budget or the audit sequence.
        let body = String::from_utf8(signed.body).unwrap();
        assert!(
            !body.contains("run-secret-id")
                && !body.contains("audit_seq")
                && !body.contains("budget")
        );
    }

    #[test]
    fn tampered_replayed_expired_future_and_early_requests_are_refused() {
        let h = hosts();
        let request = h.hq.sign_request("eu", &query(), NOW).unwrap();
        let header = request.header();

        let tampered_body = String::from_utf8(request.body.clone())
            .unwrap()
            .replace("alice", "mallory");
        assert!(matches!(
            h.eu.verify_request(Some(&header), tampered_body.as_bytes(), NOW),
            Err(FederationError::BodyMismatch { .. })
        ));
        // Altering the body and its stated digest together breaks the signature instead.
        let mut envelope = request.envelope.clone();
        envelope.body_sha256 = envelope::body_digest(tampered_body.as_bytes());
        assert!(matches!(
            h.eu.verify_request(Some(&envelope.to_header()), tampered_body.as_bytes(), NOW),
            Err(FederationError::BadSignature { .. })
        ));
        let mut envelope = request.envelope.clone();
        envelope.timestamp += 1;
        assert!(matches!(
            h.eu.verify_request(Some(&envelope.to_header()), &request.body, NOW),
            Err(FederationError::BadSignature { .. })
        ));

        let expired_at = NOW + CLOCK_WINDOW_SECS + 1;
        assert!(matches!(
            h.eu.verify_request(Some(&header), &request.body, expired_at),
            Err(FederationError::Expired { age, .. }) if age == CLOCK_WINDOW_SECS + 1
        ));
        let future =
            h.hq.sign_request("eu", &query(), NOW + CLOCK_WINDOW_SECS + 1)
                .unwrap();
        assert!(matches!(
            h.eu.verify_request(Some(&future.header()), &future.body, NOW),
            Err(FederationError::FromTheFuture { .. })
        ));
        // Within the window both ways, it is accepted once.
        h.eu.verify_request(Some(&header), &request.body, NOW + CLOCK_WINDOW_SECS)
            .unwrap();
        assert!(matches!(
            h.eu.verify_request(Some(&header), &request.body, NOW + CLOCK_WINDOW_SECS),
            Err(FederationError::Replayed { .. })
        ));
        // Signed in the second the peer started: it might have been accepted by the previous process.
        let early = h.hq.sign_request("eu", &query(), START).unwrap();
        assert!(matches!(
            h.eu.verify_request(Some(&early.header()), &early.body, START + 1),
            Err(FederationError::BeforeStart { .. })
        ));
    }

    #[test]
    fn unsigned_misaddressed_and_unknown_requests_are_refused() {
        let h = hosts();
        let request = h.hq.sign_request("eu", &query(), NOW).unwrap();
        assert!(matches!(
            h.eu.verify_request(None, &request.body, NOW),
            Err(FederationError::Unsigned)
        ));
        let mut unsigned = request.envelope.clone();
        unsigned.signature.clear();
        assert!(matches!(
            h.eu.verify_request(Some(&unsigned.to_header()), &request.body, NOW),
            Err(FederationError::Unsigned)
        ));
        // Signed for eu, delivered to us: us lists hq, but the message is not for it.
        assert!(matches!(
            h.us.verify_request(Some(&request.header()), &request.body, NOW),
            Err(FederationError::WrongRecipient { ref recipient, .. }) if recipient == "eu"
        ));
        // A host that eu does not list.
        let stranger_id = HostIdentity::generate("ap").unwrap();
        let stranger = Federation::new(
            stranger_id,
            Peers::from_config(&[entry(&HostIdentity::generate("eu").unwrap())]).unwrap(),
            START,
        )
        .unwrap();
        let mut q = query();
        q.coordinator = "ap".into();
        let from_stranger = stranger.sign_request("eu", &q, NOW).unwrap();
        assert!(matches!(
            h.eu.verify_request(Some(&from_stranger.header()), &from_stranger.body, NOW),
            Err(FederationError::UnknownSender { ref sender }) if sender == "ap"
        ));
        // An impostor using hq's name with its own key.
        let impostor = Federation::new(
            HostIdentity::generate("hq").unwrap(),
            Peers::from_config(&[entry(&HostIdentity::generate("eu").unwrap())]).unwrap(),
            START,
        )
        .unwrap();
        let forged = impostor.sign_request("eu", &query(), NOW).unwrap();
        assert!(matches!(
            h.eu.verify_request(Some(&forged.header()), &forged.body, NOW),
            Err(FederationError::BadSignature { ref sender }) if sender == "hq"
        ));
        // A query claiming another coordinator than its signer.
        assert!(
            h.hq.sign_request(
                "eu",
                &FederatedQuery {
                    coordinator: "eu".into(),
                    ..query()
                },
                NOW
            )
            .is_err()
        );
        // None of the refused messages used up the real request's nonce.
        h.eu.verify_request(Some(&request.header()), &request.body, NOW)
            .unwrap();
    }

    #[test]
    fn an_answer_never_passes_as_a_request_nor_the_reverse() {
        let h = hosts();
        let request = h.hq.sign_request("eu", &query(), NOW).unwrap();
        let answer = answer_at(&h, &request, NOW);
        // hq lists eu, and the answer is addressed to hq, but it is an answer.
        assert!(matches!(
            h.hq.verify_request(Some(&answer.header()), &answer.body, NOW),
            Err(FederationError::WrongKind {
                expected: "request",
                found: "answer"
            })
        ));
        // Relabelled as a request, its signature (over the answer's domain tag) no longer verifies.
        let mut relabelled = answer.envelope.clone();
        relabelled.kind = Kind::Request;
        relabelled.in_reply_to = None;
        assert!(matches!(
            h.hq.verify_request(Some(&relabelled.to_header()), &answer.body, NOW),
            Err(FederationError::BadSignature { .. })
        ));
        // And a request where an answer is expected.
        let to_eu = h.hq.sign_request("eu", &query(), NOW).unwrap();
        assert!(matches!(
            h.eu.verify_answer(Some(&to_eu.header()), &to_eu.body, NOW),
            Err(FederationError::WrongKind {
                expected: "answer",
                found: "request"
            })
        ));
    }

    #[test]
    fn answers_are_taken_once_only_for_outstanding_requests_from_the_host_asked() {
        let h = hosts();
        let request = h.hq.sign_request("eu", &query(), NOW).unwrap();
        let answer = answer_at(&h, &request, NOW);

        let tampered = String::from_utf8(answer.body.clone())
            .unwrap()
            .replace("150", "151");
        assert!(matches!(
            h.hq.verify_answer(Some(&answer.header()), tampered.as_bytes(), NOW),
            Err(FederationError::BodyMismatch { .. })
        ));
        assert!(matches!(
            h.hq.verify_answer(None, &answer.body, NOW),
            Err(FederationError::Unsigned)
        ));
        assert!(matches!(
            h.hq.verify_answer(
                Some(&answer.header()),
                &answer.body,
                NOW + CLOCK_WINDOW_SECS + 1
            ),
            Err(FederationError::Expired { .. })
        ));
        h.hq.verify_answer(Some(&answer.header()), &answer.body, NOW)
            .unwrap();
        assert!(matches!(
            h.hq.verify_answer(Some(&answer.header()), &answer.body, NOW),
            Err(FederationError::Replayed { .. })
        ));
        // A fresh answer to the same request (eu signs again) is not outstanding any more.
        let verified = VerifiedQuery {
            query: query(),
            from: "hq".into(),
            request_id: request.request_id().to_owned(),
        };
        let again = h.eu.answer(&verified, |l| Ok(report(l.requester))).unwrap();
        let again = h.eu.sign_answer(&verified, &again, NOW).unwrap();
        assert!(matches!(
            h.hq.verify_answer(Some(&again.header()), &again.body, NOW),
            Err(FederationError::NotOutstanding { .. })
        ));

        // us answering the request sent to eu: outstanding, but not for us.
        let to_eu = h.hq.sign_request("eu", &query(), NOW).unwrap();
        let stolen = VerifiedQuery {
            query: query(),
            from: "hq".into(),
            request_id: to_eu.request_id().to_owned(),
        };
        let mut us_answer = h.eu.answer(&stolen, |l| Ok(report(l.requester))).unwrap();
        us_answer.host = "us".into();
        let us_signed = h.us.sign_answer(&stolen, &us_answer, NOW).unwrap();
        assert!(matches!(
            h.hq.verify_answer(Some(&us_signed.header()), &us_signed.body, NOW),
            Err(FederationError::NotOutstanding { ref sender, .. }) if sender == "us"
        ));
        // A request given up on (timed out) takes no late answer.
        h.hq.forget(to_eu.request_id());
        let late = answer_at(&h, &to_eu, NOW + 5);
        assert!(matches!(
            h.hq.verify_answer(Some(&late.header()), &late.body, NOW + 5),
            Err(FederationError::NotOutstanding { .. })
        ));
        assert_eq!(h.hq.outstanding(), 0);
    }

    #[test]
    fn only_listed_peers_are_answered_and_the_list_never_names_this_host() {
        let h = hosts();
        let err = messages::answer(
            "eu",
            &FederatedQuery {
                coordinator: "ap".into(),
                ..query()
            },
            "ap",
            h.eu.peers(),
            |_| unreachable!(),
        )
        .unwrap_err();
        assert!(
            matches!(err, FederationError::NotAPeer(ref n) if n == "ap"),
            "{err}"
        );
        let err = messages::answer(
            "eu",
            &FederatedQuery {
                coordinator: "us".into(),
                ..query()
            },
            "hq",
            h.eu.peers(),
            |_| unreachable!(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("signed by `hq`"), "{err}");
        let me = HostIdentity::generate("eu").unwrap();
        let peers = Peers::from_config(&[entry(&me)]).unwrap();
        assert!(matches!(
            Federation::new(me, peers, START),
            Err(FederationError::PeerIsSelf(_))
        ));
        assert!(matches!(
            h.hq.sign_request("ap", &query(), NOW),
            Err(FederationError::NotAPeer(_))
        ));
    }
}
