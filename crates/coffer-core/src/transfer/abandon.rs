//! Abandon the unfinished uploads of a cancelled transfer: abort their multipart
//! uploads on the server and drop their resume records.

use std::path::Path;

use super::Transfers;
use crate::error::Result;

impl Transfers {
    /// Aborts every resumable upload of this profile into `bucket` whose source is
    /// `source` or lies under it (a cancelled folder upload), and forgets their resume
    /// state. Returns how many were abandoned. An abort the server refuses is logged
    /// and the record still dropped: the next `cleanup` catches the upload.
    pub async fn abandon_uploads(&self, bucket: &str, source: &Path) -> Result<usize> {
        let mut abandoned = 0;
        for (id, record) in self.resumable()? {
            if record.upload.bucket != bucket || !record.source.starts_with(source) {
                continue;
            }
            self.abort_quietly(&record.upload).await;
            self.delete_record(&id).await?;
            abandoned += 1;
        }
        Ok(abandoned)
    }
}
