//! Listing one side of a mirror: a folder walk, or a LIST of the prefix.

use std::collections::BTreeMap;
use std::path::Path;

use coffer_core::store::{ListRequest, StoreExt};
use futures::StreamExt;

use super::{Side, TRASH};
use crate::error::{ReplicateError, Result};

/// One file or object, by its key relative to the side's root (`/`-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) size: u64,
    pub(crate) mtime_ms: u64,
    pub(crate) etag: Option<String>,
}

/// A side's entries, and what could not be listed (with why).
#[derive(Debug, Default)]
pub(crate) struct Listing {
    pub(crate) entries: BTreeMap<String, Entry>,
    pub(crate) skipped: Vec<(String, String)>,
}

pub(crate) fn mtime_ms(meta: &std::fs::Metadata) -> u64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_millis() as u64)
}

/// The relative key of `path` under `root`, or why it has none.
pub(crate) fn relative_key(root: &Path, path: &Path) -> std::result::Result<String, String> {
    let rel = path
        .strip_prefix(root)
        .map_err(|_| "outside the folder".to_string())?;
    let mut parts = Vec::new();
    for part in rel.components() {
        let std::path::Component::Normal(p) = part else {
            return Err("not a plain path".into());
        };
        parts.push(
            p.to_str()
                .ok_or("the name is not UTF-8 (S3 keys are)")?
                .to_string(),
        );
    }
    Ok(parts.join("/"))
}

/// Lists `side`.
pub(crate) async fn scan(side: &Side) -> Result<Listing> {
    match side {
        Side::Local(root) => {
            let root = root.clone();
            tokio::task::spawn_blocking(move || scan_local(&root))
                .await
                .map_err(|e| ReplicateError::Database(format!("the folder walk stopped: {e}")))?
        }
        Side::Bucket {
            transfers,
            bucket,
            prefix,
            ..
        } => {
            let mut listing = Listing::default();
            let trash = format!("{prefix}{TRASH}/");
            let store = transfers.store();
            let mut pages = store.list_stream(ListRequest::recursive(bucket, prefix));
            while let Some(page) = pages.next().await {
                for o in page?.objects {
                    if o.key.starts_with(&trash) {
                        continue;
                    }
                    let Some(rel) = o.key.strip_prefix(prefix.as_str()) else {
                        continue;
                    };
                    if rel.is_empty() || (rel.ends_with('/') && o.size == 0) {
                        continue;
                    }
                    let mtime_ms = o
                        .last_modified
                        .map_or(0, |t| (t.unix_timestamp_nanos() / 1_000_000).max(0) as u64);
                    listing.entries.insert(
                        rel.to_string(),
                        Entry {
                            size: o.size,
                            mtime_ms,
                            etag: o.etag,
                        },
                    );
                }
            }
            Ok(listing)
        }
    }
}

fn scan_local(root: &Path) -> Result<Listing> {
    let mut listing = Listing::default();
    if !root.is_dir() {
        return Err(ReplicateError::Invalid(format!(
            "{} is not a folder",
            root.display()
        )));
    }
    let walker = walkdir::WalkDir::new(root).follow_links(false).into_iter();
    let trash = root.join(TRASH);
    for item in walker.filter_entry(|e| e.path() != trash) {
        let item = match item {
            Ok(i) => i,
            Err(e) => {
                let path = e
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                listing.skipped.push((path, e.to_string()));
                continue;
            }
        };
        if item.file_type().is_symlink() {
            listing.skipped.push((
                item.path().display().to_string(),
                "a symbolic link (not followed)".into(),
            ));
            continue;
        }
        if !item.file_type().is_file() {
            continue;
        }
        let rel = match relative_key(root, item.path()) {
            Ok(r) => r,
            Err(why) => {
                listing
                    .skipped
                    .push((item.path().display().to_string(), why));
                continue;
            }
        };
        let meta = item
            .metadata()
            .map_err(|e| ReplicateError::Invalid(format!("{}: {e}", item.path().display())))?;
        listing.entries.insert(
            rel,
            Entry {
                size: meta.len(),
                mtime_ms: mtime_ms(&meta),
                etag: None,
            },
        );
    }
    Ok(listing)
}
