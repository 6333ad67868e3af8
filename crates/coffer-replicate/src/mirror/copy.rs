//! Copying one entry of a mirror, verified, with its metadata.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use coffer_core::store::{ChecksumAlgorithm, ChecksumKind, ObjectRef, PutOptions};
use coffer_core::transfer::Tracker;
use coffer_core::transfer::local_path_for_key;
use futures::StreamExt;

use super::scan::{Entry, mtime_ms};
use super::{Mirror, Side, is_md5};
use crate::error::{ReplicateError, Result};

/// Copies `rel` from the mirror's source to its destination; returns the
/// destination's entry as it is now.
pub(crate) async fn copy_entry(
    m: &Mirror,
    rel: &str,
    src: &Entry,
    tracker: &Tracker,
) -> Result<Entry> {
    match (&m.src, &m.dst) {
        (
            Side::Local(root),
            Side::Bucket {
                transfers,
                bucket,
                prefix,
                ..
            },
        ) => {
            let path = local_path_for_key(root, rel)?;
            let target = ObjectRef {
                bucket: bucket.clone(),
                key: format!("{prefix}{rel}"),
            };
            let options = PutOptions {
                checksum: true,
                ..PutOptions::default()
            };
            let report = transfers.upload_file(&path, &target, &options, tracker).await?;
            Ok(Entry {
                size: report.size,
                mtime_ms: crate::clock::now_ms(),
                etag: report.etag,
            })
        }
        (
            Side::Bucket {
                transfers,
                bucket,
                prefix,
                ..
            },
            Side::Local(root),
        ) => {
            let dest = local_path_for_key(root, rel)?;
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent).map_err(|e| ReplicateError::io(parent, e))?;
            }
            let source = ObjectRef {
                bucket: bucket.clone(),
                key: format!("{prefix}{rel}"),
            };
            let report = transfers.download_object(&source, &dest, tracker).await?;
            // The file takes the object's time, so that the next pass sees it unchanged.
            let when = UNIX_EPOCH + Duration::from_millis(src.mtime_ms);
            let file = std::fs::File::options()
                .write(true)
                .open(&dest)
                .map_err(|e| ReplicateError::io(&dest, e))?;
            file.set_modified(when).map_err(|e| ReplicateError::io(&dest, e))?;
            let meta = file.metadata().map_err(|e| ReplicateError::io(&dest, e))?;
            Ok(Entry {
                size: report.size,
                mtime_ms: mtime_ms(&meta),
                etag: None,
            })
        }
        (
            Side::Bucket {
                profile: from_profile,
                transfers: from,
                bucket: from_bucket,
                prefix: from_prefix,
            },
            Side::Bucket {
                profile: to_profile,
                transfers: to,
                bucket: to_bucket,
                prefix: to_prefix,
            },
        ) => {
            let source = ObjectRef {
                bucket: from_bucket.clone(),
                key: format!("{from_prefix}{rel}"),
            };
            let target = ObjectRef {
                bucket: to_bucket.clone(),
                key: format!("{to_prefix}{rel}"),
            };
            if from_profile == to_profile {
                // On the server: the copy keeps the source's metadata.
                to.clone()
                    .without_rules()
                    .copy_object(&source, &target, None, tracker)
                    .await?;
                let copied = to.store().head(&target.bucket, &target.key).await?;
                let same_tag = !is_md5(&src.etag) || src.etag == copied.etag;
                if copied.size != src.size || !same_tag {
                    return Err(ReplicateError::Verify(format!(
                        "s3://{}/{}: the copy ({} bytes, ETag {:?}) differs from the source ({} bytes, ETag {:?})",
                        target.bucket, target.key, copied.size, copied.etag, src.size, src.etag
                    )));
                }
                return Ok(Entry {
                    size: copied.size,
                    mtime_ms: crate::clock::now_ms(),
                    etag: copied.etag,
                });
            }
            // Across profiles: stream it through, with its metadata, checking the bytes.
            let meta = from.store().head(&source.bucket, &source.key).await?;
            let object = from.store().get(&source.bucket, &source.key, None).await?;
            let crc = std::sync::Arc::new(std::sync::Mutex::new((0u32, 0u64)));
            let counter = crc.clone();
            // The stream's items are the core's own results.
            #[allow(clippy::result_large_err)]
            let body = object.body.map(move |chunk| {
                if let (Ok(bytes), Ok(mut c)) = (&chunk, counter.lock()) {
                    c.0 = coffer_core::checksum::update(c.0, bytes);
                    c.1 += bytes.len() as u64;
                }
                chunk
            });
            let options = PutOptions {
                content_type: meta.content_type.clone(),
                cache_control: meta.cache_control.clone(),
                content_disposition: meta.content_disposition.clone(),
                storage_class: None,
                metadata: meta.metadata.clone(),
                checksum: true,
            };
            let report = to
                .clone()
                .without_rules()
                .upload_stream(body, &target, &options, tracker)
                .await?;
            let (sum, len) = crc.lock().map(|c| *c).unwrap_or_default();
            if len != meta.size {
                return Err(ReplicateError::Verify(format!(
                    "s3://{}/{}: read {len} bytes of {}",
                    source.bucket, source.key, meta.size
                )));
            }
            if let Some(c) = &meta.checksum
                && c.algorithm == ChecksumAlgorithm::Crc32c
                && c.kind == ChecksumKind::FullObject
                && coffer_core::checksum::decode(&c.value) != Some(sum)
            {
                return Err(ReplicateError::Verify(format!(
                    "s3://{}/{}: the bytes read do not match the source's CRC32C",
                    source.bucket, source.key
                )));
            }
            let _ = to_profile;
            Ok(Entry {
                size: report.size,
                mtime_ms: crate::clock::now_ms(),
                etag: report.etag,
            })
        }
        (Side::Local(_), Side::Local(_)) => Err(ReplicateError::Invalid(
            "a mirror goes between a folder and a bucket, or two buckets; for two folders use rsync".into(),
        )),
    }
}

/// Moves the destination's `rel` to the trash (`.coffer-trash/<stamp>/rel`), then
/// removes it.
pub(crate) async fn trash(m: &Mirror, rel: &str, stamp: &str, tracker: &Tracker) -> Result<()> {
    match &m.dst {
        Side::Local(root) => {
            let from = local_path_for_key(root, rel)?;
            let to = local_path_for_key(&root.join(super::TRASH).join(stamp), rel)?;
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(|e| ReplicateError::io(parent, e))?;
            }
            std::fs::rename(&from, &to).map_err(|e| ReplicateError::io(&from, e))
        }
        Side::Bucket {
            transfers,
            bucket,
            prefix,
            ..
        } => {
            let from = ObjectRef {
                bucket: bucket.clone(),
                key: format!("{prefix}{rel}"),
            };
            let to = ObjectRef {
                bucket: bucket.clone(),
                key: format!("{prefix}{}/{stamp}/{rel}", super::TRASH),
            };
            transfers
                .clone()
                .without_rules()
                .copy_object(&from, &to, None, tracker)
                .await?;
            transfers.delete_object(&from).await?;
            Ok(())
        }
    }
}

/// A stamp for a pass's trash folder: `2026-12-01T09-30-00Z`.
pub(crate) fn stamp() -> String {
    let now = time::OffsetDateTime::from(SystemTime::now());
    format!(
        "{:04}-{:02}-{:02}T{:02}-{:02}-{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}
