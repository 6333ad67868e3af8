//! [`RetryStore`]: retries transient failures of any `Store`, with backoff.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::*;
use crate::error::Result;

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The wait before the second attempt; it doubles each time.
    pub base_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

/// Wraps a store and retries calls that fail with a retryable error
/// ([`Error::is_retryable`]: timeouts, resets, throttling, 5xx). Every `Store` call is
/// safe to repeat: bodies are re-read from their file range, and S3 writes are
/// idempotent per key, upload id and part number.
#[derive(Debug, Clone)]
pub struct RetryStore {
    inner: Arc<dyn Store>,
    policy: RetryPolicy,
}

impl RetryStore {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Store>, policy: RetryPolicy) -> Self {
        RetryStore { inner, policy }
    }

    async fn run<T, F, Fut>(&self, what: &'static str, op: F) -> Result<T>
    where
        F: Fn() -> Fut + Send + Sync,
        Fut: std::future::Future<Output = Result<T>> + Send,
        T: Send,
    {
        let mut attempt = 1;
        let mut delay = self.policy.base_delay;
        loop {
            match op().await {
                Err(e) if e.is_retryable() && attempt < self.policy.max_attempts => {
                    // Jitter keeps many parts from retrying in lockstep.
                    let jitter =
                        Duration::from_millis(u64::from(uuid::Uuid::new_v4().as_bytes()[0]));
                    tracing::debug!(what, attempt, error = %e, "retrying");
                    tokio::time::sleep(delay + jitter).await;
                    delay = (delay * 2).min(self.policy.max_delay);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

#[async_trait]
impl Store for RetryStore {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        self.run("list buckets", || self.inner.list_buckets()).await
    }
    async fn create_bucket(&self, bucket: &str) -> Result<()> {
        self.run("create bucket", || self.inner.create_bucket(bucket))
            .await
    }
    async fn delete_bucket(&self, bucket: &str) -> Result<()> {
        self.run("delete bucket", || self.inner.delete_bucket(bucket))
            .await
    }
    async fn bucket_region(&self, bucket: &str) -> Result<RegionInfo> {
        self.run("bucket region", || self.inner.bucket_region(bucket))
            .await
    }
    async fn list_page(&self, request: &ListRequest, token: Option<&str>) -> Result<ListPage> {
        self.run("list", || self.inner.list_page(request, token))
            .await
    }
    async fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        self.run("head", || self.inner.head(bucket, key)).await
    }
    async fn head_part(&self, bucket: &str, key: &str, part: u32) -> Result<Option<PartMeta>> {
        self.run("head part", || self.inner.head_part(bucket, key, part))
            .await
    }
    async fn get(&self, bucket: &str, key: &str, range: Option<ByteRange>) -> Result<GetObject> {
        self.run("get", || self.inner.get(bucket, key, range)).await
    }
    async fn put(
        &self,
        bucket: &str,
        key: &str,
        body: Body,
        options: &PutOptions,
    ) -> Result<PutResult> {
        self.run("put", || self.inner.put(bucket, key, body.clone(), options))
            .await
    }
    async fn create_multipart(
        &self,
        bucket: &str,
        key: &str,
        options: &PutOptions,
    ) -> Result<String> {
        self.run("create multipart", || {
            self.inner.create_multipart(bucket, key, options)
        })
        .await
    }
    async fn upload_part(
        &self,
        upload: &UploadRef,
        part: u32,
        body: Body,
    ) -> Result<CompletedPart> {
        self.run("upload part", || {
            self.inner.upload_part(upload, part, body.clone())
        })
        .await
    }
    async fn upload_part_copy(
        &self,
        upload: &UploadRef,
        part: u32,
        source: &ObjectRef,
        range: ByteRange,
    ) -> Result<CompletedPart> {
        self.run("upload part copy", || {
            self.inner.upload_part_copy(upload, part, source, range)
        })
        .await
    }
    async fn complete_multipart(
        &self,
        upload: &UploadRef,
        parts: &[CompletedPart],
    ) -> Result<PutResult> {
        self.run("complete multipart", || {
            self.inner.complete_multipart(upload, parts)
        })
        .await
    }
    async fn abort_multipart(&self, upload: &UploadRef) -> Result<()> {
        self.run("abort multipart", || self.inner.abort_multipart(upload))
            .await
    }
    async fn list_parts(&self, upload: &UploadRef) -> Result<Vec<CompletedPart>> {
        self.run("list parts", || self.inner.list_parts(upload))
            .await
    }
    async fn list_multipart_uploads(&self, bucket: &str) -> Result<Vec<MultipartUploadInfo>> {
        self.run("list uploads", || self.inner.list_multipart_uploads(bucket))
            .await
    }
    async fn copy_object(
        &self,
        source: &ObjectRef,
        target: &ObjectRef,
        options: Option<&PutOptions>,
    ) -> Result<()> {
        self.run("copy", || self.inner.copy_object(source, target, options))
            .await
    }
    async fn delete_many(&self, bucket: &str, keys: &[String]) -> Result<Vec<DeleteFailure>> {
        self.run("delete", || self.inner.delete_many(bucket, keys))
            .await
    }
    async fn presign(
        &self,
        method: PresignMethod,
        bucket: &str,
        key: &str,
        signed_at: SystemTime,
        expires_in: Duration,
    ) -> Result<String> {
        // Presigning is local computation; nothing to retry, but keep one path.
        self.inner
            .presign(method, bucket, key, signed_at, expires_in)
            .await
    }

    async fn versioning(&self, bucket: &str) -> Result<Versioning> {
        self.run("versioning", || self.inner.versioning(bucket))
            .await
    }
    async fn set_versioning(&self, bucket: &str, enabled: bool) -> Result<()> {
        self.run("set versioning", || {
            self.inner.set_versioning(bucket, enabled)
        })
        .await
    }
    async fn list_versions(&self, bucket: &str, key: &str) -> Result<Vec<ObjectVersion>> {
        self.run("list versions", || self.inner.list_versions(bucket, key))
            .await
    }
    async fn get_version(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        range: Option<ByteRange>,
    ) -> Result<GetObject> {
        self.run("get version", || {
            self.inner.get_version(bucket, key, version_id, range)
        })
        .await
    }
    async fn copy_version(
        &self,
        source: &ObjectRef,
        version_id: &str,
        target: &ObjectRef,
    ) -> Result<()> {
        self.run("copy version", || {
            self.inner.copy_version(source, version_id, target)
        })
        .await
    }
    async fn delete_version(&self, bucket: &str, key: &str, version_id: &str) -> Result<()> {
        self.run("delete version", || {
            self.inner.delete_version(bucket, key, version_id)
        })
        .await
    }
    async fn list_deleted(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectVersion>> {
        self.run("list deleted", || self.inner.list_deleted(bucket, prefix))
            .await
    }
}
