//! The records the engine keeps: a job's definition and status, and one record per run.

use chrono::{DateTime, Utc};
use coffer_core::transfer::Progress;
use serde::{Deserialize, Serialize};

use crate::error::JobError;
use crate::schedule::Schedule;

/// What a job is: saved when it is added or edited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobDef {
    /// A unique id.
    pub id: String,
    /// The kind's name (`upload`, `download`, ...).
    pub kind: String,
    /// A name for people ("upload of photos").
    pub name: String,
    /// The kind's parameters, as its `prepare` left them.
    pub params: serde_json::Value,
    /// When it runs by itself, if ever.
    #[serde(default)]
    pub schedule: Option<Schedule>,
    /// Whether the schedule is on.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// When to notify.
    #[serde(default)]
    pub notify: NotifyPolicy,
    /// A URL that gets a POST of JSON at the end of each run.
    #[serde(default)]
    pub webhook: Option<String>,
    /// When it was added.
    pub created: DateTime<Utc>,
    /// A one-off transfer its caller drives (a browser's streamed upload): shown and
    /// cancelled like any job, never saved, never run again ([`crate::engine::OneOff`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub oneoff: bool,
}

fn yes() -> bool {
    true
}

/// When a job's runs end in a desktop notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifyPolicy {
    /// After a failed run.
    pub on_failure: bool,
    /// After a run that succeeded.
    pub on_success: bool,
}

impl Default for NotifyPolicy {
    fn default() -> Self {
        NotifyPolicy {
            on_failure: true,
            on_success: false,
        }
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Never run yet; waits for its schedule or a "run now".
    Idle,
    /// Waiting for a free slot.
    Queued,
    /// Working.
    Running,
    /// Stopped by the user; resume goes on where it stopped.
    Paused,
    /// The last run finished.
    Done,
    /// The last run failed (`error` says why); retry starts it again.
    Failed,
    /// Cancelled by the user.
    Canceled,
}

impl JobState {
    /// Queued or running: a new run may not start.
    pub fn is_busy(self) -> bool {
        matches!(self, JobState::Queued | JobState::Running)
    }

    /// Queued, running or paused: the job still has work to do.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            JobState::Queued | JobState::Running | JobState::Paused
        )
    }

    /// The lower-case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Idle => "idle",
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Paused => "paused",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Canceled => "canceled",
        }
    }
}

/// What a job is doing now: saved at every change of state (progress only in memory,
/// and at the end of a run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobStatus {
    /// Where it is.
    pub state: JobState,
    /// The progress of the current or last run.
    #[serde(default)]
    pub progress: Option<Progress>,
    /// Why the last run failed.
    #[serde(default)]
    pub error: Option<JobError>,
    /// The id of the current (or last) run.
    #[serde(default)]
    pub run: Option<String>,
    /// What started the queued or running run.
    #[serde(default)]
    pub trigger: Option<Trigger>,
    /// The last run that ended.
    #[serde(default)]
    pub last_run: Option<RunRecord>,
    /// When the schedule runs it next.
    #[serde(default)]
    pub next_run: Option<DateTime<Utc>>,
    /// When it was last queued (orders the queue).
    #[serde(default)]
    pub queued_at: Option<DateTime<Utc>>,
    /// An alert the running run raised (a replica far behind), until it clears it or
    /// the run ends.
    #[serde(default)]
    pub alert: Option<String>,
}

impl JobStatus {
    /// A status in `state` with nothing else known.
    pub fn new(state: JobState) -> Self {
        JobStatus {
            state,
            progress: None,
            error: None,
            run: None,
            trigger: None,
            last_run: None,
            next_run: None,
            queued_at: None,
            alert: None,
        }
    }
}

/// A job as the API shows it: its definition and its status side by side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobView {
    /// What it is.
    #[serde(flatten)]
    pub def: JobDef,
    /// What it is doing.
    #[serde(flatten)]
    pub status: JobStatus,
    /// Whether its kind can pause and resume.
    pub can_pause: bool,
}

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// Added with "run now" (a transfer).
    Added,
    /// "Run now" on an existing job.
    Manual,
    /// Its schedule.
    Schedule,
    /// Resume after a pause.
    Resume,
    /// Retry after a failure or a cancel.
    Retry,
    /// Started again after the agent restarted.
    Restart,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunResult {
    /// Still running (or the agent was killed while it ran: see `Interrupted`).
    Running,
    /// Finished.
    Done,
    /// Failed; `error` says why.
    Failed,
    /// Paused by the user.
    Paused,
    /// Cancelled by the user.
    Canceled,
    /// The agent stopped (or was killed) while it ran.
    Interrupted,
}

/// One run of a job, kept in its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// A unique id.
    pub id: String,
    /// The job.
    pub job: String,
    /// Its place in the job's history (1 for the first run).
    #[serde(default)]
    pub seq: u64,
    /// What started it.
    pub trigger: Trigger,
    /// When it started.
    pub started: DateTime<Utc>,
    /// When it ended.
    #[serde(default)]
    pub ended: Option<DateTime<Utc>>,
    /// How it ended.
    pub result: RunResult,
    /// Bytes moved (resumed bytes included).
    #[serde(default)]
    pub bytes: u64,
    /// Files or objects done.
    #[serde(default)]
    pub items: u64,
    /// Why it failed, in words.
    #[serde(default)]
    pub error: Option<String>,
    /// What the run produced, as its kind reports it (a backup: the snapshot id, files
    /// and bytes added, the repository's size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl RunRecord {
    /// How long it ran, in seconds, if it ended.
    pub fn seconds(&self) -> Option<f64> {
        self.ended
            .map(|e| (e - self.started).num_milliseconds() as f64 / 1000.0)
    }
}
