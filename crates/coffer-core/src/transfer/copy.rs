//! Copy on the server: CopyObject up to 5 GiB, UploadPartCopy above; one object or
//! every object under a prefix. No byte passes through this machine.

use std::sync::Mutex;

use futures::{StreamExt, TryStreamExt, stream};

use super::keys::as_folder;
use super::upload_dir::BatchReport;
use super::{MAX_PARTS, MIB, Tracker, Transfers, batch_result};
use crate::error::{Error, Result};
use crate::store::{ByteRange, ListRequest, ObjectMeta, ObjectRef, PutOptions, StoreExt};

/// The largest object one CopyObject call may copy.
pub const COPY_OBJECT_MAX: u64 = 5 * 1024 * MIB;

/// Part size of multipart copies: large, since no byte passes through here.
const COPY_PART: u64 = 512 * MIB;

/// The part size for a server-side copy of `size` bytes: 512 MiB, or more when the
/// object would need over 10,000 parts.
fn copy_part_size(size: u64) -> u64 {
    COPY_PART.max(size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB)
}

fn options_from(meta: &ObjectMeta) -> PutOptions {
    PutOptions {
        content_type: meta.content_type.clone(),
        cache_control: meta.cache_control.clone(),
        content_disposition: meta.content_disposition.clone(),
        storage_class: meta.storage_class.clone(),
        metadata: meta.metadata.clone(),
        checksum: true,
    }
}

/// Refuses a prefix copy whose target lies inside its source: it would copy its own
/// copies.
pub(crate) fn check_prefixes(src: &ObjectRef, dst: &ObjectRef) -> Result<()> {
    if src.bucket == dst.bucket && dst.key.starts_with(&src.key) {
        return Err(Error::invalid(
            "target",
            format!(
                "s3://{}/{} lies inside the source s3://{}/{}; choose a target outside it",
                dst.bucket, dst.key, src.bucket, src.key
            ),
        ));
    }
    Ok(())
}

impl Transfers {
    /// Copies one object on the server. With `options`, the copy gets that metadata;
    /// without, it keeps the source's. Returns the size copied.
    pub async fn copy_object(
        &self,
        source: &ObjectRef,
        target: &ObjectRef,
        options: Option<&PutOptions>,
        tracker: &Tracker,
    ) -> Result<u64> {
        if source == target && options.is_none() {
            return Err(Error::invalid(
                "copy",
                format!(
                    "s3://{}/{} would be copied onto itself",
                    source.bucket, source.key
                ),
            ));
        }
        let meta = self.store.head(&source.bucket, &source.key).await?;
        tracker.add_total(meta.size, 1);
        self.copy_known(source, &meta, target, options, tracker)
            .await?;
        Ok(meta.size)
    }

    pub(crate) async fn copy_known(
        &self,
        source: &ObjectRef,
        meta: &ObjectMeta,
        target: &ObjectRef,
        options: Option<&PutOptions>,
        tracker: &Tracker,
    ) -> Result<()> {
        self.check_cancelled()?;
        if meta.size <= COPY_OBJECT_MAX {
            self.with_permit(self.store.copy_object(source, target, options))
                .await?;
        } else {
            let options = options.cloned().unwrap_or_else(|| options_from(meta));
            self.copy_multipart(
                source,
                meta.size,
                target,
                &options,
                copy_part_size(meta.size),
            )
            .await?;
        }
        tracker.add_bytes(meta.size);
        tracker.item_done();
        Ok(())
    }

    /// Copies an object on the server in parts of `part` bytes (UploadPartCopy).
    pub(crate) async fn copy_multipart(
        &self,
        source: &ObjectRef,
        size: u64,
        target: &ObjectRef,
        options: &PutOptions,
        part: u64,
    ) -> Result<()> {
        let upload_id = self
            .store
            .create_multipart(&target.bucket, &target.key, options)
            .await?;
        let upload = crate::store::UploadRef {
            bucket: target.bucket.clone(),
            key: target.key.clone(),
            upload_id,
        };
        let count = size.div_ceil(part);
        let result = async {
            let mut parts: Vec<_> = stream::iter(0..count)
                .map(|i| {
                    let range = ByteRange {
                        start: i * part,
                        end: ((i + 1) * part).min(size),
                    };
                    let upload = &upload;
                    async move {
                        self.with_permit(self.store.upload_part_copy(
                            upload,
                            i as u32 + 1,
                            source,
                            range,
                        ))
                        .await
                    }
                })
                .buffer_unordered(self.config.concurrency)
                .try_collect()
                .await?;
            parts.sort_by_key(|p: &crate::store::CompletedPart| p.part_number);
            self.store.complete_multipart(&upload, &parts).await
        }
        .await;
        if result.is_err() {
            self.abort_quietly(&upload).await;
        }
        result.map(|_| ())
    }

    /// Copies every object under `source` (a prefix) to `target` (a prefix), keeping
    /// the part of each key below the prefix.
    pub async fn copy_prefix(
        &self,
        source: &ObjectRef,
        target: &ObjectRef,
        tracker: &Tracker,
    ) -> Result<BatchReport> {
        self.transfer_prefix(source, target, false, tracker).await
    }

    /// Copies (and with `delete_source`, moves) a prefix, a page at a time.
    pub(crate) async fn transfer_prefix(
        &self,
        source: &ObjectRef,
        target: &ObjectRef,
        delete_source: bool,
        tracker: &Tracker,
    ) -> Result<BatchReport> {
        let src = ObjectRef::new(&source.bucket, as_folder(&source.key));
        let dst = ObjectRef::new(&target.bucket, as_folder(&target.key));
        check_prefixes(&src, &dst)?;
        let mut report = BatchReport::default();
        let mut errors = Vec::new();
        let mut total = 0usize;
        let mut pages = self
            .store
            .list_stream(ListRequest::recursive(&src.bucket, src.key.clone()));
        while let Some(page) = pages.next().await {
            self.check_cancelled()?;
            let page = page?;
            total += page.objects.len();
            let size: u64 = page.objects.iter().map(|o| o.size).sum();
            tracker.add_total(size, page.objects.len() as u64);
            let done = Mutex::new(Vec::new());
            let failed = Mutex::new(Vec::new());
            stream::iter(page.objects)
                .for_each_concurrent(self.config.concurrency, |object| {
                    let (src, dst, done, failed) = (&src, &dst, &done, &failed);
                    async move {
                        let from = ObjectRef::new(&src.bucket, object.key.clone());
                        let to = ObjectRef::new(
                            &dst.bucket,
                            format!("{}{}", dst.key, &object.key[src.key.len()..]),
                        );
                        let meta = ObjectMeta {
                            key: object.key.clone(),
                            size: object.size,
                            ..Default::default()
                        };
                        let outcome = if object.size > COPY_OBJECT_MAX {
                            // The metadata must be carried over by hand.
                            match self.store.head(&from.bucket, &from.key).await {
                                Ok(full) => self.copy_known(&from, &full, &to, None, tracker).await,
                                Err(e) => Err(e),
                            }
                        } else {
                            self.copy_known(&from, &meta, &to, None, tracker).await
                        };
                        match outcome {
                            Ok(()) => done
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .push(object.key),
                            Err(e) => failed.lock().unwrap_or_else(|p| p.into_inner()).push(e),
                        }
                    }
                })
                .await;
            let done = done.into_inner().unwrap_or_else(|p| p.into_inner());
            report.items += done.len() as u64;
            report.bytes += size;
            if delete_source && !done.is_empty() {
                for failure in self.store.delete_many(&src.bucket, &done).await? {
                    errors.push(Error::Service {
                        profile: self.profile.clone(),
                        bucket: Some(src.bucket.clone()),
                        key: Some(failure.key),
                        code: failure.code,
                        message: format!(
                            "copied, but the source was not deleted: {}",
                            failure.message
                        ),
                        status: None,
                    });
                }
            }
            errors.extend(failed.into_inner().unwrap_or_else(|p| p.into_inner()));
        }
        batch_result(total, errors)?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::meta::MemoryDb;
    use crate::profile::ResolvedCredentials;
    use crate::region::RegionCache;
    use crate::sensitive::Sensitive;
    use crate::store::s3::S3Settings;
    use crate::store::{S3Store, Store, StoreExt};
    use crate::transfer::TransferConfig;

    #[test]
    fn copy_parts_grow_for_huge_objects() {
        assert_eq!(copy_part_size(6 * 1024 * MIB), COPY_PART);
        let huge = 5 * 1024 * 1024 * MIB; // 5 TiB, the S3 maximum
        assert!(huge.div_ceil(copy_part_size(huge)) <= MAX_PARTS);
    }

    /// The UploadPartCopy path (used above 5 GiB) against a real server, with small
    /// parts so that the object stays small.
    #[tokio::test]
    async fn part_copy_on_garage() {
        let server = coffer_testkit::garage();
        let bucket = server.fresh_bucket("part-copy");
        let store: Arc<dyn Store> = Arc::new(S3Store::new(S3Settings {
            profile: "test".into(),
            endpoint: Some(server.endpoint.clone()),
            region: Some(server.region.clone()),
            path_style: true,
            credentials: ResolvedCredentials::Static {
                access_key_id: server.access_key_id.clone(),
                secret_access_key: Sensitive::new(server.secret_access_key.clone()),
                session_token: None,
            },
            regions: RegionCache::new("test", None),
        }));
        let bytes: Vec<u8> = (0..12 * MIB as usize).map(|i| (i % 251) as u8).collect();
        store
            .put_bytes(&bucket, "source ü+", bytes.clone())
            .await
            .expect("put");
        let transfers = Transfers::new(
            store.clone(),
            Arc::new(MemoryDb::default()),
            "test",
            TransferConfig::default(),
        )
        .expect("transfers");
        let source = ObjectRef::new(&bucket, "source ü+");
        let target = ObjectRef::new(&bucket, "copied ü+");
        let mut options = PutOptions::default();
        options.metadata.insert("k".into(), "v".into());
        transfers
            .copy_multipart(&source, bytes.len() as u64, &target, &options, 5 * MIB)
            .await
            .expect("copy in parts");
        assert_eq!(
            store.get_bytes(&bucket, "copied ü+").await.expect("get"),
            bytes
        );
        let meta = store.head(&bucket, "copied ü+").await.expect("head");
        assert_eq!(meta.metadata.get("k").map(String::as_str), Some("v"));
        assert!(
            store
                .list_multipart_uploads(&bucket)
                .await
                .expect("uploads")
                .is_empty()
        );
    }
}
