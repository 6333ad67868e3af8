//! Shared fixtures of the core's integration tests: stores over the `local` folders,
//! Garage and moto, each with a fresh bucket, and deterministic test data.

#![allow(dead_code)]

pub mod conformance;

use std::sync::Arc;

use coffer_core::Sensitive;
use coffer_core::profile::ResolvedCredentials;
use coffer_core::region::RegionCache;
use coffer_core::store::s3::S3Settings;
use coffer_core::store::{LocalStore, S3Store, Store};
use coffer_testkit::S3Server;

/// Which backend a fixture runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The folder-backed `local` store.
    Local,
    /// Garage 2.x.
    Garage,
    /// moto.
    Moto,
}

/// A store with a bucket of its own.
pub struct Fixture {
    /// The backend.
    pub backend: Backend,
    /// The store under test.
    pub store: Arc<dyn Store>,
    /// A fresh, empty bucket.
    pub bucket: String,
    /// The local store's root, kept alive for the test.
    pub _dir: Option<tempfile::TempDir>,
    /// How to open a second store over the same data, when the backend's default
    /// (a new `LocalStore` or `S3Store`) does not apply.
    pub reopen: Option<Arc<dyn Fn() -> Arc<dyn Store> + Send + Sync>>,
}

impl Fixture {
    /// A fixture on `backend`; the bucket name starts with `prefix`.
    pub async fn new(backend: Backend, prefix: &str) -> Fixture {
        match backend {
            Backend::Local => {
                let dir = tempfile::tempdir().expect("temp dir");
                let store = LocalStore::open(dir.path()).expect("open local store");
                let bucket = format!("{}-local", prefix.replace('_', "-"));
                store.create_bucket(&bucket).await.expect("create bucket");
                Fixture {
                    backend,
                    store: Arc::new(store),
                    bucket,
                    _dir: Some(dir),
                    reopen: None,
                }
            }
            Backend::Garage | Backend::Moto => {
                let server = server(backend);
                let bucket = server.fresh_bucket(prefix);
                Fixture {
                    backend,
                    store: Arc::new(s3_store(server, None)),
                    bucket,
                    _dir: None,
                    reopen: None,
                }
            }
        }
    }

    /// Whether the backend can presign URLs (the local folders cannot).
    pub fn can_presign(&self) -> bool {
        self.backend != Backend::Local
    }
}

/// The shared server of a backend.
pub fn server(backend: Backend) -> &'static S3Server {
    match backend {
        Backend::Garage => coffer_testkit::garage(),
        Backend::Moto => coffer_testkit::moto(),
        Backend::Local => panic!("the local backend has no server"),
    }
}

/// An `S3Store` for a test server, signing with `region` (default: the server's).
pub fn s3_store(server: &S3Server, region: Option<&str>) -> S3Store {
    s3_store_at(server, &server.endpoint, region)
}

/// An `S3Store` for a test server reached at `endpoint` (e.g. through a proxy).
pub fn s3_store_at(server: &S3Server, endpoint: &str, region: Option<&str>) -> S3Store {
    S3Store::new(S3Settings {
        profile: "test".into(),
        endpoint: Some(endpoint.to_string()),
        region: Some(region.unwrap_or(&server.region).to_string()),
        path_style: server.path_style,
        credentials: ResolvedCredentials::Static {
            access_key_id: server.access_key_id.clone(),
            secret_access_key: Sensitive::new(server.secret_access_key.clone()),
            session_token: None,
        },
        regions: RegionCache::new("test", None),
    })
}

/// `len` deterministic pseudo-random bytes (xorshift), different for each `seed`.
pub fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Writes `len` deterministic bytes to a new file and returns them.
pub fn write_file(path: &std::path::Path, len: usize, seed: u64) -> Vec<u8> {
    let bytes = data(len, seed);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create parent");
    }
    std::fs::write(path, &bytes).expect("write test file");
    bytes
}
