//! One-off transfers as jobs: work that its caller drives itself (a browser's streamed
//! upload, whose bytes exist only in the request; an `upload-file` call that answers
//! when it is done) still shows as a job, with the same typed events, so that every
//! reader (the SSE route, the desktop's channel, the tray) sees one shape.
//!
//! A one-off job runs at once, outside the queue and its limits; it can be cancelled
//! (its [`OneOff::cancel_token`] fires) but not paused, run again or edited, since its
//! bytes came from its client. It is never saved: it lives in the engine's table
//! while the agent runs, and the oldest finished ones are dropped past
//! [`KEEP_FINISHED`].

use std::sync::atomic::{AtomicBool, Ordering};

use coffer_core::transfer::{Progress, ProgressSink};
use tokio_util::sync::CancellationToken;

use crate::engine::{Engine, Entry, Stop};
use crate::error::JobError;
use crate::events::EventKind;
use crate::model::{JobDef, JobState, JobStatus, NotifyPolicy, RunRecord, RunResult, Trigger};

/// Finished one-off jobs kept for display (the oldest are dropped beyond this).
pub const KEEP_FINISHED: usize = 50;

/// Whether `id` may be a job id a client chose: 1 to 64 of `A-Z a-z 0-9 _ -`.
pub fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A one-off job in progress. Report progress through [`OneOff::progress_sink`] and
/// the end with [`OneOff::finish`]; dropped unfinished (its request went away), it
/// ends as failed.
pub struct OneOff {
    engine: Engine,
    id: String,
    run: String,
    token: CancellationToken,
    finished: AtomicBool,
}

impl std::fmt::Debug for OneOff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OneOff").field("id", &self.id).finish()
    }
}

impl Engine {
    /// Starts a one-off job of `kind` (`upload`, `download`) called `name`, with
    /// `params` for display. `id` is the caller's own id for it when valid and free
    /// (a browser's row id), else a new one is made.
    pub fn track(
        &self,
        kind: &str,
        name: impl Into<String>,
        params: serde_json::Value,
        id: Option<&str>,
    ) -> OneOff {
        let now = self.inner.clock.now();
        // Cancelled by the user, or when the engine shuts down.
        let token = self.inner.shutdown.child_token();
        let run = uuid::Uuid::new_v4().simple().to_string();
        let mut table = self.lock();
        let id = match id.filter(|id| valid_id(id)) {
            // A one-off of the same id is replaced: its client started it again (a
            // browser that paused, which aborts its request, and resumed before this
            // side noticed). The old one is told to stop; its end is then ignored.
            Some(id) if table.get(id).is_none_or(|e| e.def.oneoff) => {
                if let Some(token) = table.get(id).and_then(|e| e.cancel.as_ref()) {
                    token.cancel();
                }
                id.to_string()
            }
            _ => uuid::Uuid::new_v4().simple().to_string(),
        };
        let mut status = JobStatus::new(JobState::Running);
        status.run = Some(run.clone());
        status.trigger = Some(Trigger::Added);
        status.queued_at = Some(now);
        let entry = Entry {
            def: JobDef {
                id: id.clone(),
                kind: kind.to_string(),
                name: name.into(),
                params,
                schedule: None,
                enabled: true,
                notify: NotifyPolicy::default(),
                webhook: None,
                created: now,
                oneoff: true,
            },
            status,
            can_pause: false,
            cancel: Some(token.clone()),
            stop: None,
            run: Some(RunRecord {
                id: run.clone(),
                job: id.clone(),
                seq: 1,
                trigger: Trigger::Added,
                started: now,
                ended: None,
                result: RunResult::Running,
                bytes: 0,
                items: 0,
                error: None,
                details: None,
            }),
        };
        self.publish(&entry, EventKind::Started);
        table.insert(id.clone(), entry);
        // Drop the oldest finished one-offs beyond the limit.
        let mut finished: Vec<(chrono::DateTime<chrono::Utc>, String)> = table
            .values()
            .filter(|e| e.def.oneoff && !e.status.state.is_active())
            .map(|e| (e.def.created, e.def.id.clone()))
            .collect();
        if finished.len() > KEEP_FINISHED {
            finished.sort();
            let extra = finished.len() - KEEP_FINISHED;
            for (_, old) in finished.into_iter().take(extra) {
                if let Some(entry) = table.remove(&old) {
                    self.publish(&entry, EventKind::Removed);
                }
            }
        }
        drop(table);
        OneOff {
            engine: self.clone(),
            id,
            run,
            token,
            finished: AtomicBool::new(false),
        }
    }
}

impl OneOff {
    /// The job's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Fires when the user cancels the job (or the agent stops).
    pub fn cancel_token(&self) -> CancellationToken {
        self.token.clone()
    }

    /// Where the work reports its progress.
    pub fn progress_sink(&self) -> ProgressSink {
        self.engine.progress_sink(&self.id, &self.run)
    }

    /// Records the end: done, or failed with `error` (canceled when the user
    /// cancelled it), with the last progress.
    pub fn finish(&self, error: Option<JobError>, progress: Option<Progress>) {
        if self.finished.swap(true, Ordering::SeqCst) {
            return;
        }
        let now = self.engine.inner.clock.now();
        let mut table = self.engine.lock();
        let Some(entry) = table.get_mut(&self.id) else {
            return;
        };
        if entry.status.run.as_deref() != Some(self.run.as_str()) {
            return;
        }
        entry.cancel = None;
        if progress.is_some() {
            entry.status.progress = progress;
        }
        let (state, result, event) = match (&error, entry.stop.take()) {
            (None, _) => (JobState::Done, RunResult::Done, EventKind::Done),
            (Some(_), Some(Stop::Cancel)) => {
                (JobState::Canceled, RunResult::Canceled, EventKind::Canceled)
            }
            (Some(_), _) => (JobState::Failed, RunResult::Failed, EventKind::Failed),
        };
        entry.status.state = state;
        entry.status.error = error.filter(|_| state == JobState::Failed);
        if let Some(mut run) = entry.run.take() {
            run.ended = Some(now);
            run.result = result;
            if let Some(p) = &entry.status.progress {
                run.bytes = p.bytes_done;
                run.items = p.items_done;
            }
            run.error = entry.status.error.as_ref().map(|e| e.message.clone());
            entry.status.last_run = Some(run);
        }
        self.engine.publish(entry, event);
    }
}

impl Drop for OneOff {
    fn drop(&mut self) {
        if !self.finished.load(Ordering::SeqCst) {
            self.finish(
                Some(JobError::new(
                    "interrupted",
                    "the transfer stopped before it ended (its client went away)",
                )),
                None,
            );
        }
    }
}
