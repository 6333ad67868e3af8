//! Transfers: uploads, downloads, server-side copies, moves and deletes.
//!
//! [`Transfers`] binds a profile's [`Store`] to the local state database and a
//! [`TransferConfig`]. Each verb lives in its own file and adds methods to it:
//! - [`upload`](Transfers::upload_file) a file (single PUT or resumable multipart) and
//!   [`upload_dir`](Transfers::upload_dir) a folder;
//! - [`download`](Transfers::download_object) an object (parallel ranged GETs into a
//!   temp file, verified, then renamed) and
//!   [`download_prefix`](Transfers::download_prefix) a prefix;
//! - [`copy`](Transfers::copy_object) and [`move`](Transfers::move_object) on the
//!   server, one object or a whole prefix (a rename);
//! - [`delete`](Transfers::delete_prefix) in batches of 1,000;
//! - [`cleanup`](Transfers::cleanup) of orphaned multipart uploads.
//!
//! Every operation reports through a [`Tracker`] and honours a cancellation token
//! (Ctrl-C, shutdown). Requests in flight are bounded by two semaphores: `concurrency`
//! for parts, ranges and larger files, and [`SMALL_IN_FLIGHT`] for files and objects of
//! at most [`SMALL_OBJECT`] bytes. File parts stream from disk and downloads are
//! written a MiB at a time, so memory stays flat whatever the size of the files.

mod abandon;
mod cleanup;
mod copy;
mod delete;
mod download;
mod download_prefix;
mod keys;
mod progress;
mod rename;
mod request;
mod resume;
mod rules;
mod upload;
mod upload_dir;
mod upload_stream;

pub use cleanup::CleanupReport;
pub use copy::COPY_OBJECT_MAX;
pub use download::DownloadReport;
pub use keys::{as_folder, join_key, last_segment, local_name, local_path_for_key};
pub use progress::{EMIT_EVERY, Progress, ProgressSink, Tracker};
pub use request::{Destination, Downloaded, Uploaded, download_target, is_prefix, upload_key};
pub use resume::{ResumeRecord, TransferState};
pub use upload::{UploadReport, guess_content_type};
pub use upload_dir::BatchReport;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::meta::MetaDb;
use crate::store::Store;

/// 1 MiB.
pub const MIB: u64 = 1024 * 1024;
/// The smallest part S3 accepts (but for the last one).
pub const MIN_PART_SIZE: u64 = 5 * MIB;
/// The largest part S3 accepts.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * MIB;
/// The most parts a multipart upload may have.
pub const MAX_PARTS: u64 = 10_000;
/// Files and objects up to this size are "small": one request each, holding at most
/// this much memory, so many more of them may be in flight than the configured
/// concurrency (which bounds the requests of larger ones).
pub const SMALL_OBJECT: u64 = 256 * 1024;
/// How many requests for small files or objects may be in flight at once (at most
/// 64 MiB of memory). A server spends tens of milliseconds on each (Garage: a block
/// file and sqlite rows per PUT; a GET answered 40 ms late, Nagle against delayed
/// ACK), so only many requests at once keep it busy; see docs/BENCHMARKS.md.
pub const SMALL_IN_FLIGHT: usize = 256;

/// How transfers are cut up and how many requests run at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferConfig {
    /// Size of multipart parts and of ranged GETs.
    pub part_size: u64,
    /// Requests in flight at once, over all files of an operation (requests for small
    /// files and objects have [`SMALL_IN_FLIGHT`] of their own).
    pub concurrency: usize,
    /// Files larger than this go multipart; smaller ones are one PUT.
    pub multipart_threshold: u64,
}

impl Default for TransferConfig {
    fn default() -> Self {
        TransferConfig {
            part_size: 8 * MIB,
            concurrency: 8,
            multipart_threshold: 8 * MIB,
        }
    }
}

impl TransferConfig {
    /// Checks the limits S3 sets.
    pub fn validate(&self) -> Result<()> {
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&self.part_size) {
            return Err(Error::invalid(
                "part size",
                format!(
                    "{} bytes; S3 accepts parts of 5 MiB to 5 GiB",
                    self.part_size
                ),
            ));
        }
        if self.concurrency == 0 || self.concurrency > 256 {
            return Err(Error::invalid(
                "concurrency",
                format!("{}; use 1 to 256", self.concurrency),
            ));
        }
        Ok(())
    }

    /// The part size for an object of `size` bytes: the configured one, grown if the
    /// object would otherwise need more than 10,000 parts.
    pub fn part_size_for(&self, size: u64) -> u64 {
        let needed = size.div_ceil(MAX_PARTS);
        self.part_size.max(needed.div_ceil(MIB) * MIB)
    }
}

/// The transfer engine of one profile.
#[derive(Debug, Clone)]
pub struct Transfers {
    store: Arc<dyn Store>,
    db: Arc<dyn MetaDb>,
    profile: String,
    config: TransferConfig,
    permits: Arc<Semaphore>,
    small_permits: Arc<Semaphore>,
    cancel: CancellationToken,
    db_writes: Arc<tokio::sync::Mutex<()>>,
    /// The buckets' upload rules, or `None` when uploads skip them.
    rules: Option<Arc<rules::RulesCache>>,
}

impl Transfers {
    /// An engine over `store`, keeping resumable state in `db` under `profile`.
    pub fn new(
        store: Arc<dyn Store>,
        db: Arc<dyn MetaDb>,
        profile: impl Into<String>,
        config: TransferConfig,
    ) -> Result<Self> {
        config.validate()?;
        Ok(Transfers {
            store,
            db,
            profile: profile.into(),
            permits: Arc::new(Semaphore::new(config.concurrency)),
            small_permits: Arc::new(Semaphore::new(SMALL_IN_FLIGHT.max(config.concurrency))),
            config,
            cancel: CancellationToken::new(),
            db_writes: Arc::default(),
            rules: Some(Arc::default()),
        })
    }

    /// The same engine, stopped by `token` instead of its own.
    pub fn with_cancel(mut self, token: CancellationToken) -> Self {
        self.cancel = token;
        self
    }

    /// The token that stops every operation of this engine. Cancelled operations stop
    /// at a part boundary, leave nothing half-written and keep their resume state.
    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// The store in use.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The configuration in use.
    pub fn config(&self) -> &TransferConfig {
        &self.config
    }

    /// The profile name.
    pub fn profile(&self) -> &str {
        &self.profile
    }

    fn check_cancelled(&self) -> Result<()> {
        if self.cancel.is_cancelled() {
            Err(Error::Cancelled("the resume state was kept".into()))
        } else {
            Ok(())
        }
    }

    /// Runs `work` holding one request permit, unless cancelled first.
    async fn with_permit<T>(&self, work: impl Future<Output = Result<T>>) -> Result<T> {
        self.holding(&self.permits, work).await
    }

    /// Runs `work`, one request moving `size` bytes, holding a permit of its lane:
    /// one of the [`SMALL_IN_FLIGHT`] small-request permits up to [`SMALL_OBJECT`]
    /// bytes, else one of the `concurrency` permits. Unless cancelled first.
    async fn with_permit_for<T>(
        &self,
        size: u64,
        work: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        if size <= SMALL_OBJECT {
            self.holding(&self.small_permits, work).await
        } else {
            self.holding(&self.permits, work).await
        }
    }

    /// How many items of a batch (a folder, a prefix) are started at once: small ones
    /// fill the small lane; larger ones then wait for a [`BatchGate`] turn.
    fn batch_width(&self) -> usize {
        SMALL_IN_FLIGHT.max(self.config.concurrency)
    }

    /// The gate that lets larger items of a batch start `concurrency` at a time.
    fn batch_gate(&self) -> BatchGate {
        BatchGate(Semaphore::new(self.config.concurrency))
    }

    async fn holding<T>(
        &self,
        permits: &Semaphore,
        work: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let _permit = tokio::select! {
            permit = permits.acquire() => permit.map_err(|_| Error::Cancelled("shutting down".into()))?,
            () = self.cancel.cancelled() => return Err(Error::Cancelled("the resume state was kept".into())),
        };
        tokio::select! {
            result = work => result,
            () = self.cancel.cancelled() => Err(Error::Cancelled("the resume state was kept".into())),
        }
    }
}

/// Lets the items of a batch larger than [`SMALL_OBJECT`] start `concurrency` at a
/// time (their parts or ranges then share the request permits); small items pass.
struct BatchGate(Semaphore);

impl BatchGate {
    /// A turn for an item of `size` bytes, held until the item is done (`None` for a
    /// small one).
    async fn turn(&self, size: u64) -> Result<Option<tokio::sync::SemaphorePermit<'_>>> {
        if size <= SMALL_OBJECT {
            return Ok(None);
        }
        self.0
            .acquire()
            .await
            .map(Some)
            .map_err(|_| Error::Cancelled("shutting down".into()))
    }
}

/// Folds the outcome of many items into one result: `Ok` if all succeeded, else a
/// [`Error::Batch`] naming the first failure (or the error itself if only one item).
pub(crate) fn batch_result(total: usize, mut errors: Vec<Error>) -> Result<()> {
    if errors.is_empty() {
        return Ok(());
    }
    if total == 1 && errors.len() == 1 {
        return Err(errors.remove(0));
    }
    if let Some(cancel) = errors.iter().position(|e| matches!(e, Error::Cancelled(_))) {
        return Err(errors.remove(cancel));
    }
    Err(Error::Batch {
        failed: errors.len(),
        total,
        first: errors[0].to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_size_grows_for_huge_objects() {
        let config = TransferConfig::default();
        assert_eq!(config.part_size_for(10 * MIB), 8 * MIB);
        let huge = 200 * 1024 * 1024 * MIB; // 200 TiB would need more than 10,000 parts
        let part = config.part_size_for(huge);
        assert!(huge.div_ceil(part) <= MAX_PARTS);
        assert!(
            TransferConfig {
                part_size: MIB,
                ..config
            }
            .validate()
            .is_err()
        );
        assert!(
            TransferConfig {
                concurrency: 0,
                ..config
            }
            .validate()
            .is_err()
        );
    }
}
