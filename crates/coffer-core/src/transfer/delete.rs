//! Delete one object or everything under a prefix, 1,000 keys per request.

use futures::StreamExt;

use super::upload_dir::BatchReport;
use super::{Tracker, Transfers, batch_result};
use crate::error::{Error, Result};
use crate::store::{ListRequest, ObjectRef, StoreExt};

impl Transfers {
    /// Deletes one object. A missing object is an error here, so that a typo in a key
    /// does not pass silently.
    pub async fn delete_object(&self, target: &ObjectRef) -> Result<()> {
        self.store.head(&target.bucket, &target.key).await?;
        let failures = self
            .store
            .delete_many(&target.bucket, std::slice::from_ref(&target.key))
            .await?;
        match failures.into_iter().next() {
            None => Ok(()),
            Some(f) => Err(Error::Service {
                profile: self.profile.clone(),
                bucket: Some(target.bucket.clone()),
                key: Some(f.key),
                code: f.code,
                message: f.message,
                status: None,
            }),
        }
    }

    /// Deletes every object under `prefix` (the whole bucket if empty), a listing page
    /// (up to 1,000 keys) per DeleteObjects call.
    pub async fn delete_prefix(
        &self,
        bucket: &str,
        prefix: &str,
        tracker: &Tracker,
    ) -> Result<BatchReport> {
        let mut report = BatchReport::default();
        let mut errors = Vec::new();
        let mut total = 0;
        let mut pages = self
            .store
            .list_stream(ListRequest::recursive(bucket, prefix));
        while let Some(page) = pages.next().await {
            self.check_cancelled()?;
            let page = page?;
            let keys: Vec<String> = page.objects.iter().map(|o| o.key.clone()).collect();
            let bytes: u64 = page.objects.iter().map(|o| o.size).sum();
            tracker.add_total(bytes, keys.len() as u64);
            total += keys.len();
            let failures = self
                .with_permit(self.store.delete_many(bucket, &keys))
                .await?;
            report.items += (keys.len() - failures.len()) as u64;
            report.bytes += bytes;
            tracker.add_bytes(bytes);
            for f in failures {
                errors.push(Error::Service {
                    profile: self.profile.clone(),
                    bucket: Some(bucket.to_string()),
                    key: Some(f.key),
                    code: f.code,
                    message: f.message,
                    status: None,
                });
            }
        }
        batch_result(total, errors)?;
        Ok(report)
    }
}
