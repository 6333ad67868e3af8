//! [`IndexingStore`]: a profile's `Store`, with Coffer's own writes to indexed buckets
//! applied to their index at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use coffer_core::store::{
    Body, BucketInfo, ByteRange, CompletedPart, DeleteFailure, GetObject, ListPage, ListRequest,
    MultipartUploadInfo, ObjectMeta, ObjectRef, ObjectVersion, PartMeta, PresignMethod, PutOptions,
    PutResult, RegionInfo, Store, UploadRef, Versioning,
};
use coffer_core::{Error, Result};
use time::OffsetDateTime;

use crate::entry::Entry;
use crate::index::{Change, Index};

/// Where [`IndexingStore`] sends the changes: the [`Index`] itself in the process
/// that owns the data dir, or that process's API from a `coffer` command attached
/// to it.
///
/// Contract: `is_indexed` is cheap (it may answer from a cache taken once);
/// `apply` records changes for an indexed bucket and ignores other buckets; `entry`
/// answers what the index holds for a key, or `None` when it cannot tell.
#[async_trait]
pub trait ChangeSink: Send + Sync + std::fmt::Debug {
    /// Whether `bucket` of `profile` has an index.
    async fn is_indexed(&self, profile: &str, bucket: &str) -> bool;
    /// Records changes made to the bucket.
    async fn apply(&self, profile: &str, bucket: &str, changes: Vec<Change>) -> Result<()>;
    /// The index's entry for a key, when known.
    async fn entry(&self, profile: &str, bucket: &str, key: &str) -> Option<Entry>;
}

#[async_trait]
impl ChangeSink for Index {
    async fn is_indexed(&self, profile: &str, bucket: &str) -> bool {
        Index::is_indexed(self, profile, bucket)
    }
    async fn apply(&self, profile: &str, bucket: &str, changes: Vec<Change>) -> Result<()> {
        Index::apply(self, profile, bucket, changes)
    }
    async fn entry(&self, profile: &str, bucket: &str, key: &str) -> Option<Entry> {
        Index::entry(self, profile, bucket, key)
    }
}

/// Wraps a store: every write that succeeds on an indexed bucket is applied to the
/// index (a failure to record it is logged, never the write's failure). Reads pass
/// through untouched.
#[derive(Debug)]
pub struct IndexingStore {
    inner: Arc<dyn Store>,
    index: Arc<dyn ChangeSink>,
    profile: String,
    /// The storage class each multipart upload in progress was started with.
    classes: Mutex<HashMap<String, Option<String>>>,
}

impl IndexingStore {
    /// Wraps `inner`, the store of `profile`, sending changes to `index`.
    pub fn new(
        inner: Arc<dyn Store>,
        index: Arc<dyn ChangeSink>,
        profile: impl Into<String>,
    ) -> Self {
        IndexingStore {
            inner,
            index,
            profile: profile.into(),
            classes: Mutex::default(),
        }
    }

    async fn record(&self, bucket: &str, changes: Vec<Change>) {
        if let Err(e) = self.index.apply(&self.profile, bucket, changes).await {
            tracing::warn!(bucket, error = %e, "could not update the bucket's index");
        }
    }

    async fn written(
        &self,
        bucket: &str,
        key: &str,
        size: u64,
        etag: Option<String>,
        class: Option<String>,
    ) {
        if !self.index.is_indexed(&self.profile, bucket).await {
            return;
        }
        let entry = Entry {
            size,
            modified_ms: Some(
                (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64,
            ),
            etag,
            storage_class: class,
        };
        self.record(bucket, vec![Change::Put(key.to_string(), entry)])
            .await;
    }

    /// Records what the server now holds under `key` (after a copy whose result the
    /// index cannot know): one HEAD, only for indexed buckets.
    async fn recheck(&self, bucket: &str, key: &str) {
        if !self.index.is_indexed(&self.profile, bucket).await {
            return;
        }
        match self.inner.head(bucket, key).await {
            Ok(meta) => {
                self.written(bucket, key, meta.size, meta.etag, meta.storage_class)
                    .await
            }
            Err(Error::NoSuchKey { .. }) => {
                self.record(bucket, vec![Change::Delete(key.to_string())])
                    .await;
            }
            Err(e) => tracing::debug!(bucket, key, error = %e, "index left to the next refresh"),
        }
    }
}

#[async_trait]
impl Store for IndexingStore {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        self.inner.list_buckets().await
    }
    async fn create_bucket(&self, bucket: &str) -> Result<()> {
        self.inner.create_bucket(bucket).await
    }
    async fn delete_bucket(&self, bucket: &str) -> Result<()> {
        self.inner.delete_bucket(bucket).await
    }
    async fn bucket_region(&self, bucket: &str) -> Result<RegionInfo> {
        self.inner.bucket_region(bucket).await
    }
    async fn list_page(&self, request: &ListRequest, token: Option<&str>) -> Result<ListPage> {
        self.inner.list_page(request, token).await
    }
    async fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        self.inner.head(bucket, key).await
    }
    async fn head_part(&self, bucket: &str, key: &str, part: u32) -> Result<Option<PartMeta>> {
        self.inner.head_part(bucket, key, part).await
    }
    async fn get(&self, bucket: &str, key: &str, range: Option<ByteRange>) -> Result<GetObject> {
        self.inner.get(bucket, key, range).await
    }
    async fn put(
        &self,
        bucket: &str,
        key: &str,
        body: Body,
        options: &PutOptions,
    ) -> Result<PutResult> {
        let size = body.len();
        let result = self.inner.put(bucket, key, body, options).await?;
        self.written(
            bucket,
            key,
            size,
            result.etag.clone(),
            options.storage_class.clone(),
        )
        .await;
        Ok(result)
    }
    async fn create_multipart(
        &self,
        bucket: &str,
        key: &str,
        options: &PutOptions,
    ) -> Result<String> {
        let id = self.inner.create_multipart(bucket, key, options).await?;
        if let Ok(mut classes) = self.classes.lock() {
            classes.insert(id.clone(), options.storage_class.clone());
        }
        Ok(id)
    }
    async fn upload_part(
        &self,
        upload: &UploadRef,
        part: u32,
        body: Body,
    ) -> Result<CompletedPart> {
        self.inner.upload_part(upload, part, body).await
    }
    async fn upload_part_copy(
        &self,
        upload: &UploadRef,
        part: u32,
        source: &ObjectRef,
        range: ByteRange,
    ) -> Result<CompletedPart> {
        self.inner
            .upload_part_copy(upload, part, source, range)
            .await
    }
    async fn complete_multipart(
        &self,
        upload: &UploadRef,
        parts: &[CompletedPart],
    ) -> Result<PutResult> {
        let result = self.inner.complete_multipart(upload, parts).await?;
        let class = self
            .classes
            .lock()
            .ok()
            .and_then(|mut c| c.remove(&upload.upload_id))
            .flatten();
        let size = parts.iter().map(|p| p.size).sum();
        self.written(
            &upload.bucket,
            &upload.key,
            size,
            result.etag.clone(),
            class,
        )
        .await;
        Ok(result)
    }
    async fn abort_multipart(&self, upload: &UploadRef) -> Result<()> {
        if let Ok(mut classes) = self.classes.lock() {
            classes.remove(&upload.upload_id);
        }
        self.inner.abort_multipart(upload).await
    }
    async fn list_parts(&self, upload: &UploadRef) -> Result<Vec<CompletedPart>> {
        self.inner.list_parts(upload).await
    }
    async fn list_multipart_uploads(&self, bucket: &str) -> Result<Vec<MultipartUploadInfo>> {
        self.inner.list_multipart_uploads(bucket).await
    }
    async fn copy_object(
        &self,
        source: &ObjectRef,
        target: &ObjectRef,
        options: Option<&PutOptions>,
    ) -> Result<()> {
        self.inner.copy_object(source, target, options).await?;
        if self.index.is_indexed(&self.profile, &target.bucket).await {
            // The source's entry tells the copy's size without a request; the ETag
            // of a copy can differ (multipart sources), so it is left out.
            let known = self
                .index
                .entry(&self.profile, &source.bucket, &source.key)
                .await;
            match known {
                Some(entry) => {
                    let class = options
                        .and_then(|o| o.storage_class.clone())
                        .or(entry.storage_class);
                    self.written(&target.bucket, &target.key, entry.size, None, class)
                        .await;
                }
                None => self.recheck(&target.bucket, &target.key).await,
            }
        }
        Ok(())
    }
    async fn delete_many(&self, bucket: &str, keys: &[String]) -> Result<Vec<DeleteFailure>> {
        let failures = self.inner.delete_many(bucket, keys).await?;
        if self.index.is_indexed(&self.profile, bucket).await {
            let changes = keys
                .iter()
                .filter(|k| !failures.iter().any(|f| &f.key == *k))
                .map(|k| Change::Delete(k.clone()))
                .collect();
            self.record(bucket, changes).await;
        }
        Ok(failures)
    }
    async fn presign(
        &self,
        method: PresignMethod,
        bucket: &str,
        key: &str,
        signed_at: SystemTime,
        expires_in: Duration,
    ) -> Result<String> {
        self.inner
            .presign(method, bucket, key, signed_at, expires_in)
            .await
    }
    async fn versioning(&self, bucket: &str) -> Result<Versioning> {
        self.inner.versioning(bucket).await
    }
    async fn set_versioning(&self, bucket: &str, enabled: bool) -> Result<()> {
        self.inner.set_versioning(bucket, enabled).await
    }
    async fn list_versions(&self, bucket: &str, key: &str) -> Result<Vec<ObjectVersion>> {
        self.inner.list_versions(bucket, key).await
    }
    async fn get_version(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        range: Option<ByteRange>,
    ) -> Result<GetObject> {
        self.inner.get_version(bucket, key, version_id, range).await
    }
    async fn copy_version(
        &self,
        source: &ObjectRef,
        version_id: &str,
        target: &ObjectRef,
    ) -> Result<()> {
        self.inner.copy_version(source, version_id, target).await?;
        self.recheck(&target.bucket, &target.key).await;
        Ok(())
    }
    async fn delete_version(&self, bucket: &str, key: &str, version_id: &str) -> Result<()> {
        self.inner.delete_version(bucket, key, version_id).await?;
        self.recheck(bucket, key).await;
        Ok(())
    }
    async fn list_deleted(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectVersion>> {
        self.inner.list_deleted(bucket, prefix).await
    }
}
