//! Resume state of multipart uploads, kept in the `MetaDb` (tree `uploads`).
//!
//! A record is keyed by profile, bucket, key and source path. It remembers the
//! upload id, the source file's size and modification time, the part size, and every
//! part the server has accepted with its ETag and CRC32C. It is flushed after each
//! part, so a killed process loses at most the parts in flight. Running the same
//! upload again finds the record, checks it against the server (ListParts), and sends
//! only the missing parts. A record for a file that changed since is thrown away and
//! its upload aborted.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Transfers;
use crate::error::Result;
use crate::meta::{MetaDbExt, TREE_UPLOADS};
use crate::store::{CompletedPart, PutOptions, UploadRef};

/// One resumable multipart upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeRecord {
    /// Profile it belongs to.
    pub profile: String,
    /// The upload on the server.
    pub upload: UploadRef,
    /// The local file being sent.
    pub source: PathBuf,
    /// The file's size when the upload started.
    pub size: u64,
    /// The file's modification time (ns since the epoch) when the upload started.
    pub mtime_ns: i128,
    /// Part size of this upload.
    pub part_size: u64,
    /// How the object is stored.
    pub options: PutOptions,
    /// Parts the server accepted.
    pub parts: Vec<CompletedPart>,
    /// When the upload started.
    #[serde(with = "time::serde::rfc3339")]
    pub started: OffsetDateTime,
}

impl ResumeRecord {
    /// The number of parts the whole file needs.
    pub fn total_parts(&self) -> u64 {
        self.size.div_ceil(self.part_size).max(1)
    }

    /// Bytes already on the server.
    pub fn bytes_done(&self) -> u64 {
        self.parts.iter().map(|p| p.size).sum()
    }
}

/// A transfer as `coffer transfers list` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransferState {
    /// The record.
    #[serde(flatten)]
    pub record: ResumeRecord,
    /// Parts done.
    pub parts_done: u64,
    /// Parts in all.
    pub parts_total: u64,
    /// Bytes done.
    pub bytes_done: u64,
}

pub(crate) fn record_key(
    profile: &str,
    bucket: &str,
    key: &str,
    source: &std::path::Path,
) -> String {
    format!("{profile}\0{bucket}\0{key}\0{}", source.display())
}

impl Transfers {
    pub(crate) fn load_record(&self, id: &str) -> Result<Option<ResumeRecord>> {
        self.db.get_json(TREE_UPLOADS, id)
    }

    /// Writes a record and makes it durable. Writes are serialized so that parts
    /// finishing together never lose each other's updates.
    pub(crate) async fn save_record(&self, id: &str, record: &ResumeRecord) -> Result<()> {
        let _guard = self.db_writes.lock().await;
        self.db.put_json(TREE_UPLOADS, id, record)?;
        self.db.flush()
    }

    pub(crate) async fn delete_record(&self, id: &str) -> Result<()> {
        let _guard = self.db_writes.lock().await;
        self.db.delete(TREE_UPLOADS, id.as_bytes())?;
        self.db.flush()
    }

    /// Every resumable upload of this profile, oldest first.
    pub fn resumable(&self) -> Result<Vec<(String, ResumeRecord)>> {
        let mut out = self
            .db
            .scan_json::<ResumeRecord>(TREE_UPLOADS, &format!("{}\0", self.profile))?;
        out.sort_by_key(|(_, r)| r.started);
        Ok(out)
    }

    /// The resumable uploads of this profile, for display.
    pub fn list_transfers(&self) -> Result<Vec<TransferState>> {
        Ok(self
            .resumable()?
            .into_iter()
            .map(|(_, record)| TransferState {
                parts_done: record.parts.len() as u64,
                parts_total: record.total_parts(),
                bytes_done: record.bytes_done(),
                record,
            })
            .collect())
    }
}
