//! [`Kind`]: what a kind of job is, and the [`Registry`] the engine looks kinds up in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use coffer_core::transfer::{Progress, ProgressSink, Tracker};
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use crate::error::{JobError, JobsError};
use crate::model::NotifyPolicy;
use crate::stores::Stores;

/// A kind of job: upload, download, backup, replication, mirror, plugin update...
///
/// Contract:
/// - `name` is unique in a registry and never changes (it is saved with every job).
/// - `prepare` checks params before anything is saved: it fails with
///   [`JobsError::Invalid`] naming the field (`params.bucket`), and passes every local
///   path through [`PrepareEnv::local_path`]; what it returns is what `run` gets.
/// - `run` does the work. It stops soon after `ctx.cancel` is cancelled, returning an
///   error (any), and reports progress through `ctx`. What it returns is the run's end:
///   `Ok` done, `Err` failed (unless the user paused or cancelled it).
/// - A kind whose `can_pause` is true keeps what it did when stopped, so that the next
///   run goes on from there.
/// - `cancelled` cleans up after a run the user cancelled (an upload's parts).
#[async_trait::async_trait]
pub trait Kind: Send + Sync + 'static {
    /// The kind's name (`upload`).
    fn name(&self) -> &'static str;

    /// Checks and normalizes `params`; returns them with a display name. `stores`
    /// lets it check that a profile exists and opens.
    fn prepare(
        &self,
        params: serde_json::Value,
        env: &PrepareEnv<'_>,
        stores: &dyn Stores,
    ) -> Result<Prepared, JobsError>;

    /// Whether a run can pause and later go on where it stopped.
    fn can_pause(&self) -> bool {
        false
    }

    /// How many runs of this lane may go at once (kinds can share a lane).
    fn lane(&self) -> Lane {
        Lane {
            name: self.name(),
            at_once: 1,
        }
    }

    /// Whether a run lasts as long as the job is enabled (replication, a mirror that
    /// watches): such runs do not count against the engine's global limit, only
    /// their lane's, so that they never hold back transfers and backups.
    fn continuous(&self) -> bool {
        false
    }

    /// What happens to a run the agent was running when it stopped or was killed.
    fn after_restart(&self) -> AfterRestart {
        AfterRestart::Retry
    }

    /// When its runs notify, unless the job says otherwise.
    fn notify_default(&self) -> NotifyPolicy {
        NotifyPolicy::default()
    }

    /// Does the work.
    async fn run(&self, ctx: RunContext) -> Result<(), JobError>;

    /// Cleans up after a cancelled run.
    async fn cancelled(&self, _params: &serde_json::Value, _stores: &Arc<dyn Stores>) {}
}

/// A lane: runs of the kinds in it share a limit of how many go at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lane {
    /// The lane's name (`transfer`).
    pub name: &'static str,
    /// How many runs of the lane at once.
    pub at_once: usize,
}

/// What a kind does with a run that a restart interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterRestart {
    /// Queue it again; it goes on where it stopped (it can pause).
    Resume,
    /// Record the run as interrupted and queue a new one.
    Retry,
    /// Record the run as interrupted and leave the job failed.
    Fail,
}

/// Checked params and the job's display name.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// The params `run` will get.
    pub params: serde_json::Value,
    /// A name for people.
    pub name: String,
}

/// Decides which local paths a job may use: the desktop's own window any absolute
/// path, an HTTP client only the allowed folders. Given to [`Kind::prepare`].
pub struct PrepareEnv<'a> {
    check: &'a (dyn Fn(&Path) -> Result<PathBuf, JobsError> + Send + Sync),
}

impl<'a> PrepareEnv<'a> {
    /// An environment whose paths go through `check`.
    pub fn new(check: &'a (dyn Fn(&Path) -> Result<PathBuf, JobsError> + Send + Sync)) -> Self {
        PrepareEnv { check }
    }

    /// `path` if the caller may use it (made absolute and checked), else why not.
    pub fn local_path(&self, path: &Path) -> Result<PathBuf, JobsError> {
        (self.check)(path)
    }
}

/// Reads params as `T`; a wrong shape names the field (`params: missing field
/// `bucket``).
pub fn parse_params<T: DeserializeOwned>(params: serde_json::Value) -> Result<T, JobsError> {
    serde_json::from_value(params).map_err(|e| JobsError::invalid("params", e.to_string()))
}

/// What a running job is given.
#[derive(Clone)]
pub struct RunContext {
    /// The job's id.
    pub job: String,
    /// This run's id.
    pub run: String,
    /// The job's params, as `prepare` left them.
    pub params: serde_json::Value,
    /// Cancelled when the user pauses or cancels, or the agent stops.
    pub cancel: CancellationToken,
    /// The profiles' stores.
    pub stores: Arc<dyn Stores>,
    pub(crate) progress: ProgressSink,
    pub(crate) details: Arc<std::sync::Mutex<Option<serde_json::Value>>>,
    pub(crate) alert: AlertSink,
}

/// Raises (`Some`) or clears (`None`) a running job's alert.
pub type AlertSink = Arc<dyn Fn(Option<String>) + Send + Sync>;

impl std::fmt::Debug for RunContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunContext")
            .field("job", &self.job)
            .field("run", &self.run)
            .finish_non_exhaustive()
    }
}

impl RunContext {
    /// Reports progress.
    pub fn progress(&self, progress: &Progress) {
        (self.progress)(progress);
    }

    /// Records what the run produced, kept in its history ([`crate::RunRecord::details`]);
    /// a later call replaces an earlier one.
    pub fn set_details(&self, details: serde_json::Value) {
        if let Ok(mut slot) = self.details.lock() {
            *slot = Some(details);
        }
    }

    /// Raises an alert on the job while it runs (a notification, the tray, the job's
    /// webhook), or clears it with `None`. Raising the same alert again does nothing.
    pub fn alert(&self, message: Option<String>) {
        (self.alert)(message);
    }

    /// A tracker whose snapshots are this run's progress.
    pub fn tracker(&self, operation: &'static str) -> Tracker {
        Tracker::new(operation, Some(self.progress.clone()))
    }

    /// The params as `T`.
    pub fn params<T: DeserializeOwned>(&self) -> Result<T, JobError> {
        serde_json::from_value(self.params.clone()).map_err(|e| {
            JobError::new(
                "bad_params",
                format!("the job's params are unreadable: {e}"),
            )
        })
    }
}

/// The kinds an engine knows, by name.
#[derive(Clone, Default)]
pub struct Registry {
    kinds: BTreeMap<&'static str, Arc<dyn Kind>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.kinds.keys()).finish()
    }
}

impl Registry {
    /// Adds a kind (replacing one of the same name).
    pub fn register(&mut self, kind: Arc<dyn Kind>) -> &mut Self {
        self.kinds.insert(kind.name(), kind);
        self
    }

    /// The kind called `name`.
    pub fn get(&self, name: &str) -> Result<&Arc<dyn Kind>, JobsError> {
        self.kinds.get(name).ok_or_else(|| JobsError::UnknownKind {
            kind: name.to_string(),
            known: self.names().join(", "),
        })
    }

    /// The names of the registered kinds, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        self.kinds.keys().copied().collect()
    }
}
