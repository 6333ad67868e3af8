//! One folder level: answered from the index (its objects and subfolders, as a
//! delimiter listing would give them), and refreshed by listing it on the server.

use std::collections::HashSet;
use std::ops::Bound;

use coffer_core::Result;
use coffer_core::store::{ListRequest, ObjectSummary, Store};
use serde::Serialize;
use time::OffsetDateTime;

use crate::blocks::Cursor;
use crate::entry::Entry;
use crate::index::{Change, Index};

/// The most entries one page of [`Index::list_folder`] holds.
pub const MAX_PAGE: usize = 10_000;

/// One page of a folder, from the index: the shape of a server listing page.
#[derive(Debug, Clone, Serialize)]
pub struct FolderPage {
    /// Objects directly in the folder, in key order.
    pub objects: Vec<ObjectSummary>,
    /// Its subfolders, each ending in `/`.
    pub common_prefixes: Vec<String>,
    /// Pass as `start_after` for the next page; `None` on the last.
    pub next_token: Option<String>,
    /// How fresh the index is.
    #[serde(with = "time::serde::rfc3339::option")]
    pub as_of: Option<OffsetDateTime>,
}

/// What a folder refresh changed.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct FolderChange {
    /// Objects new to the index.
    pub added: u64,
    /// Objects whose size, date, ETag or class changed.
    pub updated: u64,
    /// Objects no longer on the server.
    pub removed: u64,
    /// When the folder was listed.
    #[serde(with = "time::serde::rfc3339")]
    pub as_of: OffsetDateTime,
}

/// The first key after every key that starts with `prefix` (no UTF-8 key holds the
/// byte 0xFF).
fn past(prefix: &str) -> Vec<u8> {
    let mut bound = prefix.as_bytes().to_vec();
    bound.push(0xFF);
    bound
}

/// An item of a folder level.
enum Item {
    Object(String, Vec<u8>),
    Folder(String),
}

/// Walks the level `prefix` of `tree` from `start` on, calling `each` until it
/// returns `false`; subfolders are skipped over with one seek each.
fn walk(
    tree: &sled::Tree,
    prefix: &str,
    start: Bound<Vec<u8>>,
    mut each: impl FnMut(Item) -> bool,
) -> sled::Result<()> {
    let (target, exclusive) = match start {
        Bound::Included(k) => (k, None),
        Bound::Excluded(k) => (k.clone(), Some(k)),
        Bound::Unbounded => (Vec::new(), None),
    };
    let mut cursor = Cursor::at(tree, &target)?;
    while let Some((k, v)) = cursor.next_entry()? {
        if exclusive.as_deref() == Some(k) {
            continue;
        }
        let Some(rest) = k.strip_prefix(prefix.as_bytes()) else {
            return Ok(());
        };
        match rest.iter().position(|b| *b == b'/') {
            Some(i) => {
                let folder = String::from_utf8_lossy(&k[..prefix.len() + i + 1]).into_owned();
                let skip = past(&folder);
                if !each(Item::Folder(folder)) {
                    return Ok(());
                }
                cursor.seek(&skip)?;
            }
            None => {
                let key = String::from_utf8_lossy(k).into_owned();
                if !each(Item::Object(key, v.to_vec())) {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

impl Index {
    /// One page of the folder `prefix` from the index, after `start_after` (a key or
    /// a subfolder of an earlier page's `next_token`).
    pub fn list_folder(
        &self,
        profile: &str,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<FolderPage> {
        let (meta, tree) = self.current(profile, bucket)?;
        let limit = limit.clamp(1, MAX_PAGE);
        let start = match start_after {
            Some(s) if s.ends_with('/') => Bound::Excluded(past(s)),
            Some(s) => Bound::Excluded(s.as_bytes().to_vec()),
            None => Bound::Included(prefix.as_bytes().to_vec()),
        };
        let mut page = FolderPage {
            objects: Vec::new(),
            common_prefixes: Vec::new(),
            next_token: None,
            as_of: meta.built_at,
        };
        let mut count = 0;
        let mut last = None;
        walk(&tree, prefix, start, |item| {
            if count == limit {
                page.next_token = last.take();
                return false;
            }
            count += 1;
            match item {
                Item::Folder(folder) => {
                    last = Some(folder.clone());
                    page.common_prefixes.push(folder);
                }
                Item::Object(key, value) => {
                    if let Some(entry) = Entry::decode(&value) {
                        last = Some(key.clone());
                        page.objects.push(entry.summary(key));
                    }
                }
            }
            true
        })
        .map_err(|e| self.err(e))?;
        Ok(page)
    }

    /// Lists the folder `prefix` on the server (one level) and applies the
    /// difference: objects added, changed or gone; a subfolder gone is dropped whole,
    /// a new one is listed whole.
    pub async fn refresh_folder(
        &self,
        store: &dyn Store,
        profile: &str,
        bucket: &str,
        prefix: &str,
    ) -> Result<FolderChange> {
        let (_, tree) = self.current(profile, bucket)?;
        let as_of = OffsetDateTime::now_utc();
        let mut change = FolderChange {
            added: 0,
            updated: 0,
            removed: 0,
            as_of,
        };
        let mut seen_objects = HashSet::new();
        let mut seen_folders = HashSet::new();
        let request = ListRequest::folder(bucket, prefix);
        let mut token: Option<String> = None;
        loop {
            let page = store.list_page(&request, token.as_deref()).await?;
            let mut changes = Vec::new();
            for o in &page.objects {
                let entry = Entry::of(o);
                match crate::blocks::get(&tree, o.key.as_bytes()).map_err(|e| self.err(e))? {
                    Some(old) if Entry::decode(&old).as_ref() == Some(&entry) => {}
                    Some(_) => {
                        change.updated += 1;
                        changes.push(Change::Put(o.key.clone(), entry));
                    }
                    None => {
                        change.added += 1;
                        changes.push(Change::Put(o.key.clone(), entry));
                    }
                }
                seen_objects.insert(o.key.clone());
            }
            self.apply(profile, bucket, changes)?;
            seen_folders.extend(page.common_prefixes);
            match page.next_token {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        // What the index holds at this level that the server no longer has.
        let mut gone_objects = Vec::new();
        let mut known_folders = HashSet::new();
        walk(
            &tree,
            prefix,
            Bound::Included(prefix.as_bytes().to_vec()),
            |item| {
                match item {
                    Item::Object(key, _) if !seen_objects.contains(&key) => gone_objects.push(key),
                    Item::Object(..) => {}
                    Item::Folder(folder) => {
                        known_folders.insert(folder);
                    }
                }
                true
            },
        )
        .map_err(|e| self.err(e))?;
        change.removed += gone_objects.len() as u64;
        self.apply(
            profile,
            bucket,
            gone_objects.into_iter().map(Change::Delete).collect(),
        )?;
        for folder in known_folders.difference(&seen_folders) {
            let mut keys = Vec::new();
            crate::blocks::scan_prefix(&tree, folder.as_bytes(), |k, _| {
                keys.push(Change::Delete(String::from_utf8_lossy(k).into_owned()));
                true
            })
            .map_err(|e| self.err(e))?;
            change.removed += keys.len() as u64;
            self.apply(profile, bucket, keys)?;
        }
        for folder in seen_folders.difference(&known_folders) {
            let request = ListRequest::recursive(bucket, folder.clone());
            let mut token: Option<String> = None;
            loop {
                let page = store.list_page(&request, token.as_deref()).await?;
                change.added += page.objects.len() as u64;
                self.apply(
                    profile,
                    bucket,
                    page.objects
                        .iter()
                        .map(|o| Change::Put(o.key.clone(), Entry::of(o)))
                        .collect(),
                )?;
                match page.next_token {
                    Some(next) => token = Some(next),
                    None => break,
                }
            }
        }
        Ok(change)
    }
}
