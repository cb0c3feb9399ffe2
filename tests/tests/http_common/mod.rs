//! A real `cohort serve` child process on a loopback port for the HTTP tests, and a small client over `ureq`.
//!
//! The server binds port 0 and prints its address as the first line of stdout; `Server::start` reads it. Keys are
//! made with `cohort apikey create` before the server starts (the server holds the store's lock while it runs).

#![allow(dead_code)] // Each test file uses part of these helpers.

use cohort_store::Role;
use cohort_tests::Env;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::BufRead as _;
use std::process::{Child, Command, Stdio};

/// A running server.
pub struct Server {
    /// The store it serves.
    pub env: Env,
    child: Option<Child>,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// One key per role.
    pub keys: BTreeMap<Role, String>,
    /// Where the server's stderr (its logs) goes.
    pub log: std::path::PathBuf,
}

/// An answer.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// The body, parsed when it is JSON (else a string).
    pub body: Value,
    /// `Retry-After`, if any.
    pub retry_after: Option<String>,
    /// `Content-Type`.
    pub content_type: String,
}

/// Makes one key per role with the CLI.
pub fn keys_for(env: &Env) -> BTreeMap<Role, String> {
    Role::ALL
        .into_iter()
        .map(|r| {
            let out = env.json(&[
                "apikey",
                "create",
                "--role",
                r.as_str(),
                "--name",
                &format!("test-{r}"),
            ]);
            (r, out["key"].as_str().unwrap().to_string())
        })
        .collect()
}

impl Server {
    /// Starts `cohort -v serve --listen 127.0.0.1:0 <extra>` over `env`, with a key per role.
    pub fn start(env: Env, extra: &[&str]) -> Server {
        let keys = keys_for(&env);
        Self::start_with_keys(env, keys, extra)
    }

    /// Starts the server with keys made already.
    pub fn start_with_keys(env: Env, keys: BTreeMap<Role, String>, extra: &[&str]) -> Server {
        let log = env.tmp.path().join("serve.log");
        let mut cmd: Command = env.cmd();
        cmd.args(["-v", "serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap());
        let mut child = cmd.spawn().expect("spawn cohort serve");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the bound address");
        let first: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
            panic!(
                "serve printed no address ({e}): {line:?}\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        });
        let addr = first["listening"].as_str().unwrap().to_string();
        Server {
            env,
            child: Some(child),
            addr,
            keys,
            log,
        }
    }

    /// The key of `role`.
    pub fn key(&self, role: Role) -> &str {
        &self.keys[&role]
    }

    /// A request with optional Basic auth (the key as user name, as Segment's SDKs send it).
    pub fn request(&self, method: &str, path: &str, key: Option<&str>) -> ureq::Request {
        let mut r = ureq::request(method, &format!("http://{}{path}", self.addr));
        if let Some(k) = key {
            use base64::Engine as _;
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{k}:"));
            r = r.set("Authorization", &format!("Basic {token}"));
        }
        r
    }

    /// POSTs JSON.
    pub fn post(&self, path: &str, key: Option<&str>, body: &Value) -> Answer {
        answer(
            self.request("POST", path, key)
                .set("Content-Type", "application/json")
                .send_string(&body.to_string()),
        )
    }

    /// GETs.
    pub fn get(&self, path: &str, key: Option<&str>) -> Answer {
        answer(self.request("GET", path, key).call())
    }

    /// Sends SIGTERM, waits, asserts a clean exit, and gives the store back.
    pub fn stop(mut self) -> Env {
        let mut child = self.child.take().unwrap();
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = child.wait().unwrap();
        assert!(
            exit.success(),
            "serve exited with {exit:?}:\n{}",
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
        let tmp = tempfile::tempdir().unwrap();
        // Move the Env out without running Drop's kill (the child is gone).
        std::mem::replace(
            &mut self.env,
            Env {
                data_dir: tmp.path().join("x"),
                key_file: tmp.path().join("y"),
                policy: tmp.path().join("z"),
                tmp,
            },
        )
    }

    /// Kills the server with SIGKILL (no drain, no flush) and gives the store back.
    pub fn kill(mut self) -> Env {
        let mut child = self.child.take().unwrap();
        // It may be dead already (a test killed it by pid).
        let _ = child.kill();
        let _ = child.wait();
        let tmp = tempfile::tempdir().unwrap();
        std::mem::replace(
            &mut self.env,
            Env {
                data_dir: tmp.path().join("x"),
                key_file: tmp.path().join("y"),
                policy: tmp.path().join("z"),
                tmp,
            },
        )
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// The server's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Turns a ureq result (errors for 4xx/5xx included) into an [`Answer`].
pub fn answer(r: Result<ureq::Response, ureq::Error>) -> Answer {
    let resp = match r {
        Ok(resp) => resp,
        Err(ureq::Error::Status(_, resp)) => resp,
        Err(e) => panic!("transport error: {e}"),
    };
    let status = resp.status();
    let retry_after = resp.header("Retry-After").map(str::to_string);
    let content_type = resp.header("Content-Type").unwrap_or_default().to_string();
    let text = resp.into_string().unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        body,
        retry_after,
        content_type,
    }
}
