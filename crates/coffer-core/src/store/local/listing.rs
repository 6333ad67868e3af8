//! Listing a bucket folder in S3 order.
//!
//! S3 lists keys in byte order, and a folder walk in name order is not that order
//! (`a-c` sorts before `a/b`). So each folder level is read into entries that carry
//! the key (or key prefix, ending in `/`) they stand for, sorted by it; the walk is
//! then a depth-first merge that prunes every folder outside the prefix or before the
//! continuation point. Sorted levels are cached by folder modification time, so the
//! pages of a large flat folder do not each read and sort it again.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use time::OffsetDateTime;

use super::keymap::{CONTINUES, SELF_FILE, decode_segment};
use crate::error::{Error, Result};
use crate::store::{ListPage, ListRequest, ObjectSummary};

/// How many sorted folder levels are kept.
const CACHED_LEVELS: usize = 16;

#[derive(Debug, Clone)]
pub(crate) enum EntryKind {
    /// An object file.
    File {
        size: u64,
        mtime: Option<SystemTime>,
    },
    /// A folder; its key ends with `/`.
    Dir,
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub key: String,
    pub path: PathBuf,
    pub kind: EntryKind,
}

/// One cached level: its path, its key, the folder's modification time, its entries.
type Level = (PathBuf, String, Option<SystemTime>, Arc<Vec<Entry>>);

/// Recently read folder levels, keyed by path and checked against the folder's
/// modification time.
#[derive(Debug, Default)]
pub(crate) struct LevelCache {
    levels: Mutex<VecDeque<Level>>,
}

impl LevelCache {
    fn get_or_read(&self, dir: &Path, key_prefix: &str) -> Result<Arc<Vec<Entry>>> {
        let mtime = std::fs::metadata(dir).and_then(|m| m.modified()).ok();
        {
            let levels = self.levels.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((_, _, _, entries)) = levels
                .iter()
                .find(|(p, k, m, _)| p == dir && k == key_prefix && *m == mtime && mtime.is_some())
            {
                return Ok(entries.clone());
            }
        }
        let mut entries = Vec::new();
        read_level(dir, key_prefix, &mut entries)?;
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        entries.dedup_by(|a, b| a.key == b.key);
        let entries = Arc::new(entries);
        let mut levels = self.levels.lock().unwrap_or_else(|e| e.into_inner());
        levels.retain(|(p, k, _, _)| !(p == dir && k == key_prefix));
        levels.push_front((
            dir.to_path_buf(),
            key_prefix.to_string(),
            mtime,
            entries.clone(),
        ));
        levels.truncate(CACHED_LEVELS);
        Ok(entries)
    }
}

/// Reads one folder level into entries (unsorted), expanding the folders that only
/// continue an over-long name.
fn read_level(dir: &Path, key_prefix: &str, out: &mut Vec<Entry>) -> Result<()> {
    let read = std::fs::read_dir(dir).map_err(|e| Error::io("cannot list", dir, e))?;
    for entry in read {
        let entry = entry.map_err(|e| Error::io("cannot list", dir, e))?;
        let Ok(name) = entry.file_name().into_string() else {
            tracing::warn!(path = %entry.path().display(), "skipping a file name that is not UTF-8");
            continue;
        };
        if name == SELF_FILE {
            continue; // listed by the parent level, as the folder's own object
        }
        let path = entry.path();
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            if let Some(chunk) = name.strip_suffix(CONTINUES) {
                let prefix = format!("{key_prefix}{}", decode_segment(chunk));
                read_level(&path, &prefix, out)?;
                continue;
            }
            let key = format!("{key_prefix}{}", decode_segment(&name));
            let own = path.join(SELF_FILE);
            if let Ok(meta) = std::fs::metadata(&own)
                && meta.is_file()
            {
                out.push(Entry {
                    key: key.clone(),
                    path: own,
                    kind: EntryKind::File {
                        size: meta.len(),
                        mtime: meta.modified().ok(),
                    },
                });
            }
            out.push(Entry {
                key: format!("{key}/"),
                path,
                kind: EntryKind::Dir,
            });
        } else if file_type.is_file() {
            let meta = entry
                .metadata()
                .map_err(|e| Error::io("cannot read", &path, e))?;
            out.push(Entry {
                key: format!("{key_prefix}{}", decode_segment(&name)),
                path,
                kind: EntryKind::File {
                    size: meta.len(),
                    mtime: meta.modified().ok(),
                },
            });
        }
    }
    Ok(())
}

/// Whether a folder holds any object at any depth (an empty folder is no prefix).
fn holds_object(dir: &Path) -> bool {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .any(|e| e.file_type().is_file())
}

struct Walk<'a> {
    request: &'a ListRequest,
    after: Option<&'a str>,
    cache: &'a LevelCache,
    page: ListPage,
    /// Set when one more entry exists after a full page.
    more: bool,
    sidecar_etag: &'a dyn Fn(&str, &Path) -> Option<String>,
}

impl Walk<'_> {
    fn full(&self) -> bool {
        self.page.objects.len() + self.page.common_prefixes.len() >= self.request.max_keys as usize
    }

    /// Whether `key` was already returned (it is at or before the continuation point,
    /// or inside a common prefix already returned).
    fn done(&self, key: &str) -> bool {
        match self.after {
            None => false,
            Some(after) => {
                key <= after
                    || (self
                        .request
                        .delimiter
                        .as_deref()
                        .is_some_and(|d| after.ends_with(d))
                        && key.starts_with(after))
            }
        }
    }

    /// Offers one result; returns false once the page is full and one more exists.
    fn emit_object(&mut self, entry: &Entry, size: u64, mtime: Option<SystemTime>) -> bool {
        if self.full() {
            self.more = true;
            return false;
        }
        let last_modified = mtime.map(OffsetDateTime::from);
        self.page.objects.push(ObjectSummary {
            key: entry.key.clone(),
            size,
            last_modified,
            etag: (self.sidecar_etag)(&entry.key, &entry.path),
            storage_class: None,
        });
        true
    }

    fn emit_prefix(&mut self, prefix: String) -> bool {
        if self.page.common_prefixes.last() == Some(&prefix) {
            return true;
        }
        if self.full() {
            self.more = true;
            return false;
        }
        self.page.common_prefixes.push(prefix);
        true
    }

    /// The common prefix a key folds into, if any.
    fn fold(&self, key: &str) -> Option<String> {
        let delimiter = self
            .request
            .delimiter
            .as_deref()
            .filter(|d| !d.is_empty())?;
        let rest = key.strip_prefix(self.request.prefix.as_str())?;
        let at = rest.find(delimiter)?;
        Some(format!(
            "{}{}",
            self.request.prefix,
            &rest[..at + delimiter.len()]
        ))
    }

    /// Walks a level; returns false to stop.
    fn level(&mut self, dir: &Path, key_prefix: &str) -> Result<bool> {
        let prefix = self.request.prefix.clone();
        let entries = self.cache.get_or_read(dir, key_prefix)?;
        for entry in entries.iter() {
            let in_prefix = entry.key.starts_with(&prefix);
            match &entry.kind {
                EntryKind::File { size, mtime } => {
                    if !in_prefix {
                        if entry.key.as_str() > prefix.as_str() && !prefix.starts_with(&entry.key) {
                            return Ok(false); // sorted: nothing later can match
                        }
                        continue;
                    }
                    if let Some(cp) = self.fold(&entry.key) {
                        if !self.done(&cp) && !self.emit_prefix(cp) {
                            return Ok(false);
                        }
                        continue;
                    }
                    if self.done(&entry.key) {
                        continue;
                    }
                    if !self.emit_object(entry, *size, *mtime) {
                        return Ok(false);
                    }
                }
                EntryKind::Dir => {
                    let dir_key = entry.key.as_str();
                    if !in_prefix && !prefix.starts_with(dir_key) {
                        if dir_key > prefix.as_str() {
                            return Ok(false);
                        }
                        continue;
                    }
                    if let Some(after) = self.after
                        && dir_key < after
                        && !after.starts_with(dir_key)
                    {
                        continue; // everything below sorts before the continuation point
                    }
                    if in_prefix
                        && let Some(cp) = self.fold(dir_key)
                        && dir_key.starts_with(&cp)
                    {
                        // The whole folder folds into one prefix.
                        if !self.done(&cp) && holds_object(&entry.path) && !self.emit_prefix(cp) {
                            return Ok(false);
                        }
                        continue;
                    }
                    if !self.level(&entry.path, dir_key)? {
                        return Ok(false);
                    }
                }
            }
        }
        Ok(true)
    }
}

/// One page of a listing of the bucket folder `bucket_dir`.
pub(crate) fn list_page(
    bucket_dir: &Path,
    request: &ListRequest,
    token: Option<&str>,
    cache: &LevelCache,
    sidecar_etag: &dyn Fn(&str, &Path) -> Option<String>,
) -> Result<ListPage> {
    let mut walk = Walk {
        request,
        after: token,
        cache,
        page: ListPage::default(),
        more: false,
        sidecar_etag,
    };
    walk.level(bucket_dir, "")?;
    if walk.more {
        let last_object = walk.page.objects.last().map(|o| o.key.clone());
        let last_prefix = walk.page.common_prefixes.last().cloned();
        walk.page.next_token = last_object.max(last_prefix);
    }
    Ok(walk.page)
}
