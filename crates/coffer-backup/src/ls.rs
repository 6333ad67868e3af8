//! Listing what a snapshot holds, one folder at a time or the whole tree.

use std::path::PathBuf;

use rustic_core::LsOptions;
use rustic_core::repofile::Node;
use serde::Serialize;
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::open::{Repo, blocking};

/// One entry of a snapshot's tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Its path in the snapshot (absolute, as restic shows it).
    pub path: String,
    /// Its name.
    pub name: String,
    /// `file`, `dir`, `symlink` or `special`.
    pub kind: &'static str,
    /// Size in bytes (files).
    pub size: u64,
    /// Modification time.
    #[serde(with = "time::serde::rfc3339::option")]
    pub mtime: Option<OffsetDateTime>,
    /// Unix mode bits.
    pub mode: Option<u32>,
    /// A symlink's target.
    pub link_target: Option<String>,
}

pub(crate) fn kind_of(node: &Node) -> &'static str {
    if node.is_dir() {
        "dir"
    } else if node.is_file() {
        "file"
    } else if node.is_symlink() {
        "symlink"
    } else {
        "special"
    }
}

pub(crate) fn mtime_of(node: &Node) -> Option<OffsetDateTime> {
    node.meta
        .mtime
        .and_then(|t| OffsetDateTime::from_unix_timestamp_nanos(t.as_nanosecond()).ok())
}

pub(crate) fn entry_of(path: &std::path::Path, node: &Node) -> Entry {
    Entry {
        path: path.display().to_string(),
        name: node.name.clone(),
        kind: kind_of(node),
        size: if node.is_file() { node.meta.size } else { 0 },
        mtime: mtime_of(node),
        mode: node.meta.mode,
        link_target: match &node.node_type {
            rustic_core::repofile::NodeType::Symlink { linktarget, .. } => Some(linktarget.clone()),
            _ => None,
        },
    }
}

/// A path inside a snapshot as rustic looks it up: relative, `/`-separated.
pub(crate) fn tree_path(path: &str) -> String {
    path.trim_matches('/').to_string()
}

impl Repo {
    /// The entries of `path` (a folder) in snapshot `spec`; with `recursive`, every
    /// entry below it, in tree order.
    pub async fn ls(&self, spec: &str, path: &str, recursive: bool) -> Result<Vec<Entry>> {
        let snap = self.snapshot_file(spec).await?;
        let repo = self.clone();
        let path = tree_path(path);
        blocking(move || {
            let indexed = repo.indexed_ids()?;
            let node = indexed
                .node_from_snapshot_and_path(&snap, &path)
                .map_err(|_| {
                    Error::NotFound(format!(
                        "no `/{path}` in snapshot {}",
                        &snap.id.to_hex()[..8]
                    ))
                })?;
            let base = PathBuf::from("/").join(&path);
            if !node.is_dir() {
                return Ok(vec![entry_of(&base, &node)]);
            }
            let mut opts = LsOptions::default();
            opts.recursive = recursive;
            let mut out = Vec::new();
            for item in indexed.ls(&node, &opts).map_err(Error::from_rustic)? {
                let (rel, node) = item.map_err(Error::from_rustic)?;
                out.push(entry_of(&base.join(rel), &node));
            }
            Ok(out)
        })
        .await
    }
}
