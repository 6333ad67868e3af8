//! Runs the real `coffer` binary for end-to-end tests, each test in a data dir of its
//! own (`COFFER_HOME`), with profiles that point at the testkit's servers.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

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
