//! moto's S3 emulator (`moto_server`), pinned to 5.1.22 by scripts/setup.sh.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::port::{free_port, raw_http};
use crate::process::{Supervised, locate_binary};
use crate::{Backend, S3Server, ServerKind};

/// How long moto gets to come up (it takes 1–2 s here).
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts with fresh ports.
const ATTEMPTS: usize = 3;

/// The moto-specific part of an [`S3Server`].
#[derive(Debug)]
pub(crate) struct Moto {
    pub(crate) process: Supervised,
    addr: SocketAddr,
}

impl Moto {
    /// Creates a bucket with an unsigned `PUT /name`, in `region` if given. Unsigned
    /// requests land in moto's default account, the same one any signed test key maps
    /// to, so the bucket is usable with the test credentials.
    pub(crate) fn create_bucket(&self, name: &str, region: Option<&str>) {
        let body = region
            .map(|r| {
                format!(
                    "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                     <LocationConstraint>{r}</LocationConstraint></CreateBucketConfiguration>"
                )
            })
            .unwrap_or_default();
        match raw_http(self.addr, "PUT", &format!("/{name}"), body.as_bytes()) {
            Ok(resp) if resp.status == 200 => {}
            Ok(resp) => panic!(
                "coffer-testkit: moto refused to create bucket {name:?} (region {region:?}): HTTP {}\n{}",
                resp.status, resp.body
            ),
            Err(e) => panic!(
                "coffer-testkit: creating moto bucket {name:?} failed: {e}\n{}",
                self.process.log_tail(3000)
            ),
        }
    }
}

/// Starts moto, retrying with fresh ports; panics with its log if it never works.
pub(crate) fn start() -> S3Server {
    // pip under pyenv puts it behind pyenv's shims, which a bare PATH may lack.
    let pyenv_shim = std::env::var_os("HOME")
        .map(|h| std::path::PathBuf::from(h).join(".pyenv/shims/moto_server"))
        .into_iter()
        .collect::<Vec<_>>();
    let bin = locate_binary("COFFER_MOTO_BIN", "moto_server", &pyenv_shim).unwrap_or_else(|| {
        panic!(
            "coffer-testkit: no `moto_server` found ($COFFER_MOTO_BIN, PATH, ~/.pyenv/shims). Install it with \
             scripts/setup.sh, or: python3 -m pip install 'moto[server]==5.1.22'"
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
        "coffer-testkit: moto ({}) did not start:\n{}",
        bin.display(),
        errors.join("\n\n")
    );
}

fn try_start(bin: &std::path::Path) -> Result<S3Server, String> {
    let dir = tempfile::Builder::new()
        .prefix("coffer-moto-")
        .tempdir()
        .map_err(|e| format!("cannot create a temp dir: {e}"))?;
    let port = free_port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let process = Supervised::spawn(
        "moto",
        bin,
        &[
            OsString::from("-H"),
            OsString::from("127.0.0.1"),
            OsString::from("-p"),
            OsString::from(port.to_string()),
        ],
        &[],
        dir.path(),
        &dir.path().join("moto.log"),
    )?;
    let moto = Moto { process, addr };

    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if !moto.process.is_running() {
            return Err(format!(
                "moto_server exited during startup\n{}",
                moto.process.log_tail(4000)
            ));
        }
        match raw_http(addr, "GET", "/", b"") {
            Ok(resp) if resp.status == 200 => break,
            Ok(resp) if Instant::now() >= deadline => {
                return Err(format!(
                    "moto answered GET / with HTTP {}\n{}",
                    resp.status,
                    moto.process.log_tail(4000)
                ));
            }
            Err(e) if Instant::now() >= deadline => {
                return Err(format!(
                    "moto did not answer GET / on {addr} within {START_TIMEOUT:?}: {e}\n{}",
                    moto.process.log_tail(4000)
                ));
            }
            _ => std::thread::sleep(Duration::from_millis(150)),
        }
    }

    Ok(S3Server {
        kind: ServerKind::Moto,
        endpoint: format!("http://{addr}"),
        region: "us-east-1".to_string(),
        access_key_id: "testing".to_string(),
        secret_access_key: "testing-secret".to_string(),
        path_style: true,
        backend: Backend::Moto(moto),
        _dir: dir,
    })
}
