//! What the desktop's tray and notifications say about the queue: pure functions
//! over the job list, so that the shell stays thin and this is tested here.

use std::collections::BTreeMap;

use super::{Job, JobKind, JobState};

/// The queue at a glance, for the tray menu.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueStatus {
    /// Jobs queued or running.
    pub active: usize,
    /// Jobs paused.
    pub paused: usize,
    /// Overall progress of the active and paused jobs, 0 to 100, when sizes are known.
    pub percent: Option<u8>,
}

impl QueueStatus {
    /// The status of `jobs`.
    pub fn of(jobs: &[Job]) -> QueueStatus {
        let (mut done, mut total) = (0u64, 0u64);
        let (mut active, mut paused) = (0, 0);
        for job in jobs {
            match job.state {
                JobState::Queued | JobState::Running => active += 1,
                JobState::Paused => paused += 1,
                _ => continue,
            }
            if let Some(p) = &job.progress {
                done += p.bytes_done.min(p.bytes_total);
                total += p.bytes_total;
            }
        }
        let percent = (total > 0).then(|| ((done as f64 / total as f64) * 100.0).floor() as u8);
        QueueStatus {
            active,
            paused,
            percent,
        }
    }

    /// The tray's line, e.g. "2 transfers · 45%" or "No transfers".
    pub fn line(&self) -> String {
        match (self.active, self.paused, self.percent) {
            (0, 0, _) => "No transfers".into(),
            (0, p, _) => format!("{p} paused"),
            (1, _, Some(pc)) => format!("1 transfer · {pc}%"),
            (1, _, None) => "1 transfer".into(),
            (n, _, Some(pc)) => format!("{n} transfers · {pc}%"),
            (n, _, None) => format!("{n} transfers"),
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

/// A job's display name: its key's last segment (or the bucket), with the direction.
pub fn job_name(job: &Job) -> String {
    let name = job
        .key
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(&job.bucket);
    match job.kind {
        JobKind::Upload => format!("upload of {name}"),
        JobKind::Download => format!("download of {name}"),
    }
}

/// Follows the queue and says when a batch ends: a batch is the jobs that ran since
/// the queue was last idle; it ends when nothing is queued or running any more.
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
        if matches!(job.state, JobState::Queued | JobState::Running) {
            self.members.entry(job.id.clone()).or_insert(job.state);
        }
    }

    /// Looks at the queue after a change; returns the outcome when a batch just ended.
    /// Jobs paused or cancelled by the user are not reported.
    pub fn observe(&mut self, jobs: &[Job]) -> Option<BatchOutcome> {
        for job in jobs {
            if matches!(job.state, JobState::Queued | JobState::Running) {
                self.members.insert(job.id.clone(), job.state);
            } else if let Some(state) = self.members.get_mut(&job.id) {
                *state = job.state;
            }
        }
        let busy = jobs
            .iter()
            .any(|j| matches!(j.state, JobState::Queued | JobState::Running));
        if busy || self.members.is_empty() {
            return None;
        }
        let members = std::mem::take(&mut self.members);
        let mut outcome = BatchOutcome {
            done: 0,
            failed: Vec::new(),
        };
        for job in jobs.iter().filter(|j| members.contains_key(&j.id)) {
            match job.state {
                JobState::Done => outcome.done += 1,
                JobState::Failed => outcome.failed.push((
                    job_name(job),
                    job.error
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
    use crate::error::ErrorBody;
    use crate::jobs::JobProgress;

    fn job(id: &str, state: JobState, done: u64, total: u64) -> Job {
        Job {
            id: id.into(),
            kind: JobKind::Upload,
            profile: "p".into(),
            bucket: "b".into(),
            key: format!("dir/{id}.txt"),
            path: "/tmp/x".into(),
            state,
            progress: Some(JobProgress {
                bytes_done: done,
                bytes_total: total,
                ..JobProgress::default()
            }),
            error: (state == JobState::Failed).then(|| ErrorBody {
                code: "access_denied".into(),
                message: "the server refused the key".into(),
            }),
            created: "2026-01-01T00:00:00Z".into(),
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
        assert_eq!(s.line(), "2 transfers · 25%");
        assert_eq!(QueueStatus::of(&[]).line(), "No transfers");
        assert_eq!(
            QueueStatus::of(&[job("a", JobState::Paused, 1, 2)]).line(),
            "1 paused"
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
