//! Dev-only helpers for Coffer's tests: real S3-compatible servers on free ports and a
//! throttling, connection-cutting TCP proxy.
//!
//! - [`garage()`] starts one single-node Garage 2.x per test binary (see DESIGN.md,
//!   "Real components"); [`moto()`] starts one moto server. Both are shared by every
//!   test in the binary, so each test makes its own bucket with
//!   [`S3Server::fresh_bucket`].
//! - [`ThrottleProxy`] sits in front of any TCP address, limits bytes per second and
//!   can drop every open connection on demand.
//!
//! Everything here is blocking and owns its own threads, so it can be called from
//! plain `#[test]`s and from `#[tokio::test]`s alike. Servers are started through a
//! small `sh` watchdog that kills them when the test process exits (statics are never
//! dropped), and their temp dirs go with them.
//!
//! This crate deliberately does not depend on `coffer-core`.

mod display;
mod garage;
mod moto;
mod port;
mod process;
mod proxy;

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::OnceLock;

pub use display::{Dunst, Xvfb};
pub use port::free_port;
pub use proxy::ThrottleProxy;

/// Which server implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerKind {
    /// Garage 2.x, a real distributed S3 store, run as a single node.
    Garage,
    /// moto's S3 emulator (`moto_server`), which supports regions.
    Moto,
}

/// A running S3-compatible server, started once per test binary.
pub struct S3Server {
    /// Which implementation this is.
    pub kind: ServerKind,
    /// The S3 endpoint, e.g. `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The region to sign with: `garage` for Garage, `us-east-1` for moto.
    pub region: String,
    /// The access key id of this server's test key.
    pub access_key_id: String,
    /// The secret access key of this server's test key.
    pub secret_access_key: String,
    /// Whether clients must use path-style addressing (true for both).
    pub path_style: bool,
    /// Implementation-specific state. Declared before `_dir` so the process stops
    /// before its temp dir is deleted.
    backend: Backend,
    /// The server's data, config and log; deleted on drop (or by the watchdog).
    _dir: tempfile::TempDir,
}

enum Backend {
    Garage(garage::Garage),
    Moto(moto::Moto),
}

impl std::fmt::Debug for S3Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Server")
            .field("kind", &self.kind)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("path_style", &self.path_style)
            .field("pid", &self.pid())
            .finish()
    }
}

static GARAGE: OnceLock<S3Server> = OnceLock::new();
static MOTO: OnceLock<S3Server> = OnceLock::new();

/// The shared single-node Garage of this test binary, started on first use.
///
/// Panics with a clear message if the `garage` binary cannot be found (`$COFFER_GARAGE_BIN`,
/// then `PATH`, then `~/.cargo/bin/garage`), or with Garage's log if it fails to start.
pub fn garage() -> &'static S3Server {
    GARAGE.get_or_init(garage::start)
}

/// The shared moto server of this test binary, started on first use.
///
/// Panics with a clear message if `moto_server` cannot be found (`$COFFER_MOTO_BIN`,
/// then `PATH`), or with moto's log if it fails to start.
pub fn moto() -> &'static S3Server {
    MOTO.get_or_init(moto::start)
}

impl S3Server {
    /// Creates a new empty bucket named `<prefix>-<12 hex chars>` (prefix lowercased and
    /// cut to S3's rules), readable and writable by this server's key, and returns its
    /// name. Blocking; safe to call from sync and async tests.
    pub fn fresh_bucket(&self, prefix: &str) -> String {
        let name = bucket_name(prefix);
        match &self.backend {
            Backend::Garage(g) => g.create_bucket(&name),
            Backend::Moto(m) => m.create_bucket(&name, None),
        }
        name
    }

    /// Like [`fresh_bucket`](Self::fresh_bucket), but the bucket lives in `region`
    /// (moto: a `CreateBucketConfiguration` with a `LocationConstraint`, so HEAD bucket
    /// answers `x-amz-bucket-region: <region>`).
    ///
    /// Garage has one region; asking it for any other panics.
    pub fn fresh_bucket_in_region(&self, prefix: &str, region: &str) -> String {
        let name = bucket_name(prefix);
        match &self.backend {
            Backend::Garage(g) => {
                assert!(
                    region == self.region,
                    "coffer-testkit: Garage has a single region ({:?}); it cannot make a bucket in {region:?}. Use moto() for region tests.",
                    self.region
                );
                g.create_bucket(&name);
            }
            Backend::Moto(m) => {
                // us-east-1 must not be sent as a LocationConstraint (S3 rejects it).
                let region = (region != "us-east-1").then_some(region);
                m.create_bucket(&name, region);
            }
        }
        name
    }

    /// The server's process id (for tests that want to check it's alive).
    pub fn pid(&self) -> u32 {
        match &self.backend {
            Backend::Garage(g) => g.process.pid(),
            Backend::Moto(m) => m.process.pid(),
        }
    }

    /// The S3 endpoint as a socket address, e.g. to put a [`ThrottleProxy`] in front.
    pub fn socket_addr(&self) -> SocketAddr {
        endpoint_addr(&self.endpoint)
    }
}

/// `http://host:port[/…]` to a socket address.
fn endpoint_addr(endpoint: &str) -> SocketAddr {
    let hostport = endpoint
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .split('/')
        .next()
        .unwrap_or_default();
    hostport
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .unwrap_or_else(|| panic!("coffer-testkit: endpoint {endpoint:?} has no socket address"))
}

/// A valid, unique S3 bucket name from a test-chosen prefix.
fn bucket_name(prefix: &str) -> String {
    let cleaned: String = prefix
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut cleaned = cleaned.trim_matches('-').to_string();
    cleaned.truncate(40);
    let cleaned = cleaned.trim_end_matches('-');
    let cleaned = if cleaned.is_empty() {
        "coffer"
    } else {
        cleaned
    };
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{cleaned}-{}", &id[..12])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_are_valid() {
        for prefix in ["", "Up_Load", "--x--", "a.b", &"z".repeat(100)] {
            let n = bucket_name(prefix);
            assert!((3..=63).contains(&n.len()), "{n}");
            assert!(
                n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{n}"
            );
            assert!(!n.starts_with('-') && !n.ends_with('-'), "{n}");
        }
        assert!(bucket_name("Up_Load").starts_with("up-load-"));
        assert_ne!(bucket_name("x"), bucket_name("x"));
    }

    #[test]
    fn endpoint_to_addr() {
        assert_eq!(
            endpoint_addr("http://127.0.0.1:3900").to_string(),
            "127.0.0.1:3900"
        );
    }
}
