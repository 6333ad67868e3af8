//! [`Replica`]: where one database's segments live (a store, a bucket, a folder), and
//! the few requests replication makes there: LIST one level, PUT a segment, GET one,
//! delete a batch.

use std::path::Path;
use std::sync::Arc;

use coffer_core::store::{
    Body, ByteRange, GetObject, ListRequest, PutOptions, Store, StoreExt, UploadRef,
};
use futures::StreamExt;

use crate::error::{ReplicateError, Result};
use crate::key::{Lineage, SegmentKey};

/// Segments larger than this go up in parts.
const MULTIPART_OVER: u64 = 64 << 20;
const PART_SIZE: u64 = 32 << 20;

/// One database's folder in a bucket: `<prefix><db-id>/`.
#[derive(Debug, Clone)]
pub struct Replica {
    /// A name for people and logs (`garage:s3://b/p/app`).
    pub name: String,
    store: Arc<dyn Store>,
    bucket: String,
    /// The database's folder, ending with `/`.
    root: String,
}

/// A segment seen in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Where it sits.
    pub key: SegmentKey,
    /// Its size in bytes.
    pub size: u64,
}

impl Replica {
    /// The replica of database `db_id` under `prefix` (a folder, `""` for the bucket's
    /// root) in `bucket`.
    pub fn new(
        name: impl Into<String>,
        store: Arc<dyn Store>,
        bucket: impl Into<String>,
        prefix: &str,
        db_id: &str,
    ) -> Result<Replica> {
        if !crate::key::valid_db_id(db_id) {
            return Err(ReplicateError::Invalid(format!(
                "{db_id:?} cannot name a database in a replica (one folder name, no control characters)"
            )));
        }
        let mut root = prefix.trim_start_matches('/').to_string();
        if !root.is_empty() && !root.ends_with('/') {
            root.push('/');
        }
        root.push_str(db_id);
        root.push('/');
        Ok(Replica {
            name: name.into(),
            store,
            bucket: bucket.into(),
            root,
        })
    }

    /// The replica at an exact folder (`<prefix><db-id>/`), as a restore finds it.
    pub fn at_root(
        name: impl Into<String>,
        store: Arc<dyn Store>,
        bucket: &str,
        root: &str,
    ) -> Replica {
        let mut root = root.trim_start_matches('/').to_string();
        if !root.is_empty() && !root.ends_with('/') {
            root.push('/');
        }
        Replica {
            name: name.into(),
            store,
            bucket: bucket.to_string(),
            root,
        }
    }

    /// Finds the database a restore means by `prefix`: the prefix itself when it
    /// holds lineages, else the one database under it. Several databases, or none,
    /// is an error that names what is there.
    pub async fn locate(
        name: &str,
        store: Arc<dyn Store>,
        bucket: &str,
        prefix: &str,
    ) -> Result<Replica> {
        let here = Replica::at_root(name, store.clone(), bucket, prefix);
        let mut folders = Vec::new();
        {
            let mut pages = store.list_stream(ListRequest::folder(bucket, here.root()));
            while let Some(page) = pages.next().await {
                folders.extend(page?.common_prefixes);
            }
        }
        let children: Vec<&str> = folders
            .iter()
            .filter_map(|f| f.strip_prefix(here.root()))
            .map(|f| f.trim_end_matches('/'))
            .collect();
        if children.iter().any(|c| Lineage::parse(c).is_some()) {
            return Ok(here);
        }
        match children.as_slice() {
            [] => Err(ReplicateError::Plan(format!(
                "no replicated database at {name} (s3://{bucket}/{})",
                here.root()
            ))),
            [one] => Ok(Replica::at_root(
                format!("{name}/{one}"),
                store,
                bucket,
                &format!("{}{one}/", here.root()),
            )),
            many => Err(ReplicateError::Invalid(format!(
                "{name} holds {} databases ({}); name one, as {name}/NAME",
                many.len(),
                many.join(", ")
            ))),
        }
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The database's folder, ending with `/`.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The key of a segment.
    pub fn key(&self, lineage: &Lineage, key: &SegmentKey) -> String {
        format!("{}{}/{}/{}", self.root, lineage, key.level, key.file_name())
    }

    /// The lineages in the replica, oldest first (one LIST).
    pub async fn lineages(&self) -> Result<Vec<Lineage>> {
        let mut out = Vec::new();
        let mut pages = self
            .store
            .list_stream(ListRequest::folder(&self.bucket, &self.root));
        while let Some(page) = pages.next().await {
            for prefix in page?.common_prefixes {
                if let Some(l) = prefix.strip_prefix(&self.root).and_then(Lineage::parse) {
                    out.push(l);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// The segments of one level of a lineage, in TXID order (one LIST, paged).
    pub async fn list_level(&self, lineage: &Lineage, level: u32) -> Result<Vec<Listed>> {
        let prefix = format!("{}{}/{}/", self.root, lineage, level);
        let mut out = Vec::new();
        let mut pages = self
            .store
            .list_stream(ListRequest::recursive(&self.bucket, &prefix));
        while let Some(page) = pages.next().await {
            for object in page?.objects {
                let Some(name) = object.key.strip_prefix(&prefix) else {
                    continue;
                };
                match SegmentKey::parse(level, name) {
                    Some(key) => out.push(Listed {
                        key,
                        size: object.size,
                    }),
                    None => tracing::debug!(key = %object.key, "not a segment; left alone"),
                }
            }
        }
        out.sort_by_key(|l| (l.key.min_txid, l.key.max_txid, l.key.ts_ms));
        Ok(out)
    }

    /// Uploads the segment file at `path` as `key`, verified by CRC32C.
    pub async fn put_segment(
        &self,
        lineage: &Lineage,
        key: &SegmentKey,
        path: &Path,
    ) -> Result<()> {
        let object = self.key(lineage, key);
        let size = std::fs::metadata(path)
            .map_err(|e| ReplicateError::io(path, e))?
            .len();
        let options = PutOptions {
            content_type: Some("application/vnd.coffer.segment".into()),
            checksum: true,
            ..PutOptions::default()
        };
        if size <= MULTIPART_OVER {
            let body = Body::File {
                path: path.to_path_buf(),
                offset: 0,
                len: size,
            };
            self.store
                .put(&self.bucket, &object, body, &options)
                .await?;
            return Ok(());
        }
        let upload_id = self
            .store
            .create_multipart(&self.bucket, &object, &options)
            .await?;
        let upload = UploadRef {
            bucket: self.bucket.clone(),
            key: object,
            upload_id,
        };
        let parts = futures::stream::iter((0..size.div_ceil(PART_SIZE)).map(|i| {
            let offset = i * PART_SIZE;
            let body = Body::File {
                path: path.to_path_buf(),
                offset,
                len: PART_SIZE.min(size - offset),
            };
            let upload = &upload;
            async move { self.store.upload_part(upload, i as u32 + 1, body).await }
        }))
        .buffered(4)
        .collect::<Vec<_>>()
        .await;
        let parts: std::result::Result<Vec<_>, _> = parts.into_iter().collect();
        let done = match parts {
            Ok(parts) => self.store.complete_multipart(&upload, &parts).await,
            Err(e) => Err(e),
        };
        if let Err(e) = done {
            if let Err(abort) = self.store.abort_multipart(&upload).await {
                tracing::warn!(error = %abort, "could not abort a failed segment upload");
            }
            return Err(e.into());
        }
        Ok(())
    }

    /// Reads a segment (or its first bytes).
    pub async fn get_segment(
        &self,
        lineage: &Lineage,
        key: &SegmentKey,
        range: Option<ByteRange>,
    ) -> Result<GetObject> {
        Ok(self
            .store
            .get(&self.bucket, &self.key(lineage, key), range)
            .await?)
    }

    /// Deletes segments, 1,000 per request.
    pub async fn delete(&self, lineage: &Lineage, keys: &[SegmentKey]) -> Result<()> {
        let keys: Vec<String> = keys.iter().map(|k| self.key(lineage, k)).collect();
        let failures = self.store.delete_keys(&self.bucket, &keys).await?;
        if let Some(first) = failures.first() {
            return Err(ReplicateError::Plan(format!(
                "{} of {} old segments could not be deleted ({}: {})",
                failures.len(),
                keys.len(),
                first.key,
                first.message
            )));
        }
        Ok(())
    }
}
