//! The values that cross the `Store` seam.

use std::collections::BTreeMap;
use std::path::PathBuf;

use bytes::Bytes;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::Result;

/// A bucket as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketInfo {
    /// Its name.
    pub name: String,
    /// When it was created, if the server says.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub created: Option<OffsetDateTime>,
}

/// How a bucket's region was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RegionSource {
    /// The `x-amz-bucket-region` header of a HEAD bucket answer with this status.
    Header {
        /// HTTP status of the HEAD bucket answer (200, 301, 400 or 403).
        status: u16,
    },
    /// The server sent no header; the profile's region was used.
    Profile,
    /// The server sent no header and the profile has none; `us-east-1` was used.
    Default,
    /// The `local` profile has no regions.
    Local,
}

/// A bucket's region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionInfo {
    /// The region name.
    pub region: String,
    /// Where it came from.
    pub source: RegionSource,
    /// Whether it came from the cache rather than a request just now.
    pub cached: bool,
}

impl RegionInfo {
    /// A sentence for people: "eu-west-2 (x-amz-bucket-region on HEAD bucket, HTTP 200)".
    pub fn explain(&self) -> String {
        let from = match &self.source {
            RegionSource::Header { status } => {
                format!("x-amz-bucket-region on HEAD bucket, HTTP {status}")
            }
            RegionSource::Profile => {
                "the profile's region; the server sent no x-amz-bucket-region".to_string()
            }
            RegionSource::Default => {
                "default; the server sent no x-amz-bucket-region and the profile has no region"
                    .to_string()
            }
            RegionSource::Local => "the local profile has no regions".to_string(),
        };
        let cached = if self.cached { ", cached" } else { "" };
        format!("{} ({from}{cached})", self.region)
    }
}

/// What to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    /// The bucket.
    pub bucket: String,
    /// Only keys that start with this.
    pub prefix: String,
    /// Fold keys at this delimiter into common prefixes (`None`: list recursively).
    pub delimiter: Option<String>,
    /// At most this many entries (objects plus prefixes) per page; S3 caps it at 1,000.
    pub max_keys: u32,
}

impl ListRequest {
    /// One level of a "folder": prefix with `/` as the delimiter, 1,000 per page.
    pub fn folder(bucket: impl Into<String>, prefix: impl Into<String>) -> Self {
        ListRequest {
            bucket: bucket.into(),
            prefix: prefix.into(),
            delimiter: Some("/".into()),
            max_keys: 1000,
        }
    }

    /// Everything under a prefix, 1,000 per page.
    pub fn recursive(bucket: impl Into<String>, prefix: impl Into<String>) -> Self {
        ListRequest {
            bucket: bucket.into(),
            prefix: prefix.into(),
            delimiter: None,
            max_keys: 1000,
        }
    }
}

/// An object as a listing shows it (no extra request per object).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectSummary {
    /// The key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modification time.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub last_modified: Option<OffsetDateTime>,
    /// The ETag, without quotes.
    pub etag: Option<String>,
    /// Storage class, when the server says.
    pub storage_class: Option<String>,
}

/// One page of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListPage {
    /// Objects, in key order.
    pub objects: Vec<ObjectSummary>,
    /// Common prefixes ("folders"), in order, each ending with the delimiter.
    pub common_prefixes: Vec<String>,
    /// Pass this to get the next page; `None` on the last page.
    pub next_token: Option<String>,
}

/// A checksum algorithm a server may report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ChecksumAlgorithm {
    /// CRC32C (Castagnoli): what Coffer sends and verifies.
    Crc32c,
    /// CRC32.
    Crc32,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
    /// CRC64NVME.
    Crc64nvme,
}

/// Whether a checksum covers the whole object or is a checksum of part checksums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChecksumKind {
    /// Over all the bytes of the object.
    FullObject,
    /// Over the checksums of this many parts (shown by servers as `value-N`).
    Composite {
        /// The number of parts.
        parts: u32,
    },
}

/// An object checksum as the server reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checksum {
    /// The algorithm.
    pub algorithm: ChecksumAlgorithm,
    /// The value, base64 of the big-endian digest (without any `-N` suffix).
    pub value: String,
    /// What it covers.
    pub kind: ChecksumKind,
}

impl std::fmt::Display for Checksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let alg = match self.algorithm {
            ChecksumAlgorithm::Crc32c => "CRC32C",
            ChecksumAlgorithm::Crc32 => "CRC32",
            ChecksumAlgorithm::Sha1 => "SHA1",
            ChecksumAlgorithm::Sha256 => "SHA256",
            ChecksumAlgorithm::Crc64nvme => "CRC64NVME",
        };
        match self.kind {
            ChecksumKind::FullObject => write!(f, "{alg}:{}", self.value),
            ChecksumKind::Composite { parts } => write!(f, "{alg}:{}-{parts}", self.value),
        }
    }
}

/// The full metadata of one object (from HEAD).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectMeta {
    /// The key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modification time.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub last_modified: Option<OffsetDateTime>,
    /// The ETag, without quotes.
    pub etag: Option<String>,
    /// Content-Type.
    pub content_type: Option<String>,
    /// Cache-Control.
    pub cache_control: Option<String>,
    /// Content-Disposition.
    #[serde(default)]
    pub content_disposition: Option<String>,
    /// Storage class (absent means STANDARD on most servers).
    pub storage_class: Option<String>,
    /// User metadata (`x-amz-meta-*`), names in lowercase.
    pub metadata: BTreeMap<String, String>,
    /// The checksum the server stores, if any.
    pub checksum: Option<Checksum>,
    /// How many parts a multipart object has, when the server says.
    pub parts_count: Option<u32>,
}

/// One part of a multipart object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartMeta {
    /// Size of the part in bytes.
    pub size: u64,
    /// Number of parts of the whole object.
    pub parts_count: Option<u32>,
    /// CRC32C of the part (base64), when stored.
    pub crc32c: Option<String>,
}

/// A byte range, `start..end` (end exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByteRange {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
}

impl ByteRange {
    /// The number of bytes in the range.
    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// Whether the range is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The answer to a GET: the object's metadata and a stream of its bytes.
pub struct GetObject {
    /// Size of the whole object.
    pub total_size: u64,
    /// The ETag, to detect a change between ranged reads.
    pub etag: Option<String>,
    /// The object's checksum, when the whole object was asked for and the server
    /// reports one.
    pub checksum: Option<Checksum>,
    /// The bytes, in order.
    pub body: BoxStream<'static, Result<Bytes>>,
}

impl std::fmt::Debug for GetObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GetObject")
            .field("total_size", &self.total_size)
            .field("etag", &self.etag)
            .field("checksum", &self.checksum)
            .finish_non_exhaustive()
    }
}

/// The bytes of an upload. A `File` body is read from disk as it is sent, so memory
/// does not grow with the file, and it can be re-read for a retry.
#[derive(Debug, Clone)]
pub enum Body {
    /// Bytes already in memory (small objects, tests).
    Bytes(Bytes),
    /// A range of a local file.
    File {
        /// The file.
        path: PathBuf,
        /// Where the range starts.
        offset: u64,
        /// How many bytes.
        len: u64,
    },
}

impl Body {
    /// The number of bytes the body holds.
    pub fn len(&self) -> u64 {
        match self {
            Body::Bytes(b) => b.len() as u64,
            Body::File { len, .. } => *len,
        }
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<Bytes> for Body {
    fn from(value: Bytes) -> Self {
        Body::Bytes(value)
    }
}

impl From<&'static str> for Body {
    fn from(value: &'static str) -> Self {
        Body::Bytes(Bytes::from_static(value.as_bytes()))
    }
}

/// How to store an object. The default sends a CRC32C.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutOptions {
    /// Content-Type (guessed from the file name when `None`, by the transfer layer).
    pub content_type: Option<String>,
    /// Cache-Control.
    pub cache_control: Option<String>,
    /// Content-Disposition, e.g. `attachment`.
    #[serde(default)]
    pub content_disposition: Option<String>,
    /// Storage class, e.g. `STANDARD_IA`.
    pub storage_class: Option<String>,
    /// User metadata.
    pub metadata: BTreeMap<String, String>,
    /// Send a CRC32C with the bytes and have the server verify it.
    pub checksum: bool,
}

impl Default for PutOptions {
    fn default() -> Self {
        PutOptions {
            content_type: None,
            cache_control: None,
            content_disposition: None,
            storage_class: None,
            metadata: BTreeMap::new(),
            checksum: true,
        }
    }
}

/// The result of a `put` or a completed multipart upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutResult {
    /// The new object's ETag.
    pub etag: Option<String>,
    /// The checksum the server verified, if any.
    pub checksum: Option<Checksum>,
}

/// An object: bucket and key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
}

impl ObjectRef {
    /// Builds a reference (unchecked: for names that are already valid).
    pub fn new(bucket: impl Into<String>, key: impl Into<String>) -> Self {
        ObjectRef {
            bucket: bucket.into(),
            key: key.into(),
        }
    }

    /// A reference to a valid bucket name and key, or an error naming which is wrong.
    pub fn checked(bucket: impl Into<String>, key: impl Into<String>) -> crate::Result<Self> {
        let (bucket, key) = (bucket.into(), key.into());
        crate::uri::validate_bucket_name(&bucket)?;
        crate::uri::validate_key(&key)?;
        Ok(ObjectRef { bucket, key })
    }
}

/// A multipart upload in progress.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UploadRef {
    /// The bucket.
    pub bucket: String,
    /// The key the object will have.
    pub key: String,
    /// The server's upload id.
    pub upload_id: String,
}

/// A part the server has accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletedPart {
    /// 1-based part number.
    pub part_number: u32,
    /// The part's ETag, without quotes.
    pub etag: String,
    /// The part's CRC32C (base64), when one was sent.
    pub crc32c: Option<String>,
    /// The part's size in bytes.
    pub size: u64,
}

/// A multipart upload as `list_multipart_uploads` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultipartUploadInfo {
    /// The key.
    pub key: String,
    /// The upload id.
    pub upload_id: String,
    /// When it was started.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub initiated: Option<OffsetDateTime>,
}

/// A key that `delete_many` could not delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteFailure {
    /// The key.
    pub key: String,
    /// The S3 error code.
    pub code: String,
    /// The message.
    pub message: String,
}

/// What a presigned URL allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum PresignMethod {
    /// Download.
    Get,
    /// Upload.
    Put,
}

/// A bucket's versioning state, as S3 reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Versioning {
    /// Never turned on: each key has one version.
    Off,
    /// Every write keeps the previous version.
    Enabled,
    /// Turned off after being on: old versions stay, new writes replace the `null` one.
    Suspended,
}

/// One version of an object, or a delete marker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectVersion {
    /// The key.
    pub key: String,
    /// The version id (`null` for a version written while versioning was off).
    pub version_id: String,
    /// Whether this is the key's current version.
    pub is_latest: bool,
    /// A delete marker (no bytes): the key reads as deleted while it is the latest.
    pub is_delete_marker: bool,
    /// Size in bytes (0 for a delete marker).
    pub size: u64,
    /// When it was written.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub last_modified: Option<OffsetDateTime>,
    /// The ETag, without quotes (none for a delete marker).
    pub etag: Option<String>,
}
