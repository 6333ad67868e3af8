//! The per-bucket region cache.
//!
//! Regions are detected with HEAD bucket (`x-amz-bucket-region`, see `S3Store`) and
//! kept here: in memory for the life of the process, and in the `MetaDb` so the next
//! run does not ask again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::meta::{MetaDb, MetaDbExt, TREE_REGIONS};
use crate::store::RegionInfo;

/// Detected regions, keyed by bucket, for one profile.
#[derive(Debug, Clone)]
pub struct RegionCache {
    profile: String,
    memory: Arc<Mutex<HashMap<String, RegionInfo>>>,
    db: Option<Arc<dyn MetaDb>>,
}

impl RegionCache {
    /// A cache for `profile`, persisted in `db` when one is given.
    pub fn new(profile: impl Into<String>, db: Option<Arc<dyn MetaDb>>) -> Self {
        RegionCache {
            profile: profile.into(),
            memory: Arc::default(),
            db,
        }
    }

    fn db_key(&self, bucket: &str) -> String {
        format!("{}\0{bucket}", self.profile)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, RegionInfo>> {
        self.memory.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached region of a bucket, marked `cached`.
    pub fn get(&self, bucket: &str) -> Option<RegionInfo> {
        if let Some(hit) = self.lock().get(bucket).cloned() {
            return Some(RegionInfo {
                cached: true,
                ..hit
            });
        }
        let db = self.db.as_ref()?;
        match db.get_json::<RegionInfo>(TREE_REGIONS, &self.db_key(bucket)) {
            Ok(Some(hit)) => {
                self.lock().insert(bucket.to_string(), hit.clone());
                Some(RegionInfo {
                    cached: true,
                    ..hit
                })
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(bucket, error = %e, "region cache unreadable; detecting again");
                None
            }
        }
    }

    /// Remembers a bucket's region.
    pub fn put(&self, bucket: &str, info: &RegionInfo) {
        let info = RegionInfo {
            cached: false,
            ..info.clone()
        };
        self.lock().insert(bucket.to_string(), info.clone());
        if let Some(db) = &self.db
            && let Err(e) = db.put_json(TREE_REGIONS, &self.db_key(bucket), &info)
        {
            tracing::warn!(bucket, error = %e, "cannot persist the region cache");
        }
    }

    /// Forgets a bucket's region (after the server said it moved, or it was deleted).
    pub fn invalidate(&self, bucket: &str) {
        self.lock().remove(bucket);
        if let Some(db) = &self.db
            && let Err(e) = db.delete(TREE_REGIONS, self.db_key(bucket).as_bytes())
        {
            tracing::warn!(bucket, error = %e, "cannot update the region cache");
        }
    }
}
