//! The `Store` operations of [`LocalStore`].

use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use futures::StreamExt;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{LocalStore, blocking, listing, validate_key, write_body};
use crate::checksum;
use crate::error::{Error, Result};
use crate::store::{
    Body, BucketInfo, ByteRange, Checksum, ChecksumAlgorithm, ChecksumKind, CompletedPart,
    DeleteFailure, GetObject, ListPage, ListRequest, MultipartUploadInfo, ObjectMeta, ObjectRef,
    PartMeta, PresignMethod, PutOptions, PutResult, RegionInfo, RegionSource, Store, UploadRef,
};
use crate::uri::validate_bucket_name;

/// The stream chunk size of downloads.
const READ_CHUNK: usize = 256 * 1024;

#[derive(Debug, Serialize, Deserialize)]
struct UploadRecord {
    bucket: String,
    key: String,
    options: PutOptions,
    #[serde(with = "time::serde::rfc3339")]
    initiated: OffsetDateTime,
}

fn full_crc(options: &PutOptions, crc: u32) -> Option<Checksum> {
    options.checksum.then(|| Checksum {
        algorithm: ChecksumAlgorithm::Crc32c,
        value: checksum::encode(crc),
        kind: ChecksumKind::FullObject,
    })
}

impl LocalStore {
    fn upload_dir(&self, upload: &UploadRef) -> Result<PathBuf> {
        let valid = !upload.upload_id.is_empty()
            && upload
                .upload_id
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == '-');
        let dir = self.uploads_dir().join(&upload.upload_id);
        let record = dir.join("upload.json");
        let known = valid
            && std::fs::read(&record)
                .ok()
                .and_then(|b| serde_json::from_slice::<UploadRecord>(&b).ok())
                .is_some_and(|r| r.bucket == upload.bucket && r.key == upload.key);
        if known {
            Ok(dir)
        } else {
            Err(Error::NoSuchUpload {
                bucket: upload.bucket.clone(),
                key: upload.key.clone(),
                upload_id: upload.upload_id.clone(),
            })
        }
    }

    fn read_upload(&self, dir: &Path) -> Result<UploadRecord> {
        let path = dir.join("upload.json");
        let bytes = std::fs::read(&path).map_err(|e| Error::io("cannot read", &path, e))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::invalid("upload record", format!("{}: {e}", path.display())))
    }

    fn read_parts(dir: &Path) -> Result<Vec<CompletedPart>> {
        let mut parts = Vec::new();
        let read = std::fs::read_dir(dir).map_err(|e| Error::io("cannot list", dir, e))?;
        for entry in read.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("part-") && name.ends_with(".json") {
                let bytes = std::fs::read(entry.path())
                    .map_err(|e| Error::io("cannot read", entry.path(), e))?;
                if let Ok(part) = serde_json::from_slice::<CompletedPart>(&bytes) {
                    parts.push(part);
                }
            }
        }
        parts.sort_by_key(|p| p.part_number);
        Ok(parts)
    }

    fn store_part(
        dir: &Path,
        part_number: u32,
        tmp: &Path,
        written: super::Written,
    ) -> Result<CompletedPart> {
        let part = CompletedPart {
            part_number,
            etag: hex::encode(written.md5),
            crc32c: Some(checksum::encode(written.crc32c)),
            size: written.size,
        };
        let data = dir.join(format!("part-{part_number:05}"));
        std::fs::rename(tmp, &data).map_err(|e| Error::io("cannot write", &data, e))?;
        let record = dir.join(format!("part-{part_number:05}.json"));
        let bytes = serde_json::to_vec(&part).map_err(|e| Error::invalid("part", e.to_string()))?;
        std::fs::write(&record, bytes).map_err(|e| Error::io("cannot write", &record, e))?;
        Ok(part)
    }

    fn sidecar_etag(&self, bucket: &str) -> impl Fn(&str, &Path) -> Option<String> + '_ {
        let bucket = bucket.to_string();
        move |key: &str, path: &Path| {
            self.object_meta(&bucket, key, path)
                .ok()
                .and_then(|m| m.etag)
        }
    }
}

fn check_part_number(part_number: u32) -> Result<()> {
    if (1..=10_000).contains(&part_number) {
        Ok(())
    } else {
        Err(Error::invalid(
            "part number",
            format!("{part_number}: parts are numbered 1 to 10,000"),
        ))
    }
}

#[async_trait]
impl Store for LocalStore {
    fn describe(&self) -> String {
        format!("the local profile at {}", self.root().display())
    }

    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        let store = self.clone();
        blocking(move || {
            let root = store.root();
            let mut out = Vec::new();
            let read = std::fs::read_dir(root).map_err(|e| Error::io("cannot list", root, e))?;
            for entry in read.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') || validate_bucket_name(&name).is_err() {
                    continue;
                }
                let Ok(meta) = entry.metadata() else { continue };
                if meta.is_dir() {
                    out.push(BucketInfo {
                        name,
                        created: meta.modified().ok().map(OffsetDateTime::from),
                    });
                }
            }
            out.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(out)
        })
        .await
    }

    async fn create_bucket(&self, bucket: &str) -> Result<()> {
        validate_bucket_name(bucket)?;
        let path = self.root().join(bucket);
        match std::fs::create_dir(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(Error::BucketExists {
                profile: crate::profile::LOCAL_PROFILE.into(),
                bucket: bucket.to_string(),
            }),
            Err(e) => Err(Error::io("cannot create", path, e)),
        }
    }

    async fn delete_bucket(&self, bucket: &str) -> Result<()> {
        let dir = self.bucket_dir(bucket)?;
        let holds_files = walkdir::WalkDir::new(&dir)
            .into_iter()
            .filter_map(|e| e.ok())
            .any(|e| !e.file_type().is_dir());
        if holds_files {
            return Err(Error::BucketNotEmpty {
                bucket: bucket.to_string(),
            });
        }
        std::fs::remove_dir_all(&dir).map_err(|e| Error::io("cannot delete", &dir, e))?;
        let _ = std::fs::remove_dir_all(self.root().join(".coffer").join("meta").join(bucket));
        Ok(())
    }

    async fn bucket_region(&self, bucket: &str) -> Result<RegionInfo> {
        self.bucket_dir(bucket)?;
        Ok(RegionInfo {
            region: "local".into(),
            source: RegionSource::Local,
            cached: false,
        })
    }

    async fn list_page(&self, request: &ListRequest, token: Option<&str>) -> Result<ListPage> {
        let store = self.clone();
        let request = ListRequest {
            max_keys: request.max_keys.clamp(1, 1000),
            ..request.clone()
        };
        let token = token.map(str::to_string);
        blocking(move || {
            let dir = store.bucket_dir(&request.bucket)?;
            let etag = store.sidecar_etag(&request.bucket);
            listing::list_page(&dir, &request, token.as_deref(), store.levels(), &etag)
        })
        .await
    }

    async fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        let file = self
            .find_object(bucket, key)?
            .ok_or_else(|| LocalStore::no_such_key(bucket, key))?;
        self.object_meta(bucket, key, &file)
    }

    async fn head_part(&self, bucket: &str, key: &str, _part: u32) -> Result<Option<PartMeta>> {
        // Objects are whole files here; their checksum always covers the full object.
        self.find_object(bucket, key)?
            .ok_or_else(|| LocalStore::no_such_key(bucket, key))?;
        Ok(None)
    }

    async fn get(&self, bucket: &str, key: &str, range: Option<ByteRange>) -> Result<GetObject> {
        let path = self
            .find_object(bucket, key)?
            .ok_or_else(|| LocalStore::no_such_key(bucket, key))?;
        let meta = self.object_meta(bucket, key, &path)?;
        let total_size = meta.size;
        let (start, len) = match range {
            None => (0, total_size),
            Some(r) if r.start < total_size && r.end > r.start => {
                (r.start, r.end.min(total_size) - r.start)
            }
            Some(r) => {
                return Err(Error::invalid(
                    "range",
                    format!(
                        "bytes {}..{} of `{bucket}/{key}`, which has {total_size} bytes",
                        r.start, r.end
                    ),
                ));
            }
        };
        let mut file =
            std::fs::File::open(&path).map_err(|e| Error::io("cannot read", &path, e))?;
        file.seek(SeekFrom::Start(start))
            .map_err(|e| Error::io("cannot read", &path, e))?;
        let reader = tokio::io::BufReader::with_capacity(
            READ_CHUNK,
            tokio::io::AsyncReadExt::take(tokio::fs::File::from_std(file), len),
        );
        let stream = tokio_util::io::ReaderStream::with_capacity(reader, READ_CHUNK)
            .map(move |r| r.map_err(|e| Error::io("cannot read", path.clone(), e)))
            .boxed();
        Ok(GetObject {
            total_size,
            etag: meta.etag,
            checksum: range.is_none().then_some(meta.checksum).flatten(),
            body: stream,
        })
    }

    async fn put(
        &self,
        bucket: &str,
        key: &str,
        body: Body,
        options: &PutOptions,
    ) -> Result<PutResult> {
        validate_key(key)?;
        self.bucket_dir(bucket)?;
        let store = self.clone();
        let (bucket, key, options) = (bucket.to_string(), key.to_string(), options.clone());
        blocking(move || {
            let tmp = store.tmp_path();
            let written = match write_body(&body, &tmp) {
                Ok(w) => w,
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(e);
                }
            };
            let file = match store.place(&bucket, &key, &tmp) {
                Ok(f) => f,
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(e);
                }
            };
            let etag = hex::encode(written.md5);
            let checksum = full_crc(&options, written.crc32c);
            store.record(
                &bucket,
                &key,
                &file,
                etag.clone(),
                checksum.as_ref().map(|c| c.value.clone()),
                &options,
            )?;
            Ok(PutResult {
                etag: Some(etag),
                checksum,
            })
        })
        .await
    }

    async fn create_multipart(
        &self,
        bucket: &str,
        key: &str,
        options: &PutOptions,
    ) -> Result<String> {
        validate_key(key)?;
        self.bucket_dir(bucket)?;
        let upload_id = uuid::Uuid::new_v4().to_string();
        let dir = self.uploads_dir().join(&upload_id);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("cannot create", &dir, e))?;
        let record = UploadRecord {
            bucket: bucket.to_string(),
            key: key.to_string(),
            options: options.clone(),
            initiated: OffsetDateTime::now_utc(),
        };
        let bytes =
            serde_json::to_vec(&record).map_err(|e| Error::invalid("upload", e.to_string()))?;
        let path = dir.join("upload.json");
        std::fs::write(&path, bytes).map_err(|e| Error::io("cannot write", &path, e))?;
        Ok(upload_id)
    }

    async fn upload_part(
        &self,
        upload: &UploadRef,
        part_number: u32,
        body: Body,
    ) -> Result<CompletedPart> {
        check_part_number(part_number)?;
        let dir = self.upload_dir(upload)?;
        let tmp = self.tmp_path();
        blocking(move || {
            let written = match write_body(&body, &tmp) {
                Ok(w) => w,
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(e);
                }
            };
            LocalStore::store_part(&dir, part_number, &tmp, written)
        })
        .await
    }

    async fn upload_part_copy(
        &self,
        upload: &UploadRef,
        part_number: u32,
        source: &ObjectRef,
        range: ByteRange,
    ) -> Result<CompletedPart> {
        check_part_number(part_number)?;
        let dir = self.upload_dir(upload)?;
        let file = self
            .find_object(&source.bucket, &source.key)?
            .ok_or_else(|| LocalStore::no_such_key(&source.bucket, &source.key))?;
        let tmp = self.tmp_path();
        blocking(move || {
            let body = Body::File {
                path: file,
                offset: range.start,
                len: range.len(),
            };
            let written = match write_body(&body, &tmp) {
                Ok(w) => w,
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(e);
                }
            };
            LocalStore::store_part(&dir, part_number, &tmp, written)
        })
        .await
    }

    async fn complete_multipart(
        &self,
        upload: &UploadRef,
        parts: &[CompletedPart],
    ) -> Result<PutResult> {
        let dir = self.upload_dir(upload)?;
        let store = self.clone();
        let upload = upload.clone();
        let parts = parts.to_vec();
        blocking(move || {
            let record = store.read_upload(&dir)?;
            let have = LocalStore::read_parts(&dir)?;
            if parts.is_empty() {
                return Err(Error::invalid("multipart upload", "no parts were given"));
            }
            let mut previous = 0;
            let mut md5_of_md5s = Md5::new();
            let mut crc = 0u32;
            let tmp = store.tmp_path();
            let mut out =
                std::fs::File::create(&tmp).map_err(|e| Error::io("cannot create", &tmp, e))?;
            for part in &parts {
                let stored = have
                    .iter()
                    .find(|p| p.part_number == part.part_number && p.etag == part.etag)
                    .filter(|_| part.part_number > previous)
                    .ok_or_else(|| {
                        let _ = std::fs::remove_file(&tmp);
                        Error::invalid(
                            "multipart upload",
                            format!(
                                "part {} with ETag {} was not uploaded, or parts are out of order",
                                part.part_number, part.etag
                            ),
                        )
                    })?;
                previous = part.part_number;
                let path = dir.join(format!("part-{:05}", part.part_number));
                let mut src =
                    std::fs::File::open(&path).map_err(|e| Error::io("cannot read", &path, e))?;
                std::io::copy(&mut src, &mut out)
                    .map_err(|e| Error::io("cannot write", &tmp, e))?;
                md5_of_md5s.update(hex::decode(&stored.etag).unwrap_or_default());
                let part_crc = stored
                    .crc32c
                    .as_deref()
                    .and_then(checksum::decode)
                    .unwrap_or(0);
                crc = checksum::combine(crc, part_crc, stored.size);
            }
            out.sync_all()
                .map_err(|e| Error::io("cannot write", &tmp, e))?;
            drop(out);
            let file = store
                .place(&upload.bucket, &upload.key, &tmp)
                .inspect_err(|_| {
                    let _ = std::fs::remove_file(&tmp);
                })?;
            let etag = format!("{}-{}", hex::encode(md5_of_md5s.finalize()), parts.len());
            let checksum = full_crc(&record.options, crc);
            store.record(
                &upload.bucket,
                &upload.key,
                &file,
                etag.clone(),
                checksum.as_ref().map(|c| c.value.clone()),
                &record.options,
            )?;
            let _ = std::fs::remove_dir_all(&dir);
            Ok(PutResult {
                etag: Some(etag),
                checksum,
            })
        })
        .await
    }

    async fn abort_multipart(&self, upload: &UploadRef) -> Result<()> {
        let dir = self.upload_dir(upload)?;
        std::fs::remove_dir_all(&dir).map_err(|e| Error::io("cannot delete", &dir, e))
    }

    async fn list_parts(&self, upload: &UploadRef) -> Result<Vec<CompletedPart>> {
        let dir = self.upload_dir(upload)?;
        LocalStore::read_parts(&dir)
    }

    async fn list_multipart_uploads(&self, bucket: &str) -> Result<Vec<MultipartUploadInfo>> {
        self.bucket_dir(bucket)?;
        let mut out = Vec::new();
        let uploads = self.uploads_dir();
        let read =
            std::fs::read_dir(&uploads).map_err(|e| Error::io("cannot list", &uploads, e))?;
        for entry in read.flatten() {
            let Ok(record) = self.read_upload(&entry.path()) else {
                continue;
            };
            if record.bucket == bucket {
                out.push(MultipartUploadInfo {
                    key: record.key,
                    upload_id: entry.file_name().to_string_lossy().into_owned(),
                    initiated: Some(record.initiated),
                });
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key).then(a.upload_id.cmp(&b.upload_id)));
        Ok(out)
    }

    async fn copy_object(
        &self,
        source: &ObjectRef,
        target: &ObjectRef,
        options: Option<&PutOptions>,
    ) -> Result<()> {
        validate_key(&target.key)?;
        self.bucket_dir(&target.bucket)?;
        let file = self
            .find_object(&source.bucket, &source.key)?
            .ok_or_else(|| LocalStore::no_such_key(&source.bucket, &source.key))?;
        let meta = self.object_meta(&source.bucket, &source.key, &file)?;
        let options = options.cloned().unwrap_or_else(|| PutOptions {
            content_type: meta.content_type.clone(),
            cache_control: meta.cache_control.clone(),
            content_disposition: meta.content_disposition.clone(),
            storage_class: meta.storage_class.clone(),
            metadata: meta.metadata.clone(),
            checksum: meta.checksum.is_some(),
        });
        let store = self.clone();
        let target = target.clone();
        blocking(move || {
            let tmp = store.tmp_path();
            let body = Body::File {
                path: file,
                offset: 0,
                len: meta.size,
            };
            let written = write_body(&body, &tmp).inspect_err(|_| {
                let _ = std::fs::remove_file(&tmp);
            })?;
            let placed = store
                .place(&target.bucket, &target.key, &tmp)
                .inspect_err(|_| {
                    let _ = std::fs::remove_file(&tmp);
                })?;
            // A copy keeps the source's ETag, as S3 does for single-part objects.
            let etag = meta
                .etag
                .clone()
                .unwrap_or_else(|| hex::encode(written.md5));
            let crc = full_crc(&options, written.crc32c).map(|c| c.value);
            store.record(&target.bucket, &target.key, &placed, etag, crc, &options)
        })
        .await
    }

    async fn delete_many(&self, bucket: &str, keys: &[String]) -> Result<Vec<DeleteFailure>> {
        if keys.len() > 1000 {
            return Err(Error::invalid(
                "delete request",
                format!("{} keys in one call; at most 1,000", keys.len()),
            ));
        }
        self.bucket_dir(bucket)?;
        let store = self.clone();
        let (bucket, keys) = (bucket.to_string(), keys.to_vec());
        blocking(move || {
            let mut failures = Vec::new();
            for key in keys {
                if let Err(e) = store.remove_object(&bucket, &key) {
                    failures.push(DeleteFailure {
                        key,
                        code: e.code().to_string(),
                        message: e.to_string(),
                    });
                }
            }
            Ok(failures)
        })
        .await
    }

    async fn presign(
        &self,
        _method: PresignMethod,
        _bucket: &str,
        _key: &str,
        _signed_at: SystemTime,
        _expires_in: Duration,
    ) -> Result<String> {
        Err(Error::Unsupported {
            operation: "a presigned URL",
            backend: "the local profile",
            reason: "local folders have no HTTP endpoint to share; use a profile on an \
                     S3 server",
        })
    }
}
