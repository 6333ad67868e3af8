//! Object versions on S3: the bucket's versioning state, ListObjectVersions of one
//! key, and reading, copying and deleting a version. A server that does not
//! implement versioning (Garage) answers `NotImplemented`, turned into
//! `Error::Unsupported` in words.

use aws_sdk_s3::operation::list_object_versions::ListObjectVersionsOutput;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};

use super::convert;
use super::{S3Store, Target};
use crate::error::{Error, Result};
use crate::store::{ObjectVersion, Versioning};

/// How many versions a listing asks for per page.
const PAGE: i32 = 1000;

impl S3Store {
    /// GetBucketVersioning.
    pub(super) async fn get_versioning(&self, bucket: &str) -> Result<Versioning> {
        let out = self
            .with_bucket(bucket, |client| async move {
                client
                    .get_bucket_versioning()
                    .bucket(bucket)
                    .send()
                    .await
                    .map_err(|e| unsupported(self.err(e, Target::bucket(bucket))))
            })
            .await?;
        Ok(match out.status() {
            Some(BucketVersioningStatus::Enabled) => Versioning::Enabled,
            Some(BucketVersioningStatus::Suspended) => Versioning::Suspended,
            _ => Versioning::Off,
        })
    }

    /// PutBucketVersioning: `Enabled` or `Suspended`.
    pub(super) async fn put_versioning(&self, bucket: &str, enabled: bool) -> Result<()> {
        let status = if enabled {
            BucketVersioningStatus::Enabled
        } else {
            BucketVersioningStatus::Suspended
        };
        let config = VersioningConfiguration::builder().status(status).build();
        self.with_bucket(bucket, |client| {
            let config = config.clone();
            async move {
                client
                    .put_bucket_versioning()
                    .bucket(bucket)
                    .versioning_configuration(config)
                    .send()
                    .await
                    .map_err(|e| unsupported(self.err(e, Target::bucket(bucket))))
            }
        })
        .await?;
        Ok(())
    }

    /// One page of ListObjectVersions under `prefix`, from `marker` (key and version
    /// id markers of the page before).
    async fn versions_page(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        marker: &Option<(String, Option<String>)>,
    ) -> Result<ListObjectVersionsOutput> {
        self.with_bucket(bucket, |client| {
            let marker = marker.clone();
            async move {
                client
                    .list_object_versions()
                    .bucket(bucket)
                    .prefix(prefix)
                    .set_delimiter(delimiter.map(str::to_string))
                    .max_keys(PAGE)
                    .set_key_marker(marker.as_ref().map(|m| m.0.clone()))
                    .set_version_id_marker(marker.and_then(|m| m.1))
                    .send()
                    .await
                    .map_err(|e| unsupported(self.err(e, Target::bucket(bucket))))
            }
        })
        .await
    }

    /// ListObjectVersions with the key as prefix, kept to that key exactly; newest
    /// first (S3's order within a key).
    pub(super) async fn versions_of(&self, bucket: &str, key: &str) -> Result<Vec<ObjectVersion>> {
        let mut out = Vec::new();
        let mut marker: Option<(String, Option<String>)> = None;
        loop {
            let page = self.versions_page(bucket, key, None, &marker).await?;
            for v in page.versions() {
                if v.key() != Some(key) {
                    continue;
                }
                out.push(ObjectVersion {
                    key: key.to_string(),
                    version_id: v.version_id().unwrap_or("null").to_string(),
                    is_latest: v.is_latest().unwrap_or(false),
                    is_delete_marker: false,
                    size: v.size().unwrap_or(0).max(0) as u64,
                    last_modified: convert::time(v.last_modified()),
                    etag: convert::etag(v.e_tag()),
                });
            }
            for m in page.delete_markers() {
                if m.key() != Some(key) {
                    continue;
                }
                out.push(ObjectVersion {
                    key: key.to_string(),
                    version_id: m.version_id().unwrap_or("null").to_string(),
                    is_latest: m.is_latest().unwrap_or(false),
                    is_delete_marker: true,
                    size: 0,
                    last_modified: convert::time(m.last_modified()),
                    etag: None,
                });
            }
            // Past the key itself, the rest of the prefix is other keys.
            let past = page.next_key_marker().is_some_and(|k| k > key);
            if !page.is_truncated().unwrap_or(false) || past {
                break;
            }
            marker = Some((
                page.next_key_marker().unwrap_or_default().to_string(),
                page.next_version_id_marker().map(str::to_string),
            ));
        }
        // Newest first, the latest before any other of the same time.
        out.sort_by(|a, b| {
            b.is_latest
                .cmp(&a.is_latest)
                .then(b.last_modified.cmp(&a.last_modified))
        });
        Ok(out)
    }

    /// ListObjectVersions of the folder `prefix` with `/` as delimiter, keeping the
    /// delete markers that are their key's latest version; newest first.
    pub(super) async fn deleted_in(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<ObjectVersion>> {
        let mut out = Vec::new();
        let mut marker: Option<(String, Option<String>)> = None;
        loop {
            let page = self
                .versions_page(bucket, prefix, Some("/"), &marker)
                .await?;
            for m in page.delete_markers() {
                if m.is_latest() != Some(true) {
                    continue;
                }
                let Some(key) = m.key() else { continue };
                out.push(ObjectVersion {
                    key: key.to_string(),
                    version_id: m.version_id().unwrap_or("null").to_string(),
                    is_latest: true,
                    is_delete_marker: true,
                    size: 0,
                    last_modified: convert::time(m.last_modified()),
                    etag: None,
                });
            }
            if !page.is_truncated().unwrap_or(false) {
                break;
            }
            marker = Some((
                page.next_key_marker().unwrap_or_default().to_string(),
                page.next_version_id_marker().map(str::to_string),
            ));
        }
        out.sort_by_key(|m| std::cmp::Reverse(m.last_modified));
        Ok(out)
    }

    /// DeleteObject of one version.
    pub(super) async fn delete_one_version(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
    ) -> Result<()> {
        self.with_bucket(bucket, |client| async move {
            client
                .delete_object()
                .bucket(bucket)
                .key(key)
                .version_id(version_id)
                .send()
                .await
                .map_err(|e| unsupported(self.err(e, Target::object(bucket, key))))
        })
        .await?;
        Ok(())
    }
}

/// `NotImplemented` (HTTP 501) as the unsupported error it is.
fn unsupported(e: Error) -> Error {
    match &e {
        Error::Service { code, status, .. } if code == "NotImplemented" || *status == Some(501) => {
            Error::Unsupported {
                operation: "object versions",
                backend: "this S3 server",
                reason: "it does not implement bucket versioning and keeps a single version \
                         of each object",
            }
        }
        _ => e,
    }
}
