//! Shared helpers for the end-to-end tests: the built `cohort` binary, a fresh data directory per test, and a raw
//! byte scan of files on disk.
//!
//! Tests use real parts only: the real binary as a child process, sled in a temp dir, real key files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The `cohort` binary of this build, built on first use if the test run did not build it.
pub fn cohort_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // Test executables live in target/<profile>/deps; the binary is one level up.
        let exe = std::env::current_exe().expect("current exe");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target profile dir")
            .to_path_buf();
        let bin = profile_dir.join("cohort");
        let status = Command::new(env!("CARGO"))
            .args(["build", "-q", "-p", "cohort", "--bin", "cohort"])
            .args(if profile_dir.ends_with("release") {
                vec!["--release"]
            } else {
                vec![]
            })
            .current_dir(repo_root())
            .status()
            .expect("cargo build");
        assert!(status.success(), "building the cohort binary failed");
        assert!(bin.is_file(), "no binary at {}", bin.display());
        bin
    })
    .clone()
}

/// A fresh data directory with its key file, initialised by `cohort init`, and a policy.
pub struct Env {
    /// Keeps the temporary folder alive.
    pub tmp: tempfile::TempDir,
    /// The data directory.
    pub data_dir: PathBuf,
    /// The key file (outside the data directory).
    pub key_file: PathBuf,
    /// The policy file.
    pub policy: PathBuf,
}

impl Env {
    /// A new store under `policies/<policy>`.
    pub fn new(policy: &str) -> Self {
        Self::with_policy_file(repo_root().join("policies").join(policy))
    }

    /// A new store under the given policy file.
    pub fn with_policy_file(policy: PathBuf) -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let env = Self {
            data_dir: tmp.path().join("data"),
            key_file: tmp.path().join("data.keys.json"),
            policy,
            tmp,
        };
        let out = env.run(&["init"]);
        assert!(out.status.success(), "init failed: {}", stderr(&out));
        env
    }

    /// A `cohort` command with this store's locations.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(cohort_bin());
        c.arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--key-file")
            .arg(&self.key_file)
            .arg("--policy")
            .arg(&self.policy)
            .env_remove("COHORT_DATA_DIR")
            .env_remove("COHORT_KEY_FILE")
            .env_remove("COHORT_POLICY")
            .env_remove("COHORT_CONFIG")
            .current_dir(self.tmp.path());
        c
    }

    /// Runs `cohort <args>` and returns its output.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run cohort")
    }

    /// Runs `cohort <args>`, asserts success, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "cohort {args:?} failed ({:?}):\n{}\n{}",
            out.status.code(),
            stdout(&out),
            stderr(&out)
        );
        stdout(&out)
    }

    /// Runs `cohort --json <args>`, asserts success, parses stdout.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let text = self.ok(&all);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }

    /// Writes `lines` as a file in the temp folder and returns its path as a string.
    pub fn write_input(&self, name: &str, lines: &[String]) -> String {
        let path = self.tmp.path().join(name);
        std::fs::write(&path, lines.join("\n") + "\n").expect("write input");
        path.to_string_lossy().into_owned()
    }

    /// Store statistics.
    pub fn stats(&self) -> serde_json::Value {
        self.json(&["store", "stats"])
    }
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every (file, needle) pair where a needle occurs in a file under `dir`, reading raw bytes.
pub fn scan_files<N: AsRef<[u8]>>(dir: &Path, needles: &[N]) -> Vec<(PathBuf, String)> {
    let patterns: Vec<&[u8]> = needles
        .iter()
        .map(AsRef::as_ref)
        .filter(|n| !n.is_empty())
        .collect();
    let matcher = aho_corasick::AhoCorasick::new(&patterns).expect("patterns");
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).expect("read file");
            for m in matcher.find_iter(&bytes) {
                let p = patterns[m.pattern().as_usize()];
                hits.push((path.clone(), String::from_utf8_lossy(p).into_owned()));
            }
        }
    }
    hits
}

/// Total bytes of the files under `dir` (to show a scan looked at something).
pub fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let entry = entry.expect("entry");
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                total += entry.metadata().map(|m| m.len()).unwrap_or(0);
            }
        }
    }
    total
}

/// A canonical record line.
pub fn record(
    source: &str,
    identifiers: serde_json::Value,
    attributes: serde_json::Value,
) -> String {
    serde_json::json!({"source": source, "identifiers": identifiers, "attributes": attributes})
        .to_string()
}

/// Builds every plugin in `plugins/` to WebAssembly components (once per test process) and returns the folder of
/// the `.wasm` files.
pub fn built_plugins() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let plugins = repo_root().join("plugins");
        let out = plugins.join("target/wasm32-unknown-unknown/release");
        // For iterating on the host while plugins/ is mid-edit: reuse what is already built.
        if std::env::var_os("COHORT_SKIP_PLUGIN_BUILD").is_some() && out.is_dir() {
            return out;
        }
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "-q",
                "--release",
                "--target",
                "wasm32-unknown-unknown",
                "--locked",
            ])
            .current_dir(&plugins)
            // The outer test build's flags are for the host target, not for wasm.
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_TARGET_DIR")
            .status()
            .expect("cargo build of plugins/");
        assert!(status.success(), "building the plugins failed");
        plugins.join("target/wasm32-unknown-unknown/release")
    })
    .clone()
}

/// The component bytes and manifest text of the plugin in `plugins/<dir>` (for example `fixtures/hostile-loop`).
pub fn plugin(dir: &str) -> (Vec<u8>, String) {
    let crate_dir = repo_root().join("plugins").join(dir);
    let name = crate_dir
        .file_name()
        .expect("plugin dir name")
        .to_string_lossy()
        .replace('-', "_");
    let wasm = std::fs::read(built_plugins().join(format!("{name}.wasm"))).expect("built plugin");
    let manifest = std::fs::read_to_string(crate_dir.join("manifest.toml")).expect("manifest.toml");
    (wasm, manifest)
}

/// A policy file based on `policies/example-retail.yaml` whose plugin section trusts `publisher` with
/// `public_key` ("ed25519:...") and allows each (plugin, purposes) pair. Returns its path.
pub fn policy_trusting(
    dir: &Path,
    publisher: &str,
    public_key: &str,
    allow: &[(&str, &[&str])],
) -> PathBuf {
    let base =
        std::fs::read_to_string(repo_root().join("policies/example-retail.yaml")).expect("policy");
    let start = base.find("\nplugins:").expect("plugins section") + 1;
    let mut rest_at = base[start..]
        .find("\n\n")
        .map(|i| start + i)
        .unwrap_or(base.len());
    // Skip the plugin section's lines (indented or list items) up to the next top-level key.
    for (i, _) in base[start..].match_indices('\n') {
        let line_start = start + i + 1;
        let line = &base[line_start..];
        if !line.is_empty()
            && !line.starts_with(' ')
            && !line.starts_with('#')
            && !line.starts_with('\n')
        {
            rest_at = line_start;
            break;
        }
        rest_at = base.len();
    }
    let mut section = format!(
        "plugins:\n  trusted_publishers:\n    - {{ name: {publisher}, key: \"{public_key}\" }}\n  allow:\n"
    );
    for (plugin, purposes) in allow {
        section.push_str(&format!(
            "    - {{ plugin: {plugin}, purposes: [{}] }}\n",
            purposes.join(", ")
        ));
    }
    let text = format!("{}{}{}", &base[..start], section, &base[rest_at..]);
    let path = dir.join("policy-with-plugins.yaml");
    std::fs::write(&path, text).expect("write policy");
    path
}

/// People for output tests: `n` customers, 150 in DE, 80 in FR and the rest in IT (for `n` = 240), half gold and
/// half silver, each with one order of revenue `i % 50 + 1`, 80 % consented to email marketing (`i % 10 < 8`),
/// emails `person{i}@example.com`, and a unique `city` marker `marker{i}` to find a subject again.
pub fn output_people(n: usize) -> Vec<serde_json::Value> {
    (0..n)
        .map(|i| {
            let country = match i {
                0..150 => "DE",
                150..230 => "FR",
                _ => "IT",
            };
            let consents = if i % 10 < 8 {
                serde_json::json!([{"purpose": "email_marketing", "state": "granted", "at": "2026-01-01T00:00:00Z", "source": "web_form"}])
            } else {
                serde_json::json!([])
            };
            serde_json::json!({"source": "crm",
                "identifiers": {"email": format!("person{i}@example.com")},
                "attributes": {"country": country, "loyalty_tier": if i % 2 == 0 { "gold" } else { "silver" },
                               "city": format!("marker{i}")},
                "events": [{"type": "order_completed", "at": "2026-10-01T12:00:00Z",
                            "properties": {"revenue": (i % 50) + 1, "order_id": format!("o{i}")}}],
                "consents": consents})
        })
        .collect()
}

/// A store whose policy trusts a publisher key made by `cohort plugin keygen --name <publisher>` (the CLI path an
/// operator takes) and allows the plugins of `allow` for their purposes; returns the store and the key file.
pub fn env_trusting_new_publisher(publisher: &str, allow: &[(&str, &[&str])]) -> (Env, PathBuf) {
    let keys = tempfile::tempdir().expect("temp dir").keep();
    let key_file = keys.join("publisher.key");
    let out = Command::new(cohort_bin())
        .args(["--json", "plugin", "keygen", "--name", publisher, "--out"])
        .arg(&key_file)
        .output()
        .expect("run cohort plugin keygen");
    assert!(out.status.success(), "{}", stderr(&out));
    let public = serde_json::from_str::<serde_json::Value>(&stdout(&out)).expect("keygen JSON")
        ["public_key"]
        .as_str()
        .expect("public_key")
        .to_string();
    let policy = policy_trusting(&keys, publisher, &public, allow);
    (Env::with_policy_file(policy), key_file)
}

/// A store holding `n` [`output_people`] with the `good-segmenter` fixture installed (signed by a fresh
/// `cohort-test` publisher that the policy trusts for `analytics` and `email_marketing`), and the folder holding that
/// publisher's key and the policy (keep it alive as long as the store).
pub fn output_people_store(n: usize) -> (tempfile::TempDir, Env) {
    let side = tempfile::tempdir().expect("temp dir");
    let (key, public) = test_publisher(side.path());
    let policy = policy_trusting(
        side.path(),
        "cohort-test",
        &public,
        &[("good-segmenter", &["analytics", "email_marketing"])],
    );
    let env = Env::with_policy_file(policy);
    let lines: Vec<String> = output_people(n).iter().map(|v| v.to_string()).collect();
    let input = env.write_input("people.jsonl", &lines);
    env.ok(&["ingest", &input]);
    let pkg = side.path().join("good.cohort-plugin");
    signed_package_file("fixtures/good-segmenter", &key, &pkg);
    env.ok(&["plugin", "install", pkg.to_str().expect("UTF-8 temp path")]);
    (side, env)
}

/// The plugin crate `dir` under `plugins/` (as in [`plugin`]) packaged and signed with `key`, written to `out`.
pub fn signed_package_file(dir: &str, key: &cohort_plugin_package::PublisherKey, out: &Path) {
    let (wasm, manifest) = plugin(dir);
    let mut pkg = cohort_plugin_package::Package::build(&manifest, wasm).expect("package");
    pkg.sign(key).expect("sign");
    std::fs::write(out, pkg.to_bytes()).expect("write package");
}

/// A fresh publisher key named `cohort-test` in `dir` (the name the test fixtures' manifests carry): the key, and
/// its public half as a policy lists it.
pub fn test_publisher(dir: &Path) -> (cohort_plugin_package::PublisherKey, String) {
    let key_file = dir.join("publisher.key");
    let public = cohort_plugin_package::PublisherKey::create_file(&key_file, "cohort-test")
        .expect("publisher key");
    let key = cohort_plugin_package::PublisherKey::load(&key_file).expect("load publisher key");
    (key, public)
}
