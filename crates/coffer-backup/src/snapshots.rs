//! Listing snapshots, and finding one by id, id prefix or `latest`.

use rustic_core::repofile::SnapshotFile;
use serde::Serialize;
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::open::{Repo, blocking};

/// A snapshot as Coffer shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SnapshotInfo {
    /// The full id (64 hex digits).
    pub id: String,
    /// The first 8 hex digits, as restic shows it.
    pub short_id: String,
    /// When it was taken.
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// The host that took it.
    pub hostname: String,
    /// The folders backed up.
    pub paths: Vec<String>,
    /// Its tags.
    pub tags: Vec<String>,
    /// The snapshot it was based on, when there was one.
    pub parent: Option<String>,
    /// What the backup run counted, when the snapshot carries a summary.
    pub summary: Option<SnapshotSummary>,
}

/// What a backup run counted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SnapshotSummary {
    /// Files new in this snapshot.
    pub files_new: u64,
    /// Files changed since the parent.
    pub files_changed: u64,
    /// Files unchanged since the parent.
    pub files_unmodified: u64,
    /// All files in the snapshot.
    pub total_files: u64,
    /// All bytes of the files in the snapshot.
    pub total_bytes: u64,
    /// Bytes of new data (before compression).
    pub data_added: u64,
    /// Bytes of new data as stored (after compression and encryption).
    pub data_added_packed: u64,
    /// How long the backup took, in seconds.
    pub duration_secs: f64,
}

/// rustic's zoned time as an `OffsetDateTime` (UTC).
pub(crate) fn to_offset(zoned: &rustic_core::jiff::Zoned) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(zoned.timestamp().as_nanosecond())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl From<&SnapshotFile> for SnapshotInfo {
    fn from(s: &SnapshotFile) -> Self {
        let id = s.id.to_hex().to_string();
        SnapshotInfo {
            short_id: id.chars().take(8).collect(),
            id,
            time: to_offset(&s.time),
            hostname: s.hostname.clone(),
            paths: s.paths.iter().cloned().collect(),
            tags: s.tags.iter().cloned().collect(),
            parent: s.parent.map(|p| p.to_hex().to_string()),
            summary: s.summary.as_ref().map(|sum| SnapshotSummary {
                files_new: sum.files_new,
                files_changed: sum.files_changed,
                files_unmodified: sum.files_unmodified,
                total_files: sum.total_files_processed,
                total_bytes: sum.total_bytes_processed,
                data_added: sum.data_added,
                data_added_packed: sum.data_added_packed,
                duration_secs: sum.backup_duration,
            }),
        }
    }
}

impl Repo {
    /// Every snapshot, oldest first.
    pub async fn snapshots(&self) -> Result<Vec<SnapshotInfo>> {
        let repo = self.clone();
        blocking(move || {
            let mut snaps = repo.inner.get_all_snapshots().map_err(Error::from_rustic)?;
            snaps.sort_by(|a, b| a.time.cmp(&b.time));
            Ok(snaps.iter().map(SnapshotInfo::from).collect())
        })
        .await
    }

    /// The snapshot named by `spec`: a full id, a unique id prefix, `latest` or
    /// `latest~N`.
    pub async fn snapshot(&self, spec: &str) -> Result<SnapshotInfo> {
        self.snapshot_file(spec)
            .await
            .map(|s| SnapshotInfo::from(&s))
    }

    pub(crate) async fn snapshot_file(&self, spec: &str) -> Result<SnapshotFile> {
        let repo = self.clone();
        let spec = spec.trim().to_string();
        if spec.is_empty() {
            return Err(Error::invalid(
                "snapshot",
                "give an id, an id prefix or `latest`",
            ));
        }
        blocking(move || {
            repo.inner
                .get_snapshot_from_str(&spec, |_| true)
                .map_err(|e| {
                    let err = Error::from_rustic(e);
                    match err {
                        Error::Store(_) => err,
                        other => Error::NotFound(format!(
                            "no snapshot `{spec}` in {}: {other}",
                            repo.location()
                        )),
                    }
                })
        })
        .await
    }
}
