//! Runs the real `coffer` binary for end-to-end tests, each test in a data dir of its
//! own (`COFFER_HOME`), with profiles that point at the testkit's servers.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use coffer_testkit::S3Server;

/// What a run of `coffer` gave.
#[derive(Debug)]
pub struct Run {
    /// The exit code (`-1` when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// The run that `output` describes.
    pub fn of(output: Output) -> Run {
        Run::from(output)
    }

    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics with the whole output unless the run succeeded.
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "coffer failed:\n{}\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Panics unless the run failed with `code`.
    pub fn fails(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}:\n{}\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Standard output as JSON lines (lists print one object per line).
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    /// Standard output as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }
}

/// A data dir and the `coffer` binary.
pub struct Coffer {
    /// The data dir (`COFFER_HOME`).
    pub home: tempfile::TempDir,
    /// A scratch folder for files.
    pub work: tempfile::TempDir,
    /// Extra environment for every run.
    pub env: Vec<(String, String)>,
}

impl Coffer {
    /// A fresh data dir.
    pub fn new() -> Coffer {
        Coffer {
            home: tempfile::tempdir().expect("home"),
            work: tempfile::tempdir().expect("work"),
            env: Vec::new(),
        }
    }

    /// A command with the data dir set; stdin is closed.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_coffer"));
        cmd.args(args)
            .env("COFFER_HOME", self.home.path())
            .env_remove("COFFER_PROFILE")
            .env_remove("COFFER_LOG")
            .stdin(Stdio::null());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs `coffer ARGS`.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("run coffer"))
    }

    /// Runs `coffer ARGS` with `input` on stdin.
    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn coffer");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
        Run::from(child.wait_with_output().expect("wait"))
    }

    /// Adds a profile for `server` reached at `endpoint`, under a name unique to this
    /// run (keychain entries are shared by every test of the session).
    pub fn add_profile_at(&self, server: &S3Server, endpoint: &str, region: &str) -> String {
        let name = unique_name("p");
        self.run_with_stdin(
            &[
                "profile",
                "add",
                &name,
                "--endpoint",
                endpoint,
                "--region",
                region,
                "--path-style",
                "--access-key-id",
                &server.access_key_id,
                "--secret-stdin",
            ],
            &server.secret_access_key,
        )
        .ok();
        name
    }

    /// Adds a profile for `server`.
    pub fn add_profile(&self, server: &S3Server) -> String {
        self.add_profile_at(server, &server.endpoint, &server.region)
    }

    /// A path in the scratch folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.work.path().join(name)
    }

    /// Runs `coffer --profile PROFILE ARGS`.
    pub fn run_as(&self, profile: &str, args: &[&str]) -> Run {
        let mut full = vec!["--profile", profile];
        full.extend_from_slice(args);
        self.run(&full)
    }

    /// Starts `coffer ARGS` in the background, stdout and stderr piped.
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn coffer")
    }
}

/// Waits for `child` at most `limit`; kills it and panics if it is still running then
/// (a hang is a failure, never a stuck test run).
pub fn wait_or_kill(mut child: Child, limit: Duration, what: &str) -> Run {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait().expect("try_wait") {
            Some(_) => return Run::from(child.wait_with_output().expect("wait")),
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let run = Run::from(child.wait_with_output().expect("wait"));
                panic!(
                    "{what}: still running after {limit:?}; killed.\n{}\n{}",
                    run.stdout, run.stderr
                );
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Sends SIGINT (what Ctrl-C sends) to `child`.
pub fn interrupt(child: &Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -INT failed");
}

/// Polls `condition` every 50 ms until it holds; panics with `what` after `limit`.
pub fn wait_until(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "gave up waiting: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `GET url`: the status and the body.
pub fn http_get(url: &str) -> (u16, Vec<u8>) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let response = reqwest::get(url).await.expect("GET");
        let status = response.status().as_u16();
        (status, response.bytes().await.expect("body").to_vec())
    })
}

/// `PUT url` with `body`: the status.
pub fn http_put(url: &str, body: Vec<u8>) -> u16 {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        reqwest::Client::new()
            .put(url)
            .body(body)
            .send()
            .await
            .expect("PUT")
            .status()
            .as_u16()
    })
}

/// Every file under `dir` with its bytes, by path relative to `dir`, sorted.
pub fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = files_under(dir)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read");
            (p.strip_prefix(dir).expect("under dir").to_path_buf(), bytes)
        })
        .collect();
    files.sort();
    files
}

/// Whether `haystack` holds `needle` anywhere (binary-safe).
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Panics if any file under `dir` (recursively, read as bytes) holds `secret`.
pub fn assert_secret_not_under(dir: &Path, secret: &str) {
    for path in files_under(dir) {
        let content = std::fs::read(&path).expect("read");
        assert!(
            !contains_bytes(&content, secret.as_bytes()),
            "the secret is in {}",
            path.display()
        );
    }
}

/// The keys under `url`, recursively, from `ls --json`, sorted.
pub fn keys_as(c: &Coffer, profile: &str, url: &str) -> Vec<String> {
    let mut keys: Vec<String> = c
        .run_as(profile, &["ls", url, "--recursive", "--json"])
        .ok()
        .json_lines()
        .into_iter()
        .filter_map(|v| v.get("key").and_then(|k| k.as_str()).map(str::to_string))
        .collect();
    keys.sort();
    keys
}

impl Drop for Coffer {
    fn drop(&mut self) {
        // Leave no secrets behind in the session keyring.
        let names: Vec<String> = self
            .run(&["profile", "list", "--json"])
            .stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .flat_map(|v| match v {
                serde_json::Value::Array(items) => items,
                other => vec![other],
            })
            .filter_map(|p| p.get("name").and_then(|n| n.as_str()).map(str::to_string))
            .filter(|n| n != "local")
            .collect();
        for name in names {
            let _ = self.run(&["profile", "remove", &name]);
        }
    }
}

/// A name no other test of this session uses.
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Whether a test keyring is up; on CI its absence is a failure, not a skip.
pub fn keyring_ready() -> bool {
    if std::env::var("COFFER_KEYRING_READY").as_deref() == Ok("1") {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run the tests through scripts/with-keyring.sh (scripts/test.sh does)"
    );
    eprintln!("skipped: no test keyring; run through scripts/with-keyring.sh");
    false
}

/// `len` deterministic bytes written to `path`.
pub fn write_file(path: &Path, len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    bytes.truncate(len);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, &bytes).expect("write");
    bytes
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Versioning on for `bucket`, through the core's store (the CLI has no verb for it).
pub fn turn_versioning_on(server: &coffer_testkit::S3Server, bucket: &str) {
    use coffer_core::Sensitive;
    use coffer_core::profile::ResolvedCredentials;
    use coffer_core::region::RegionCache;
    use coffer_core::store::s3::S3Settings;
    use coffer_core::store::{S3Store, Store};
    let store = S3Store::new(S3Settings {
        profile: "test".into(),
        endpoint: Some(server.endpoint.clone()),
        region: Some(server.region.clone()),
        path_style: server.path_style,
        credentials: ResolvedCredentials::Static {
            access_key_id: server.access_key_id.clone(),
            secret_access_key: Sensitive::new(server.secret_access_key.clone()),
            session_token: None,
        },
        regions: RegionCache::new("test", None),
    });
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(store.set_versioning(bucket, true))
        .expect("versioning on");
}
