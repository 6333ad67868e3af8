//! Move and rename on the server: copy, then delete the source once the copy exists.

use super::upload_dir::BatchReport;
use super::{Tracker, Transfers};
use crate::error::Result;
use crate::store::{ObjectRef, StoreExt};

impl Transfers {
    /// Moves one object: a server-side copy, then the source is deleted. If the copy
    /// fails, the source is untouched.
    pub async fn move_object(
        &self,
        source: &ObjectRef,
        target: &ObjectRef,
        tracker: &Tracker,
    ) -> Result<u64> {
        let size = self.copy_object(source, target, None, tracker).await?;
        self.store
            .delete_keys(&source.bucket, std::slice::from_ref(&source.key))
            .await?;
        Ok(size)
    }

    /// Renames a prefix ("folder"): every object under `source` moves under `target`.
    /// Each page of objects is copied, then its sources are deleted in one batch;
    /// objects whose copy failed stay where they were.
    pub async fn move_prefix(
        &self,
        source: &ObjectRef,
        target: &ObjectRef,
        tracker: &Tracker,
    ) -> Result<BatchReport> {
        self.transfer_prefix(source, target, true, tracker).await
    }
}
