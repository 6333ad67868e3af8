//! The `MetaDb` seam: Coffer's small local database (profiles, region cache, transfer
//! state). The real implementation is sled ([`SledDb`]); [`MemoryDb`] is for unit
//! tests, and both pass the same conformance tests below.

mod memory;
mod sled_db;

pub use memory::MemoryDb;
pub use sled_db::{SledDb, open_waiting as open_sled_waiting};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// The tree that holds profiles, keyed by profile name.
pub const TREE_PROFILES: &str = "profiles";
/// The tree that caches detected bucket regions, keyed by `profile\0bucket`.
pub const TREE_REGIONS: &str = "regions";
/// The tree of resumable multipart uploads, keyed by transfer id.
pub const TREE_UPLOADS: &str = "uploads";
/// The tree of schema versions, keyed by the owner of a group of trees (`jobs`).
pub const TREE_SCHEMA: &str = "schema";

/// A small, ordered key-value store with named trees.
///
/// Contract:
/// - Trees are independent namespaces, created on first use.
/// - Keys are compared as bytes; [`MetaDb::scan_prefix`] returns entries in key order.
/// - A `put` replaces the value; `delete` of a missing key is not an error.
/// - After [`MetaDb::flush`] returns, every earlier write survives a crash of the process.
/// - Values are stored as given: callers must never pass a secret (see `SecretStore`).
pub trait MetaDb: Send + Sync + std::fmt::Debug {
    /// The value under `key`, if any.
    fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// Stores `value` under `key`.
    fn put(&self, tree: &str, key: &[u8], value: &[u8]) -> Result<()>;
    /// Removes `key`.
    fn delete(&self, tree: &str, key: &[u8]) -> Result<()>;
    /// Every entry whose key starts with `prefix`, in key order.
    fn scan_prefix(&self, tree: &str, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>>;
    /// Makes every earlier write durable.
    fn flush(&self) -> Result<()>;
}

/// JSON helpers over any [`MetaDb`].
pub trait MetaDbExt: MetaDb {
    /// Reads and decodes a JSON value.
    fn get_json<T: DeserializeOwned>(&self, tree: &str, key: &str) -> Result<Option<T>> {
        match self.get(tree, key.as_bytes())? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| Error::MetaDb {
                    path: format!("{tree}/{key}").into(),
                    cause: format!("unreadable record: {e}"),
                }),
        }
    }

    /// Encodes and stores a JSON value.
    fn put_json<T: Serialize>(&self, tree: &str, key: &str, value: &T) -> Result<()> {
        let bytes = serde_json::to_vec(value).map_err(|e| Error::MetaDb {
            path: format!("{tree}/{key}").into(),
            cause: format!("cannot encode record: {e}"),
        })?;
        self.put(tree, key.as_bytes(), &bytes)
    }

    /// Decodes every JSON value under a key prefix; unreadable records are skipped
    /// with a warning rather than failing the whole listing.
    fn scan_json<T: DeserializeOwned>(&self, tree: &str, prefix: &str) -> Result<Vec<(String, T)>> {
        let mut out = Vec::new();
        for (k, v) in self.scan_prefix(tree, prefix.as_bytes())? {
            let key = String::from_utf8_lossy(&k).into_owned();
            match serde_json::from_slice(&v) {
                Ok(value) => out.push((key, value)),
                Err(e) => tracing::warn!(tree, key, error = %e, "skipping unreadable record"),
            }
        }
        Ok(out)
    }
}

impl<T: MetaDb + ?Sized> MetaDbExt for T {}

#[cfg(test)]
pub(crate) mod conformance {
    use super::*;

    /// The behaviour every `MetaDb` must show.
    pub(crate) fn run(db: &dyn MetaDb) {
        assert_eq!(db.get("t", b"missing").expect("get"), None);
        db.put("t", b"b", b"2").expect("put");
        db.put("t", b"a", b"1").expect("put");
        db.put("t", b"a/x", b"3").expect("put");
        db.put("other", b"a", b"9").expect("put");
        assert_eq!(db.get("t", b"a").expect("get").as_deref(), Some(&b"1"[..]));
        db.put("t", b"a", b"1b").expect("overwrite");
        assert_eq!(db.get("t", b"a").expect("get").as_deref(), Some(&b"1b"[..]));
        let all = db.scan_prefix("t", b"").expect("scan");
        let keys: Vec<_> = all.iter().map(|(k, _)| k.as_slice()).collect();
        assert_eq!(keys, vec![&b"a"[..], b"a/x", b"b"]);
        assert_eq!(db.scan_prefix("t", b"a/").expect("scan").len(), 1);
        db.delete("t", b"a").expect("delete");
        db.delete("t", b"never").expect("delete missing");
        assert_eq!(db.get("t", b"a").expect("get"), None);
        assert_eq!(
            db.get("other", b"a").expect("get").as_deref(),
            Some(&b"9"[..])
        );
        db.flush().expect("flush");
    }

    #[test]
    fn memory_db() {
        run(&MemoryDb::default());
    }

    #[test]
    fn sled_db() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = SledDb::open(dir.path()).expect("open");
        run(&db);
        db.put_json("t", "j", &vec![1, 2]).expect("json");
        drop(db);
        let db = SledDb::open(dir.path()).expect("reopen");
        assert_eq!(
            db.get_json::<Vec<i32>>("t", "j").expect("json"),
            Some(vec![1, 2])
        );
    }
}
