//! A single-node Garage 2.x, set up in the six steps of DESIGN.md.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::port::{free_ports, wait_for_tcp};
use crate::process::{Supervised, locate_binary};
use crate::{Backend, S3Server, ServerKind};

/// The name of the key every test uses.
const KEY_NAME: &str = "coffer-test";
/// How long Garage gets to come up.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How many times to try with fresh ports (a free port can be taken by someone else
/// between `free_port()` and Garage binding it).
const ATTEMPTS: usize = 3;

/// The Garage-specific part of an [`S3Server`].
#[derive(Debug)]
pub(crate) struct Garage {
    pub(crate) process: Supervised,
    bin: PathBuf,
    config: PathBuf,
}

impl Garage {
    /// Runs `garage -c CONF args…` and returns its stdout, or a message with stderr.
    fn cli(&self, args: &[&str]) -> Result<String, String> {
        run_cli(&self.bin, &self.config, args)
    }

    /// `garage bucket create NAME`, then give the test key read, write and owner rights.
    pub(crate) fn create_bucket(&self, name: &str) {
        let step = |args: &[&str]| {
            if let Err(e) = self.cli(args) {
                panic!(
                    "coffer-testkit: creating Garage bucket {name:?} failed: {e}\n{}",
                    self.process.log_tail(3000)
                );
            }
        };
        step(&["bucket", "create", name]);
        step(&[
            "bucket", "allow", "--read", "--write", "--owner", name, "--key", KEY_NAME,
        ]);
    }
}

fn run_cli(bin: &Path, config: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(bin)
        .arg("-c")
        .arg(config)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "`garage {}` failed ({}):\nstdout: {}\nstderr: {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Starts Garage, retrying with fresh ports; panics with the last log if it never works.
pub(crate) fn start() -> S3Server {
    let home_bin = std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".cargo/bin/garage"))
        .into_iter()
        .collect::<Vec<_>>();
    let bin = locate_binary("COFFER_GARAGE_BIN", "garage", &home_bin).unwrap_or_else(|| {
        panic!(
            "coffer-testkit: no `garage` binary found ($COFFER_GARAGE_BIN, PATH, ~/.cargo/bin). \
             Install it with scripts/setup.sh, or: cargo install garage --version 2.5.0 --locked \
             --no-default-features --features bundled-libs,sqlite"
        )
    });
    let mut errors = Vec::new();
    for attempt in 1..=ATTEMPTS {
        match try_start(&bin) {
            Ok(server) => return server,
            Err(e) => errors.push(format!("attempt {attempt}: {e}")),
        }
    }
    panic!(
        "coffer-testkit: Garage ({}) did not start:\n{}",
        bin.display(),
        errors.join("\n\n")
    );
}

fn try_start(bin: &Path) -> Result<S3Server, String> {
    let dir = tempfile::Builder::new()
        .prefix("coffer-garage-")
        .tempdir()
        .map_err(|e| format!("cannot create a temp dir: {e}"))?;
    let ports = free_ports(3);
    let (rpc_port, s3_port, admin_port) = (ports[0], ports[1], ports[2]);
    let secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let admin_token = uuid::Uuid::new_v4().simple().to_string();
    let root = dir.path();
    let config_text = format!(
        r#"metadata_dir = "{meta}"
data_dir = "{data}"
db_engine = "sqlite"
replication_factor = 1

rpc_bind_addr = "127.0.0.1:{rpc_port}"
rpc_public_addr = "127.0.0.1:{rpc_port}"
rpc_secret = "{secret}"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:{s3_port}"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:{admin_port}"
admin_token = "{admin_token}"
"#,
        meta = root.join("meta").display(),
        data = root.join("data").display(),
    );
    let config = root.join("garage.toml");
    std::fs::write(&config, config_text)
        .map_err(|e| format!("cannot write {}: {e}", config.display()))?;

    // Step 2: the server, under the watchdog.
    let process = Supervised::spawn(
        "garage",
        bin,
        &[
            OsString::from("-c"),
            config.clone().into_os_string(),
            OsString::from("server"),
        ],
        // A plain, bounded log whatever the test process's RUST_LOG says.
        &[("RUST_LOG", "garage=info,warn"), ("NO_COLOR", "1")],
        root,
        &root.join("garage.log"),
    )?;
    let garage = Garage {
        process,
        bin: bin.to_path_buf(),
        config,
    };
    let fail = |g: &Garage, what: String| format!("{what}\n{}", g.process.log_tail(4000));

    // Step 3: wait until the node answers. `garage node id -q` only reads the node
    // key file from metadata_dir (it works before the RPC port listens), so also wait
    // for `garage status`, which goes through RPC.
    let deadline = Instant::now() + START_TIMEOUT;
    let node_id = wait_for(&garage, deadline, || {
        let out = garage.cli(&["node", "id", "-q"])?;
        match out.trim().split('@').next() {
            Some(id) if !id.is_empty() => Ok(id.to_string()),
            _ => Err(format!("empty `garage node id -q` output: {out:?}")),
        }
    })?;
    wait_for(&garage, deadline, || garage.cli(&["status"]))?;

    // Step 4: a one-node layout; step 5: the test key, allowed to create buckets.
    let steps: [&[&str]; 3] = [
        &["layout", "assign", "-z", "dc1", "-c", "10G", &node_id],
        &["layout", "apply", "--version", "1"],
        &["key", "create", KEY_NAME],
    ];
    let mut key_output = String::new();
    for args in steps {
        key_output = garage.cli(args).map_err(|e| fail(&garage, e))?;
    }
    let (access_key_id, secret_access_key) = parse_key(&key_output).ok_or_else(|| {
        fail(
            &garage,
            format!("cannot parse `garage key create` output:\n{key_output}"),
        )
    })?;
    garage
        .cli(&["key", "allow", "--create-bucket", KEY_NAME])
        .map_err(|e| fail(&garage, e))?;

    // The S3 port must accept connections before tests use it.
    let s3_addr = SocketAddr::from(([127, 0, 0, 1], s3_port));
    if !wait_for_tcp(s3_addr, START_TIMEOUT) {
        return Err(fail(&garage, format!("S3 API never listened on {s3_addr}")));
    }

    Ok(S3Server {
        kind: ServerKind::Garage,
        endpoint: format!("http://{s3_addr}"),
        region: "garage".to_string(),
        access_key_id,
        secret_access_key,
        path_style: true,
        backend: Backend::Garage(garage),
        _dir: dir,
    })
}

/// Retries `probe` every 200 ms until it succeeds, the server dies or `deadline`
/// passes.
fn wait_for<T>(
    garage: &Garage,
    deadline: Instant,
    mut probe: impl FnMut() -> Result<T, String>,
) -> Result<T, String> {
    loop {
        if !garage.process.is_running() {
            return Err(format!(
                "garage server exited during startup\n{}",
                garage.process.log_tail(4000)
            ));
        }
        match probe() {
            Ok(v) => return Ok(v),
            Err(e) if Instant::now() >= deadline => {
                return Err(format!(
                    "Garage was not ready within {START_TIMEOUT:?}; last error: {e}\n{}",
                    garage.process.log_tail(4000)
                ));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// Reads `Key ID:` and `Secret key:` from `garage key create` output (Garage 2.5):
///
/// ```text
/// ==== ACCESS KEY INFORMATION ====
/// Key ID:              GK2efc0f4a5e457fcf8e56dc1a
/// Key name:            coffer-test
/// Secret key:          3fb163bed14e2c3c418f582563e9219db2cde0a67ad529cd04d886aa8877a8d5
/// ```
fn parse_key(output: &str) -> Option<(String, String)> {
    let field = |label: &str| {
        output
            .lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty() && v != "(redacted)")
    };
    Some((field("Key ID:")?, field("Secret key:")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_key_create_output() {
        let out = "==== ACCESS KEY INFORMATION ====\nKey ID:              GKabc\nKey name:            coffer-test\nSecret key:          s3cr3t\nCreated:             2026-11-22\n";
        assert_eq!(
            parse_key(out),
            Some(("GKabc".to_string(), "s3cr3t".to_string()))
        );
        assert_eq!(parse_key("Key ID: GKabc\nSecret key: (redacted)\n"), None);
    }
}
