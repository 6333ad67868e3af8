//! [`FaultStore`]: injects failures into any `Store`, for tests of retry, resume and
//! error paths against real servers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::*;
use crate::error::{Error, Result};

/// One injected failure rule.
#[derive(Debug, Clone)]
pub struct Fault {
    /// The operation it applies to, by method name ("upload_part", "get"...).
    pub operation: &'static str,
    /// How many calls pass before the first failure.
    pub after: u32,
    /// How many calls fail then (`u32::MAX`: all).
    pub times: u32,
    /// Whether the error is transient (a network error) or final (a server refusal).
    pub transient: bool,
    /// A delay added to every matching call, failing or not.
    pub delay: Option<Duration>,
}

impl Fault {
    /// `times` transient failures of `operation` after `after` successful calls.
    pub fn transient(operation: &'static str, after: u32, times: u32) -> Self {
        Fault {
            operation,
            after,
            times,
            transient: true,
            delay: None,
        }
    }

    /// Final failures of every call of `operation` after `after` successful ones.
    pub fn fatal_after(operation: &'static str, after: u32) -> Self {
        Fault {
            operation,
            after,
            times: u32::MAX,
            transient: false,
            delay: None,
        }
    }
}

/// Wraps a store; counts every call by operation and fails those the rules name.
#[derive(Debug, Clone)]
pub struct FaultStore {
    inner: Arc<dyn Store>,
    faults: Arc<Mutex<Vec<Fault>>>,
    calls: Arc<Mutex<HashMap<&'static str, u32>>>,
}

impl FaultStore {
    /// Wraps `inner` with the given rules.
    pub fn new(inner: Arc<dyn Store>, faults: Vec<Fault>) -> Self {
        FaultStore {
            inner,
            faults: Arc::new(Mutex::new(faults)),
            calls: Arc::default(),
        }
    }

    /// How many times an operation was called.
    pub fn calls(&self, operation: &str) -> u32 {
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(operation)
            .copied()
            .unwrap_or(0)
    }

    /// Removes every rule; calls go straight through from now on.
    pub fn heal(&self) {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    async fn check(&self, operation: &'static str) -> Result<()> {
        let n = {
            let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
            let n = calls.entry(operation).or_insert(0);
            *n += 1;
            *n
        };
        let rule = self
            .faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|f| f.operation == operation)
            .cloned();
        let Some(rule) = rule else { return Ok(()) };
        if let Some(delay) = rule.delay {
            tokio::time::sleep(delay).await;
        }
        let failing = n > rule.after && (n - rule.after) <= rule.times;
        if !failing {
            return Ok(());
        }
        Err(if rule.transient {
            Error::Network {
                profile: "fault-injection".into(),
                url: "fault://".into(),
                cause: format!("injected transient failure of {operation} (call {n})"),
            }
        } else {
            Error::Service {
                profile: "fault-injection".into(),
                bucket: None,
                key: None,
                code: "InjectedFault".into(),
                message: format!("injected failure of {operation} (call {n})"),
                status: Some(400),
            }
        })
    }
}

#[async_trait]
impl Store for FaultStore {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        self.check("list_buckets").await?;
        self.inner.list_buckets().await
    }
    async fn create_bucket(&self, bucket: &str) -> Result<()> {
        self.check("create_bucket").await?;
        self.inner.create_bucket(bucket).await
    }
    async fn delete_bucket(&self, bucket: &str) -> Result<()> {
        self.check("delete_bucket").await?;
        self.inner.delete_bucket(bucket).await
    }
    async fn bucket_region(&self, bucket: &str) -> Result<RegionInfo> {
        self.check("bucket_region").await?;
        self.inner.bucket_region(bucket).await
    }
    async fn list_page(&self, request: &ListRequest, token: Option<&str>) -> Result<ListPage> {
        self.check("list_page").await?;
        self.inner.list_page(request, token).await
    }
    async fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        self.check("head").await?;
        self.inner.head(bucket, key).await
    }
    async fn head_part(&self, bucket: &str, key: &str, part: u32) -> Result<Option<PartMeta>> {
        self.check("head_part").await?;
        self.inner.head_part(bucket, key, part).await
    }
    async fn get(&self, bucket: &str, key: &str, range: Option<ByteRange>) -> Result<GetObject> {
        self.check("get").await?;
        self.inner.get(bucket, key, range).await
    }
    async fn put(
        &self,
        bucket: &str,
        key: &str,
        body: Body,
        options: &PutOptions,
    ) -> Result<PutResult> {
        self.check("put").await?;
        self.inner.put(bucket, key, body, options).await
    }
    async fn create_multipart(
        &self,
        bucket: &str,
        key: &str,
        options: &PutOptions,
    ) -> Result<String> {
        self.check("create_multipart").await?;
        self.inner.create_multipart(bucket, key, options).await
    }
    async fn upload_part(
        &self,
        upload: &UploadRef,
        part: u32,
        body: Body,
    ) -> Result<CompletedPart> {
        self.check("upload_part").await?;
        self.inner.upload_part(upload, part, body).await
    }
    async fn upload_part_copy(
        &self,
        upload: &UploadRef,
        part: u32,
        source: &ObjectRef,
        range: ByteRange,
    ) -> Result<CompletedPart> {
        self.check("upload_part_copy").await?;
        self.inner
            .upload_part_copy(upload, part, source, range)
            .await
    }
    async fn complete_multipart(
        &self,
        upload: &UploadRef,
        parts: &[CompletedPart],
    ) -> Result<PutResult> {
        self.check("complete_multipart").await?;
        self.inner.complete_multipart(upload, parts).await
    }
    async fn abort_multipart(&self, upload: &UploadRef) -> Result<()> {
        self.check("abort_multipart").await?;
        self.inner.abort_multipart(upload).await
    }
    async fn list_parts(&self, upload: &UploadRef) -> Result<Vec<CompletedPart>> {
        self.check("list_parts").await?;
        self.inner.list_parts(upload).await
    }
    async fn list_multipart_uploads(&self, bucket: &str) -> Result<Vec<MultipartUploadInfo>> {
        self.check("list_multipart_uploads").await?;
        self.inner.list_multipart_uploads(bucket).await
    }
    async fn copy_object(
        &self,
        source: &ObjectRef,
        target: &ObjectRef,
        options: Option<&PutOptions>,
    ) -> Result<()> {
        self.check("copy_object").await?;
        self.inner.copy_object(source, target, options).await
    }
    async fn delete_many(&self, bucket: &str, keys: &[String]) -> Result<Vec<DeleteFailure>> {
        self.check("delete_many").await?;
        self.inner.delete_many(bucket, keys).await
    }
    async fn presign(
        &self,
        method: PresignMethod,
        bucket: &str,
        key: &str,
        signed_at: SystemTime,
        expires_in: Duration,
    ) -> Result<String> {
        self.check("presign").await?;
        self.inner
            .presign(method, bucket, key, signed_at, expires_in)
            .await
    }

    async fn versioning(&self, bucket: &str) -> Result<Versioning> {
        self.check("versioning").await?;
        self.inner.versioning(bucket).await
    }
    async fn set_versioning(&self, bucket: &str, enabled: bool) -> Result<()> {
        self.check("set versioning").await?;
        self.inner.set_versioning(bucket, enabled).await
    }
    async fn list_versions(&self, bucket: &str, key: &str) -> Result<Vec<ObjectVersion>> {
        self.check("list versions").await?;
        self.inner.list_versions(bucket, key).await
    }
    async fn get_version(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        range: Option<ByteRange>,
    ) -> Result<GetObject> {
        self.check("get version").await?;
        self.inner.get_version(bucket, key, version_id, range).await
    }
    async fn copy_version(
        &self,
        source: &ObjectRef,
        version_id: &str,
        target: &ObjectRef,
    ) -> Result<()> {
        self.check("copy version").await?;
        self.inner.copy_version(source, version_id, target).await
    }
    async fn delete_version(&self, bucket: &str, key: &str, version_id: &str) -> Result<()> {
        self.check("delete version").await?;
        self.inner.delete_version(bucket, key, version_id).await
    }
    async fn list_deleted(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectVersion>> {
        self.check("list deleted").await?;
        self.inner.list_deleted(bucket, prefix).await
    }
}
