//! Download every object under a prefix into a folder, keeping the key structure.
//! The listing streams page by page; objects are fetched as their page arrives.

use std::path::Path;
use std::sync::Mutex;

use futures::{StreamExt, stream};

use super::keys::{as_folder, local_path_for_key};
use super::upload_dir::BatchReport;
use super::{Tracker, Transfers, batch_result};
use crate::error::{Error, Result};
use crate::store::{ListRequest, ObjectRef, StoreExt};

impl Transfers {
    /// Downloads every object under `prefix` in `bucket` into `dest`, at the path of its
    /// key below the prefix. Keys that cannot be saved safely (`..`, empty segments) are
    /// reported and skipped; nothing is ever written outside `dest`.
    pub async fn download_prefix(
        &self,
        bucket: &str,
        prefix: &str,
        dest: &Path,
        tracker: &Tracker,
    ) -> Result<BatchReport> {
        let prefix = as_folder(prefix);
        tokio::fs::create_dir_all(dest)
            .await
            .map_err(|e| Error::io("cannot create", dest, e))?;
        let errors = Mutex::new(Vec::new());
        let report = Mutex::new(BatchReport::default());
        let total = Mutex::new(0usize);
        let objects = self
            .store
            .list_stream(ListRequest::recursive(bucket, prefix.clone()))
            .flat_map(|page| match page {
                Ok(page) => {
                    let size: u64 = page.objects.iter().map(|o| o.size).sum();
                    tracker.add_total(size, page.objects.len() as u64);
                    stream::iter(page.objects.into_iter().map(Ok).collect::<Vec<_>>())
                }
                Err(e) => stream::iter(vec![Err(e)]),
            });
        // Up to SMALL_IN_FLIGHT small objects at once; larger ones start `concurrency`
        // at a time (their ranges then share the request permits).
        let gate = self.batch_gate();
        objects
            .for_each_concurrent(self.batch_width(), |object| {
                let (errors, report, total, prefix, gate) =
                    (&errors, &report, &total, &prefix, &gate);
                async move {
                    *total.lock().unwrap_or_else(|p| p.into_inner()) += 1;
                    if self.cancel.is_cancelled() {
                        return;
                    }
                    let outcome = async {
                        let object = object?;
                        let relative = &object.key[prefix.len()..];
                        if relative.ends_with('/') && object.size == 0 {
                            // A folder marker: make the folder, nothing to fetch.
                            let dir = local_path_for_key(dest, relative.trim_end_matches('/'))?;
                            tokio::fs::create_dir_all(&dir)
                                .await
                                .map_err(|e| Error::io("cannot create", &dir, e))?;
                            tracker.item_done();
                            return Ok(0);
                        }
                        let path = local_path_for_key(dest, relative)?;
                        let _turn = gate.turn(object.size).await?;
                        let source = ObjectRef::new(bucket, object.key.clone());
                        self.fetch_object(&source, None, object.size, None, &path, tracker)
                            .await
                            .map(|r| r.size)
                    }
                    .await;
                    match outcome {
                        Ok(size) => {
                            let mut report = report.lock().unwrap_or_else(|p| p.into_inner());
                            report.items += 1;
                            report.bytes += size;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "download failed");
                            errors.lock().unwrap_or_else(|p| p.into_inner()).push(e);
                        }
                    }
                }
            })
            .await;
        self.check_cancelled()?;
        let total = total.into_inner().unwrap_or_else(|p| p.into_inner());
        batch_result(
            total,
            errors.into_inner().unwrap_or_else(|p| p.into_inner()),
        )?;
        Ok(report.into_inner().unwrap_or_else(|p| p.into_inner()))
    }
}
