//! Folder sizes: the objects and bytes under a prefix, at any depth.

use coffer_core::Result;
use serde::Serialize;
use time::OffsetDateTime;

use crate::entry::Entry;
use crate::index::Index;

/// The size of everything under a prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FolderSize {
    /// How many objects.
    pub objects: u64,
    /// Their total size.
    pub bytes: u64,
    /// How fresh the index is.
    #[serde(with = "time::serde::rfc3339::option")]
    pub as_of: Option<OffsetDateTime>,
}

impl Index {
    /// Sums the sizes under `prefix` (the whole bucket for `""`), reading only the
    /// size of each entry. Blocking: a big prefix takes a scan of its entries.
    pub fn folder_size(&self, profile: &str, bucket: &str, prefix: &str) -> Result<FolderSize> {
        let (meta, tree) = self.current(profile, bucket)?;
        if prefix.is_empty() {
            return Ok(FolderSize {
                objects: meta.objects,
                bytes: meta.bytes,
                as_of: meta.built_at,
            });
        }
        let (mut objects, mut bytes) = (0, 0);
        crate::blocks::scan_prefix(&tree, prefix.as_bytes(), |_, v| {
            objects += 1;
            bytes += Entry::size_of(v);
            true
        })
        .map_err(|e| self.err(e))?;
        Ok(FolderSize {
            objects,
            bytes,
            as_of: meta.built_at,
        })
    }
}
