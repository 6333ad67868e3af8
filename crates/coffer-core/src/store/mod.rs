//! The `Store` seam: objects in buckets.
//!
//! [`Store`] is the small required trait; [`StoreExt`] adds shortcuts built only on it
//! (a stream of listing pages, batch deletes of any size). Retry and fault injection
//! are wrappers ([`RetryStore`], [`FaultStore`]), never flags inside an implementation.
//!
//! Implementations:
//! - [`S3Store`]: any S3-compatible endpoint, through aws-sdk-s3;
//! - [`LocalStore`]: folders in the data dir, for the `local` profile.
//!
//! Every implementation runs the same conformance suite (`coffer-core/tests/`).

mod ext;
#[cfg(feature = "fault")]
mod fault;
pub mod local;
mod retry;
pub mod s3;
mod types;

pub use ext::StoreExt;
#[cfg(feature = "fault")]
pub use fault::{Fault, FaultStore};
pub use local::LocalStore;
pub use retry::{RetryPolicy, RetryStore};
pub use s3::S3Store;
pub use types::*;

use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::error::Result;

/// Objects in buckets, the way S3 has them.
///
/// Contract (the conformance suite checks each point on every implementation):
/// - Keys are arbitrary UTF-8 of up to 1,024 bytes and round-trip exactly: unicode,
///   spaces, `%`, `+`, `?`, `#`, `//` and a leading `/` included.
/// - Listing is in ascending byte order of keys, a page at a time (at most
///   `max_keys`), with `delimiter` folding keys into common prefixes. A page carries a
///   continuation token when more follow. Listing never fetches per-object metadata.
/// - A `put` or a completed multipart upload is atomic: a reader sees the old object,
///   or the new one, never a part of it. An aborted or failed upload leaves no object.
/// - `put` and `upload_part` verify the CRC32C of the bytes received when
///   `PutOptions::checksum` (resp. the upload's) asks for it, and report it back.
/// - Missing buckets and keys are `Error::NoSuchBucket` / `Error::NoSuchKey`.
/// - `delete_many` takes at most 1,000 keys; deleting a missing key is not an error.
/// - Methods are cancel-safe in the sense that dropping a future never leaves a
///   partially written object visible.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// What this store is, for messages ("profile `work` at https://...").
    fn describe(&self) -> String;

    /// The buckets this account can see.
    async fn list_buckets(&self) -> Result<Vec<BucketInfo>>;

    /// Creates a bucket (in the profile's region).
    async fn create_bucket(&self, bucket: &str) -> Result<()>;

    /// Deletes an empty bucket.
    async fn delete_bucket(&self, bucket: &str) -> Result<()>;

    /// The region of a bucket and how it was found. Implementations cache it.
    async fn bucket_region(&self, bucket: &str) -> Result<RegionInfo>;

    /// One page of a listing.
    async fn list_page(&self, request: &ListRequest, token: Option<&str>) -> Result<ListPage>;

    /// The metadata of one object (HEAD), with its checksum when the server has one.
    async fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta>;

    /// Size and checksum of one part of a multipart object (HEAD with `partNumber`).
    /// `Ok(None)` when the backend cannot tell.
    async fn head_part(
        &self,
        bucket: &str,
        key: &str,
        part_number: u32,
    ) -> Result<Option<PartMeta>>;

    /// The bytes of an object, or of a range of it, as a stream.
    async fn get(&self, bucket: &str, key: &str, range: Option<ByteRange>) -> Result<GetObject>;

    /// Stores a whole object in one request.
    async fn put(
        &self,
        bucket: &str,
        key: &str,
        body: Body,
        options: &PutOptions,
    ) -> Result<PutResult>;

    /// Starts a multipart upload and returns its upload id.
    async fn create_multipart(
        &self,
        bucket: &str,
        key: &str,
        options: &PutOptions,
    ) -> Result<String>;

    /// Uploads one part (numbered from 1).
    async fn upload_part(
        &self,
        upload: &UploadRef,
        part_number: u32,
        body: Body,
    ) -> Result<CompletedPart>;

    /// Copies a range of another object into a part, on the server.
    async fn upload_part_copy(
        &self,
        upload: &UploadRef,
        part_number: u32,
        source: &ObjectRef,
        range: ByteRange,
    ) -> Result<CompletedPart>;

    /// Completes a multipart upload; the object appears atomically.
    async fn complete_multipart(
        &self,
        upload: &UploadRef,
        parts: &[CompletedPart],
    ) -> Result<PutResult>;

    /// Aborts a multipart upload and frees its parts. Aborting an unknown upload is
    /// `Error::NoSuchUpload`.
    async fn abort_multipart(&self, upload: &UploadRef) -> Result<()>;

    /// The parts the server holds for an upload, in part-number order.
    async fn list_parts(&self, upload: &UploadRef) -> Result<Vec<CompletedPart>>;

    /// The multipart uploads in progress in a bucket.
    async fn list_multipart_uploads(&self, bucket: &str) -> Result<Vec<MultipartUploadInfo>>;

    /// Copies an object of at most 5 GiB on the server. With `options` set, the
    /// metadata is replaced; otherwise it is copied.
    async fn copy_object(
        &self,
        source: &ObjectRef,
        target: &ObjectRef,
        options: Option<&PutOptions>,
    ) -> Result<()>;

    /// Deletes up to 1,000 keys in one call; returns the keys that failed.
    async fn delete_many(&self, bucket: &str, keys: &[String]) -> Result<Vec<DeleteFailure>>;

    /// A URL that lets anyone GET (or PUT) the object from `signed_at` until
    /// `signed_at + expires_in` (1 s to 7 days). Signing is deterministic: the same
    /// arguments and credentials give the same URL (SigV4 keeps whole seconds), so a
    /// recorded link can be signed again instead of having its signature stored.
    async fn presign(
        &self,
        method: PresignMethod,
        bucket: &str,
        key: &str,
        signed_at: SystemTime,
        expires_in: Duration,
    ) -> Result<String>;

    /// The bucket's versioning state. Stores without versions answer
    /// `Error::Unsupported` (the default), as do S3 servers that do not implement
    /// versioning.
    async fn versioning(&self, bucket: &str) -> Result<Versioning> {
        let _ = bucket;
        Err(no_versions(self))
    }

    /// Turns versioning on (`true`) or suspends it (`false`).
    async fn set_versioning(&self, bucket: &str, enabled: bool) -> Result<()> {
        let _ = (bucket, enabled);
        Err(no_versions(self))
    }

    /// Every version and delete marker of `key` (that key exactly), newest first.
    async fn list_versions(&self, bucket: &str, key: &str) -> Result<Vec<ObjectVersion>> {
        let _ = (bucket, key);
        Err(no_versions(self))
    }

    /// Reads one version of an object (`Error::NoSuchKey` when it does not exist).
    async fn get_version(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        range: Option<ByteRange>,
    ) -> Result<GetObject> {
        let _ = (bucket, key, version_id, range);
        Err(no_versions(self))
    }

    /// Copies one version of `source` to `target` on the server (a version restored
    /// over the current one is a copy onto its own key). Up to 5 GiB, CopyObject's
    /// limit.
    async fn copy_version(
        &self,
        source: &ObjectRef,
        version_id: &str,
        target: &ObjectRef,
    ) -> Result<()> {
        let _ = (source, version_id, target);
        Err(no_versions(self))
    }

    /// Deletes one version (or delete marker) for good.
    async fn delete_version(&self, bucket: &str, key: &str, version_id: &str) -> Result<()> {
        let _ = (bucket, key, version_id);
        Err(no_versions(self))
    }

    /// The keys directly in the folder `prefix` (`""` or ending in `/`) whose latest
    /// version is a delete marker, as those markers, newest first: what a user can
    /// undelete (by deleting the marker).
    async fn list_deleted(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectVersion>> {
        let _ = (bucket, prefix);
        Err(no_versions(self))
    }
}

/// The answer of a store that keeps one version of each object.
fn no_versions<S: Store + ?Sized>(_store: &S) -> crate::Error {
    crate::Error::Unsupported {
        operation: "object versions",
        backend: "this store",
        reason: "it keeps a single version of each object",
    }
}
