//! Upload one file: a single PUT below the multipart threshold, otherwise a resumable
//! multipart upload whose parts stream from ranges of the file.
//!
//! The file is checked before each part and before completion: if its size or
//! modification time changed, the upload is aborted and nothing is stored.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt, stream};
use serde::Serialize;
use time::OffsetDateTime;

use super::resume::{ResumeRecord, record_key};
use super::{Tracker, Transfers};
use crate::error::{Error, Result};
use crate::store::{Body, Checksum, ObjectRef, PutOptions, UploadRef};

/// How often the resume record of a multipart upload is saved while parts go out.
const RECORD_EVERY: Duration = Duration::from_secs(1);

/// What an upload did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UploadReport {
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// Size of the object.
    pub size: u64,
    /// The new object's ETag.
    pub etag: Option<String>,
    /// The checksum the server verified.
    pub checksum: Option<Checksum>,
    /// Whether it went multipart.
    pub multipart: bool,
    /// Parts an earlier run had already sent.
    pub parts_resumed: u64,
    /// Bytes sent by this run.
    pub bytes_sent: u64,
}

/// Size and modification time: what tells that a file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    pub size: u64,
    pub mtime_ns: i128,
}

pub(crate) fn fingerprint(path: &Path) -> Result<Fingerprint> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io("cannot read", path, e))?;
    if !meta.is_file() {
        return Err(Error::io(
            "cannot upload",
            path,
            std::io::Error::other("it is not a regular file (use --recursive for folders)"),
        ));
    }
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i128);
    Ok(Fingerprint {
        size: meta.len(),
        mtime_ns,
    })
}

fn check_unchanged(path: &Path, before: Fingerprint) -> Result<()> {
    let now = fingerprint(path)?;
    if now == before {
        return Ok(());
    }
    let what = if now.size != before.size {
        format!("size {} → {} bytes", before.size, now.size)
    } else {
        "modification time changed".to_string()
    };
    Err(Error::FileChanged {
        path: path.to_path_buf(),
        what,
    })
}

/// The Content-Type a file or key name suggests by its extension, if any.
pub fn guess_content_type(name: impl AsRef<Path>) -> Option<String> {
    mime_guess::from_path(name).first_raw().map(str::to_string)
}

impl Transfers {
    /// Uploads the file at `path` to `target`. Large files go multipart and resume
    /// where an earlier run stopped.
    pub async fn upload_file(
        &self,
        path: &Path,
        target: &ObjectRef,
        options: &PutOptions,
        tracker: &Tracker,
    ) -> Result<UploadReport> {
        let fp = fingerprint(path)?;
        tracker.add_total(fp.size, 1);
        self.send_file(path, fp, target, options, tracker).await
    }

    /// Uploads a file whose size the tracker already counts.
    pub(crate) async fn send_file(
        &self,
        path: &Path,
        fp: Fingerprint,
        target: &ObjectRef,
        options: &PutOptions,
        tracker: &Tracker,
    ) -> Result<UploadReport> {
        self.check_cancelled()?;
        let options = self.upload_options(target, options, path)?;
        let report = if fp.size > self.config.multipart_threshold {
            self.send_multipart(path, fp, target, &options, tracker)
                .await?
        } else {
            self.send_single(path, fp, target, &options, tracker)
                .await?
        };
        tracker.item_done();
        tracing::debug!(bucket = %target.bucket, key = %target.key, size = fp.size, "uploaded");
        Ok(report)
    }

    /// One PUT. The file (at most the multipart threshold) is read first and checked
    /// for changes, so what is stored is exactly one state of the file.
    async fn send_single(
        &self,
        path: &Path,
        fp: Fingerprint,
        target: &ObjectRef,
        options: &PutOptions,
        tracker: &Tracker,
    ) -> Result<UploadReport> {
        let work = async {
            let bytes = tokio::fs::read(path)
                .await
                .map_err(|e| Error::io("cannot read", path, e))?;
            if bytes.len() as u64 != fp.size {
                return Err(Error::FileChanged {
                    path: path.to_path_buf(),
                    what: format!("size {} → {} bytes", fp.size, bytes.len()),
                });
            }
            check_unchanged(path, fp)?;
            self.store
                .put(
                    &target.bucket,
                    &target.key,
                    Body::Bytes(bytes.into()),
                    options,
                )
                .await
        };
        let result = self.with_permit_for(fp.size, work).await?;
        tracker.add_bytes(fp.size);
        Ok(UploadReport {
            bucket: target.bucket.clone(),
            key: target.key.clone(),
            size: fp.size,
            etag: result.etag,
            checksum: result.checksum,
            multipart: false,
            parts_resumed: 0,
            bytes_sent: fp.size,
        })
    }

    /// The resume record for this upload, checked against the server, if one is
    /// usable. Stale records (the file changed, other settings) are dropped and their
    /// uploads aborted.
    async fn usable_record(
        &self,
        id: &str,
        fp: Fingerprint,
        part_size: u64,
        options: &PutOptions,
    ) -> Result<Option<ResumeRecord>> {
        let Some(mut record) = self.load_record(id)? else {
            return Ok(None);
        };
        let same = record.size == fp.size
            && record.mtime_ns == fp.mtime_ns
            && record.part_size == part_size
            && record.options == *options;
        if !same {
            tracing::info!(key = %record.upload.key, "the file changed since the last attempt; starting over");
            self.abort_quietly(&record.upload).await;
            self.delete_record(id).await?;
            return Ok(None);
        }
        match self.store.list_parts(&record.upload).await {
            Ok(on_server) => {
                record.parts.retain(|p| {
                    on_server
                        .iter()
                        .any(|s| s.part_number == p.part_number && s.etag == p.etag)
                });
                Ok(Some(record))
            }
            Err(Error::NoSuchUpload { .. }) => {
                tracing::info!(key = %record.upload.key, "the earlier upload is gone on the server; starting over");
                self.delete_record(id).await?;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn abort_quietly(&self, upload: &UploadRef) {
        match self.store.abort_multipart(upload).await {
            Ok(()) | Err(Error::NoSuchUpload { .. }) => {}
            Err(e) => {
                tracing::warn!(key = %upload.key, error = %e, "could not abort a multipart upload")
            }
        }
    }

    async fn send_multipart(
        &self,
        path: &Path,
        fp: Fingerprint,
        target: &ObjectRef,
        options: &PutOptions,
        tracker: &Tracker,
    ) -> Result<UploadReport> {
        let source: PathBuf =
            std::fs::canonicalize(path).map_err(|e| Error::io("cannot read", path, e))?;
        let id = record_key(&self.profile, &target.bucket, &target.key, &source);
        let part_size = self.config.part_size_for(fp.size);
        let record = match self.usable_record(&id, fp, part_size, options).await? {
            Some(record) => record,
            None => {
                let upload_id = self
                    .store
                    .create_multipart(&target.bucket, &target.key, options)
                    .await?;
                let record = ResumeRecord {
                    profile: self.profile.clone(),
                    upload: UploadRef {
                        bucket: target.bucket.clone(),
                        key: target.key.clone(),
                        upload_id,
                    },
                    source: source.clone(),
                    size: fp.size,
                    mtime_ns: fp.mtime_ns,
                    part_size,
                    options: options.clone(),
                    parts: Vec::new(),
                    started: OffsetDateTime::now_utc(),
                };
                self.save_record(&id, &record).await?;
                record
            }
        };
        let upload = record.upload.clone();
        let parts_resumed = record.parts.len() as u64;
        let bytes_resumed = record.bytes_done();
        tracker.add_resumed(bytes_resumed);
        let done: HashSet<u32> = record.parts.iter().map(|p| p.part_number).collect();
        let total = record.total_parts() as u32;
        let todo: Vec<u32> = (1..=total).filter(|n| !done.contains(n)).collect();
        let record = tokio::sync::Mutex::new((record, Instant::now()));

        let sent = stream::iter(todo)
            .map(Ok)
            .try_for_each_concurrent(self.config.concurrency, |number| {
                let (upload, record, id, source) = (&upload, &record, &id, &source);
                async move {
                    self.check_cancelled()?;
                    check_unchanged(path, fp)?;
                    let offset = u64::from(number - 1) * part_size;
                    let len = part_size.min(fp.size - offset);
                    let body = Body::File {
                        path: source.clone(),
                        offset,
                        len,
                    };
                    let part = self
                        .with_permit(self.store.upload_part(upload, number, body))
                        .await?;
                    tracker.add_bytes(len);
                    // The record is saved at most once per RECORD_EVERY (and once
                    // more below, however the loop ends): rewriting it after every
                    // part made the work grow with the square of the part count. A
                    // hard kill re-sends at most that much.
                    let mut guard = record.lock().await;
                    let (record, saved) = &mut *guard;
                    record.parts.push(part);
                    if saved.elapsed() >= RECORD_EVERY {
                        *saved = Instant::now();
                        self.save_record(id, record).await?;
                    }
                    Ok(())
                }
            })
            .await;
        let (record, _) = record.into_inner();
        if !matches!(
            sent,
            Err(Error::FileChanged { .. } | Error::NoSuchUpload { .. })
        ) {
            self.save_record(&id, &record).await?;
        }
        match sent {
            Ok(()) => {}
            Err(e @ Error::FileChanged { .. }) => {
                self.abort_quietly(&upload).await;
                self.delete_record(&id).await?;
                return Err(e);
            }
            Err(e @ Error::NoSuchUpload { .. }) => {
                self.delete_record(&id).await?;
                return Err(e);
            }
            Err(e) => return Err(e),
        }

        if let Err(e) = check_unchanged(path, fp) {
            self.abort_quietly(&upload).await;
            self.delete_record(&id).await?;
            return Err(e);
        }
        self.check_cancelled()?;
        let mut parts = record.parts;
        parts.sort_by_key(|p| p.part_number);
        let result = match self.store.complete_multipart(&upload, &parts).await {
            Ok(result) => result,
            Err(e) => {
                if matches!(
                    e,
                    Error::NoSuchUpload { .. } | Error::IntegrityMismatch { .. }
                ) {
                    self.abort_quietly(&upload).await;
                    self.delete_record(&id).await?;
                }
                return Err(e);
            }
        };
        self.delete_record(&id).await?;
        Ok(UploadReport {
            bucket: target.bucket.clone(),
            key: target.key.clone(),
            size: fp.size,
            etag: result.etag,
            checksum: result.checksum,
            multipart: true,
            parts_resumed,
            bytes_sent: fp.size - bytes_resumed,
        })
    }
}
