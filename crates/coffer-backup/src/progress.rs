//! Progress of a backup or restore as people read it: files, bytes, rate and ETA.
//!
//! rustic_core reports through [`ProgressBars`]; [`Reporter`] turns its bars into
//! [`Progress`] snapshots sent to a [`ProgressSink`] at most a few times a second.
//!
//! **How the ETA is estimated.** The total is known once the scan of the sources
//! (which runs beside the backup, with the same excludes) has finished; until then
//! there is no ETA. The rate is the bytes processed over the last [`RATE_WINDOW`]
//! (a sliding window of samples, not the average since the start, so a slow start or
//! a burst of unchanged files does not skew it for long), and the ETA is the bytes
//! left divided by that rate. No ETA is given in the first [`WARM_UP`] or while
//! nothing moves. Unchanged files of a rerun are processed at disk speed without an
//! upload, so a rerun's ETA falls quickly.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustic_core::{ProgressBars, ProgressType, RusticProgress};
use serde::Serialize;

/// The window the rate is measured over.
pub const RATE_WINDOW: Duration = Duration::from_secs(10);
/// No ETA before this much time has passed.
pub const WARM_UP: Duration = Duration::from_secs(3);
/// At most one report per this interval (state changes are always reported).
const REPORT_EVERY: Duration = Duration::from_millis(250);

/// One progress report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Progress {
    /// What is happening ("scanning", "backing up", "reading index"...).
    pub phase: String,
    /// Files taken so far.
    pub files_done: u64,
    /// Files in all, once the scan has finished.
    pub files_total: Option<u64>,
    /// Bytes processed so far (read, hashed and, when new, uploaded).
    pub bytes_done: u64,
    /// Bytes in all, once the scan has finished.
    pub bytes_total: Option<u64>,
    /// Bytes per second over the last [`RATE_WINDOW`].
    pub bytes_per_sec: u64,
    /// Seconds left, when they can be estimated.
    pub eta_secs: Option<u64>,
    /// Files that could not be read (skipped, as restic does).
    pub errors: u64,
}

impl Progress {
    /// This report as the job engine's progress of `operation` (`backup`, `restore`),
    /// begun at `started`.
    pub fn to_job_progress(
        &self,
        operation: &'static str,
        started: Instant,
    ) -> coffer_core::transfer::Progress {
        coffer_core::transfer::Progress {
            operation,
            bytes_done: self.bytes_done,
            bytes_total: self.bytes_total.unwrap_or(0),
            bytes_resumed: 0,
            items_done: self.files_done,
            items_total: self.files_total.unwrap_or(self.files_done),
            rate: self.bytes_per_sec as f64,
            eta: self.eta_secs.map(Duration::from_secs),
            elapsed: started.elapsed(),
            finished: false,
        }
    }
}

/// Where progress goes. Called from the engine's threads: return quickly.
pub trait ProgressSink: Send + Sync {
    /// A new report.
    fn report(&self, progress: &Progress);
}

impl<F: Fn(&Progress) + Send + Sync> ProgressSink for F {
    fn report(&self, progress: &Progress) {
        self(progress)
    }
}

/// Shared counters of one operation, fed by the engine and by the source wrapper.
#[derive(Debug, Default)]
pub struct Counters {
    pub(crate) files_done: AtomicU64,
    pub(crate) files_total: AtomicU64,
    pub(crate) bytes_done: AtomicU64,
    pub(crate) bytes_total: AtomicU64,
    pub(crate) errors: AtomicU64,
    /// 1 once the totals are known.
    pub(crate) totals_known: AtomicU64,
}

/// Turns rustic's progress bars into reports for a sink.
pub struct Reporter {
    sink: Arc<dyn ProgressSink>,
    counters: Arc<Counters>,
    state: Mutex<MeterState>,
    /// Which rustic bar counts the bytes ("backing up...", "restoring file contents...").
    bytes_bar: &'static str,
    /// When the operation started (for the ETA's warm-up).
    started: Instant,
}

impl std::fmt::Debug for Reporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reporter")
            .field("counters", &self.counters)
            .finish()
    }
}

struct MeterState {
    phase: String,
    samples: VecDeque<(Instant, u64)>,
    last_report: Option<Instant>,
}

impl Reporter {
    /// A reporter for the rustic bar whose title starts with `bytes_bar`.
    pub fn new(
        sink: Arc<dyn ProgressSink>,
        counters: Arc<Counters>,
        bytes_bar: &'static str,
    ) -> Arc<Self> {
        Arc::new(Reporter {
            sink,
            counters,
            state: Mutex::new(MeterState {
                phase: "starting".into(),
                samples: VecDeque::new(),
                last_report: None,
            }),
            bytes_bar,
            started: Instant::now(),
        })
    }

    /// The counters it reads.
    pub fn counters(&self) -> &Arc<Counters> {
        &self.counters
    }

    /// Sets the phase and reports at once.
    pub fn phase(&self, phase: &str) {
        if let Ok(mut state) = self.state.lock() {
            state.phase = phase.to_string();
        }
        self.report(true);
    }

    /// The current report.
    pub fn snapshot(&self) -> Progress {
        let now = Instant::now();
        let c = &self.counters;
        let done = c.bytes_done.load(Ordering::Relaxed);
        let known = c.totals_known.load(Ordering::Relaxed) == 1;
        let total = known.then(|| c.bytes_total.load(Ordering::Relaxed));
        let (phase, rate) = match self.state.lock() {
            Ok(mut state) => {
                state.samples.push_back((now, done));
                while state
                    .samples
                    .front()
                    .is_some_and(|(t, _)| now.duration_since(*t) > RATE_WINDOW)
                    && state.samples.len() > 2
                {
                    state.samples.pop_front();
                }
                let rate = match (state.samples.front(), state.samples.back()) {
                    (Some((t0, b0)), Some((t1, b1))) if t1 > t0 => {
                        (b1.saturating_sub(*b0)) as f64 / t1.duration_since(*t0).as_secs_f64()
                    }
                    _ => 0.0,
                };
                (state.phase.clone(), rate)
            }
            Err(_) => (String::new(), 0.0),
        };
        let eta_secs = match total {
            Some(total) if rate >= 1.0 && now.duration_since(self.started) >= WARM_UP => {
                Some((total.saturating_sub(done) as f64 / rate).ceil() as u64)
            }
            _ => None,
        };
        Progress {
            phase,
            files_done: c.files_done.load(Ordering::Relaxed),
            files_total: known.then(|| c.files_total.load(Ordering::Relaxed)),
            bytes_done: done,
            bytes_total: total,
            bytes_per_sec: rate as u64,
            eta_secs,
            errors: c.errors.load(Ordering::Relaxed),
        }
    }

    /// Sends a report when one is due (or at once with `force`).
    pub fn report(&self, force: bool) {
        let now = Instant::now();
        if !force && let Ok(mut state) = self.state.lock() {
            if state
                .last_report
                .is_some_and(|t| now.duration_since(t) < REPORT_EVERY)
            {
                return;
            }
            state.last_report = Some(now);
        }
        let snapshot = self.snapshot();
        self.sink.report(&snapshot);
    }
}

/// The progress bars an open repository hands rustic: they report to the
/// [`Reporter`] of the operation under way, or nowhere between operations.
///
/// rustic fixes a repository's bars when it is opened, so the repository keeps one
/// `Bars` and each operation attaches its reporter for its duration
/// ([`Bars::attach`]). A repository reports one operation at a time.
#[derive(Debug, Clone, Default)]
pub struct Bars(Arc<Mutex<Option<Arc<Reporter>>>>);

/// Detaches the reporter when dropped.
#[derive(Debug)]
pub struct Attached(Bars);

impl Drop for Attached {
    fn drop(&mut self) {
        if let Ok(mut current) = (self.0).0.lock() {
            *current = None;
        }
    }
}

impl Bars {
    /// Sends rustic's progress to `reporter` until the guard is dropped.
    pub fn attach(&self, reporter: &Arc<Reporter>) -> Attached {
        if let Ok(mut current) = self.0.lock() {
            *current = Some(Arc::clone(reporter));
        }
        Attached(self.clone())
    }
}

impl ProgressBars for Bars {
    fn progress(&self, kind: ProgressType, prefix: &str) -> rustic_core::Progress {
        let reporter = self.0.lock().ok().and_then(|r| r.clone());
        let Some(reporter) = reporter else {
            return rustic_core::Progress::hidden();
        };
        let counts_bytes =
            matches!(kind, ProgressType::Bytes) && prefix.starts_with(reporter.bytes_bar);
        reporter.phase(prefix.trim_end_matches("...").trim());
        rustic_core::Progress::new(Bar {
            reporter,
            counts_bytes,
        })
    }
}

#[derive(Debug)]
struct Bar {
    reporter: Arc<Reporter>,
    counts_bytes: bool,
}

impl RusticProgress for Bar {
    fn is_hidden(&self) -> bool {
        // Not hidden: rustic only scans the source size for a visible bar.
        false
    }

    fn set_length(&self, len: u64) {
        if self.counts_bytes {
            let c = &self.reporter.counters;
            c.bytes_total.store(len, Ordering::Relaxed);
            c.totals_known.store(1, Ordering::Relaxed);
            self.reporter.report(true);
        }
    }

    fn set_title(&self, title: &str) {
        self.reporter.phase(title.trim_end_matches("...").trim());
    }

    fn inc(&self, inc: u64) {
        if self.counts_bytes {
            self.reporter
                .counters
                .bytes_done
                .fetch_add(inc, Ordering::Relaxed);
            self.reporter.report(false);
        }
    }

    fn finish(&self) {
        if self.counts_bytes {
            self.reporter.report(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_eta_until_totals_are_known() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = {
            let seen = Arc::clone(&seen);
            move |p: &Progress| seen.lock().expect("lock").push(p.clone())
        };
        let reporter = Reporter::new(Arc::new(sink), Arc::default(), "backing up");
        let bars = Bars::default();
        assert!(
            bars.progress(ProgressType::Bytes, "backing up...")
                .is_hidden()
        );
        let _attached = bars.attach(&reporter);
        let bar = bars.progress(ProgressType::Bytes, "backing up...");
        bar.inc(100);
        let p = reporter.snapshot();
        assert_eq!(p.bytes_done, 100);
        assert_eq!(p.bytes_total, None);
        assert_eq!(p.eta_secs, None);
        bar.set_length(1000);
        let p = reporter.snapshot();
        assert_eq!(p.bytes_total, Some(1000));
        assert_eq!(p.phase, "backing up");
        // Other bars set the phase but never count bytes.
        let other = bars.progress(ProgressType::Bytes, "reading index...");
        other.inc(5);
        assert_eq!(reporter.snapshot().bytes_done, 100);
        assert!(!seen.lock().expect("lock").is_empty());
    }
}
