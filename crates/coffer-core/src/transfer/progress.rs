//! Progress of a transfer: bytes, items, rate and ETA, pushed to a callback.
//!
//! A [`Tracker`] is shared by every task of one operation. Tasks add bytes as they
//! move them; the tracker calls its sink at most every [`EMIT_EVERY`], and once more at
//! the end, so the CLI, the API and the GUI all see the same numbers without being
//! flooded.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// How often a tracker calls its sink at most.
pub const EMIT_EVERY: Duration = Duration::from_millis(100);

/// A snapshot of an operation's progress. In JSON, `elapsed` and `eta` are seconds.
/// It reads back from JSON (a saved job's last progress), with an operation other
/// than the known ones read as `other`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// What is being done ("upload", "download", "copy", "delete").
    pub operation: &'static str,
    /// Bytes moved so far, including bytes a resumed upload did not have to send.
    pub bytes_done: u64,
    /// Bytes to move in all, as far as known.
    pub bytes_total: u64,
    /// Bytes skipped because an earlier run had already sent them.
    pub bytes_resumed: u64,
    /// Items (files, objects) finished.
    pub items_done: u64,
    /// Items known so far.
    pub items_total: u64,
    /// Average rate of this run, in bytes per second (resumed bytes excluded).
    pub rate: f64,
    /// Estimated time left, when a rate is known.
    #[serde(serialize_with = "opt_secs")]
    pub eta: Option<Duration>,
    /// Time since the operation started.
    #[serde(serialize_with = "secs")]
    pub elapsed: Duration,
    /// Whether this is the last snapshot.
    pub finished: bool,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

fn opt_secs<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&d.as_secs_f64()),
        None => s.serialize_none(),
    }
}

/// The operations a progress can name.
const OPERATIONS: [&str; 7] = [
    "upload", "download", "copy", "move", "delete", "backup", "restore",
];

/// Seconds as a duration; a negative or non-finite number reads as zero.
fn duration_of(secs: f64) -> Duration {
    Duration::try_from_secs_f64(secs).unwrap_or_default()
}

impl<'de> Deserialize<'de> for Progress {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// The JSON shape, owned.
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default)]
            operation: String,
            #[serde(default)]
            bytes_done: u64,
            #[serde(default)]
            bytes_total: u64,
            #[serde(default)]
            bytes_resumed: u64,
            #[serde(default)]
            items_done: u64,
            #[serde(default)]
            items_total: u64,
            #[serde(default)]
            rate: f64,
            #[serde(default)]
            eta: Option<f64>,
            #[serde(default)]
            elapsed: f64,
            #[serde(default)]
            finished: bool,
        }
        let r = Raw::deserialize(d)?;
        Ok(Progress {
            operation: OPERATIONS
                .iter()
                .find(|o| **o == r.operation)
                .copied()
                .unwrap_or("other"),
            bytes_done: r.bytes_done,
            bytes_total: r.bytes_total,
            bytes_resumed: r.bytes_resumed,
            items_done: r.items_done,
            items_total: r.items_total,
            rate: r.rate,
            eta: r.eta.map(duration_of),
            elapsed: duration_of(r.elapsed),
            finished: r.finished,
        })
    }
}

/// Receives progress snapshots. Called from transfer tasks: keep it quick.
pub type ProgressSink = Arc<dyn Fn(&Progress) + Send + Sync>;

#[derive(Debug, Default)]
struct Counts {
    bytes_done: u64,
    bytes_total: u64,
    bytes_resumed: u64,
    items_done: u64,
    items_total: u64,
    last_emit: Option<Instant>,
}

struct Inner {
    operation: &'static str,
    started: Instant,
    counts: Mutex<Counts>,
    sink: Option<ProgressSink>,
}

/// Counts the progress of one operation and reports it. Cheap to clone.
#[derive(Clone)]
pub struct Tracker {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Tracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracker")
            .field("progress", &self.snapshot())
            .finish()
    }
}

impl Tracker {
    /// A tracker that reports to `sink`.
    pub fn new(operation: &'static str, sink: Option<ProgressSink>) -> Self {
        Tracker {
            inner: Arc::new(Inner {
                operation,
                started: Instant::now(),
                counts: Mutex::default(),
                sink,
            }),
        }
    }

    /// A tracker that only counts.
    pub fn silent(operation: &'static str) -> Self {
        Self::new(operation, None)
    }

    fn update(&self, force: bool, change: impl FnOnce(&mut Counts)) {
        let snapshot = {
            let mut counts = self.inner.counts.lock().unwrap_or_else(|p| p.into_inner());
            change(&mut counts);
            let now = Instant::now();
            let due = counts
                .last_emit
                .is_none_or(|last| now.duration_since(last) >= EMIT_EVERY);
            if self.inner.sink.is_none() || !(force || due) {
                return;
            }
            counts.last_emit = Some(now);
            self.snapshot_of(&counts, false)
        };
        if let Some(sink) = &self.inner.sink {
            sink(&snapshot);
        }
    }

    /// Announces more work: bytes and items to come.
    pub fn add_total(&self, bytes: u64, items: u64) {
        self.update(false, |c| {
            c.bytes_total += bytes;
            c.items_total += items;
        });
    }

    /// Counts bytes just moved.
    pub fn add_bytes(&self, bytes: u64) {
        self.update(false, |c| c.bytes_done += bytes);
    }

    /// Counts bytes an earlier run already moved (a resumed upload).
    pub fn add_resumed(&self, bytes: u64) {
        self.update(false, |c| {
            c.bytes_done += bytes;
            c.bytes_resumed += bytes;
        });
    }

    /// Takes back bytes counted for a part that has to be sent again.
    pub fn undo_bytes(&self, bytes: u64) {
        self.update(false, |c| c.bytes_done = c.bytes_done.saturating_sub(bytes));
    }

    /// Counts one finished item.
    pub fn item_done(&self) {
        self.update(false, |c| c.items_done += 1);
    }

    /// Reports the final snapshot and returns it.
    pub fn finish(&self) -> Progress {
        let snapshot = {
            let counts = self.inner.counts.lock().unwrap_or_else(|p| p.into_inner());
            self.snapshot_of(&counts, true)
        };
        if let Some(sink) = &self.inner.sink {
            sink(&snapshot);
        }
        snapshot
    }

    /// The progress so far.
    pub fn snapshot(&self) -> Progress {
        let counts = self.inner.counts.lock().unwrap_or_else(|p| p.into_inner());
        self.snapshot_of(&counts, false)
    }

    fn snapshot_of(&self, c: &Counts, finished: bool) -> Progress {
        let elapsed = self.inner.started.elapsed();
        let moved = c.bytes_done.saturating_sub(c.bytes_resumed);
        let secs = elapsed.as_secs_f64();
        let rate = if secs > 0.0 { moved as f64 / secs } else { 0.0 };
        let left = c.bytes_total.saturating_sub(c.bytes_done);
        let eta = (rate > 0.0 && !finished).then(|| Duration::from_secs_f64(left as f64 / rate));
        Progress {
            operation: self.inner.operation,
            bytes_done: c.bytes_done,
            bytes_total: c.bytes_total,
            bytes_resumed: c.bytes_resumed,
            items_done: c.items_done,
            items_total: c.items_total,
            rate,
            eta,
            elapsed,
            finished,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_reports() {
        let seen = Arc::new(Mutex::new(Vec::<Progress>::new()));
        let sink_seen = seen.clone();
        let tracker = Tracker::new(
            "upload",
            Some(Arc::new(move |p: &Progress| {
                sink_seen.lock().expect("lock").push(p.clone())
            })),
        );
        tracker.add_total(100, 2);
        tracker.add_resumed(40);
        tracker.add_bytes(60);
        tracker.item_done();
        tracker.item_done();
        let last = tracker.finish();
        assert_eq!(last.bytes_done, 100);
        assert_eq!(last.bytes_resumed, 40);
        assert_eq!(last.items_done, 2);
        assert!(last.finished);
        let seen = seen.lock().expect("lock");
        assert!(
            seen.len() >= 2,
            "first update and the final one are reported"
        );
        assert_eq!(seen.last(), Some(&last));
    }

    #[test]
    fn reads_back_from_json() {
        let tracker = Tracker::silent("upload");
        tracker.add_total(10, 1);
        tracker.add_bytes(4);
        let p = tracker.snapshot();
        let json = serde_json::to_string(&p).expect("json");
        let back: Progress = serde_json::from_str(&json).expect("back");
        assert_eq!(back.operation, "upload");
        assert_eq!(back.bytes_done, 4);
        let odd: Progress = serde_json::from_str(
            r#"{"operation":"x","bytes_done":1,"bytes_total":2,"bytes_resumed":0,
                "items_done":0,"items_total":1,"rate":1.0,"eta":-1.0,"elapsed":1e300,
                "finished":false}"#,
        )
        .expect("odd");
        assert_eq!(odd.operation, "other");
        assert_eq!(odd.eta, Some(Duration::ZERO));
    }
}
