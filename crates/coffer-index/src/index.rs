//! [`Index`]: the index database, which buckets it holds, their state, and the changes
//! Coffer's own writes make.
//!
//! Each indexed bucket has a meta record (tree `meta`, key `profile\0bucket`) and
//! its entries in a tree of its own generation (`o\0profile\0bucket\0GEN`). A build
//! writes a new generation while the old one still answers, then swaps the meta
//! record to it and drops the old tree, so readers always see a complete listing.
//! Writes Coffer makes during a build are applied to the current generation at once
//! and kept, to be applied again to the new one before the swap (they are newer than
//! what the listing saw).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use coffer_core::{Error, Result};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use crate::entry::Entry;

/// Where a bucket's index stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexState {
    /// A build or full refresh is listing the bucket (an older generation may answer
    /// meanwhile).
    Building,
    /// Complete as of `built_at`.
    Ready,
    /// The last build failed (`error` says why); an older generation may answer.
    Failed,
    /// A build that was not forced stopped at the automatic limit: ask the user.
    TooBig,
}

/// What the index knows of one bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexInfo {
    /// The profile.
    pub profile: String,
    /// The bucket.
    pub bucket: String,
    /// Its state.
    pub state: IndexState,
    /// Objects in the generation that answers.
    pub objects: u64,
    /// Their total size.
    pub bytes: u64,
    /// When the listing of the generation that answers started.
    #[serde(with = "time::serde::rfc3339::option")]
    pub built_at: Option<OffsetDateTime>,
    /// How fresh the answers are (the same as `built_at`).
    #[serde(with = "time::serde::rfc3339::option")]
    pub as_of: Option<OffsetDateTime>,
    /// Why the last build failed.
    pub error: Option<String>,
    /// Objects listed so far by the build in progress.
    pub progress: Option<u64>,
}

/// The persisted record of one indexed bucket.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Meta {
    /// The generation that answers (0: none yet).
    pub generation: u64,
    pub state: IndexState,
    pub objects: u64,
    pub bytes: u64,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub built_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub error: Option<String>,
}

/// A change Coffer made to a bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// The object was written.
    Put(String, Entry),
    /// The object was deleted.
    Delete(String),
}

/// A build in progress.
#[derive(Debug)]
pub(crate) struct Live {
    pub progress: Arc<AtomicU64>,
    pub pending: Vec<Change>,
    pub cancel: CancellationToken,
}

/// The index database. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Index {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub db: sled::Db,
    pub path: PathBuf,
    pub meta: sled::Tree,
    /// Builds in progress, by `profile\0bucket`.
    pub live: Mutex<HashMap<String, Live>>,
    /// Serialises read-modify-writes of meta records.
    pub meta_lock: Mutex<()>,
}

/// The meta key of a bucket.
pub(crate) fn meta_key(profile: &str, bucket: &str) -> String {
    format!("{profile}\0{bucket}")
}

/// The tree name of a bucket's generation.
pub(crate) fn tree_name(profile: &str, bucket: &str, generation: u64) -> Vec<u8> {
    format!("o\0{profile}\0{bucket}\0{generation}").into_bytes()
}

pub(crate) fn db_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::MetaDb {
        path: path.to_path_buf(),
        cause: format!("index: {e}"),
    }
}

impl Index {
    /// Opens (or creates) the index database in `dir`. Only the process that owns the
    /// data dir opens it; within it, every open of the same folder shares one
    /// database (sled holds a folder in one place at a time).
    pub fn open(dir: &Path) -> Result<Index> {
        static OPEN: Mutex<Vec<(PathBuf, std::sync::Weak<Inner>)>> = Mutex::new(Vec::new());
        let mut open = OPEN.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|(_, weak)| weak.strong_count() > 0);
        if let Some(inner) = open
            .iter()
            .find(|(path, _)| path == dir)
            .and_then(|(_, weak)| weak.upgrade())
        {
            return Ok(Index { inner });
        }
        let index = Self::open_new(dir)?;
        open.push((dir.to_path_buf(), Arc::downgrade(&index.inner)));
        Ok(index)
    }

    fn open_new(dir: &Path) -> Result<Index> {
        let config = sled::Config::new()
            .path(dir)
            .cache_capacity(32 * 1024 * 1024);
        let db = match coffer_core::meta::open_sled_waiting(&config) {
            Ok(Some(db)) => db,
            Ok(None) => {
                return Err(db_err(
                    dir,
                    "another Coffer process is using it; wait for it to finish, or give \
                     this one its own COFFER_HOME",
                ));
            }
            Err(e) => {
                return Err(db_err(
                    dir,
                    format!(
                        "{e}; it only holds copies of listings: move the folder aside and \
                         the buckets will be indexed again"
                    ),
                ));
            }
        };
        let meta = db.open_tree("meta").map_err(|e| db_err(dir, e))?;
        let index = Index {
            inner: Arc::new(Inner {
                db,
                path: dir.to_path_buf(),
                meta,
                live: Mutex::default(),
                meta_lock: Mutex::default(),
            }),
        };
        index.recover()?;
        Ok(index)
    }

    /// After a crash: a build that was running is marked failed (its half-written
    /// generation is dropped when the next build starts).
    fn recover(&self) -> Result<()> {
        for (key, mut meta) in self.metas()? {
            if meta.state == IndexState::Building {
                meta.state = IndexState::Failed;
                meta.error = Some("Coffer stopped while the bucket was being indexed".into());
                self.put_meta(&key, &meta)?;
            }
        }
        Ok(())
    }

    pub(crate) fn err(&self, e: impl std::fmt::Display) -> Error {
        db_err(&self.inner.path, e)
    }

    pub(crate) fn metas(&self) -> Result<Vec<(String, Meta)>> {
        let mut out = Vec::new();
        for item in self.inner.meta.iter() {
            let (k, v) = item.map_err(|e| self.err(e))?;
            match serde_json::from_slice::<Meta>(&v) {
                Ok(meta) => out.push((String::from_utf8_lossy(&k).into_owned(), meta)),
                Err(e) => tracing::warn!(error = %e, "skipping an unreadable index record"),
            }
        }
        Ok(out)
    }

    pub(crate) fn get_meta(&self, key: &str) -> Result<Option<Meta>> {
        match self.inner.meta.get(key).map_err(|e| self.err(e))? {
            None => Ok(None),
            Some(v) => Ok(serde_json::from_slice(&v).ok()),
        }
    }

    pub(crate) fn put_meta(&self, key: &str, meta: &Meta) -> Result<()> {
        let bytes = serde_json::to_vec(meta).map_err(|e| self.err(e))?;
        self.inner
            .meta
            .insert(key, bytes)
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub(crate) fn tree(&self, name: &[u8]) -> Result<sled::Tree> {
        self.inner.db.open_tree(name).map_err(|e| self.err(e))
    }

    /// The generation that answers for a bucket, with its record; `NotFound` when the
    /// bucket has no complete index.
    pub(crate) fn current(&self, profile: &str, bucket: &str) -> Result<(Meta, sled::Tree)> {
        match self.get_meta(&meta_key(profile, bucket))? {
            Some(meta) if meta.generation > 0 => {
                let tree = self.tree(&tree_name(profile, bucket, meta.generation))?;
                Ok((meta, tree))
            }
            _ => Err(Error::NotFound {
                what: format!("index of bucket `{bucket}` (profile `{profile}`)"),
                hint: "index it first: `coffer index refresh s3://BUCKET`, or open it in the app",
            }),
        }
    }

    /// The entry of `key`, if the bucket's index holds it.
    pub fn entry(&self, profile: &str, bucket: &str, key: &str) -> Option<Entry> {
        let (_, tree) = self.current(profile, bucket).ok()?;
        let value = crate::blocks::get(&tree, key.as_bytes()).ok()??;
        Entry::decode(&value)
    }

    /// Whether the bucket has an index (complete, or being built).
    pub fn is_indexed(&self, profile: &str, bucket: &str) -> bool {
        matches!(self.get_meta(&meta_key(profile, bucket)), Ok(Some(_)))
    }

    /// What the index knows of one bucket, if it has an index.
    pub fn info(&self, profile: &str, bucket: &str) -> Result<Option<IndexInfo>> {
        let key = meta_key(profile, bucket);
        Ok(self
            .get_meta(&key)?
            .map(|meta| self.info_of(profile, bucket, &key, &meta)))
    }

    /// Every indexed bucket, by profile and bucket.
    pub fn infos(&self) -> Result<Vec<IndexInfo>> {
        Ok(self
            .metas()?
            .into_iter()
            .filter_map(|(key, meta)| {
                let (profile, bucket) = key.split_once('\0')?;
                Some(self.info_of(profile, bucket, &key, &meta))
            })
            .collect())
    }

    fn info_of(&self, profile: &str, bucket: &str, key: &str, meta: &Meta) -> IndexInfo {
        let progress = self
            .inner
            .live
            .lock()
            .ok()
            .and_then(|live| live.get(key).map(|l| l.progress.load(Ordering::Relaxed)));
        IndexInfo {
            profile: profile.to_string(),
            bucket: bucket.to_string(),
            state: meta.state,
            objects: meta.objects,
            bytes: meta.bytes,
            built_at: meta.built_at,
            as_of: meta.built_at,
            error: meta.error.clone(),
            progress,
        }
    }

    /// Applies changes Coffer made to an indexed bucket: to the generation that
    /// answers now, and to the one a build is writing. A bucket without an index is
    /// left alone. (`coffer` commands attached to the agent send theirs through the
    /// API.)
    pub fn apply(&self, profile: &str, bucket: &str, changes: Vec<Change>) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let key = meta_key(profile, bucket);
        let _guard = self
            .inner
            .meta_lock
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let Some(mut meta) = self.get_meta(&key)? else {
            return Ok(());
        };
        if meta.generation > 0 {
            let tree = self.tree(&tree_name(profile, bucket, meta.generation))?;
            let (objects, bytes) = apply_to(&tree, &changes).map_err(|e| self.err(e))?;
            meta.objects = meta.objects.saturating_add_signed(objects);
            meta.bytes = meta.bytes.saturating_add_signed(bytes);
            self.put_meta(&key, &meta)?;
        }
        if let Ok(mut live) = self.inner.live.lock()
            && let Some(build) = live.get_mut(&key)
        {
            build.pending.extend(changes);
        }
        Ok(())
    }

    /// Forgets a bucket's index: stops its build, drops every generation.
    pub fn forget(&self, profile: &str, bucket: &str) -> Result<()> {
        let key = meta_key(profile, bucket);
        if let Ok(live) = self.inner.live.lock()
            && let Some(build) = live.get(&key)
        {
            build.cancel.cancel();
        }
        let _guard = self
            .inner
            .meta_lock
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let existed = self
            .inner
            .meta
            .remove(&key)
            .map_err(|e| self.err(e))?
            .is_some();
        self.drop_generations(profile, bucket, None)?;
        if !existed {
            return Err(Error::NotFound {
                what: format!("index of bucket `{bucket}` (profile `{profile}`)"),
                hint: "`coffer index status` lists the indexed buckets",
            });
        }
        Ok(())
    }

    /// Drops every generation tree of a bucket but `keep`.
    pub(crate) fn drop_generations(
        &self,
        profile: &str,
        bucket: &str,
        keep: Option<u64>,
    ) -> Result<()> {
        let prefix = format!("o\0{profile}\0{bucket}\0");
        let keep = keep.map(|g| tree_name(profile, bucket, g));
        for name in self.inner.db.tree_names() {
            if name.starts_with(prefix.as_bytes())
                && name[prefix.len()..].iter().all(u8::is_ascii_digit)
                && keep.as_deref() != Some(&name[..])
            {
                self.inner.db.drop_tree(&name).map_err(|e| self.err(e))?;
            }
        }
        Ok(())
    }

    /// The index's size on disk, in bytes.
    pub fn disk_bytes(&self) -> u64 {
        walk_size(&self.inner.path)
    }

    /// Makes every earlier change durable.
    pub fn flush(&self) -> Result<()> {
        self.inner.db.flush().map_err(|e| self.err(e))?;
        Ok(())
    }
}

/// Applies changes to one tree; returns how the object count and total size moved.
pub(crate) fn apply_to(tree: &sled::Tree, changes: &[Change]) -> sled::Result<(i64, i64)> {
    let (mut objects, mut bytes) = (0i64, 0i64);
    let changes = changes
        .iter()
        .map(|c| match c {
            Change::Put(key, entry) => (key.as_bytes().to_vec(), Some(entry.encode())),
            Change::Delete(key) => (key.as_bytes().to_vec(), None),
        })
        .collect();
    crate::blocks::apply(tree, changes, |old, new| {
        let size = |v: Option<&[u8]>| v.map(|v| Entry::size_of(v) as i64);
        match (size(old), size(new)) {
            (None, Some(n)) => {
                objects += 1;
                bytes += n;
            }
            (Some(o), None) => {
                objects -= 1;
                bytes -= o;
            }
            (Some(o), Some(n)) => bytes += n - o,
            (None, None) => {}
        }
    })?;
    Ok((objects, bytes))
}

fn walk_size(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => walk_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
