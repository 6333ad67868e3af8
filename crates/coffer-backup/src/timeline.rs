//! A file's history across every snapshot: each distinct version once, with the
//! snapshots that hold it, so one version can be restored by a click.

use rustic_core::repofile::{Node, SnapshotFile};
use serde::Serialize;
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::ls::{kind_of, mtime_of, tree_path};
use crate::open::{Repo, blocking};
use crate::snapshots::to_offset;

/// One distinct version of a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Version {
    /// `file`, `dir`, `symlink` or `special`.
    pub kind: &'static str,
    /// Size in bytes (files).
    pub size: u64,
    /// Modification time.
    #[serde(with = "time::serde::rfc3339::option")]
    pub mtime: Option<OffsetDateTime>,
    /// A short fingerprint of the content (first data blob ids), equal for equal
    /// content.
    pub content_id: String,
    /// The snapshots that hold this version, oldest first (full ids).
    pub snapshots: Vec<String>,
    /// When the first snapshot holding it was taken.
    #[serde(with = "time::serde::rfc3339")]
    pub first_seen: OffsetDateTime,
    /// When the last snapshot holding it was taken.
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: OffsetDateTime,
}

/// What identifies a version: its type and content (files by their blobs, folders by
/// their tree, symlinks by their target).
fn content_key(node: &Node) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(kind_of(node).as_bytes());
    if let Some(content) = &node.content {
        for id in content {
            h.update(id.to_hex().as_str().as_bytes());
        }
    }
    if let Some(subtree) = &node.subtree {
        h.update(subtree.to_hex().as_str().as_bytes());
    }
    if let rustic_core::repofile::NodeType::Symlink { linktarget, .. } = &node.node_type {
        h.update(linktarget.as_bytes());
    }
    hex::encode(&h.finalize()[..8])
}

impl Repo {
    /// Every distinct version of `path` (as backed up: absolute, e.g.
    /// `/home/me/notes.txt`) across all snapshots, oldest first. Snapshots without the
    /// path are skipped.
    pub async fn timeline(&self, path: &str) -> Result<Vec<Version>> {
        let repo = self.clone();
        let path = tree_path(path);
        if path.is_empty() {
            return Err(Error::invalid(
                "path",
                "give the path of a file or folder as backed up",
            ));
        }
        blocking(move || {
            let mut snaps: Vec<SnapshotFile> =
                repo.inner.get_all_snapshots().map_err(Error::from_rustic)?;
            snaps.sort_by(|a, b| a.time.cmp(&b.time));
            let indexed = repo.indexed_ids()?;
            let mut versions: Vec<Version> = Vec::new();
            for snap in &snaps {
                let Ok(node) = indexed.node_from_snapshot_and_path(snap, &path) else {
                    continue;
                };
                let key = content_key(&node);
                let size = if node.is_file() { node.meta.size } else { 0 };
                let when = to_offset(&snap.time);
                let id = snap.id.to_hex().to_string();
                match versions
                    .iter_mut()
                    .find(|v| v.content_id == key && v.size == size && v.mtime == mtime_of(&node))
                {
                    Some(v) => {
                        v.snapshots.push(id);
                        v.last_seen = when;
                    }
                    None => versions.push(Version {
                        kind: kind_of(&node),
                        size,
                        mtime: mtime_of(&node),
                        content_id: key,
                        snapshots: vec![id],
                        first_seen: when,
                        last_seen: when,
                    }),
                }
            }
            if versions.is_empty() {
                return Err(Error::NotFound(format!(
                    "`/{path}` is in none of the {} snapshot(s) of {}",
                    snaps.len(),
                    repo.location()
                )));
            }
            Ok(versions)
        })
        .await
    }
}
