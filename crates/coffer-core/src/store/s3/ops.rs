//! The `Store` operations of [`S3Store`], one SDK call each.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{
    BucketLocationConstraint, ChecksumAlgorithm as SdkChecksumAlgorithm, ChecksumMode,
    ChecksumType, CompletedMultipartUpload, CompletedPart as SdkCompletedPart,
    CreateBucketConfiguration, Delete, MetadataDirective, ObjectIdentifier, StorageClass,
};
use bytes::Bytes;
use futures::StreamExt;

use super::convert::{self, copy_source, range_header};
use super::{S3Store, Target, map_sdk_error};
use crate::checksum;
use crate::error::{Error, Result};
use crate::store::{
    Body, BucketInfo, ByteRange, CompletedPart, DeleteFailure, GetObject, ListPage, ListRequest,
    MultipartUploadInfo, ObjectMeta, ObjectRef, ObjectSummary, ObjectVersion, PartMeta,
    PresignMethod, PutOptions, PutResult, RegionInfo, Store, UploadRef, Versioning,
};

const MAX_PRESIGN: Duration = Duration::from_secs(7 * 24 * 3600);

/// How many bytes of a file are read at a time, to checksum it and to send it.
///
/// The CRC32C goes in the `x-amz-checksum-crc32c` header, which every server checks,
/// rather than in an aws-chunked trailer: Garage 2.5 refuses trailers on UploadPart
/// ("Requested checksum verification without providing checksum") and moto stores a
/// wrong checksum for them. So a body's CRC is computed before it is sent
/// ([`checksum::of_body`]).
const FILE_CHUNK: usize = 512 * 1024;

/// The SDK stream of a body. File ranges are read chunk by chunk as the request goes
/// out; nothing is held whole in memory. Such bodies are sent with an unsigned payload
/// (the signed CRC32C header covers their integrity).
async fn byte_stream(body: &Body) -> Result<ByteStream> {
    match body {
        Body::Bytes(bytes) => Ok(ByteStream::from(bytes.clone())),
        Body::File { path, offset, len } => ByteStream::read_from()
            .path(path)
            .offset(*offset)
            .length(Length::Exact(*len))
            .buffer_size(FILE_CHUNK)
            .build()
            .await
            .map_err(|e| Error::io("cannot read", path, std::io::Error::other(e))),
    }
}

fn storage_class(value: &str) -> StorageClass {
    StorageClass::from(value)
}

impl S3Store {
    pub(super) fn err<E>(
        &self,
        err: aws_sdk_s3::error::SdkError<
            E,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
        target: Target<'_>,
    ) -> Error
    where
        E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        map_sdk_error(err, self.profile(), &self.url(), target)
    }

    fn upload_err<E>(
        &self,
        err: aws_sdk_s3::error::SdkError<
            E,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
        upload: &UploadRef,
    ) -> Error
    where
        E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        match self.err(err, Target::object(&upload.bucket, &upload.key)) {
            Error::NoSuchUpload { bucket, key, .. } => Error::NoSuchUpload {
                bucket,
                key,
                upload_id: upload.upload_id.clone(),
            },
            other => other,
        }
    }
}

#[async_trait]
impl Store for S3Store {
    fn describe(&self) -> String {
        format!("profile `{}` at {}", self.profile(), self.url())
    }

    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        let client = self.home_client();
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let resp = client
                .list_buckets()
                .set_continuation_token(token.clone())
                .send()
                .await
                .map_err(|e| self.err(e, Target::default()))?;
            out.extend(resp.buckets().iter().filter_map(|b| {
                Some(BucketInfo {
                    name: b.name()?.to_string(),
                    created: convert::time(b.creation_date()),
                })
            }));
            match resp.continuation_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => break,
            }
        }
        Ok(out)
    }

    async fn create_bucket(&self, bucket: &str) -> Result<()> {
        let region = self.home_region_name();
        let mut request = self.home_client().create_bucket().bucket(bucket);
        if region != super::DEFAULT_REGION {
            request = request.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region.as_str()))
                    .build(),
            );
        }
        request
            .send()
            .await
            .map_err(|e| self.err(e, Target::bucket(bucket)))?;
        self.regions().invalidate(bucket);
        Ok(())
    }

    async fn delete_bucket(&self, bucket: &str) -> Result<()> {
        self.with_bucket(bucket, |client| async move {
            client
                .delete_bucket()
                .bucket(bucket)
                .send()
                .await
                .map_err(|e| self.err(e, Target::bucket(bucket)))
        })
        .await?;
        self.regions().invalidate(bucket);
        Ok(())
    }

    async fn bucket_region(&self, bucket: &str) -> Result<RegionInfo> {
        self.region_of(bucket, false).await
    }

    async fn list_page(&self, request: &ListRequest, token: Option<&str>) -> Result<ListPage> {
        let bucket = request.bucket.as_str();
        let resp = self
            .with_bucket(bucket, |client| async move {
                client
                    .list_objects_v2()
                    .bucket(bucket)
                    .prefix(&request.prefix)
                    .set_delimiter(request.delimiter.clone())
                    .max_keys(request.max_keys.clamp(1, 1000) as i32)
                    .set_continuation_token(token.map(str::to_string))
                    .send()
                    .await
                    .map_err(|e| self.err(e, Target::bucket(bucket)))
            })
            .await?;
        let objects = resp
            .contents()
            .iter()
            .filter_map(|o| {
                Some(ObjectSummary {
                    key: o.key()?.to_string(),
                    size: o.size().unwrap_or(0).max(0) as u64,
                    last_modified: convert::time(o.last_modified()),
                    etag: convert::etag(o.e_tag()),
                    storage_class: o.storage_class().map(|s| s.as_str().to_string()),
                })
            })
            .collect();
        let common_prefixes = resp
            .common_prefixes()
            .iter()
            .filter_map(|p| p.prefix().map(str::to_string))
            .collect();
        let next_token = if resp.is_truncated().unwrap_or(false) {
            resp.next_continuation_token().map(str::to_string)
        } else {
            None
        };
        Ok(ListPage {
            objects,
            common_prefixes,
            next_token,
        })
    }

    async fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        let result = self
            .with_bucket(bucket, |client| async move {
                client
                    .head_object()
                    .bucket(bucket)
                    .key(key)
                    .checksum_mode(ChecksumMode::Enabled)
                    .send()
                    .await
                    .map_err(|e| self.err(e, Target::object(bucket, key)))
            })
            .await;
        let out = match result {
            Ok(out) => out,
            Err(Error::NoSuchKey { .. }) => {
                // A HEAD 404 does not say whether the bucket or the key is missing.
                self.region_of(bucket, false).await?;
                return Err(Error::NoSuchKey {
                    profile: self.profile().to_string(),
                    bucket: bucket.to_string(),
                    key: key.to_string(),
                });
            }
            Err(e) => return Err(e),
        };
        Ok(ObjectMeta {
            key: key.to_string(),
            size: out.content_length().unwrap_or(0).max(0) as u64,
            last_modified: convert::time(out.last_modified()),
            etag: convert::etag(out.e_tag()),
            content_type: out.content_type().map(str::to_string),
            cache_control: out.cache_control().map(str::to_string),
            content_disposition: out.content_disposition().map(str::to_string),
            storage_class: out.storage_class().map(|s| s.as_str().to_string()),
            metadata: out
                .metadata()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.to_lowercase(), v.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            checksum: convert::object_crc32c(
                out.checksum_crc32_c(),
                out.checksum_type().map(ChecksumType::as_str),
                out.e_tag(),
            ),
            parts_count: out.parts_count().and_then(|n| u32::try_from(n).ok()),
        })
    }

    async fn head_part(
        &self,
        bucket: &str,
        key: &str,
        part_number: u32,
    ) -> Result<Option<PartMeta>> {
        let out = self
            .with_bucket(bucket, |client| async move {
                client
                    .head_object()
                    .bucket(bucket)
                    .key(key)
                    .part_number(part_number as i32)
                    .checksum_mode(ChecksumMode::Enabled)
                    .send()
                    .await
                    .map_err(|e| self.err(e, Target::object(bucket, key)))
            })
            .await?;
        Ok(Some(PartMeta {
            size: out.content_length().unwrap_or(0).max(0) as u64,
            parts_count: out.parts_count().and_then(|n| u32::try_from(n).ok()),
            crc32c: out
                .checksum_crc32_c()
                .map(|v| v.split('-').next().unwrap_or(v).to_string()),
        }))
    }

    async fn get(&self, bucket: &str, key: &str, range: Option<ByteRange>) -> Result<GetObject> {
        self.get_object(bucket, key, None, range).await
    }

    async fn put(
        &self,
        bucket: &str,
        key: &str,
        body: Body,
        options: &PutOptions,
    ) -> Result<PutResult> {
        let size = body.len();
        let crc = checksum::of_body(&body, FILE_CHUNK).await?;
        let body = &body;
        let out = self
            .with_bucket(bucket, |client| {
                async move {
                    client
                        .put_object()
                        .bucket(bucket)
                        .key(key)
                        .content_length(size as i64)
                        .body(byte_stream(body).await?)
                        .set_content_type(options.content_type.clone())
                        .set_cache_control(options.cache_control.clone())
                        .set_content_disposition(options.content_disposition.clone())
                        .set_storage_class(options.storage_class.as_deref().map(storage_class))
                        .set_metadata(
                            (!options.metadata.is_empty())
                                .then(|| options.metadata.clone().into_iter().collect()),
                        )
                        .set_checksum_algorithm(
                            options.checksum.then_some(SdkChecksumAlgorithm::Crc32C),
                        )
                        .set_checksum_crc32_c(options.checksum.then(|| checksum::encode(crc)))
                        // The CRC32C header (signed) covers the body: no SHA-256 pass
                        // over it on either side.
                        .customize()
                        .disable_payload_signing()
                        .send()
                        .await
                        .map_err(|e| self.err(e, Target::object(bucket, key)))
                }
            })
            .await?;
        Ok(PutResult {
            etag: convert::etag(out.e_tag()),
            checksum: convert::crc32c(out.checksum_crc32_c(), Some("FULL_OBJECT")),
        })
    }

    async fn create_multipart(
        &self,
        bucket: &str,
        key: &str,
        options: &PutOptions,
    ) -> Result<String> {
        let out = self
            .with_bucket(bucket, |client| async move {
                let mut request = client
                    .create_multipart_upload()
                    .bucket(bucket)
                    .key(key)
                    .set_content_type(options.content_type.clone())
                    .set_cache_control(options.cache_control.clone())
                    .set_content_disposition(options.content_disposition.clone())
                    .set_storage_class(options.storage_class.as_deref().map(storage_class))
                    .set_metadata(
                        (!options.metadata.is_empty())
                            .then(|| options.metadata.clone().into_iter().collect()),
                    );
                if options.checksum {
                    request = request
                        .checksum_algorithm(SdkChecksumAlgorithm::Crc32C)
                        .checksum_type(ChecksumType::FullObject);
                }
                request
                    .send()
                    .await
                    .map_err(|e| self.err(e, Target::object(bucket, key)))
            })
            .await?;
        out.upload_id()
            .map(str::to_string)
            .ok_or_else(|| Error::Service {
                profile: self.profile().to_string(),
                bucket: Some(bucket.to_string()),
                key: Some(key.to_string()),
                code: "MissingUploadId".into(),
                message: "the server started a multipart upload without an upload id".into(),
                status: None,
            })
    }

    async fn upload_part(
        &self,
        upload: &UploadRef,
        part_number: u32,
        body: Body,
    ) -> Result<CompletedPart> {
        let size = body.len();
        let crc = checksum::of_body(&body, FILE_CHUNK).await?;
        let body = &body;
        let out = self
            .with_bucket(&upload.bucket, |client| async move {
                client
                    .upload_part()
                    .bucket(&upload.bucket)
                    .key(&upload.key)
                    .upload_id(&upload.upload_id)
                    .part_number(part_number as i32)
                    .content_length(size as i64)
                    .body(byte_stream(body).await?)
                    .checksum_algorithm(SdkChecksumAlgorithm::Crc32C)
                    .checksum_crc32_c(checksum::encode(crc))
                    .customize()
                    .disable_payload_signing()
                    .send()
                    .await
                    .map_err(|e| self.upload_err(e, upload))
            })
            .await?;
        Ok(CompletedPart {
            part_number,
            etag: convert::etag(out.e_tag()).unwrap_or_default(),
            // What was sent and checked by the server; some servers do not echo it.
            crc32c: Some(
                out.checksum_crc32_c()
                    .map(str::to_string)
                    .unwrap_or_else(|| checksum::encode(crc)),
            ),
            size,
        })
    }

    async fn upload_part_copy(
        &self,
        upload: &UploadRef,
        part_number: u32,
        source: &ObjectRef,
        range: ByteRange,
    ) -> Result<CompletedPart> {
        let out = self
            .with_bucket(&upload.bucket, |client| async move {
                client
                    .upload_part_copy()
                    .bucket(&upload.bucket)
                    .key(&upload.key)
                    .upload_id(&upload.upload_id)
                    .part_number(part_number as i32)
                    .copy_source(copy_source(&source.bucket, &source.key))
                    .copy_source_range(range_header(range))
                    .send()
                    .await
                    .map_err(|e| self.upload_err(e, upload))
            })
            .await?;
        let result = out.copy_part_result();
        Ok(CompletedPart {
            part_number,
            etag: convert::etag(result.and_then(|r| r.e_tag())).unwrap_or_default(),
            crc32c: result
                .and_then(|r| r.checksum_crc32_c())
                .map(str::to_string),
            size: range.len(),
        })
    }

    async fn complete_multipart(
        &self,
        upload: &UploadRef,
        parts: &[CompletedPart],
    ) -> Result<PutResult> {
        let sdk_parts: Vec<SdkCompletedPart> = parts
            .iter()
            .map(|p| {
                SdkCompletedPart::builder()
                    .part_number(p.part_number as i32)
                    .e_tag(format!("\"{}\"", p.etag))
                    .set_checksum_crc32_c(p.crc32c.clone())
                    .build()
            })
            .collect();
        // With a CRC32C on every part, the whole object's CRC32C follows by combining
        // them, and the server checks it against what it stored.
        let full_crc = parts
            .iter()
            .map(|p| {
                p.crc32c
                    .as_deref()
                    .and_then(checksum::decode)
                    .map(|c| (c, p.size))
            })
            .collect::<Option<Vec<_>>>()
            .filter(|v| !v.is_empty())
            .map(|v| {
                checksum::encode(
                    v.iter()
                        .fold(0, |acc, (crc, len)| checksum::combine(acc, *crc, *len)),
                )
            });
        let out = self
            .with_bucket(&upload.bucket, |client| {
                let sdk_parts = sdk_parts.clone();
                let full_crc = full_crc.clone();
                async move {
                    let mut request = client
                        .complete_multipart_upload()
                        .bucket(&upload.bucket)
                        .key(&upload.key)
                        .upload_id(&upload.upload_id)
                        .multipart_upload(
                            CompletedMultipartUpload::builder()
                                .set_parts(Some(sdk_parts))
                                .build(),
                        );
                    if let Some(crc) = full_crc {
                        request = request
                            .checksum_crc32_c(crc)
                            .checksum_type(ChecksumType::FullObject);
                    }
                    request.send().await.map_err(|e| self.upload_err(e, upload))
                }
            })
            .await?;
        Ok(PutResult {
            etag: convert::etag(out.e_tag()),
            checksum: convert::object_crc32c(
                out.checksum_crc32_c(),
                out.checksum_type().map(ChecksumType::as_str),
                out.e_tag(),
            ),
        })
    }

    async fn abort_multipart(&self, upload: &UploadRef) -> Result<()> {
        self.with_bucket(&upload.bucket, |client| async move {
            client
                .abort_multipart_upload()
                .bucket(&upload.bucket)
                .key(&upload.key)
                .upload_id(&upload.upload_id)
                .send()
                .await
                .map_err(|e| self.upload_err(e, upload))
        })
        .await?;
        Ok(())
    }

    async fn list_parts(&self, upload: &UploadRef) -> Result<Vec<CompletedPart>> {
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let resp = self
                .with_bucket(&upload.bucket, |client| {
                    let marker = marker.clone();
                    async move {
                        client
                            .list_parts()
                            .bucket(&upload.bucket)
                            .key(&upload.key)
                            .upload_id(&upload.upload_id)
                            .set_part_number_marker(marker)
                            .send()
                            .await
                            .map_err(|e| self.upload_err(e, upload))
                    }
                })
                .await?;
            out.extend(resp.parts().iter().filter_map(|p| {
                Some(CompletedPart {
                    part_number: u32::try_from(p.part_number()?).ok()?,
                    etag: convert::etag(p.e_tag())?,
                    crc32c: p.checksum_crc32_c().map(str::to_string),
                    size: p.size().unwrap_or(0).max(0) as u64,
                })
            }));
            match (resp.is_truncated(), resp.next_part_number_marker()) {
                (Some(true), Some(next)) if !next.is_empty() => marker = Some(next.to_string()),
                _ => break,
            }
        }
        out.sort_by_key(|p| p.part_number);
        Ok(out)
    }

    async fn list_multipart_uploads(&self, bucket: &str) -> Result<Vec<MultipartUploadInfo>> {
        let mut out = Vec::new();
        let mut markers: (Option<String>, Option<String>) = (None, None);
        loop {
            let resp = self
                .with_bucket(bucket, |client| {
                    let markers = markers.clone();
                    async move {
                        client
                            .list_multipart_uploads()
                            .bucket(bucket)
                            .set_key_marker(markers.0)
                            .set_upload_id_marker(markers.1)
                            .send()
                            .await
                            .map_err(|e| self.err(e, Target::bucket(bucket)))
                    }
                })
                .await?;
            out.extend(resp.uploads().iter().filter_map(|u| {
                Some(MultipartUploadInfo {
                    key: u.key()?.to_string(),
                    upload_id: u.upload_id()?.to_string(),
                    initiated: convert::time(u.initiated()),
                })
            }));
            if resp.is_truncated() != Some(true) {
                break;
            }
            markers = (
                resp.next_key_marker().map(str::to_string),
                resp.next_upload_id_marker().map(str::to_string),
            );
            if markers.0.is_none() {
                break;
            }
        }
        Ok(out)
    }

    async fn copy_object(
        &self,
        source: &ObjectRef,
        target: &ObjectRef,
        options: Option<&PutOptions>,
    ) -> Result<()> {
        self.copy_object_version(source, None, target, options)
            .await
    }

    async fn delete_many(&self, bucket: &str, keys: &[String]) -> Result<Vec<DeleteFailure>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        if keys.len() > 1000 {
            return Err(Error::invalid(
                "delete request",
                format!("{} keys in one call; S3 takes at most 1,000", keys.len()),
            ));
        }
        let objects = keys
            .iter()
            .map(|k| {
                ObjectIdentifier::builder()
                    .key(k)
                    .build()
                    .map_err(|e| Error::invalid("key", format!("`{k}`: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| Error::invalid("delete request", e.to_string()))?;
        let out = self
            .with_bucket(bucket, |client| {
                let delete = delete.clone();
                async move {
                    client
                        .delete_objects()
                        .bucket(bucket)
                        .delete(delete)
                        .send()
                        .await
                        .map_err(|e| self.err(e, Target::bucket(bucket)))
                }
            })
            .await?;
        Ok(out
            .errors()
            .iter()
            .map(|e| DeleteFailure {
                key: e.key().unwrap_or_default().to_string(),
                code: e.code().unwrap_or_default().to_string(),
                message: e.message().unwrap_or_default().to_string(),
            })
            .collect())
    }

    async fn presign(
        &self,
        method: PresignMethod,
        bucket: &str,
        key: &str,
        signed_at: SystemTime,
        expires_in: Duration,
    ) -> Result<String> {
        if expires_in.is_zero() || expires_in > MAX_PRESIGN {
            return Err(Error::invalid(
                "expiry",
                "a presigned URL lives between 1 second and 7 days",
            ));
        }
        let config = PresigningConfig::builder()
            .start_time(signed_at)
            .expires_in(expires_in)
            .build()
            .map_err(|e| Error::invalid("expiry", e.to_string()))?;
        let client = self.client_for(bucket).await?;
        let request = match method {
            PresignMethod::Get => client
                .get_object()
                .bucket(bucket)
                .key(key)
                .presigned(config)
                .await
                .map_err(|e| self.err(e, Target::object(bucket, key)))?,
            PresignMethod::Put => client
                .put_object()
                .bucket(bucket)
                .key(key)
                .presigned(config)
                .await
                .map_err(|e| self.err(e, Target::object(bucket, key)))?,
        };
        Ok(request.uri().to_string())
    }

    async fn versioning(&self, bucket: &str) -> Result<Versioning> {
        self.get_versioning(bucket).await
    }
    async fn set_versioning(&self, bucket: &str, enabled: bool) -> Result<()> {
        self.put_versioning(bucket, enabled).await
    }
    async fn list_versions(&self, bucket: &str, key: &str) -> Result<Vec<ObjectVersion>> {
        self.versions_of(bucket, key).await
    }
    async fn get_version(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        range: Option<ByteRange>,
    ) -> Result<GetObject> {
        self.get_object(bucket, key, Some(version_id), range).await
    }
    async fn copy_version(
        &self,
        source: &ObjectRef,
        version_id: &str,
        target: &ObjectRef,
    ) -> Result<()> {
        self.copy_object_version(source, Some(version_id), target, None)
            .await
    }
    async fn delete_version(&self, bucket: &str, key: &str, version_id: &str) -> Result<()> {
        self.delete_one_version(bucket, key, version_id).await
    }
    async fn list_deleted(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectVersion>> {
        self.deleted_in(bucket, prefix).await
    }
}

impl S3Store {
    /// GetObject of the current version, or of `version`.
    pub(super) async fn get_object(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&str>,
        range: Option<ByteRange>,
    ) -> Result<GetObject> {
        let out = self
            .with_bucket(bucket, |client| async move {
                client
                    .get_object()
                    .bucket(bucket)
                    .key(key)
                    .set_version_id(version.map(str::to_string))
                    .set_range(range.map(range_header))
                    // Ask for the stored checksum with the header alone: with the
                    // SDK's `checksum_mode` the SDK also validates the body, and fails
                    // it outright when a server reports a wrong value for a multipart
                    // object (moto 5.1). The download verifies the bytes itself.
                    .customize()
                    .mutate_request(move |request| {
                        if range.is_none() {
                            request
                                .headers_mut()
                                .insert("x-amz-checksum-mode", "ENABLED");
                        }
                    })
                    .send()
                    .await
                    .map_err(|e| self.err(e, Target::object(bucket, key)))
            })
            .await?;
        let total_size = convert::total_from_content_range(out.content_range())
            .unwrap_or_else(|| out.content_length().unwrap_or(0).max(0) as u64);
        let etag = convert::etag(out.e_tag());
        let checksum = convert::object_crc32c(
            out.checksum_crc32_c(),
            out.checksum_type().map(ChecksumType::as_str),
            out.e_tag(),
        );
        let (profile, url) = (self.profile().to_string(), self.url());
        let body = futures::stream::unfold(Some(out.body), move |state| {
            let (profile, url) = (profile.clone(), url.clone());
            async move {
                let mut body = state?;
                match body.next().await {
                    Some(Ok(bytes)) => Some((Ok::<Bytes, Error>(bytes), Some(body))),
                    Some(Err(e)) => Some((
                        Err(Error::Network {
                            profile,
                            url,
                            cause: format!("the download broke off: {e}"),
                        }),
                        None,
                    )),
                    None => None,
                }
            }
        })
        .boxed();
        Ok(GetObject {
            total_size,
            etag,
            checksum,
            body,
        })
    }

    /// CopyObject of the current version of `source`, or of `version`.
    pub(super) async fn copy_object_version(
        &self,
        source: &ObjectRef,
        version: Option<&str>,
        target: &ObjectRef,
        options: Option<&PutOptions>,
    ) -> Result<()> {
        self.with_bucket(&target.bucket, |client| async move {
            let mut request = client
                .copy_object()
                .bucket(&target.bucket)
                .key(&target.key)
                .copy_source(match version {
                    None => copy_source(&source.bucket, &source.key),
                    Some(v) => convert::copy_source_version(&source.bucket, &source.key, v),
                });
            if let Some(options) = options {
                request = request
                    .metadata_directive(MetadataDirective::Replace)
                    .set_content_type(options.content_type.clone())
                    .set_cache_control(options.cache_control.clone())
                    .set_content_disposition(options.content_disposition.clone())
                    .set_storage_class(options.storage_class.as_deref().map(storage_class))
                    .set_metadata(Some(options.metadata.clone().into_iter().collect()));
            }
            request.send().await.map_err(|e| {
                match self.err(e, Target::object(&target.bucket, &target.key)) {
                    // The missing object is the source, not the target.
                    Error::NoSuchKey { profile, .. } => Error::NoSuchKey {
                        profile,
                        bucket: source.bucket.clone(),
                        key: source.key.clone(),
                    },
                    other => other,
                }
            })
        })
        .await?;
        Ok(())
    }
}
