//! Abort orphaned multipart uploads: their parts cost storage and never show up in a
//! listing.

use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;

use super::Transfers;
use crate::error::Result;
use crate::store::{MultipartUploadInfo, UploadRef};

/// What a cleanup did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CleanupReport {
    /// Uploads aborted, with their bucket.
    pub aborted: Vec<(String, MultipartUploadInfo)>,
    /// Uploads left alone because they are younger than the limit.
    pub kept: usize,
    /// Local resume records dropped because their upload was aborted or is gone.
    pub records_dropped: usize,
}

impl Transfers {
    /// Aborts the multipart uploads started more than `older_than` ago, in `bucket` or
    /// in every bucket of the profile, and forgets their resume state.
    pub async fn cleanup(
        &self,
        older_than: Duration,
        bucket: Option<&str>,
    ) -> Result<CleanupReport> {
        let cutoff = OffsetDateTime::now_utc() - older_than;
        let buckets = match bucket {
            Some(b) => vec![b.to_string()],
            None => self
                .store
                .list_buckets()
                .await?
                .into_iter()
                .map(|b| b.name)
                .collect(),
        };
        let records = self.resumable()?;
        let mut report = CleanupReport::default();
        for bucket in &buckets {
            self.check_cancelled()?;
            let uploads = self.store.list_multipart_uploads(bucket).await?;
            for upload in uploads {
                if upload.initiated.is_some_and(|t| t > cutoff) {
                    report.kept += 1;
                    continue;
                }
                let reference = UploadRef {
                    bucket: bucket.clone(),
                    key: upload.key.clone(),
                    upload_id: upload.upload_id.clone(),
                };
                self.abort_quietly(&reference).await;
                report.aborted.push((bucket.clone(), upload));
            }
            // Records whose upload was just aborted, or no longer exists at all.
            let live = self.store.list_multipart_uploads(bucket).await?;
            for (id, record) in records.iter().filter(|(_, r)| &r.upload.bucket == bucket) {
                if !live.iter().any(|u| u.upload_id == record.upload.upload_id) {
                    self.delete_record(id).await?;
                    report.records_dropped += 1;
                }
            }
        }
        Ok(report)
    }
}
