//! Transfer jobs: the queue behind the transfers panel.
//!
//! A job is one upload (a file or a whole folder) or one download (an object or a
//! whole prefix) that runs in the background, a few at a time ([`RUNNING_AT_ONCE`]).
//! Its progress and every change of state go out as `job` events. Jobs can be paused,
//! resumed, cancelled and retried ([`control`]).
//!
//! Jobs are saved in the meta db (tree [`TREE`]) at every change of state, so the
//! queue survives a restart: what was queued or running starts again when the API
//! starts ([`restore`]), and an unfinished multipart upload goes on from its last
//! part (the core's resume records).

pub mod batch;
pub mod control;
mod run;
mod start;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use coffer_core::meta::MetaDbExt;
use coffer_core::transfer::Progress;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

use crate::error::ErrorBody;
use crate::events::{Event, EventKind};
use crate::state::ApiState;

pub use start::{enqueue, restore};

/// The meta-db tree holding the jobs.
pub const TREE: &str = "jobs";

/// How many jobs transfer at the same time; the others wait, queued.
pub const RUNNING_AT_ONCE: usize = 3;

/// Upload or download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// A local file or folder to an object or prefix.
    Upload,
    /// An object or prefix to a local folder.
    Download,
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for a free slot.
    Queued,
    /// Moving bytes.
    Running,
    /// Stopped by the user; resume goes on where it stopped.
    Paused,
    /// Finished.
    Done,
    /// Stopped by an error (`error` says which); retry starts it again.
    Failed,
    /// Cancelled by the user.
    Canceled,
}

impl JobState {
    /// Whether the job still has work to do (queued, running or paused).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            JobState::Queued | JobState::Running | JobState::Paused
        )
    }
}

/// Progress of a job: the JSON shape of the core's `Progress`, owned so that it can
/// be saved and read back.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JobProgress {
    /// Bytes moved so far, resumed ones included.
    pub bytes_done: u64,
    /// Bytes to move in all, as far as known.
    pub bytes_total: u64,
    /// Bytes an earlier run had already sent.
    pub bytes_resumed: u64,
    /// Files or objects finished.
    pub items_done: u64,
    /// Files or objects known so far.
    pub items_total: u64,
    /// Bytes per second in this run.
    pub rate: f64,
    /// Seconds left, when known.
    pub eta: Option<f64>,
    /// Seconds since this run started.
    pub elapsed: f64,
    /// Whether this is the last snapshot of the run.
    pub finished: bool,
}

impl From<&Progress> for JobProgress {
    fn from(p: &Progress) -> Self {
        JobProgress {
            bytes_done: p.bytes_done,
            bytes_total: p.bytes_total,
            bytes_resumed: p.bytes_resumed,
            items_done: p.items_done,
            items_total: p.items_total,
            rate: p.rate,
            eta: p.eta.map(|d| d.as_secs_f64()),
            elapsed: p.elapsed.as_secs_f64(),
            finished: p.finished,
        }
    }
}

/// What to transfer: the body of `POST /api/v1/jobs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobRequest {
    /// Upload or download.
    pub kind: JobKind,
    /// The profile.
    pub profile: String,
    /// The bucket.
    pub bucket: String,
    /// Upload: the target key (a folder's prefix ends in `/`). Download: the object,
    /// or a prefix ending in `/` for a whole folder.
    pub key: String,
    /// Upload: the local file or folder. Download: the local folder the object (or
    /// the folder) is saved into, under its own name.
    #[schema(value_type = String)]
    pub path: PathBuf,
}

/// One job, as the API shows it and the meta db keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Job {
    /// A unique id.
    pub id: String,
    /// Upload or download.
    pub kind: JobKind,
    /// The profile.
    pub profile: String,
    /// The bucket.
    pub bucket: String,
    /// The key or prefix.
    pub key: String,
    /// The local path.
    #[schema(value_type = String)]
    pub path: PathBuf,
    /// Where it is.
    pub state: JobState,
    /// The last progress seen.
    pub progress: Option<JobProgress>,
    /// Why it failed.
    #[schema(value_type = Object)]
    pub error: Option<ErrorBody>,
    /// When it was queued (RFC 3339).
    pub created: String,
}

/// Why a running job's token was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Pause,
    Cancel,
}

struct Entry {
    job: Job,
    /// Set while running.
    cancel: Option<CancellationToken>,
    /// Set when the user stopped it.
    stop: Option<Stop>,
}

/// The jobs of one API state, in memory (and in the meta db).
pub struct Table {
    entries: Mutex<BTreeMap<String, Entry>>,
    slots: Arc<Semaphore>,
}

impl Default for Table {
    fn default() -> Self {
        Table {
            entries: Mutex::default(),
            slots: Arc::new(Semaphore::new(RUNNING_AT_ONCE)),
        }
    }
}

impl Table {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Every job, oldest first.
pub fn list(state: &ApiState) -> Vec<Job> {
    let mut jobs: Vec<Job> = state
        .jobs()
        .lock()
        .values()
        .map(|e| e.job.clone())
        .collect();
    jobs.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
    jobs
}

/// One job.
pub fn get(state: &ApiState, id: &str) -> Option<Job> {
    state.jobs().lock().get(id).map(|e| e.job.clone())
}

/// Saves a job and tells every client.
fn announce(state: &ApiState, job: &Job, save: bool) {
    if save && let Err(e) = state.session().db().put_json(TREE, &job.id, job) {
        tracing::warn!(job = %job.id, "cannot save the job: {e}");
    }
    state.publish(Event {
        id: job.id.clone(),
        kind: EventKind::Job,
        profile: job.profile.clone(),
        bucket: job.bucket.clone(),
        key: job.key.clone(),
        progress: None,
        error: job.error.clone(),
        job: Some(job.clone()),
    });
}

/// Changes a job under the lock, then saves and announces it. `None` if there is no
/// such job.
fn update(state: &ApiState, id: &str, change: impl FnOnce(&mut Entry)) -> Option<Job> {
    let job = {
        let mut entries = state.jobs().lock();
        let entry = entries.get_mut(id)?;
        change(entry);
        entry.job.clone()
    };
    announce(state, &job, true);
    Some(job)
}
