//! What the desktop's tray and notifications say about the jobs: pure functions over
//! the engine's job list (desktop wording lives here, in the shell).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use coffer_jobs::{JobState, JobView as Job};

/// The queue at a glance, for the tray menu.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueStatus {
    /// Jobs queued or running.
    pub active: usize,
    /// Jobs paused.
    pub paused: usize,
    /// Overall progress of the active and paused jobs, 0 to 100, when sizes are known.
    pub percent: Option<u8>,
    /// The next scheduled run: the job's name and when.
    pub next: Option<(String, DateTime<Utc>)>,
    /// A backup that is running: its name, and its progress in percent when known.
    pub backing_up: Option<(String, Option<u8>)>,
    /// A job's alert (a replica far behind or failing): its name and the alert.
    pub alert: Option<(String, String)>,
}

impl QueueStatus {
    /// The status of `jobs`.
    pub fn of(jobs: &[Job]) -> QueueStatus {
        let (mut done, mut total) = (0u64, 0u64);
        let (mut active, mut paused) = (0, 0);
        let next = jobs
            .iter()
            .filter(|j| j.def.enabled)
            .filter_map(|j| j.status.next_run.map(|t| (j.def.name.clone(), t)))
            .min_by_key(|(_, t)| *t);
        let backing_up = jobs
            .iter()
            .find(|j| j.def.kind == "backup" && j.status.state == JobState::Running)
            .map(|j| {
                let percent = j.status.progress.as_ref().and_then(|p| {
                    (p.bytes_total > 0).then(|| {
                        ((p.bytes_done.min(p.bytes_total) as f64 / p.bytes_total as f64) * 100.0)
                            .floor() as u8
                    })
                });
                (j.def.name.clone(), percent)
            });
        for job in jobs {
            match job.status.state {
                JobState::Queued | JobState::Running => active += 1,
                JobState::Paused => paused += 1,
                _ => continue,
            }
            if let Some(p) = &job.status.progress {
                done += p.bytes_done.min(p.bytes_total);
                total += p.bytes_total;
            }
        }
        let percent = (total > 0).then(|| ((done as f64 / total as f64) * 100.0).floor() as u8);
        let alert = jobs.iter().find_map(|j| {
            j.status
                .alert
                .as_ref()
                .map(|a| (j.def.name.clone(), a.clone()))
        });
        QueueStatus {
            active,
            paused,
            percent,
            next,
            backing_up,
            alert,
        }
    }

    /// The tray's second line: the next scheduled run, e.g. "Next: backup of home at
    /// 03:00 UTC", if any.
    pub fn next_line(&self) -> Option<String> {
        self.next
            .as_ref()
            .map(|(name, at)| format!("Next: {name} at {}", at.format("%Y-%m-%d %H:%M UTC")))
    }

    /// The tray's line, e.g. "2 jobs running · 45%", "Backing up: backup of home ·
    /// 12%" or "No jobs running".
    pub fn line(&self) -> String {
        if let Some((name, alert)) = &self.alert {
            return format!("⚠ {name}: {alert}");
        }
        if let Some((name, percent)) = &self.backing_up {
            let others = match self.active.saturating_sub(1) {
                0 => String::new(),
                n => format!(" (+{n} job{})", if n == 1 { "" } else { "s" }),
            };
            return match percent {
                Some(pc) => format!("Backing up: {name} · {pc}%{others}"),
                None => format!("Backing up: {name}{others}"),
            };
        }
        match (self.active, self.paused, self.percent) {
            (0, 0, _) => "No jobs running".into(),
            (0, p, _) => format!("{p} paused"),
            (1, _, Some(pc)) => format!("1 job running · {pc}%"),
            (1, _, None) => "1 job running".into(),
            (n, _, Some(pc)) => format!("{n} jobs running · {pc}%"),
            (n, _, None) => format!("{n} jobs running"),
        }
    }
}

/// How a batch of transfers ended: what a notification says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Jobs that finished.
    pub done: usize,
    /// Jobs that failed: their name and the error message.
    pub failed: Vec<(String, String)>,
}

impl BatchOutcome {
    /// The notification's title and body.
    pub fn message(&self) -> (String, String) {
        match (self.done, self.failed.as_slice()) {
            (n, []) => (
                "Transfers finished".into(),
                if n == 1 {
                    "1 transfer finished.".into()
                } else {
                    format!("{n} transfers finished.")
                },
            ),
            (n, [(name, why)]) => (
                format!("Transfer failed: {name}"),
                if n == 0 {
                    why.clone()
                } else {
                    format!("{why}\n{n} other transfer(s) finished.")
                },
            ),
            (n, many) => (
                format!("{} transfers failed", many.len()),
                format!(
                    "{}{}",
                    many.iter()
                        .take(3)
                        .map(|(name, why)| format!("{name}: {why}"))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    if n > 0 {
                        format!("\n{n} other transfer(s) finished.")
                    } else {
                        String::new()
                    }
                ),
            ),
        }
    }
}

/// Whether a job is a one-off transfer (the batch notification speaks of those
/// only; scheduled jobs and other kinds notify on their own, by their settings).
pub fn is_transfer(job: &Job) -> bool {
    matches!(job.def.kind.as_str(), "upload" | "download") && job.def.schedule.is_none()
}

/// Follows the transfer queue and says when a batch ends: a batch is the transfer
/// jobs that ran since the queue was last idle; it ends when no transfer is queued or
/// running any more.
#[derive(Debug, Default)]
pub struct BatchWatcher {
    /// The jobs of the current batch and their last state.
    members: BTreeMap<String, JobState>,
}

impl BatchWatcher {
    /// Notes a job from an event: one seen queued or running belongs to the batch,
    /// even if it has already ended by the time the queue is looked at (a job can
    /// fail within a millisecond).
    pub fn note(&mut self, job: &Job) {
        if is_transfer(job) && job.status.state.is_busy() {
            self.members
                .entry(job.def.id.clone())
                .or_insert(job.status.state);
        }
    }

    /// Looks at the queue after a change; returns the outcome when a batch just ended.
    /// Jobs paused or cancelled by the user are not reported.
    pub fn observe(&mut self, jobs: &[Job]) -> Option<BatchOutcome> {
        let jobs: Vec<&Job> = jobs.iter().filter(|j| is_transfer(j)).collect();
        for job in &jobs {
            if job.status.state.is_busy() {
                self.members.insert(job.def.id.clone(), job.status.state);
            } else if let Some(state) = self.members.get_mut(&job.def.id) {
                *state = job.status.state;
            }
        }
        let busy = jobs.iter().any(|j| j.status.state.is_busy());
        if busy || self.members.is_empty() {
            return None;
        }
        let members = std::mem::take(&mut self.members);
        let mut outcome = BatchOutcome {
            done: 0,
            failed: Vec::new(),
        };
        for job in jobs.iter().filter(|j| members.contains_key(&j.def.id)) {
            match job.status.state {
                JobState::Done => outcome.done += 1,
                JobState::Failed => outcome.failed.push((
                    job.def.name.clone(),
                    job.status
                        .error
                        .as_ref()
                        .map(|e| e.message.clone())
                        .unwrap_or_else(|| "it failed".into()),
                )),
                _ => {}
            }
        }
        (outcome.done > 0 || !outcome.failed.is_empty()).then_some(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coffer_core::transfer::{Progress, Tracker};
    use coffer_jobs::{JobDef, JobError, JobStatus, NotifyPolicy};

    fn progress(done: u64, total: u64) -> Progress {
        let t = Tracker::silent("upload");
        t.add_total(total, 1);
        t.add_bytes(done);
        t.snapshot()
    }

    fn job(id: &str, state: JobState, done: u64, total: u64) -> Job {
        let mut status = JobStatus::new(state);
        status.progress = Some(progress(done, total));
        status.error = (state == JobState::Failed)
            .then(|| JobError::new("access_denied", "the server refused the key"));
        Job {
            def: JobDef {
                id: id.into(),
                kind: "upload".into(),
                name: format!("upload of {id}.txt"),
                params: serde_json::json!({}),
                schedule: None,
                enabled: true,
                notify: NotifyPolicy::default(),
                webhook: None,
                created: Utc::now(),
                oneoff: false,
            },
            status,
            can_pause: true,
        }
    }

    #[test]
    fn status_counts_and_percent() {
        let jobs = [
            job("a", JobState::Running, 50, 100),
            job("b", JobState::Queued, 0, 100),
            job("c", JobState::Done, 10, 10),
        ];
        let s = QueueStatus::of(&jobs);
        assert_eq!((s.active, s.paused, s.percent), (2, 0, Some(25)));
        assert_eq!(s.line(), "2 jobs running · 25%");
        assert_eq!(QueueStatus::of(&[]).line(), "No jobs running");
        assert_eq!(
            QueueStatus::of(&[job("a", JobState::Paused, 1, 2)]).line(),
            "1 paused"
        );
    }

    #[test]
    fn a_running_backup_is_named() {
        let mut backup = job("b", JobState::Running, 30, 120);
        backup.def.kind = "backup".into();
        backup.def.name = "backup of home".into();
        let s = QueueStatus::of(&[backup.clone(), job("a", JobState::Running, 1, 2)]);
        assert_eq!(s.line(), "Backing up: backup of home · 25% (+1 job)");
        backup.status.progress = None;
        assert_eq!(
            QueueStatus::of(&[backup]).line(),
            "Backing up: backup of home"
        );
    }

    #[test]
    fn an_alert_comes_first_and_notifies() {
        let mut repl = job("r", JobState::Running, 0, 0);
        repl.def.kind = "replicate".into();
        repl.def.name = "replication of app.db".into();
        repl.status.alert = Some("replica garage:s3://b/dbs is 75 s behind".into());
        let s = QueueStatus::of(&[repl.clone(), job("a", JobState::Running, 1, 2)]);
        assert_eq!(
            s.line(),
            "⚠ replication of app.db: replica garage:s3://b/dbs is 75 s behind"
        );
        let note = coffer_jobs::alerts::notification(&coffer_jobs::Event {
            kind: coffer_jobs::EventKind::Alert,
            job: repl.clone(),
        });
        assert_eq!(
            note.map(|(t, _)| t).as_deref(),
            Some("Alert: replication of app.db")
        );
        repl.status.alert = None;
        assert!(
            coffer_jobs::alerts::notification(&coffer_jobs::Event {
                kind: coffer_jobs::EventKind::Alert,
                job: repl,
            })
            .is_none(),
            "a cleared alert does not notify"
        );
    }

    #[test]
    fn the_next_scheduled_run_is_shown() {
        let mut later = job("later", JobState::Idle, 0, 0);
        let mut soon = job("soon", JobState::Done, 0, 0);
        let t = Utc::now();
        later.status.next_run = Some(t + chrono::Duration::hours(2));
        soon.status.next_run = Some(t + chrono::Duration::hours(1));
        let s = QueueStatus::of(&[later, soon]);
        assert_eq!(
            s.next.as_ref().map(|(n, _)| n.as_str()),
            Some("upload of soon.txt")
        );
        assert!(
            s.next_line()
                .is_some_and(|l| l.starts_with("Next: upload of soon.txt at "))
        );
    }

    #[test]
    fn a_batch_ends_when_the_queue_is_idle() {
        let mut w = BatchWatcher::default();
        assert_eq!(w.observe(&[]), None);
        let running = [
            job("a", JobState::Running, 0, 1),
            job("b", JobState::Queued, 0, 1),
        ];
        assert_eq!(w.observe(&running), None);
        let half = [
            job("a", JobState::Done, 1, 1),
            job("b", JobState::Running, 0, 1),
        ];
        assert_eq!(w.observe(&half), None);
        let end = [
            job("a", JobState::Done, 1, 1),
            job("b", JobState::Failed, 0, 1),
        ];
        let outcome = w.observe(&end).expect("the batch ended");
        assert_eq!(outcome.done, 1);
        assert_eq!(
            outcome.failed,
            vec![(
                "upload of b.txt".into(),
                "the server refused the key".into()
            )]
        );
        let (title, body) = outcome.message();
        assert_eq!(title, "Transfer failed: upload of b.txt");
        assert!(body.contains("refused"), "{body}");
        // Already reported: nothing more until a new batch runs.
        assert_eq!(w.observe(&end), None);
    }

    #[test]
    fn a_job_that_ended_before_the_queue_was_read_still_counts() {
        let mut w = BatchWatcher::default();
        w.note(&job("a", JobState::Queued, 0, 1));
        let outcome = w
            .observe(&[job("a", JobState::Failed, 0, 1)])
            .expect("reported");
        assert_eq!(outcome.failed.len(), 1);
    }

    #[test]
    fn other_kinds_are_not_part_of_a_transfer_batch() {
        let mut w = BatchWatcher::default();
        let mut backup = job("b", JobState::Running, 0, 1);
        backup.def.kind = "backup".into();
        w.note(&backup);
        backup.status.state = JobState::Done;
        assert_eq!(w.observe(&[backup]), None);
    }

    #[test]
    fn paused_or_cancelled_batches_say_nothing() {
        let mut w = BatchWatcher::default();
        w.observe(&[job("a", JobState::Running, 0, 1)]);
        assert_eq!(w.observe(&[job("a", JobState::Canceled, 0, 1)]), None);
        w.observe(&[job("b", JobState::Running, 0, 1)]);
        assert_eq!(w.observe(&[job("b", JobState::Paused, 0, 1)]), None);
    }

    #[test]
    fn success_message_counts() {
        let o = BatchOutcome {
            done: 3,
            failed: vec![],
        };
        assert_eq!(o.message().1, "3 transfers finished.");
    }
}
