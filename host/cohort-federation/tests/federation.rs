//! Three hosts with their own stores, keys and policies federate a count, in one process: the coordinator `hq`
//! (k = 10), `eu` (k = 25) and `us` (k = 5, with differential privacy). Real sled, real ingest, real
//! `count_segment` under each host's own policy; the protocol's bytes (bodies and envelope headers) are handed
//! from host to host as a transport would carry them, and every one of them is kept and scanned afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

use std::collections::BTreeMap;
use std::path::Path;

use cohort_federation::{
    FederatedAnswer, FederatedQuery, Federation, HostIdentity, MergedCount, PeerConfig,
    PeerOutcome, PeerResult, Peers, RowKind, Withheld, merge,
};
use cohort_outputs::{CountRequest, count_segment};
use cohort_store::{AuditRecord, Membership, PluginMemberships, Store};

const START: i64 = 1_800_000_000;
const NOW: i64 = START + 30;
const REVENUE: &str = "order_completed.revenue";

/// One person of a host's dataset.
struct Person {
    email: String,
    city: String,
    country: &'static str,
    revenue: i64,
}

/// A host's data: its own store (own key file, so its own HMAC key), policy and people.
struct Data {
    _dir: tempfile::TempDir,
    store: Store,
    policy: cohort_policy::Policy,
    people: Vec<Person>,
}

struct Host {
    data: Data,
    federation: Federation,
}

/// `counts` people per country for host `name`: unique emails and city markers (per-subject values that must never
/// cross), revenue `i % 50 + 1`.
fn people(name: &str, counts: &[(&'static str, usize)]) -> Vec<Person> {
    let mut out = Vec::new();
    for (country, n) in counts {
        for _ in 0..*n {
            let i = out.len();
            out.push(Person {
                email: format!("{name}-person{i}@example.com"),
                city: format!("marker-{name}-{i}"),
                country,
                revenue: (i % 50) as i64 + 1,
            });
        }
    }
    out
}

/// The example policy with `min_group_size` and `min_export_size` = `k`, and differential privacy only when
/// `dp`.
fn policy(dir: &Path, k: u64, dp: bool) -> cohort_policy::Policy {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut text = std::fs::read_to_string(root.join("policies/example-retail.yaml")).unwrap();
    text = text.replace("min_group_size: 50", &format!("min_group_size: {k}"));
    text = text.replace("min_export_size: 100", &format!("min_export_size: {k}"));
    if !dp {
        let start = text.find("  differential_privacy:").unwrap();
        let end = text[start..].find("\nretention:").unwrap() + start;
        let kept: String = text[start..end]
            .lines()
            .skip_while(|l| l.starts_with("  differential_privacy:") || l.starts_with("    "))
            .map(|l| format!("{l}\n"))
            .collect();
        text = format!("{}{}{}", &text[..start], kept, &text[end..]);
    }
    let path = dir.join("policy.yaml");
    std::fs::write(&path, text).unwrap();
    cohort_policy::load_policy(&path).unwrap()
}

/// A host's own store and key file, its people ingested and all of them in segment `fixture/all` under
/// `analytics` (memberships written as a segmenter run would write them).
fn data(name: &str, k: u64, dp: bool, counts: &[(&'static str, usize)]) -> Data {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy(dir.path(), k, dp);
    let keys = dir.path().join("keys.json");
    cohort_crypto::KeyRing::create(&keys, "t").unwrap();
    let store = Store::init(
        &dir.path().join("data"),
        cohort_crypto::KeyRing::load(&keys).unwrap(),
    )
    .unwrap();
    let people = people(name, counts);
    let records: Vec<serde_json::Value> = people
        .iter()
        .map(|p| {
            serde_json::json!({"source": "crm",
                "identifiers": {"email": p.email},
                "attributes": {"country": p.country, "city": p.city},
                "events": [{"type": "order_completed", "at": "2026-10-01T12:00:00Z",
                            "properties": {"revenue": p.revenue}}]})
        })
        .collect();
    cohort_ingest::ingest_values(
        &store,
        &policy,
        &records,
        "test",
        &cohort_ingest::IngestOptions::default(),
        &mut cohort_ingest::NoProgress,
    )
    .unwrap();
    let at = cohort_store::rfc3339(time::OffsetDateTime::now_utc());
    let run_id = format!("run-{name}");
    let changes: Vec<_> = store
        .subject_ids()
        .map(|id| {
            (
                id.unwrap(),
                Some(PluginMemberships {
                    plugin: "fixture".into(),
                    run_id: run_id.clone(),
                    purpose: "analytics".into(),
                    at: at.clone(),
                    segments: vec![Membership {
                        segment: "all".into(),
                        score: 1.0,
                        reasons: vec![],
                    }],
                }),
            )
        })
        .collect();
    let run = serde_json::json!({"run_id": run_id, "plugin": "fixture@1.0.0", "plugin_id": "fixture",
        "purpose": "analytics", "at": at, "subjects_seen": changes.len(),
        "by_segment": {"all": changes.len()}});
    store
        .write_memberships(
            "fixture",
            "analytics",
            &changes,
            &run_id,
            &run,
            AuditRecord::new("test", "segment.run", None),
        )
        .unwrap();
    Data {
        _dir: dir,
        store,
        policy,
        people,
    }
}

fn entry(id: &HostIdentity) -> PeerConfig {
    PeerConfig {
        name: Some(id.name().into()),
        url: Some(format!("https://{}.example.internal:8443", id.name())),
        public_key: Some(id.public_key()),
    }
}

struct World {
    hq: Host,
    eu: Host,
    us: Host,
    /// Every body and envelope header that crossed hosts.
    wire: Vec<String>,
}

/// hq lists eu and us; each of them lists hq.
fn world() -> World {
    let [hq_id, eu_id, us_id] = ["hq", "eu", "us"].map(|n| HostIdentity::generate(n).unwrap());
    let hq_peers = Peers::from_config(&[entry(&eu_id), entry(&us_id)]).unwrap();
    let back = Peers::from_config(&[entry(&hq_id)]).unwrap();
    World {
        hq: Host {
            data: data("hq", 10, false, &[("DE", 60), ("FR", 30), ("IT", 4)]),
            federation: Federation::new(hq_id, hq_peers, START).unwrap(),
        },
        eu: Host {
            data: data(
                "eu",
                25,
                false,
                &[("DE", 40), ("FR", 30), ("ES", 50), ("PT", 3)],
            ),
            federation: Federation::new(eu_id, back.clone(), START).unwrap(),
        },
        us: Host {
            data: data("us", 5, true, &[("US", 200), ("DE", 8)]),
            federation: Federation::new(us_id, back, START).unwrap(),
        },
        wire: Vec::new(),
    }
}

fn query() -> FederatedQuery {
    FederatedQuery {
        segment: "all".into(),
        purpose: "analytics".into(),
        by: vec!["country".into()],
        sums: vec![REVENUE.into()],
        requester: "cli:alice".into(),
        coordinator: "hq".into(),
    }
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// What a peer's endpoint does: verify, count locally (charged to `peer:hq`), sign the answer.
fn serve(peer: &Host, header: &str, body: &[u8]) -> Result<(String, Vec<u8>), String> {
    let f = &peer.federation;
    let verified = f
        .verify_request(Some(header), body, NOW)
        .map_err(|e| e.to_string())?;
    let answer = f
        .answer(&verified, |local| {
            assert_eq!(local.requester, "peer:hq");
            count_segment(local.request(&peer.data.store, &peer.data.policy, now()))
        })
        .map_err(|e| e.to_string())?;
    let signed = f
        .sign_answer(&verified, &answer, NOW)
        .map_err(|e| e.to_string())?;
    Ok((signed.header(), signed.body))
}

/// The coordinator's fan-out over the peers that are up, `down` ones never answering; then its own part and
/// the merge.
fn federate(w: &mut World, down: &[&str]) -> MergedCount {
    let q = query();
    let mut results = Vec::new();
    for (name, peer) in [("eu", &w.eu), ("us", &w.us)] {
        let request = w.hq.federation.sign_request(name, &q, NOW).unwrap();
        w.wire.push(request.header());
        w.wire
            .push(String::from_utf8(request.body.clone()).unwrap());
        if down.contains(&name) {
            // The timeout: the coordinator gives up and forgets the request.
            w.hq.federation.forget(request.request_id());
            results.push(PeerResult {
                host: name.into(),
                outcome: PeerOutcome::TimedOut,
            });
            continue;
        }
        let outcome = match serve(peer, &request.header(), &request.body) {
            Ok((header, body)) => {
                w.wire.push(header.clone());
                w.wire.push(String::from_utf8(body.clone()).unwrap());
                match w.hq.federation.verify_answer(Some(&header), &body, NOW) {
                    Ok(answer) => PeerOutcome::Answered(answer),
                    Err(e) => PeerOutcome::Failed(e.to_string()),
                }
            }
            Err(e) => PeerOutcome::Failed(e),
        };
        results.push(PeerResult {
            host: name.into(),
            outcome,
        });
    }
    let own = count_segment(CountRequest {
        store: &w.hq.data.store,
        policy: &w.hq.data.policy,
        segment: &q.segment,
        purpose: &q.purpose,
        by: &q.by,
        sums: &q.sums,
        requester: &q.requester,
        dry_run: false,
        now: now(),
    })
    .unwrap();
    results.insert(
        0,
        PeerResult {
            host: "hq".into(),
            outcome: PeerOutcome::Answered(FederatedAnswer::from_report("hq", &own)),
        },
    );
    assert_eq!(w.hq.federation.outstanding(), 0);
    merge(&q, results).unwrap()
}

/// The union computed directly from the datasets: (count, revenue) per country.
fn union(hosts: &[&Host]) -> BTreeMap<String, (u64, i128)> {
    let mut out = BTreeMap::new();
    for h in hosts {
        for p in &h.data.people {
            let e = out.entry(p.country.to_string()).or_insert((0, 0));
            e.0 += 1;
            e.1 += i128::from(p.revenue);
        }
    }
    out
}

fn row<'a>(m: &'a MergedCount, kind: RowKind, label: &str) -> &'a cohort_federation::MergedRow {
    m.rows
        .iter()
        .find(|r| r.kind == kind && r.group == [label])
        .unwrap_or_else(|| panic!("no row {label}"))
}

#[test]
fn three_hosts_federate_a_count_and_nothing_personal_crosses() {
    let mut w = world();

    // 1. us is down: the exact hosts alone, and the result says it is partial.
    let partial = federate(&mut w, &["us"]);
    assert!(partial.partial);
    assert_eq!(
        partial.k, 25,
        "the largest k among the hosts that answered (hq 10, eu 25)"
    );
    let truth = union(&[&w.hq, &w.eu]);
    let total: u64 = truth.values().map(|(n, _)| n).sum();
    // Hand-checked: DE 60 + 40 released by both; FR withheld by both, IT by hq (4 < 10), PT by eu (3 < 25).
    let de = row(&partial, RowKind::Cell, "DE");
    assert_eq!(de.count, Some(100));
    assert_eq!(de.measures[0].sum, Some(truth["DE"].1));
    for label in ["FR", "IT", "PT"] {
        assert_eq!(
            row(&partial, RowKind::Cell, label).withheld,
            Some(Withheld::Host),
            "{label}"
        );
    }
    assert_eq!(row(&partial, RowKind::Total, "*").count, Some(total));
    assert_eq!(row(&partial, RowKind::Total, "*").count, Some(217));
    // Exact where released, never under k.
    for r in &partial.rows {
        if let Some(v) = r.count {
            assert!(v >= 25);
            let expected = if r.kind == RowKind::Total {
                (total, truth.values().map(|(_, s)| s).sum())
            } else {
                truth[&r.group[0]]
            };
            assert_eq!(
                (v, r.measures[0].sum),
                (expected.0, Some(expected.1)),
                "{r:?}"
            );
        }
    }
    assert!(partial.noise.is_empty());
    let statuses: Vec<String> = partial
        .hosts
        .iter()
        .map(|h| {
            serde_json::to_value(h).unwrap()["status"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(statuses, ["answered", "answered", "timed_out"]);

    // 2. All three: us adds its noisy part.
    let full = federate(&mut w, &[]);
    assert!(!full.partial);
    assert_eq!(full.k, 25);
    let truth = union(&[&w.hq, &w.eu, &w.us]);
    let count_bound = full
        .noise
        .iter()
        .find(|n| n.statistic == "count")
        .unwrap()
        .bound_95;
    let sum_bound = full
        .noise
        .iter()
        .find(|n| n.statistic == REVENUE)
        .unwrap()
        .bound_95;
    assert!(count_bound > 0 && sum_bound > 0);
    // A 95 % bound is exceeded one time in twenty; six times the bound of Laplace noise one time in 20^6
    // (64 million), which makes this check deterministic in practice while still catching a wrong merge.
    let within =
        |got: i128, want: i128, bound: u64| (got - want).unsigned_abs() <= 6 * u128::from(bound);
    let mut released = 0;
    for r in &full.rows {
        let Some(v) = r.count else { continue };
        released += 1;
        assert!(v >= 25, "{r:?}");
        let (n, s) = if r.kind == RowKind::Total {
            (
                truth.values().map(|(n, _)| n).sum(),
                truth.values().map(|(_, s)| s).sum(),
            )
        } else {
            truth[&r.group[0]]
        };
        assert!(
            within(i128::from(v), i128::from(n), count_bound),
            "{r:?} vs {n}"
        );
        assert!(
            within(r.measures[0].sum.unwrap(), s, sum_bound),
            "{r:?} vs {s}"
        );
    }
    assert!(released >= 2, "US (200) and the total at least: {full:?}");
    for label in ["FR", "IT", "PT"] {
        assert_eq!(
            row(&full, RowKind::Cell, label).withheld,
            Some(Withheld::Host),
            "{label}"
        );
    }
    assert_eq!(
        serde_json::to_value(&full.hosts[2]).unwrap(),
        serde_json::json!({"host": "us", "status": "answered", "k": 5, "noisy": true})
    );

    // 3. A replayed request is refused by the peer, and nothing more is charged.
    let request = w.hq.federation.sign_request("eu", &query(), NOW).unwrap();
    serve(&w.eu, &request.header(), &request.body).unwrap();
    let replay = serve(&w.eu, &request.header(), &request.body).unwrap_err();
    assert!(replay.contains("replayed"), "{replay}");

    // 4. Nothing personal crossed: no identifier, pseudonym, subject id or per-subject attribute value.
    let mut needles: Vec<String> = Vec::new();
    for h in [&w.hq, &w.eu, &w.us] {
        let pseudonymiser = h.data.store.keys().pseudonymiser();
        for p in &h.data.people {
            needles.push(p.email.clone());
            needles.push(p.city.clone());
            let pseudonym = pseudonymiser.pseudonymise("email", &p.email);
            needles.push(hex::encode(pseudonym.mac()));
            needles.push(pseudonym.short_hex());
        }
        for id in h.data.store.subject_ids() {
            needles.push(id.unwrap().to_hex());
        }
    }
    assert!(w.wire.len() >= 10);
    for message in &w.wire {
        for needle in &needles {
            assert!(
                !message.contains(needle.as_str()),
                "{needle} crossed hosts in {message}"
            );
        }
    }
}
