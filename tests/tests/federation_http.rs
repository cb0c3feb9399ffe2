//! Federation over real HTTP: three `cohort serve` processes on loopback, each with its own data, key file,
//! policy and federation identity, each listing the other two as peers. `hq` (k = 10) coordinates; `eu` (k = 25)
//! and `us` (k = 5, differential privacy) answer.
//!
//! Every byte between hosts goes through a recording proxy per host (the peers' URLs point at the proxies), which
//! can also hold a request unanswered (a peer that hangs) or alter an answer on the way (a tampered answer). The
//! test checks the merged count against the union computed directly from the datasets (exact without noise,
//! within the summed noise bounds with it), the merged threshold (the largest k among the hosts that answered),
//! the partial results (a tampered answer, a hanging peer, a killed peer), the refusals of tampered, replayed,
//! expired, misaddressed, unsigned and unlisted requests at the peer endpoint, `cohort federate count`, and
//! finally scans every recorded request and answer for every identifier, pseudonym, subject id and per-person
//! value of every host.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

mod http_common;

use cohort_federation::{
    ENVELOPE_HEADER, FederatedQuery, Federation, HostIdentity, PeerConfig, Peers, unix_now,
};
use cohort_store::Role;
use cohort_tests::{Env, policy_trusting, signed_package_file, test_publisher};
use http_common::{Server, keys_for};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const REVENUE: &str = "order_completed.revenue";
/// The coordinator's wait per peer: short, so the hanging peer costs the test little.
const FAN_OUT_TIMEOUT_SECS: u64 = 3;

/// One person of a host's dataset; every string here is per person and must never cross hosts.
struct Person {
    email: String,
    marker: String,
    order: String,
    country: &'static str,
    revenue: i64,
}

fn people(host: &str, counts: &[(&'static str, usize)]) -> Vec<Person> {
    let mut out = Vec::new();
    for (country, n) in counts {
        for _ in 0..*n {
            let i = out.len();
            out.push(Person {
                email: format!("{host}-person{i}@example.com"),
                marker: format!("marker-{host}-{i}"),
                order: format!("order-{host}-{i}"),
                country,
                revenue: (i % 50) as i64 + 1,
            });
        }
    }
    out
}

// --- The recording proxy ---------------------------------------------------------------------------------------

/// What a proxy does with the next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Pass it on and pass the answer back.
    Relay,
    /// Never answer (a hanging peer).
    Hold,
    /// Pass it on, and alter the answer's body on the way back (same length, so it still parses as HTTP).
    TamperAnswers,
}

/// A TCP proxy in front of one host that understands just enough HTTP/1.1 (headers, `Content-Length` bodies) to
/// record each request and answer whole.
struct Proxy {
    url: String,
    upstream: Arc<Mutex<Option<String>>>,
    mode: Arc<Mutex<Mode>>,
}

type Wire = Arc<Mutex<Vec<Vec<u8>>>>;

impl Proxy {
    fn start(wire: Wire) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = Arc::new(Mutex::new(None::<String>));
        let mode = Arc::new(Mutex::new(Mode::Relay));
        let (up, m) = (upstream.clone(), mode.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (up, m, wire) = (up.clone(), m.clone(), wire.clone());
                std::thread::spawn(move || relay(stream, &up, &m, &wire));
            }
        });
        Proxy {
            url,
            upstream,
            mode,
        }
    }

    fn set_upstream(&self, addr: &str) {
        *self.upstream.lock().unwrap() = Some(addr.to_string());
    }

    fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }
}

/// One HTTP/1.1 message (head and `Content-Length` body), or `None` at the end of the connection.
fn read_message(reader: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut message = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        message.extend_from_slice(line.as_bytes());
        let lower = line.to_ascii_lowercase();
        assert!(
            !lower.starts_with("transfer-encoding:"),
            "the proxy reads Content-Length bodies only"
        );
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap();
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    message.extend_from_slice(&body);
    Some(message)
}

fn relay(client: TcpStream, upstream: &Mutex<Option<String>>, mode: &Mutex<Mode>, wire: &Wire) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut client = client;
    while let Some(request) = read_message(&mut reader) {
        wire.lock().unwrap().push(request.clone());
        let mode = *mode.lock().unwrap();
        if mode == Mode::Hold {
            // Never answer; wait until the coordinator gives up and closes the connection.
            let mut sink = [0u8; 1024];
            while reader.read(&mut sink).is_ok_and(|n| n > 0) {}
            return;
        }
        let Some(addr) = upstream.lock().unwrap().clone() else {
            return;
        };
        // A host that is down: the connection closes without an answer.
        let Ok(mut up) = TcpStream::connect(&addr) else {
            return;
        };
        if up.write_all(&request).is_err() {
            return;
        }
        let Some(mut answer) = read_message(&mut BufReader::new(up)) else {
            return;
        };
        if mode == Mode::TamperAnswers {
            let at = find(&answer, b"\"k\":25").expect("the answer states k = 25");
            answer[at..at + 6].copy_from_slice(b"\"k\":99");
        }
        wire.lock().unwrap().push(answer.clone());
        if client.write_all(&answer).is_err() {
            return;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

// --- The three hosts -------------------------------------------------------------------------------------------

struct Host {
    name: &'static str,
    people: Vec<Person>,
    proxy: Proxy,
    server: Option<Server>,
    /// Kept after the server is stopped or killed.
    env: Option<Env>,
    federation_key: PathBuf,
    _side: tempfile::TempDir,
}

impl Host {
    fn server(&self) -> &Server {
        self.server.as_ref().unwrap()
    }
}

/// The example policy trusting the test publisher for the good segmenter, with `min_group_size` and
/// `min_export_size` = `k`, and differential privacy only when `dp`.
fn policy(dir: &Path, public: &str, k: u64, dp: bool) -> PathBuf {
    let path = policy_trusting(
        dir,
        "cohort-test",
        public,
        &[("good-segmenter", &["analytics"])],
    );
    let mut text = std::fs::read_to_string(&path).unwrap();
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
    std::fs::write(&path, text).unwrap();
    path
}

/// A host's store with its people ingested and the good segmenter run for analytics (everyone in `all`), its
/// federation identity, and its proxy (not yet pointing anywhere).
fn prepare(
    name: &'static str,
    k: u64,
    dp: bool,
    counts: &[(&'static str, usize)],
    wire: &Wire,
) -> (Host, String) {
    let side = tempfile::tempdir().unwrap();
    let (key, public) = test_publisher(side.path());
    let env = Env::with_policy_file(policy(side.path(), &public, k, dp));
    let people = people(name, counts);
    let lines: Vec<String> = people
        .iter()
        .map(|p| {
            json!({"source": "crm", "identifiers": {"email": p.email},
                   "attributes": {"country": p.country, "city": p.marker},
                   "events": [{"type": "order_completed", "at": "2026-10-01T12:00:00Z",
                               "properties": {"revenue": p.revenue, "order_id": p.order}}]})
            .to_string()
        })
        .collect();
    let input = env.write_input("people.jsonl", &lines);
    env.ok(&["ingest", &input]);
    let pkg = side.path().join("good.cohort-plugin");
    signed_package_file("fixtures/good-segmenter", &key, &pkg);
    env.ok(&["plugin", "install", pkg.to_str().unwrap()]);
    env.ok(&["segment", "run", "good-segmenter", "--purpose", "analytics"]);
    let proxy = Proxy::start(wire.clone());
    let federation_key = env.tmp.path().join(format!("{name}.federation-key.json"));
    let made = env.json(&[
        "peer",
        "keygen",
        "--name",
        name,
        "--out",
        federation_key.to_str().unwrap(),
        "--url",
        &proxy.url,
    ]);
    let public_key = made["public_key"].as_str().unwrap().to_string();
    let host = Host {
        name,
        people,
        proxy,
        server: None,
        env: Some(env),
        federation_key,
        _side: side,
    };
    (host, public_key)
}

/// People per country.
type Counts = &'static [(&'static str, usize)];

/// The three hosts, each listing the other two (through their proxies), served.
fn world(wire: &Wire) -> Vec<Host> {
    let specs: [(&'static str, u64, bool, Counts); 3] = [
        ("hq", 10, false, &[("DE", 60), ("FR", 30), ("IT", 4)]),
        (
            "eu",
            25,
            false,
            &[("DE", 40), ("FR", 30), ("ES", 50), ("PT", 3)],
        ),
        ("us", 5, true, &[("US", 200), ("DE", 8)]),
    ];
    let mut hosts = Vec::new();
    let mut keys = Vec::new();
    for (name, k, dp, counts) in specs {
        let (host, public_key) = prepare(name, k, dp, counts, wire);
        keys.push(public_key);
        hosts.push(host);
    }
    for (i, host) in hosts.iter().enumerate() {
        let mut config = format!(
            "[serve]\nfederation_key = \"{}\"\nfederation_timeout_secs = {FAN_OUT_TIMEOUT_SECS}\n",
            host.federation_key.file_name().unwrap().to_str().unwrap()
        );
        for (j, peer) in hosts.iter().enumerate() {
            if i != j {
                config.push_str(&format!(
                    "\n[[peers]]\nname = \"{}\"\nurl = \"{}\"\npublic_key = \"{}\"\n",
                    peer.name, peer.proxy.url, keys[j]
                ));
            }
        }
        let env = host.env.as_ref().unwrap();
        // `cohort` reads ./cohort.toml, and the tests run it in the store's temporary folder.
        std::fs::write(env.tmp.path().join("cohort.toml"), config).unwrap();
    }
    for host in &mut hosts {
        let env = host.env.take().unwrap();
        let keys = keys_for(&env);
        let server = Server::start_with_keys(env, keys, &[]);
        host.proxy.set_upstream(&server.addr);
        host.server = Some(server);
    }
    // A host refuses messages signed in or before the second it started (its replay cache is new): start asking
    // in the next second.
    let started = unix_now();
    while unix_now() <= started {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    hosts
}

// --- Queries and checks ----------------------------------------------------------------------------------------

fn federated_count(hq: &Host) -> Value {
    let a = hq.server().post(
        "/v1/federation/count",
        Some(hq.server().key(Role::Analyst)),
        &json!({"segment": "all", "purpose": "analytics", "by": ["country"], "sums": [REVENUE]}),
    );
    assert_eq!(a.status, 200, "{:?}", a.body);
    a.body
}

/// (count, revenue) per country over the given hosts' people, and over all of them ("*").
fn union(hosts: &[&Host]) -> BTreeMap<String, (u64, i64)> {
    let mut out: BTreeMap<String, (u64, i64)> = BTreeMap::new();
    for h in hosts {
        for p in &h.people {
            for key in [p.country.to_string(), "*".to_string()] {
                let e = out.entry(key).or_default();
                e.0 += 1;
                e.1 += p.revenue;
            }
        }
    }
    out
}

fn statuses(merged: &Value) -> Vec<(String, String)> {
    merged["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["host"].as_str().unwrap().to_string(),
                h["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn row<'a>(merged: &'a Value, label: &str) -> &'a Value {
    merged["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"] == json!([label]))
        .unwrap_or_else(|| panic!("no row {label}: {merged}"))
}

/// Every released row is at least k and is the union's figure, exactly (`bounds` = None) or within six times the
/// summed 95 % noise bounds (exceeded by Laplace noise about once in 20^6 queries); returns the released rows.
fn check_rows(
    merged: &Value,
    truth: &BTreeMap<String, (u64, i64)>,
    bounds: Option<(u64, u64)>,
) -> usize {
    let k = merged["k"].as_u64().unwrap();
    let mut released = 0;
    for r in merged["rows"].as_array().unwrap() {
        let Some(count) = r["count"].as_u64() else {
            assert!(r["measures"][0]["sum"].is_null(), "{r}");
            continue;
        };
        released += 1;
        assert!(count >= k, "released {count} under k = {k}: {r}");
        let label = r["group"][0].as_str().unwrap();
        let (n, sum) = truth[label];
        let got_sum = r["measures"][0]["sum"].as_i64().unwrap();
        match bounds {
            None => assert_eq!((count, got_sum), (n, sum), "{r}"),
            Some((count_bound, sum_bound)) => {
                assert!(count.abs_diff(n) <= 6 * count_bound, "{r} vs {n}");
                assert!(got_sum.abs_diff(sum) <= 6 * sum_bound, "{r} vs {sum}");
            }
        }
    }
    released
}

fn bound(merged: &Value, statistic: &str) -> u64 {
    merged["noise"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["statistic"] == statistic)
        .unwrap_or_else(|| panic!("no noise bound for {statistic}: {merged}"))["bound_95"]
        .as_u64()
        .unwrap()
}

/// A raw POST to a peer endpoint: status, envelope header, body.
fn post_query(addr: &str, envelope: Option<&str>, body: &[u8]) -> (u16, Option<String>, Vec<u8>) {
    let mut r = ureq::post(&format!("http://{addr}/v1/federation/query"))
        .set("Content-Type", "application/json");
    if let Some(e) = envelope {
        r = r.set(ENVELOPE_HEADER, e);
    }
    let resp = match r.send_bytes(body) {
        Ok(resp) => resp,
        Err(ureq::Error::Status(_, resp)) => resp,
        Err(e) => panic!("transport error: {e}"),
    };
    let status = resp.status();
    let header = resp.header(ENVELOPE_HEADER).map(str::to_string);
    let mut bytes = Vec::new();
    resp.into_reader().read_to_end(&mut bytes).unwrap();
    (status, header, bytes)
}

fn code(body: &[u8]) -> String {
    let v: Value = serde_json::from_slice(body).unwrap();
    v["error"]["code"].as_str().unwrap_or_default().to_string()
}

#[test]
fn three_hosts_federate_over_http_and_nothing_personal_crosses() {
    let wire: Wire = Arc::new(Mutex::new(Vec::new()));
    let mut hosts = world(&wire);
    let [hq, eu, us] = [0, 1, 2];

    // 1. Every host answers: the largest k (eu's 25), us's noise summed into the bounds, the union within them.
    let full = federated_count(&hosts[hq]);
    assert_eq!(full["partial"], false, "{full}");
    assert_eq!(full["k"], 25);
    assert_eq!(
        statuses(&full),
        [("hq", "answered"), ("eu", "answered"), ("us", "answered")]
            .map(|(h, s)| (h.to_string(), s.to_string()))
    );
    assert_eq!(
        full["hosts"][2],
        json!({"host": "us", "status": "answered", "k": 5, "noisy": true})
    );
    let everyone = union(&[&hosts[hq], &hosts[eu], &hosts[us]]);
    let bounds = (bound(&full, "count"), bound(&full, REVENUE));
    assert!(bounds.0 > 0 && bounds.1 > 0);
    assert!(
        check_rows(&full, &everyone, Some(bounds)) >= 2,
        "US (200) and the total at least: {full}"
    );
    // Withheld by a host (FR's complement on hq and eu, IT under hq's 10, PT under eu's 25) stays withheld.
    for label in ["FR", "IT", "PT"] {
        assert_eq!(row(&full, label)["withheld"], "host", "{label}");
    }

    // 2. The same through `cohort federate count`, which asks hq's server.
    let hq_server = hosts[hq].server();
    let cli = |json: bool| {
        let mut cmd = hq_server.env.cmd();
        if json {
            cmd.arg("--json");
        }
        let out = cmd
            .args([
                "federate",
                "count",
                "all",
                "--purpose",
                "analytics",
                "--by",
                "country",
                "--sum",
                REVENUE,
                "--server",
            ])
            .arg(format!("http://{}", hq_server.addr))
            .args(["--api-key", hq_server.key(Role::Analyst)])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let from_cli: Value = serde_json::from_str(&cli(true)).unwrap();
    assert_eq!(from_cli["k"], 25);
    assert_eq!(statuses(&from_cli), statuses(&full));
    check_rows(&from_cli, &everyone, Some(bounds));
    let text = cli(false);
    assert!(
        text.contains("Federated count of all for analytics by country"),
        "{text}"
    );
    assert!(text.contains("withheld (host)"), "{text}");
    assert!(text.contains("answered (k = 5, with noise)"), "{text}");
    // Wrong role: an API error, not a count.
    let refused = hq_server
        .env
        .cmd()
        .args([
            "federate",
            "count",
            "all",
            "--purpose",
            "analytics",
            "--server",
        ])
        .arg(format!("http://{}", hq_server.addr))
        .args(["--api-key", hq_server.key(Role::Marketer)])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("403"));

    // 3. eu's answer altered on the way: refused by the coordinator, eu reported failed, the rest merged at the
    // largest k of those that answered (hq's 10).
    hosts[eu].proxy.set_mode(Mode::TamperAnswers);
    let tampered = federated_count(&hosts[hq]);
    hosts[eu].proxy.set_mode(Mode::Relay);
    assert_eq!(tampered["partial"], true);
    assert_eq!(tampered["k"], 10);
    assert_eq!(tampered["hosts"][1]["status"], "failed", "{tampered}");
    let reason = tampered["hosts"][1]["reason"].as_str().unwrap();
    assert!(reason.contains("does not match"), "{reason}");

    // 4. eu hangs: the coordinator stops waiting after its timeout and says so.
    hosts[eu].proxy.set_mode(Mode::Hold);
    let hanging = federated_count(&hosts[hq]);
    hosts[eu].proxy.set_mode(Mode::Relay);
    assert_eq!(hanging["partial"], true);
    assert_eq!(hanging["k"], 10);
    assert_eq!(
        hanging["hosts"][1],
        json!({"host": "eu", "status": "timed_out"})
    );
    check_rows(
        &hanging,
        &union(&[&hosts[hq], &hosts[us]]),
        Some((bound(&hanging, "count"), bound(&hanging, REVENUE))),
    );

    // 5. The peer endpoint over real HTTP refuses what is not a fresh request signed by a listed peer for it.
    let eu_addr = hosts[eu].server().addr.clone();
    let hq_identity = HostIdentity::load(&hosts[hq].federation_key).unwrap();
    let eu_identity_public = {
        let id = HostIdentity::load(&hosts[eu].federation_key).unwrap();
        id.public_key()
    };
    let us_identity_public = HostIdentity::load(&hosts[us].federation_key)
        .unwrap()
        .public_key();
    let entry = |name: &str, key: &str| PeerConfig {
        name: Some(name.into()),
        url: Some(format!("http://{name}.invalid")),
        public_key: Some(key.into()),
    };
    let peers = Peers::from_config(&[
        entry("eu", &eu_identity_public),
        entry("us", &us_identity_public),
    ])
    .unwrap();
    let signer = Federation::new(hq_identity, peers, unix_now() - 10).unwrap();
    let query = FederatedQuery {
        segment: "all".into(),
        purpose: "analytics".into(),
        by: vec!["country".into()],
        sums: vec![],
        requester: "test".into(),
        coordinator: "hq".into(),
    };
    let now = unix_now();

    let (status, _, body) = post_query(&eu_addr, None, br#"{"segment": "all"}"#);
    assert_eq!((status, code(&body)), (401, "unsigned".into()));

    let signed = signer.sign_request("eu", &query, now).unwrap();
    let altered = String::from_utf8(signed.body.clone())
        .unwrap()
        .replace("country", "countrx");
    let (status, _, body) = post_query(&eu_addr, Some(&signed.header()), altered.as_bytes());
    assert_eq!((status, code(&body)), (401, "body_mismatch".into()));

    let mut forged = signed.envelope.clone();
    forged.timestamp += 1;
    let (status, _, body) = post_query(&eu_addr, Some(&forged.to_header()), &signed.body);
    assert_eq!((status, code(&body)), (401, "bad_signature".into()));

    let old = signer.sign_request("eu", &query, now - 400).unwrap();
    let (status, _, body) = post_query(&eu_addr, Some(&old.header()), &old.body);
    assert_eq!((status, code(&body)), (401, "expired".into()));

    let for_us = signer.sign_request("us", &query, now).unwrap();
    let (status, _, body) = post_query(&eu_addr, Some(&for_us.header()), &for_us.body);
    assert_eq!((status, code(&body)), (401, "wrong_recipient".into()));

    let mallory = HostIdentity::generate("mallory").unwrap();
    let mallory = Federation::new(
        mallory,
        Peers::from_config(&[entry("eu", &eu_identity_public)]).unwrap(),
        now - 10,
    )
    .unwrap();
    let from_mallory = mallory
        .sign_request(
            "eu",
            &FederatedQuery {
                coordinator: "mallory".into(),
                ..query.clone()
            },
            now,
        )
        .unwrap();
    let (status, _, body) = post_query(&eu_addr, Some(&from_mallory.header()), &from_mallory.body);
    assert_eq!((status, code(&body)), (403, "not_a_peer".into()));

    let (status, _, body) = post_query(&eu_addr, Some(&signed.header()), &vec![b' '; 17 * 1024]);
    assert_eq!((status, code(&body)), (413, "body_too_large".into()));

    // The genuine request is answered once, with a signed answer; sent again it is a replay.
    let (status, header, body) = post_query(&eu_addr, Some(&signed.header()), &signed.body);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let answer = signer
        .verify_answer(header.as_deref(), &body, unix_now())
        .unwrap();
    assert_eq!((answer.host.as_str(), answer.k), ("eu", 25));
    let (status, _, body) = post_query(&eu_addr, Some(&signed.header()), &signed.body);
    assert_eq!((status, code(&body)), (401, "replayed".into()));

    // eu audited every answer it released, charged to the coordinator as `peer:hq`.
    let log = hosts[eu].server().get(
        "/v1/audit/log?tail=1000",
        Some(hosts[eu].server().key(Role::Auditor)),
    );
    let releases = log.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "aggregate.release" && e["actor"] == "peer:hq")
        .count();
    assert!(releases >= 5, "{releases}");

    // 6. us is killed: the answer is partial and names it; hq and eu are exact, at eu's k.
    let killed = hosts[us].server.take().unwrap().kill();
    hosts[us].env = Some(killed);
    let partial = federated_count(&hosts[hq]);
    assert_eq!(partial["partial"], true);
    assert_eq!(partial["k"], 25);
    assert_eq!(partial["hosts"][2]["host"], "us");
    assert_eq!(partial["hosts"][2]["status"], "failed", "{partial}");
    assert_eq!(partial["noise"], json!([]));
    let exact = union(&[&hosts[hq], &hosts[eu]]);
    check_rows(&partial, &exact, None);
    assert_eq!(row(&partial, "DE")["count"], 100);
    assert_eq!(row(&partial, "DE")["measures"][0]["sum"], exact["DE"].1);
    let total = partial["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "total")
        .unwrap();
    assert_eq!(total["count"], 217);

    // 7. Everything that crossed hosts: requests and answers, both directions, and nothing personal in them.
    for host in &mut hosts {
        if let Some(server) = host.server.take() {
            host.env = Some(server.stop());
        }
    }
    let wire = wire.lock().unwrap().clone();
    let requests = wire
        .iter()
        .filter(|m| m.starts_with(b"POST /v1/federation/query"))
        .count();
    let answers = wire
        .iter()
        .filter(|m| m.starts_with(b"HTTP/1.1 200"))
        .count();
    assert!(
        requests >= 10 && answers >= 8,
        "{requests} requests, {answers} answers"
    );
    let mut needles: Vec<String> = Vec::new();
    for host in &hosts {
        let env = host.env.as_ref().unwrap();
        let keys = cohort_crypto::KeyRing::load(&env.key_file).unwrap();
        let pseudonymiser = keys.pseudonymiser();
        for p in &host.people {
            let pseudonym = pseudonymiser.pseudonymise("email", &p.email);
            needles.extend([
                p.email.clone(),
                p.marker.clone(),
                p.order.clone(),
                hex::encode(pseudonym.mac()),
                pseudonym.short_hex(),
            ]);
        }
        let store = cohort_store::Store::open(&env.data_dir, keys).unwrap();
        for id in store.subject_ids() {
            needles.push(id.unwrap().to_hex());
        }
    }
    let matcher = aho_corasick::AhoCorasick::new(&needles).unwrap();
    for message in &wire {
        if let Some(m) = matcher.find(message) {
            panic!(
                "`{}` crossed hosts in:\n{}",
                needles[m.pattern().as_usize()],
                String::from_utf8_lossy(message)
            );
        }
    }
}
