//! [`Engine`]: holds every job, queues and runs them within the limits, runs the
//! schedules, records each run, and tells the bus.
//!
//! Every change of a job happens under one lock and is saved and published before the
//! lock is released, so the saved state, the events and the answers agree. Runs are
//! tokio tasks; the scheduler is a loop around [`Engine::tick`], which tests call
//! directly with a [`ManualClock`](crate::ManualClock).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use coffer_core::meta::MetaDb;
use coffer_core::transfer::Progress;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::clock::{Clock, SystemClock};
use crate::error::{JobError, JobsError, Result};
use crate::events::{Bus, Event, EventKind, Subscription};
use crate::kind::{AfterRestart, Kind, PrepareEnv, Registry, RunContext};
use crate::model::{
    JobDef, JobState, JobStatus, JobView, NotifyPolicy, RunRecord, RunResult, Trigger,
};
use crate::schedule::Schedule;
use crate::store::{self, JobStore, Retention};
use crate::stores::Stores;

/// How many runs go at once over all lanes, unless set otherwise.
pub const GLOBAL_AT_ONCE: usize = 4;

/// The longest the scheduler sleeps between two looks at the clock (so that a machine
/// waking from sleep runs what it missed within this time).
pub const SCHEDULER_NAP: StdDuration = StdDuration::from_secs(30);

/// A job to add.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewJob {
    /// The kind's name.
    pub kind: String,
    /// A name for people; the kind makes one when absent.
    #[serde(default)]
    pub name: Option<String>,
    /// The kind's params.
    #[serde(default)]
    pub params: serde_json::Value,
    /// When it runs by itself.
    #[serde(default)]
    pub schedule: Option<Schedule>,
    /// Whether the schedule is on (default on).
    #[serde(default)]
    pub enabled: Option<bool>,
    /// When to notify (the kind's default when absent).
    #[serde(default)]
    pub notify: Option<NotifyPolicy>,
    /// A URL to POST each run's end to.
    #[serde(default)]
    pub webhook: Option<String>,
    /// Queue a first run at once (default: only when there is no schedule).
    #[serde(default)]
    pub run_now: Option<bool>,
}

/// Changes to a job's definition; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobEdit {
    /// A new name.
    #[serde(default)]
    pub name: Option<String>,
    /// A new schedule (`clear_schedule` removes it).
    #[serde(default)]
    pub schedule: Option<Schedule>,
    /// Removes the schedule.
    #[serde(default)]
    pub clear_schedule: bool,
    /// Turns the schedule on or off.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// When to notify.
    #[serde(default)]
    pub notify: Option<NotifyPolicy>,
    /// A new webhook URL (an empty string removes it).
    #[serde(default)]
    pub webhook: Option<String>,
}

/// Why a running job's token was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    Pause,
    Cancel,
}

pub(crate) struct Entry {
    pub(crate) def: JobDef,
    pub(crate) status: JobStatus,
    pub(crate) can_pause: bool,
    /// Set while running.
    pub(crate) cancel: Option<CancellationToken>,
    /// Set when the user stopped it.
    pub(crate) stop: Option<Stop>,
    /// The run going on.
    pub(crate) run: Option<RunRecord>,
}

impl Entry {
    pub(crate) fn view(&self) -> JobView {
        JobView {
            def: self.def.clone(),
            status: self.status.clone(),
            can_pause: self.can_pause,
        }
    }
}

pub(crate) struct Inner {
    store: JobStore,
    kinds: Registry,
    stores: Arc<dyn Stores>,
    pub(crate) clock: Arc<dyn Clock>,
    bus: Bus,
    table: Mutex<BTreeMap<String, Entry>>,
    global_at_once: usize,
    retention: Retention,
    pub(crate) shutdown: CancellationToken,
    wake: tokio::sync::Notify,
    tasks: TaskTracker,
}

/// The job engine. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("kinds", &self.inner.kinds)
            .finish_non_exhaustive()
    }
}

/// Sets up an [`Engine`].
pub struct EngineBuilder {
    kinds: Registry,
    stores: Arc<dyn Stores>,
    clock: Arc<dyn Clock>,
    global_at_once: usize,
    retention: Retention,
}

impl EngineBuilder {
    /// An engine whose jobs reach the profiles through `stores`, with no kinds yet.
    pub fn new(stores: Arc<dyn Stores>) -> Self {
        EngineBuilder {
            kinds: Registry::default(),
            stores,
            clock: Arc::new(SystemClock),
            global_at_once: GLOBAL_AT_ONCE,
            retention: Retention::default(),
        }
    }

    /// Registers a kind.
    pub fn kind(mut self, kind: Arc<dyn Kind>) -> Self {
        self.kinds.register(kind);
        self
    }

    /// Registers the built-in kinds (uploads and downloads).
    pub fn builtin_kinds(self) -> Self {
        self.kind(Arc::new(crate::kinds::transfer::Upload))
            .kind(Arc::new(crate::kinds::transfer::Download))
    }

    /// Uses `clock` instead of the system's.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// How many runs go at once over all lanes (at least 1).
    pub fn global_at_once(mut self, n: usize) -> Self {
        self.global_at_once = n.max(1);
        self
    }

    /// How much history is kept per job.
    pub fn retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// Opens the jobs saved in `db` (migrating older records) and brings them back:
    /// a run the agent was running when it stopped is recorded as interrupted and
    /// resumed or retried by the rule of its kind. Nothing runs until
    /// [`Engine::start`] (or [`Engine::tick`]).
    pub fn open(self, db: Arc<dyn MetaDb>) -> Result<Engine> {
        let store = store::open(db)?;
        let now = self.clock.now();
        let mut table = BTreeMap::new();
        for (def, mut status) in store.load()? {
            let kind = match self.kinds.get(&def.kind) {
                Ok(kind) => kind.clone(),
                Err(e) => {
                    tracing::warn!(job = %def.id, "a saved job is of a kind this Coffer does not know: {e}");
                    continue;
                }
            };
            // Any run still marked running was cut short (a kill can also fall between
            // a run's record and its job's status: those are caught here too).
            interrupt_run(&store, &def.id, now);
            if status.state == JobState::Running {
                match kind.after_restart() {
                    AfterRestart::Resume | AfterRestart::Retry => {
                        status.state = JobState::Queued;
                        status.trigger = Some(Trigger::Restart);
                    }
                    AfterRestart::Fail => {
                        status.state = JobState::Failed;
                        status.error = Some(interrupted());
                    }
                }
                store.put_status(&def.id, &status)?;
            } else if status.state == JobState::Queued {
                status.trigger.get_or_insert(Trigger::Restart);
            }
            table.insert(
                def.id.clone(),
                Entry {
                    can_pause: kind.can_pause(),
                    def,
                    status,
                    cancel: None,
                    stop: None,
                    run: None,
                },
            );
        }
        store.flush()?;
        let queued = table
            .values()
            .filter(|e| e.status.state == JobState::Queued)
            .count();
        if queued > 0 {
            tracing::info!(jobs = queued, "jobs queued again after a restart");
        }
        Ok(Engine {
            inner: Arc::new(Inner {
                store,
                kinds: self.kinds,
                stores: self.stores,
                clock: self.clock,
                bus: Bus::default(),
                table: Mutex::new(table),
                global_at_once: self.global_at_once,
                retention: self.retention,
                shutdown: CancellationToken::new(),
                wake: tokio::sync::Notify::new(),
                tasks: TaskTracker::new(),
            }),
        })
    }
}

fn interrupted() -> JobError {
    JobError::new(
        "interrupted",
        "Coffer stopped while this job ran; it was not finished",
    )
}

/// Marks the runs that were going on when the agent stopped as interrupted.
fn interrupt_run(store: &JobStore, job: &str, now: DateTime<Utc>) {
    let Ok(runs) = store.runs(job) else { return };
    for mut r in runs.into_iter().filter(|r| r.result == RunResult::Running) {
        r.result = RunResult::Interrupted;
        r.ended = Some(now);
        r.error = Some(interrupted().message);
        if let Err(e) = store.put_run(&r) {
            tracing::warn!(job, "cannot record an interrupted run: {e}");
        }
    }
}

impl Engine {
    /// Starts the queued jobs and the scheduler loop (until [`Engine::shutdown`]).
    pub fn start(&self) {
        self.pump();
        let weak = Arc::downgrade(&self.inner);
        let stop = self.inner.shutdown.clone();
        self.inner.tasks.spawn(async move {
            loop {
                let Some(engine) = Weak::upgrade(&weak).map(|inner| Engine { inner }) else {
                    return;
                };
                engine.tick();
                let nap = engine.until_next_due();
                let woken = engine.inner.clone();
                drop(engine);
                tokio::select! {
                    () = tokio::time::sleep(nap) => {}
                    () = woken.wake.notified() => {}
                    () = stop.cancelled() => return,
                }
            }
        });
    }

    /// Stops: running jobs stop (a pausable one keeps what it did and is queued again
    /// for the next start), the scheduler ends; waits for the runs to end.
    pub async fn shutdown(&self) {
        self.inner.shutdown.cancel();
        self.inner.tasks.close();
        self.inner.tasks.wait().await;
    }

    /// The registered kinds.
    pub fn kinds(&self) -> &Registry {
        &self.inner.kinds
    }

    /// The stores jobs use.
    pub fn stores(&self) -> &Arc<dyn Stores> {
        &self.inner.stores
    }

    /// The event bus.
    pub fn bus(&self) -> &Bus {
        &self.inner.bus
    }

    /// A reader of every event from now on.
    pub fn subscribe(&self) -> Subscription {
        self.inner.bus.subscribe()
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Entry>> {
        self.inner.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every job, oldest first.
    pub fn list(&self) -> Vec<JobView> {
        let mut jobs: Vec<JobView> = self.lock().values().map(Entry::view).collect();
        jobs.sort_by(|a, b| {
            a.def
                .created
                .cmp(&b.def.created)
                .then(a.def.id.cmp(&b.def.id))
        });
        jobs
    }

    /// One job.
    pub fn get(&self, id: &str) -> Result<JobView> {
        self.lock()
            .get(id)
            .map(Entry::view)
            .ok_or_else(|| JobsError::NotFound(id.to_string()))
    }

    /// A job's runs, oldest first.
    pub fn history(&self, id: &str) -> Result<Vec<RunRecord>> {
        self.get(id)?;
        self.inner.store.runs(id)
    }

    /// Checks and saves a new job; queues a first run when asked (or when it has no
    /// schedule). Nothing is saved when a field is wrong.
    pub fn add(&self, new: NewJob, env: &PrepareEnv<'_>) -> Result<JobView> {
        let kind = self.inner.kinds.get(&new.kind)?.clone();
        let prepared = kind.prepare(new.params, env, self.inner.stores.as_ref())?;
        if let Some(schedule) = &new.schedule {
            schedule.validate()?;
        }
        let webhook = checked_webhook(new.webhook)?;
        let now = self.inner.clock.now();
        let def = JobDef {
            id: uuid::Uuid::new_v4().simple().to_string(),
            kind: kind.name().to_string(),
            name: new
                .name
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
                .unwrap_or(prepared.name),
            params: prepared.params,
            enabled: new.enabled.unwrap_or(true),
            notify: new.notify.unwrap_or_else(|| kind.notify_default()),
            webhook,
            created: now,
            schedule: new.schedule,
            oneoff: false,
        };
        let run_now = new.run_now.unwrap_or(def.schedule.is_none());
        let mut status = JobStatus::new(JobState::Idle);
        if def.enabled {
            status.next_run = def.schedule.as_ref().and_then(|s| s.next_after(now));
        }
        let view = {
            let mut table = self.lock();
            self.inner.store.put_def(&def)?;
            let id = def.id.clone();
            let entry = table.entry(id.clone()).or_insert(Entry {
                can_pause: kind.can_pause(),
                def,
                status,
                cancel: None,
                stop: None,
                run: None,
            });
            if run_now {
                self.queue(entry, Trigger::Added, now);
            } else {
                self.save(entry, EventKind::Changed);
            }
            if entry.status.next_run.is_some() {
                self.publish(entry, EventKind::Scheduled);
            }
            entry.view()
        };
        self.inner.wake.notify_one();
        self.pump();
        Ok(view)
    }

    /// Changes a job's definition.
    pub fn edit(&self, id: &str, edit: JobEdit) -> Result<JobView> {
        if let Some(schedule) = &edit.schedule {
            schedule.validate()?;
        }
        let webhook = match edit.webhook {
            Some(url) if url.trim().is_empty() => Some(None),
            Some(url) => Some(checked_webhook(Some(url))?),
            None => None,
        };
        let now = self.inner.clock.now();
        let view = {
            let mut table = self.lock();
            let entry = table
                .get_mut(id)
                .ok_or_else(|| JobsError::NotFound(id.to_string()))?;
            if entry.def.oneoff {
                return Err(oneoff_conflict("edit"));
            }
            let mut def = entry.def.clone();
            if let Some(name) = edit
                .name
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
            {
                def.name = name;
            }
            let schedule_changed =
                edit.schedule.is_some() || edit.clear_schedule || edit.enabled.is_some();
            if edit.clear_schedule {
                def.schedule = None;
            }
            if let Some(schedule) = edit.schedule {
                def.schedule = Some(schedule);
            }
            if let Some(enabled) = edit.enabled {
                def.enabled = enabled;
            }
            if let Some(notify) = edit.notify {
                def.notify = notify;
            }
            if let Some(webhook) = webhook {
                def.webhook = webhook;
            }
            self.inner.store.put_def(&def)?;
            entry.def = def;
            if schedule_changed {
                entry.status.next_run = match (&entry.def.schedule, entry.def.enabled) {
                    (Some(s), true) => s.next_after(now),
                    _ => None,
                };
            }
            self.save(entry, EventKind::Changed);
            if schedule_changed && entry.status.next_run.is_some() {
                self.publish(entry, EventKind::Scheduled);
            }
            entry.view()
        };
        self.inner.wake.notify_one();
        Ok(view)
    }

    /// Queues a run now. A job already queued or running is not queued twice.
    pub fn run_now(&self, id: &str) -> Result<JobView> {
        self.requeue(
            id,
            &[
                JobState::Idle,
                JobState::Done,
                JobState::Failed,
                JobState::Canceled,
            ],
            "run",
            Trigger::Manual,
        )
    }

    /// Queues a paused job again; it goes on where it stopped.
    pub fn resume(&self, id: &str) -> Result<JobView> {
        self.requeue(id, &[JobState::Paused], "resume", Trigger::Resume)
    }

    /// Queues a failed or cancelled job again.
    pub fn retry(&self, id: &str) -> Result<JobView> {
        self.requeue(
            id,
            &[JobState::Failed, JobState::Canceled],
            "retry",
            Trigger::Retry,
        )
    }

    fn requeue(
        &self,
        id: &str,
        from: &[JobState],
        verb: &str,
        trigger: Trigger,
    ) -> Result<JobView> {
        let now = self.inner.clock.now();
        let view = {
            let mut table = self.lock();
            let entry = table
                .get_mut(id)
                .ok_or_else(|| JobsError::NotFound(id.to_string()))?;
            if entry.def.oneoff {
                return Err(oneoff_conflict(verb));
            }
            if !from.contains(&entry.status.state) {
                return Err(conflict(entry, verb));
            }
            self.queue(entry, trigger, now);
            entry.view()
        };
        self.pump();
        Ok(view)
    }

    /// Pauses a queued or running job; a running one stops at its next safe point and
    /// keeps what it did. Pausing a paused job changes nothing.
    pub fn pause(&self, id: &str) -> Result<JobView> {
        self.stop(id, Stop::Pause)
    }

    /// Cancels a job that has not finished; its kind cleans up after it.
    pub fn cancel(&self, id: &str) -> Result<JobView> {
        self.stop(id, Stop::Cancel)
    }

    fn stop(&self, id: &str, why: Stop) -> Result<JobView> {
        let mut table = self.lock();
        let entry = table
            .get_mut(id)
            .ok_or_else(|| JobsError::NotFound(id.to_string()))?;
        let verb = match why {
            Stop::Pause => "pause",
            Stop::Cancel => "cancel",
        };
        match (entry.status.state, why) {
            (JobState::Paused, Stop::Pause) => return Ok(entry.view()),
            (JobState::Running, Stop::Pause) if !entry.can_pause => {
                return Err(JobsError::Conflict(format!(
                    "a {} job cannot pause; cancel it instead",
                    entry.def.kind
                )));
            }
            (JobState::Queued | JobState::Running, _) | (JobState::Paused, Stop::Cancel) => {}
            _ => return Err(conflict(entry, verb)),
        }
        match &entry.cancel {
            // Running: the run's task records the end when the work stops.
            Some(token) => {
                entry.stop = Some(why);
                token.cancel();
            }
            None => {
                let (state, kind) = match why {
                    Stop::Pause => (JobState::Paused, EventKind::Paused),
                    Stop::Cancel => (JobState::Canceled, EventKind::Canceled),
                };
                entry.status.state = state;
                self.save(entry, kind);
            }
        }
        Ok(entry.view())
    }

    /// Removes a job that is not queued or running, with its history.
    pub fn remove(&self, id: &str) -> Result<()> {
        let mut table = self.lock();
        let entry = table
            .get(id)
            .ok_or_else(|| JobsError::NotFound(id.to_string()))?;
        if entry.status.state.is_busy() {
            return Err(conflict(entry, "remove"));
        }
        self.inner.store.remove(id)?;
        if let Some(entry) = table.remove(id) {
            self.publish(&entry, EventKind::Removed);
        }
        Ok(())
    }

    /// Pauses every queued or running job that can pause; returns the jobs after.
    pub fn pause_all(&self) -> Vec<JobView> {
        for job in self.list() {
            if job.status.state.is_busy() && job.can_pause {
                let _ = self.pause(&job.def.id);
            }
        }
        self.list()
    }

    /// Resumes every paused job; returns the jobs after.
    pub fn resume_all(&self) -> Vec<JobView> {
        for job in self.list() {
            if job.status.state == JobState::Paused {
                let _ = self.resume(&job.def.id);
            }
        }
        self.list()
    }

    /// The scheduler's one step: queues each enabled job whose time has come (once,
    /// however many slots were missed; not at all while it is queued, running or
    /// paused), sets its next time, and starts what the limits allow. Returns how many
    /// runs it queued.
    pub fn tick(&self) -> usize {
        let now = self.inner.clock.now();
        let mut fired = 0;
        {
            let mut table = self.lock();
            for entry in table.values_mut() {
                let Some(schedule) = entry.def.schedule.clone() else {
                    continue;
                };
                if !entry.def.enabled {
                    continue;
                }
                let Some(due) = entry.status.next_run else {
                    entry.status.next_run = schedule.next_after(now);
                    self.save(entry, EventKind::Scheduled);
                    continue;
                };
                if due > now {
                    continue;
                }
                entry.status.next_run = schedule.next_after(now);
                if entry.status.state.is_busy() || entry.status.state == JobState::Paused {
                    tracing::info!(
                        job = %entry.def.id,
                        state = entry.status.state.as_str(),
                        "scheduled run skipped: the job is still {}",
                        entry.status.state.as_str()
                    );
                    self.save(entry, EventKind::Scheduled);
                    continue;
                }
                self.queue(entry, Trigger::Schedule, now);
                self.publish(entry, EventKind::Scheduled);
                fired += 1;
            }
        }
        self.pump();
        fired
    }

    /// How long until the next scheduled run is due, within [50 ms, SCHEDULER_NAP].
    fn until_next_due(&self) -> StdDuration {
        let now = self.inner.clock.now();
        let next = self
            .lock()
            .values()
            .filter(|e| e.def.enabled)
            .filter_map(|e| e.status.next_run)
            .min();
        match next {
            Some(t) => (t - now)
                .to_std()
                .unwrap_or_default()
                .clamp(StdDuration::from_millis(50), SCHEDULER_NAP),
            None => SCHEDULER_NAP,
        }
    }

    /// Waits until the job is neither queued nor running; returns it then.
    pub async fn settled(&self, id: &str) -> Result<JobView> {
        let mut events = self.subscribe();
        loop {
            let job = self.get(id)?;
            if !job.status.state.is_busy() {
                return Ok(job);
            }
            tokio::select! {
                e = events.recv() => if e.is_none() { return self.get(id) },
                () = tokio::time::sleep(StdDuration::from_millis(200)) => {}
            }
        }
    }

    /// Marks an entry queued, saves and announces it (under the lock).
    fn queue(&self, entry: &mut Entry, trigger: Trigger, now: DateTime<Utc>) {
        entry.status.state = JobState::Queued;
        entry.status.trigger = Some(trigger);
        entry.status.error = None;
        entry.status.queued_at = Some(now);
        entry.stop = None;
        self.save(entry, EventKind::Queued);
    }

    /// Saves an entry's status and publishes `kind` (under the lock).
    pub(crate) fn save(&self, entry: &Entry, kind: EventKind) {
        if entry.def.oneoff {
            return self.publish(entry, kind);
        }
        if let Err(e) = self.inner.store.put_status(&entry.def.id, &entry.status) {
            tracing::warn!(job = %entry.def.id, "cannot save the job's status: {e}");
        }
        self.publish(entry, kind);
    }

    pub(crate) fn publish(&self, entry: &Entry, kind: EventKind) {
        self.inner.bus.publish(Event {
            kind,
            job: entry.view(),
        });
    }

    /// Starts queued jobs, oldest first, as far as the limits allow.
    pub fn pump(&self) {
        if self.inner.shutdown.is_cancelled() {
            return;
        }
        let now = self.inner.clock.now();
        let mut starts = Vec::new();
        {
            let mut table = self.lock();
            let mut running = 0;
            let mut lanes: HashMap<&'static str, usize> = HashMap::new();
            // One-off transfers run outside the queue (their client drives them).
            for entry in table.values().filter(|e| !e.def.oneoff) {
                if entry.status.state == JobState::Running {
                    match self.inner.kinds.get(&entry.def.kind) {
                        Ok(kind) => {
                            *lanes.entry(kind.lane().name).or_default() += 1;
                            if !kind.continuous() {
                                running += 1;
                            }
                        }
                        Err(_) => running += 1,
                    }
                }
            }
            let mut queued: Vec<(Option<DateTime<Utc>>, String)> = table
                .values()
                .filter(|e| e.status.state == JobState::Queued)
                .map(|e| (e.status.queued_at, e.def.id.clone()))
                .collect();
            queued.sort();
            for (_, id) in queued {
                let Some(entry) = table.get_mut(&id) else {
                    continue;
                };
                let Ok(kind) = self.inner.kinds.get(&entry.def.kind).cloned() else {
                    continue;
                };
                if running >= self.inner.global_at_once && !kind.continuous() {
                    continue;
                }
                let lane = kind.lane();
                let in_lane = lanes.entry(lane.name).or_default();
                if *in_lane >= lane.at_once {
                    continue;
                }
                *in_lane += 1;
                if !kind.continuous() {
                    running += 1;
                }
                let seq = self.inner.store.next_seq(&id).unwrap_or(1);
                let run = RunRecord {
                    id: uuid::Uuid::new_v4().simple().to_string(),
                    job: id.clone(),
                    seq,
                    trigger: entry.status.trigger.unwrap_or(Trigger::Manual),
                    started: now,
                    ended: None,
                    result: RunResult::Running,
                    bytes: 0,
                    items: 0,
                    error: None,
                    details: None,
                };
                if let Err(e) = self.inner.store.put_run(&run) {
                    tracing::warn!(job = %id, "cannot record the run: {e}");
                }
                let token = self.inner.shutdown.child_token();
                entry.status.state = JobState::Running;
                entry.status.run = Some(run.id.clone());
                entry.cancel = Some(token.clone());
                entry.stop = None;
                entry.run = Some(run.clone());
                self.save(entry, EventKind::Started);
                starts.push((kind, entry.def.params.clone(), run, token));
            }
        }
        for (kind, params, run, token) in starts {
            let engine = self.clone();
            let ctx = RunContext {
                job: run.job.clone(),
                run: run.id.clone(),
                params,
                cancel: token,
                stores: self.inner.stores.clone(),
                progress: self.progress_sink(&run.job, &run.id),
                details: Arc::default(),
                alert: self.alert_sink(&run.job, &run.id),
            };
            let details = Arc::clone(&ctx.details);
            self.inner.tasks.spawn(async move {
                let result = kind.run(ctx).await;
                let details = details.lock().ok().and_then(|mut d| d.take());
                engine
                    .finish(&kind, &run.job, &run.id, result, details)
                    .await;
            });
        }
    }

    /// Where run `run` of job `job` reports its progress (ignored once another run
    /// of the job has started).
    pub(crate) fn progress_sink(
        &self,
        job: &str,
        run: &str,
    ) -> coffer_core::transfer::ProgressSink {
        let weak = Arc::downgrade(&self.inner);
        let (job, run) = (job.to_string(), run.to_string());
        Arc::new(move |p: &Progress| {
            let Some(inner) = weak.upgrade() else { return };
            let engine = Engine { inner };
            let mut table = engine.lock();
            let Some(entry) = table.get_mut(&job) else {
                return;
            };
            if entry.status.run.as_deref() != Some(run.as_str()) {
                return;
            }
            entry.status.progress = Some(p.clone());
            engine.publish(entry, EventKind::Progress);
        })
    }

    /// Sets the alert of job `job` while run `run` is its run; publishes a change.
    pub(crate) fn alert_sink(&self, job: &str, run: &str) -> crate::kind::AlertSink {
        let weak = Arc::downgrade(&self.inner);
        let (job, run) = (job.to_string(), run.to_string());
        Arc::new(move |message: Option<String>| {
            let Some(inner) = weak.upgrade() else { return };
            let engine = Engine { inner };
            let mut table = engine.lock();
            let Some(entry) = table.get_mut(&job) else {
                return;
            };
            if entry.status.run.as_deref() != Some(run.as_str()) || entry.status.alert == message {
                return;
            }
            entry.status.alert = message;
            engine.publish(entry, EventKind::Alert);
        })
    }

    /// Records how a run ended.
    async fn finish(
        &self,
        kind: &Arc<dyn Kind>,
        id: &str,
        run_id: &str,
        result: std::result::Result<(), JobError>,
        details: Option<serde_json::Value>,
    ) {
        let now = self.inner.clock.now();
        let shutting_down = self.inner.shutdown.is_cancelled();
        let cancelled_params = {
            let mut table = self.lock();
            let Some(entry) = table.get_mut(id) else {
                return;
            };
            if entry.status.run.as_deref() != Some(run_id) {
                return;
            }
            entry.cancel = None;
            entry.status.alert = None;
            let (state, result_kind, event) = match (&result, entry.stop.take()) {
                (Ok(()), _) => (JobState::Done, RunResult::Done, EventKind::Done),
                (Err(_), Some(Stop::Pause)) => {
                    (JobState::Paused, RunResult::Paused, EventKind::Paused)
                }
                (Err(_), Some(Stop::Cancel)) => {
                    (JobState::Canceled, RunResult::Canceled, EventKind::Canceled)
                }
                (Err(_), None) if shutting_down => match kind.after_restart() {
                    AfterRestart::Resume | AfterRestart::Retry => {
                        (JobState::Queued, RunResult::Interrupted, EventKind::Queued)
                    }
                    AfterRestart::Fail => {
                        (JobState::Failed, RunResult::Interrupted, EventKind::Failed)
                    }
                },
                (Err(_), None) => (JobState::Failed, RunResult::Failed, EventKind::Failed),
            };
            entry.status.state = state;
            entry.status.error = match (&result, result_kind) {
                (Err(e), RunResult::Failed) => Some(e.clone()),
                (_, RunResult::Interrupted) if state == JobState::Failed => Some(interrupted()),
                _ => None,
            };
            if state == JobState::Queued {
                entry.status.trigger = Some(Trigger::Restart);
            }
            let mut run = entry.run.take().unwrap_or_else(|| RunRecord {
                id: run_id.to_string(),
                job: id.to_string(),
                seq: self.inner.store.next_seq(id).unwrap_or(1),
                trigger: Trigger::Manual,
                started: now,
                ended: None,
                result: RunResult::Running,
                bytes: 0,
                items: 0,
                error: None,
                details: None,
            });
            run.ended = Some(now);
            run.details = details;
            run.result = result_kind;
            if let Some(p) = &entry.status.progress {
                run.bytes = p.bytes_done;
                run.items = p.items_done;
            }
            run.error = match (&result, result_kind) {
                (Err(e), RunResult::Failed) => Some(e.message.clone()),
                (_, RunResult::Interrupted) => Some(interrupted().message),
                _ => None,
            };
            if let Err(e) = self.inner.store.put_run(&run) {
                tracing::warn!(job = %id, "cannot record the run's end: {e}");
            }
            if let Err(e) = self.inner.store.trim(id, self.inner.retention, now) {
                tracing::warn!(job = %id, "cannot trim the job's history: {e}");
            }
            entry.status.last_run = Some(run);
            self.save(entry, event);
            (state == JobState::Canceled).then(|| entry.def.params.clone())
        };
        if let Some(params) = cancelled_params {
            kind.cancelled(&params, &self.inner.stores).await;
        }
        if let Err(e) = self.inner.store.flush() {
            tracing::warn!("cannot flush the job records: {e}");
        }
        self.pump();
    }
}

/// What a one-off transfer answers to `verb` (run, retry, resume, edit).
pub(crate) fn oneoff_conflict(verb: &str) -> JobsError {
    JobsError::Conflict(format!(
        "cannot {verb} a one-off transfer: its bytes came from its client, so start it \
         again from there"
    ))
}

fn conflict(entry: &Entry, verb: &str) -> JobsError {
    JobsError::Conflict(format!(
        "cannot {verb} a job that is {}",
        entry.status.state.as_str()
    ))
}

/// An `http` or `https` URL, or an error naming the field.
fn checked_webhook(url: Option<String>) -> Result<Option<String>> {
    let Some(url) = url.map(|u| u.trim().to_string()).filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    match reqwest::Url::parse(&url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(Some(url)),
        _ => Err(JobsError::invalid(
            "webhook",
            format!("`{url}` is not an http(s) URL"),
        )),
    }
}
