//! One bus of typed job events, read by the API's SSE route, the desktop's channel,
//! the tray and the notifier.
//!
//! Each reader has its own queue. Changes of state are always delivered, in order; a
//! progress tick is dropped for a reader that already has [`PROGRESS_BACKLOG`] ticks
//! waiting, so a slow reader loses ticks, never a change of state (and the next change
//! carries the job's latest progress anyway).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::model::JobView;

/// How many progress ticks may wait for one reader before new ones are dropped.
pub const PROGRESS_BACKLOG: usize = 64;

/// What happened to a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// It was queued (added, run now, scheduled, resumed, retried).
    Queued,
    /// A run started.
    Started,
    /// The running run moved on (may be dropped for slow readers).
    Progress,
    /// A run finished.
    Done,
    /// A run failed; the job's `error` says why.
    Failed,
    /// Paused by the user.
    Paused,
    /// Cancelled by the user.
    Canceled,
    /// Its next scheduled run is set (`next_run`).
    Scheduled,
    /// Its definition changed (edited, enabled, disabled), or it was added idle.
    Changed,
    /// It was removed.
    Removed,
    /// A running run raised an alert, or cleared it (the job's `alert`).
    Alert,
}

impl EventKind {
    /// Whether the event is a change of state (always delivered).
    pub fn is_state_change(self) -> bool {
        self != EventKind::Progress
    }
}

/// One event: what happened and the job as it is now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The job after it happened.
    pub job: JobView,
}

struct Reader {
    tx: mpsc::UnboundedSender<Event>,
    pending_ticks: Arc<AtomicUsize>,
}

/// The bus: cheap to clone; every clone publishes to the same readers.
#[derive(Clone, Default)]
pub struct Bus {
    readers: Arc<Mutex<Vec<Reader>>>,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus").finish_non_exhaustive()
    }
}

impl Bus {
    /// Sends `event` to every reader (none is fine). Readers that went away are
    /// forgotten.
    pub fn publish(&self, event: Event) {
        let mut readers = self.readers.lock().unwrap_or_else(|e| e.into_inner());
        let tick = !event.kind.is_state_change();
        readers.retain(|r| {
            if tick {
                if r.pending_ticks.load(Ordering::Acquire) >= PROGRESS_BACKLOG {
                    return !r.tx.is_closed();
                }
                r.pending_ticks.fetch_add(1, Ordering::AcqRel);
            }
            r.tx.send(event.clone()).is_ok()
        });
    }

    /// A reader of every event from now on.
    pub fn subscribe(&self) -> Subscription {
        let (tx, rx) = mpsc::unbounded_channel();
        let pending_ticks = Arc::new(AtomicUsize::new(0));
        self.readers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Reader {
                tx,
                pending_ticks: pending_ticks.clone(),
            });
        Subscription { rx, pending_ticks }
    }

    /// How many readers are attached.
    pub fn readers(&self) -> usize {
        self.readers.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// One reader's queue. Dropping it detaches the reader.
#[derive(Debug)]
pub struct Subscription {
    rx: mpsc::UnboundedReceiver<Event>,
    pending_ticks: Arc<AtomicUsize>,
}

impl Subscription {
    /// The next event; `None` once the bus is gone.
    pub async fn recv(&mut self) -> Option<Event> {
        let event = self.rx.recv().await?;
        self.taken(&event);
        Some(event)
    }

    /// The next event if one is waiting.
    pub fn try_recv(&mut self) -> Option<Event> {
        let event = self.rx.try_recv().ok()?;
        self.taken(&event);
        Some(event)
    }

    fn taken(&self, event: &Event) {
        if !event.kind.is_state_change() {
            self.pending_ticks.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{JobDef, JobState, JobStatus, NotifyPolicy};

    fn event(kind: EventKind, n: u64) -> Event {
        Event {
            kind,
            job: JobView {
                def: JobDef {
                    id: format!("j{n}"),
                    kind: "test".into(),
                    name: "t".into(),
                    params: serde_json::Value::Null,
                    schedule: None,
                    enabled: true,
                    notify: NotifyPolicy::default(),
                    webhook: None,
                    created: chrono::Utc::now(),
                    oneoff: false,
                },
                status: JobStatus::new(JobState::Running),
                can_pause: false,
            },
        }
    }

    #[tokio::test]
    async fn slow_readers_lose_ticks_not_changes() {
        let bus = Bus::default();
        let mut slow = bus.subscribe();
        bus.publish(event(EventKind::Started, 0));
        for n in 0..1000 {
            bus.publish(event(EventKind::Progress, n));
        }
        bus.publish(event(EventKind::Done, 0));
        let mut kinds = Vec::new();
        while let Some(e) = slow.try_recv() {
            kinds.push(e.kind);
        }
        assert_eq!(kinds.first(), Some(&EventKind::Started));
        assert_eq!(kinds.last(), Some(&EventKind::Done));
        let ticks = kinds.iter().filter(|k| **k == EventKind::Progress).count();
        assert_eq!(ticks, PROGRESS_BACKLOG);
        // Having caught up, the reader gets ticks again.
        bus.publish(event(EventKind::Progress, 1));
        assert_eq!(slow.try_recv().map(|e| e.kind), Some(EventKind::Progress));
    }

    #[tokio::test]
    async fn dropped_readers_are_forgotten() {
        let bus = Bus::default();
        let reader = bus.subscribe();
        assert_eq!(bus.readers(), 1);
        drop(reader);
        bus.publish(event(EventKind::Changed, 0));
        assert_eq!(bus.readers(), 0);
    }
}
