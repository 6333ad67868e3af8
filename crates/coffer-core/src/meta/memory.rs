//! An in-memory [`MetaDb`] for unit tests.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::MetaDb;
use crate::error::Result;

/// Values by (tree, key).
type Entries = BTreeMap<(String, Vec<u8>), Vec<u8>>;

/// A `MetaDb` held in memory; nothing survives the process.
#[derive(Debug, Default)]
pub struct MemoryDb {
    entries: Mutex<Entries>,
}

impl MemoryDb {
    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock cannot leave the map half-updated, so the
        // poisoned state is safe to reuse.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl MetaDb for MemoryDb {
    fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.lock().get(&(tree.to_string(), key.to_vec())).cloned())
    }

    fn put(&self, tree: &str, key: &[u8], value: &[u8]) -> Result<()> {
        self.lock()
            .insert((tree.to_string(), key.to_vec()), value.to_vec());
        Ok(())
    }

    fn delete(&self, tree: &str, key: &[u8]) -> Result<()> {
        self.lock().remove(&(tree.to_string(), key.to_vec()));
        Ok(())
    }

    fn scan_prefix(&self, tree: &str, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        Ok(self
            .lock()
            .range((tree.to_string(), prefix.to_vec())..)
            .take_while(|((t, k), _)| t == tree && k.starts_with(prefix))
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .collect())
    }

    fn flush(&self) -> Result<()> {
        Ok(())
    }
}
