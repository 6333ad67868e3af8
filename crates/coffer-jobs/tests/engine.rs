//! The engine with a test kind, an in-memory database and a manual clock: schedules
//! (a missed slot fires once, overlapping triggers run once), limits, failures and
//! their notification, pause and cancel, a restart after a kill, bad input, webhooks.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::{Duration, TimeZone, Utc};
use coffer_core::meta::{MemoryDb, MetaDb, MetaDbExt};
use coffer_core::paths::DataDir;
use coffer_core::secret::MemorySecretStore;
use coffer_core::session::Session;
use coffer_core::transfer::TransferConfig;
use coffer_jobs::engine::JobEdit;
use coffer_jobs::kind::parse_params;
use coffer_jobs::{
    AfterRestart, Engine, EngineBuilder, EventKind, JobError, JobState, JobsError, Kind, Lane,
    ManualClock, NewJob, PrepareEnv, Prepared, RunContext, RunResult, Schedule, SessionStores,
    Stores, Trigger,
};
use serde::Deserialize;
use tokio::sync::Notify;

/// What the test kind's runs did.
#[derive(Default)]
struct Record {
    running: AtomicUsize,
    most_at_once: AtomicUsize,
    runs: AtomicUsize,
}

/// A kind that waits for a gate (when asked), then succeeds or fails.
struct TestKind {
    name: &'static str,
    lane: Lane,
    gate: Arc<Notify>,
    record: Arc<Record>,
    after_restart: AfterRestart,
    continuous: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestParams {
    #[serde(default)]
    fail: bool,
    #[serde(default)]
    wait: bool,
    #[serde(default)]
    alert: bool,
}

#[async_trait::async_trait]
impl Kind for TestKind {
    fn name(&self) -> &'static str {
        self.name
    }

    fn prepare(
        &self,
        params: serde_json::Value,
        _env: &PrepareEnv<'_>,
        _stores: &dyn Stores,
    ) -> Result<Prepared, JobsError> {
        let _: TestParams = parse_params(params.clone())?;
        Ok(Prepared {
            params,
            name: format!("{} job", self.name),
        })
    }

    fn can_pause(&self) -> bool {
        true
    }

    fn lane(&self) -> Lane {
        self.lane
    }

    fn continuous(&self) -> bool {
        self.continuous
    }

    fn after_restart(&self) -> AfterRestart {
        self.after_restart
    }

    async fn run(&self, ctx: RunContext) -> Result<(), JobError> {
        let p: TestParams = ctx.params()?;
        let now = self.record.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.record.most_at_once.fetch_max(now, Ordering::SeqCst);
        self.record.runs.fetch_add(1, Ordering::SeqCst);
        if p.alert {
            ctx.alert(Some("a replica is 75 s behind".into()));
        }
        let tracker = ctx.tracker("upload");
        tracker.add_total(10, 1);
        tracker.add_bytes(10);
        let result = if p.wait {
            tokio::select! {
                () = self.gate.notified() => Ok(()),
                () = ctx.cancel.cancelled() => Err(JobError::new("cancelled", "stopped")),
            }
        } else {
            Ok(())
        };
        tracker.item_done();
        tracker.finish();
        self.record.running.fetch_sub(1, Ordering::SeqCst);
        result?;
        if p.fail {
            return Err(JobError::new("access_denied", "the server refused the key"));
        }
        Ok(())
    }
}

struct Rig {
    engine: Engine,
    clock: Arc<ManualClock>,
    gate: Arc<Notify>,
    record: Arc<Record>,
    db: Arc<dyn MetaDb>,
    _dir: tempfile::TempDir,
}

fn stores(dir: &Path) -> Arc<dyn Stores> {
    let session = Session::open(
        DataDir::at(dir.join("data")),
        Arc::new(MemorySecretStore::default()),
    )
    .expect("session");
    Arc::new(SessionStores::new(session, TransferConfig::default()))
}

fn rig_on(db: Arc<dyn MetaDb>, lanes: [usize; 2], global: usize, after: AfterRestart) -> Rig {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
            .single()
            .expect("time"),
    ));
    let gate = Arc::new(Notify::new());
    let record = Arc::new(Record::default());
    let kind = |name: &'static str, at_once| {
        Arc::new(TestKind {
            name,
            lane: Lane { name, at_once },
            gate: gate.clone(),
            record: record.clone(),
            after_restart: after,
            continuous: false,
        })
    };
    let engine = EngineBuilder::new(stores(dir.path()))
        .clock(clock.clone())
        .global_at_once(global)
        .kind(kind("alpha", lanes[0]))
        .kind(kind("beta", lanes[1]))
        .open(db.clone())
        .expect("engine");
    Rig {
        engine,
        clock,
        gate,
        record,
        db,
        _dir: dir,
    }
}

fn rig() -> Rig {
    rig_on(
        Arc::new(MemoryDb::default()),
        [1, 1],
        4,
        AfterRestart::Retry,
    )
}

fn any_path(p: &Path) -> Result<PathBuf, JobsError> {
    Ok(p.to_path_buf())
}

fn add(
    engine: &Engine,
    kind: &str,
    params: serde_json::Value,
    schedule: Option<Schedule>,
) -> String {
    engine
        .add(
            NewJob {
                kind: kind.into(),
                params,
                schedule,
                ..NewJob::default()
            },
            &PrepareEnv::new(&any_path),
        )
        .expect("added")
        .def
        .id
}

#[tokio::test]
async fn a_missed_slot_fires_once_and_the_schedule_goes_on() {
    let r = rig();
    let id = add(
        &r.engine,
        "alpha",
        serde_json::json!({}),
        Some(Schedule::every("1h")),
    );
    let job = r.engine.get(&id).expect("job");
    assert_eq!(job.status.state, JobState::Idle);
    assert_eq!(
        job.status.next_run,
        Some(r.clock.now_for_test() + Duration::hours(1))
    );
    assert_eq!(r.engine.tick(), 0, "not due yet");

    // The agent was away for five slots.
    r.clock.advance(Duration::hours(5) + Duration::minutes(10));
    assert_eq!(r.engine.tick(), 1, "one run for all the missed slots");
    let done = r.engine.settled(&id).await.expect("settled");
    assert_eq!(done.status.state, JobState::Done);
    assert_eq!(r.engine.tick(), 0, "nothing more until the next slot");
    assert_eq!(
        done.status.next_run,
        Some(r.clock.now_for_test() + Duration::hours(1))
    );
    let history = r.engine.history(&id).expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].trigger, Trigger::Schedule);
    assert_eq!(history[0].result, RunResult::Done);
    assert_eq!(history[0].bytes, 10);

    r.clock.advance(Duration::hours(1));
    assert_eq!(r.engine.tick(), 1);
    r.engine.settled(&id).await.expect("settled");
    assert_eq!(r.engine.history(&id).expect("history").len(), 2);
}

#[tokio::test]
async fn overlapping_triggers_run_once() {
    let r = rig();
    let id = add(
        &r.engine,
        "alpha",
        serde_json::json!({"wait": true}),
        Some(Schedule::every("10m")),
    );
    r.engine.run_now(&id).expect("run now");
    wait_for(&r.engine, &id, JobState::Running).await;
    // The schedule comes due while it runs, and the user presses "run now" again.
    r.clock.advance(Duration::minutes(30));
    assert_eq!(r.engine.tick(), 0, "skipped while running");
    let e = r.engine.run_now(&id).expect_err("already running");
    assert!(matches!(e, JobsError::Conflict(_)), "{e}");
    r.gate.notify_one();
    r.engine.settled(&id).await.expect("settled");
    assert_eq!(r.record.runs.load(Ordering::SeqCst), 1);
    assert_eq!(r.record.most_at_once.load(Ordering::SeqCst), 1);
    assert_eq!(r.engine.history(&id).expect("history").len(), 1);
}

#[tokio::test]
async fn limits_hold_per_lane_and_overall() {
    // alpha: 2 at once; beta: 2 at once; 3 overall.
    let r = rig_on(
        Arc::new(MemoryDb::default()),
        [2, 2],
        3,
        AfterRestart::Retry,
    );
    let wait = serde_json::json!({"wait": true});
    let a: Vec<String> = (0..3)
        .map(|_| add(&r.engine, "alpha", wait.clone(), None))
        .collect();
    let b: Vec<String> = (0..2)
        .map(|_| add(&r.engine, "beta", wait.clone(), None))
        .collect();
    tokio::time::sleep(StdDuration::from_millis(100)).await;
    let states = |ids: &[String]| -> Vec<JobState> {
        ids.iter()
            .map(|id| r.engine.get(id).expect("job").status.state)
            .collect()
    };
    assert_eq!(
        states(&a),
        vec![JobState::Running, JobState::Running, JobState::Queued]
    );
    assert_eq!(states(&b), vec![JobState::Running, JobState::Queued]);
    for _ in 0..5 {
        r.gate.notify_one();
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    for id in a.iter().chain(&b) {
        assert_eq!(
            r.engine.settled(id).await.expect("job").status.state,
            JobState::Done
        );
    }
    assert_eq!(r.record.most_at_once.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_failure_is_recorded_and_notified() {
    let r = rig();
    let mut events = r.engine.subscribe();
    let id = add(&r.engine, "alpha", serde_json::json!({"fail": true}), None);
    let job = r.engine.settled(&id).await.expect("settled");
    assert_eq!(job.status.state, JobState::Failed);
    assert_eq!(
        job.status.error.as_ref().map(|e| e.code.as_str()),
        Some("access_denied")
    );
    let history = r.engine.history(&id).expect("history");
    assert_eq!(history[0].result, RunResult::Failed);
    assert_eq!(
        history[0].error.as_deref(),
        Some("the server refused the key")
    );
    let mut kinds = Vec::new();
    let mut failed = None;
    while let Some(e) = events.try_recv() {
        kinds.push(e.kind);
        if e.kind == EventKind::Failed {
            failed = Some(e);
        }
    }
    assert_eq!(kinds.first(), Some(&EventKind::Queued));
    assert!(kinds.contains(&EventKind::Started));
    let failed = failed.expect("a failed event");
    let (title, body) = coffer_jobs::alerts::notification(&failed).expect("notified");
    assert_eq!(title, "Job failed: alpha job");
    assert_eq!(body, "the server refused the key");

    // Retry runs it again (and fails again).
    r.engine.retry(&id).expect("retry");
    r.engine.settled(&id).await.expect("settled");
    let history = r.engine.history(&id).expect("history");
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].trigger, Trigger::Retry);
}

#[tokio::test]
async fn pause_resume_cancel_and_remove() {
    let r = rig();
    let id = add(&r.engine, "alpha", serde_json::json!({"wait": true}), None);
    wait_for(&r.engine, &id, JobState::Running).await;
    r.engine.pause(&id).expect("pause");
    let job = r.engine.settled(&id).await.expect("settled");
    assert_eq!(job.status.state, JobState::Paused);
    r.engine.remove(&id).expect("a paused job can be removed");
    let id = add(&r.engine, "alpha", serde_json::json!({"wait": true}), None);
    wait_for(&r.engine, &id, JobState::Running).await;
    r.engine.pause(&id).expect("pause");
    wait_for(&r.engine, &id, JobState::Paused).await;
    r.engine.resume(&id).expect("resume");
    wait_for(&r.engine, &id, JobState::Running).await;
    r.engine.cancel(&id).expect("cancel");
    let job = r.engine.settled(&id).await.expect("settled");
    assert_eq!(job.status.state, JobState::Canceled);
    let results: Vec<RunResult> = r
        .engine
        .history(&id)
        .expect("history")
        .iter()
        .map(|h| h.result)
        .collect();
    assert_eq!(results, vec![RunResult::Paused, RunResult::Canceled]);
    let e = r.engine.resume(&id).expect_err("not paused");
    assert_eq!(e.to_string(), "cannot resume a job that is canceled");
    r.engine.remove(&id).expect("remove");
    assert!(matches!(r.engine.get(&id), Err(JobsError::NotFound(_))));
    assert!(r.engine.history(&id).is_err());
}

#[tokio::test]
async fn a_killed_agent_leaves_true_states_and_keeps_every_run() {
    let db: Arc<dyn MetaDb> = Arc::new(MemoryDb::default());
    let first = rig_on(db.clone(), [1, 1], 4, AfterRestart::Retry);
    let id = first
        .engine
        .add(
            NewJob {
                kind: "alpha".into(),
                params: serde_json::json!({"wait": true}),
                schedule: Some(Schedule::every("1h")),
                run_now: Some(true),
                ..NewJob::default()
            },
            &PrepareEnv::new(&any_path),
        )
        .expect("added")
        .def
        .id;
    wait_for(&first.engine, &id, JobState::Running).await;
    // A kill: the engine is gone without a shutdown; only the database remains.
    let next_run = first.engine.get(&id).expect("job").status.next_run;
    std::mem::forget(first.engine);

    let second = rig_on(first.db.clone(), [1, 1], 4, AfterRestart::Retry);
    let job = second.engine.get(&id).expect("job");
    assert_eq!(
        job.status.state,
        JobState::Queued,
        "retried by its kind's rule"
    );
    assert_eq!(job.status.next_run, next_run, "the schedule goes on");
    second.engine.tick();
    wait_for(&second.engine, &id, JobState::Running).await;
    second.gate.notify_one();
    second.engine.settled(&id).await.expect("settled");
    let history = second.engine.history(&id).expect("history");
    let results: Vec<RunResult> = history.iter().map(|h| h.result).collect();
    assert_eq!(results, vec![RunResult::Interrupted, RunResult::Done]);
    assert_eq!(history[1].trigger, Trigger::Restart);

    // A kind that fails interrupted runs leaves the job failed, saying why.
    let third = rig_on(Arc::new(MemoryDb::default()), [1, 1], 4, AfterRestart::Fail);
    let id = add(
        &third.engine,
        "beta",
        serde_json::json!({"wait": true}),
        None,
    );
    wait_for(&third.engine, &id, JobState::Running).await;
    std::mem::forget(third.engine);
    let fourth = rig_on(third.db.clone(), [1, 1], 4, AfterRestart::Fail);
    let job = fourth.engine.get(&id).expect("job");
    assert_eq!(job.status.state, JobState::Failed);
    assert_eq!(
        job.status.error.map(|e| e.code),
        Some("interrupted".to_string())
    );
}

#[tokio::test]
async fn bad_input_is_refused_and_nothing_is_saved() {
    let r = rig();
    let env_any = any_path;
    let env = PrepareEnv::new(&env_any);
    let bad = |new: NewJob| r.engine.add(new, &env).expect_err("refused");
    let e = bad(NewJob {
        kind: "teleport".into(),
        ..NewJob::default()
    });
    assert!(matches!(e, JobsError::UnknownKind { .. }), "{e}");
    assert!(e.to_string().contains("alpha, beta"), "{e}");
    let e = bad(NewJob {
        kind: "alpha".into(),
        params: serde_json::json!({"fail": "yes"}),
        ..NewJob::default()
    });
    assert!(e.to_string().starts_with("params:"), "{e}");
    let e = bad(NewJob {
        kind: "alpha".into(),
        params: serde_json::json!({}),
        schedule: Some(Schedule::cron("every day", None)),
        ..NewJob::default()
    });
    assert!(e.to_string().starts_with("schedule.cron:"), "{e}");
    let e = bad(NewJob {
        kind: "alpha".into(),
        params: serde_json::json!({}),
        webhook: Some("ftp://x".into()),
        ..NewJob::default()
    });
    assert!(e.to_string().starts_with("webhook:"), "{e}");
    assert!(r.engine.list().is_empty());
    assert!(r.db.scan_prefix("job_defs", b"").expect("scan").is_empty());
}

#[tokio::test]
async fn edits_change_the_schedule() {
    let r = rig();
    let id = add(
        &r.engine,
        "alpha",
        serde_json::json!({}),
        Some(Schedule::every("1h")),
    );
    let job = r
        .engine
        .edit(
            &id,
            JobEdit {
                enabled: Some(false),
                ..JobEdit::default()
            },
        )
        .expect("disable");
    assert_eq!(job.status.next_run, None);
    r.clock.advance(Duration::hours(3));
    assert_eq!(r.engine.tick(), 0, "a disabled job does not run");
    let job = r
        .engine
        .edit(
            &id,
            JobEdit {
                enabled: Some(true),
                schedule: Some(Schedule::cron("0 0 * * *", Some("Europe/Paris".into()))),
                ..JobEdit::default()
            },
        )
        .expect("enable");
    // 15:00 UTC on 1 March: next Paris midnight is 23:00 UTC.
    assert_eq!(
        job.status.next_run,
        Some(
            Utc.with_ymd_and_hms(2026, 3, 1, 23, 0, 0)
                .single()
                .expect("t")
        )
    );
}

#[tokio::test]
async fn old_transfer_queue_records_are_migrated() {
    let db: Arc<dyn MetaDb> = Arc::new(MemoryDb::default());
    // A record as Coffer 0.1's API saved it.
    let old = serde_json::json!({
        "id": "0123abcd",
        "kind": "upload",
        "profile": "local",
        "bucket": "samples",
        "key": "docs/",
        "path": "/tmp/docs",
        "state": "paused",
        "progress": {"bytes_done": 5, "bytes_total": 10, "bytes_resumed": 0,
            "items_done": 0, "items_total": 2, "rate": 1.5, "eta": 3.0,
            "elapsed": 2.0, "finished": false},
        "error": null,
        "created": "2026-11-01T10:00:00.5Z"
    });
    db.put_json("jobs", "0123abcd", &old).expect("put");
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = EngineBuilder::new(stores(dir.path()))
        .builtin_kinds()
        .open(db.clone())
        .expect("open");
    let job = engine.get("0123abcd").expect("migrated");
    assert_eq!(job.def.kind, "upload");
    assert_eq!(job.def.name, "upload of docs");
    assert_eq!(job.def.params["bucket"], "samples");
    assert_eq!(job.status.state, JobState::Paused);
    assert_eq!(job.status.progress.as_ref().map(|p| p.bytes_done), Some(5));
    assert!(db.scan_prefix("jobs", b"").expect("scan").is_empty());
}

#[tokio::test]
async fn webhooks_are_called_and_retried() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let bodies = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = bodies.clone();
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((mut s, _)) = listener.accept().await {
            n += 1;
            let mut buf = vec![0u8; 64 * 1024];
            let mut got = Vec::new();
            // Read until the JSON body's end (a short request).
            while let Ok(k) = s.read(&mut buf).await {
                if k == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..k]);
                if got.ends_with(b"}") {
                    break;
                }
            }
            seen.lock()
                .expect("lock")
                .push(String::from_utf8_lossy(&got).into_owned());
            // The first call fails: the hook must be tried again.
            let status = if n == 1 {
                "500 Internal Server Error"
            } else {
                "204 No Content"
            };
            let _ = s
                .write_all(
                    format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .as_bytes(),
                )
                .await;
        }
    });
    let r = rig();
    let _alerts = coffer_jobs::alerts::spawn(&r.engine, None);
    let id = r
        .engine
        .add(
            NewJob {
                kind: "alpha".into(),
                params: serde_json::json!({"fail": true}),
                webhook: Some(format!("http://{addr}/hook")),
                ..NewJob::default()
            },
            &PrepareEnv::new(&any_path),
        )
        .expect("added")
        .def
        .id;
    r.engine.settled(&id).await.expect("settled");
    for _ in 0..100 {
        if bodies.lock().expect("lock").len() >= 2 {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    let bodies = bodies.lock().expect("lock");
    assert_eq!(bodies.len(), 2, "one failure, one retry");
    assert!(bodies[1].contains("\"event\":\"failed\""), "{}", bodies[1]);
    assert!(bodies[1].contains(&id), "{}", bodies[1]);
}

async fn wait_for(engine: &Engine, id: &str, state: JobState) {
    for _ in 0..200 {
        if engine.get(id).expect("job").status.state == state {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
    panic!(
        "job never became {state:?}: {:?}",
        engine.get(id).expect("job").status.state
    );
}

trait NowForTest {
    fn now_for_test(&self) -> chrono::DateTime<Utc>;
}

impl NowForTest for ManualClock {
    fn now_for_test(&self) -> chrono::DateTime<Utc> {
        coffer_jobs::Clock::now(self)
    }
}

#[tokio::test]
async fn a_run_recorded_just_before_a_kill_is_marked_interrupted() {
    // The kill fell between the run's record and the job's status: the job still
    // says queued, its history says running.
    let db: Arc<dyn MetaDb> = Arc::new(MemoryDb::default());
    let first = rig_on(db.clone(), [1, 1], 4, AfterRestart::Retry);
    let id = add(
        &first.engine,
        "alpha",
        serde_json::json!({"fail": true}),
        None,
    );
    first.engine.settled(&id).await.expect("settled");
    let store = coffer_jobs::store::open(db.clone()).expect("store");
    let mut orphan = store.runs(&id).expect("runs").remove(0);
    orphan.id = "orphan".into();
    orphan.seq = 2;
    orphan.result = RunResult::Running;
    orphan.ended = None;
    store.put_run(&orphan).expect("put");
    std::mem::forget(first.engine);

    let second = rig_on(db, [1, 1], 4, AfterRestart::Retry);
    let history = second.engine.history(&id).expect("history");
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].result, RunResult::Interrupted);
    assert!(history[1].ended.is_some());
}

/// A one-off transfer shows as a job with the same events: it runs outside the queue,
/// can be cancelled but not paused, run again or edited, is never saved, and the
/// oldest finished ones are dropped past the limit.
#[tokio::test]
async fn one_off_jobs_share_the_events_and_are_never_saved() {
    let r = rig();
    let mut events = r.engine.subscribe();
    let job = r.engine.track(
        "upload",
        "photo.jpg",
        serde_json::json!({"key": "photo.jpg"}),
        Some("row-1"),
    );
    assert_eq!(job.id(), "row-1", "the client's id is kept");
    let started = events.recv().await.expect("event");
    assert_eq!(started.kind, EventKind::Started);
    assert!(started.job.def.oneoff);
    assert_eq!(started.job.status.state, JobState::Running);
    // A queued job of a lane limited to one still starts: one-offs are outside limits.
    let queued = add(&r.engine, "alpha", serde_json::json!({"wait": true}), None);
    wait_for(&r.engine, &queued, JobState::Running).await;

    let tracker = coffer_core::transfer::Tracker::new("upload", Some(job.progress_sink()));
    tracker.add_total(100, 1);
    tracker.add_bytes(10);
    let p = tracker.finish();
    let e = r.engine.pause("row-1").expect_err("cannot pause");
    assert!(matches!(e, JobsError::Conflict(_)), "{e}");
    assert!(matches!(
        r.engine.retry("row-1"),
        Err(JobsError::Conflict(_))
    ));
    assert!(matches!(
        r.engine.edit("row-1", JobEdit::default()),
        Err(JobsError::Conflict(_))
    ));
    r.engine.cancel("row-1").expect("cancel");
    assert!(
        job.cancel_token().is_cancelled(),
        "the work is told to stop"
    );
    job.finish(Some(JobError::new("cancelled", "cancelled")), Some(p));
    let view = r.engine.get("row-1").expect("still listed");
    assert_eq!(view.status.state, JobState::Canceled);
    assert_eq!(view.status.progress.map(|p| p.bytes_done), Some(10));
    let e = r.engine.run_now("row-1").expect_err("cannot run again");
    assert!(e.to_string().contains("one-off"), "{e}");
    assert!(r.engine.history("row-1").expect("history").is_empty());
    // Never saved: a new engine on the same database does not know it.
    assert!(
        r.db.scan_prefix("job_defs", b"")
            .expect("scan")
            .iter()
            .all(|(k, _)| k.as_slice() != b"row-1")
    );

    // Dropped unfinished (its request went away): failed, saying why.
    drop(
        r.engine
            .track("download", "gone", serde_json::json!({}), Some("row-2")),
    );
    let gone = r.engine.get("row-2").expect("listed");
    assert_eq!(gone.status.state, JobState::Failed);
    assert!(
        gone.status
            .error
            .expect("error")
            .message
            .contains("went away")
    );
    // A one-off started again under its id (its client resumed) replaces the old one,
    // which is told to stop; the old one's end changes nothing.
    let first = r
        .engine
        .track("upload", "again", serde_json::json!({}), Some("row-3"));
    let second = r
        .engine
        .track("upload", "again", serde_json::json!({}), Some("row-3"));
    assert_eq!(second.id(), "row-3");
    assert!(first.cancel_token().is_cancelled());
    first.finish(Some(JobError::new("cancelled", "stopped")), None);
    assert_eq!(
        r.engine.get("row-3").expect("listed").status.state,
        JobState::Running
    );
    second.finish(None, None);
    assert_eq!(
        r.engine.get("row-3").expect("listed").status.state,
        JobState::Done
    );
    // Another job's id is not taken over: the one-off gets an id of its own.
    let busy = r
        .engine
        .track("upload", "x", serde_json::json!({}), Some(queued.as_str()));
    assert_ne!(busy.id(), queued);
    busy.finish(None, None);
    // The oldest finished ones go beyond the limit.
    for i in 0..coffer_jobs::oneoff::KEEP_FINISHED + 5 {
        r.engine
            .track(
                "upload",
                "many",
                serde_json::json!({}),
                Some(&format!("many-{i}")),
            )
            .finish(None, None);
    }
    let oneoffs = r.engine.list().iter().filter(|j| j.def.oneoff).count();
    assert!(
        oneoffs <= coffer_jobs::oneoff::KEEP_FINISHED + 1,
        "{oneoffs} one-offs kept"
    );
    r.engine.cancel(&queued).expect("cancel");
    r.gate.notify_waiters();
}

#[tokio::test]
async fn continuous_runs_leave_the_global_limit_alone_and_raise_alerts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gate = Arc::new(Notify::new());
    let record = Arc::new(Record::default());
    let kind = |name: &'static str, continuous| {
        Arc::new(TestKind {
            name,
            lane: Lane { name, at_once: 8 },
            gate: gate.clone(),
            record: record.clone(),
            after_restart: AfterRestart::Resume,
            continuous,
        })
    };
    let engine = EngineBuilder::new(stores(dir.path()))
        .global_at_once(1)
        .kind(kind("alpha", false))
        .kind(kind("gamma", true))
        .open(Arc::new(MemoryDb::default()))
        .expect("engine");
    let mut events = engine.subscribe();
    let g1 = add(
        &engine,
        "gamma",
        serde_json::json!({"wait": true, "alert": true}),
        None,
    );
    let g2 = add(&engine, "gamma", serde_json::json!({"wait": true}), None);
    wait_for(&engine, &g1, JobState::Running).await;
    wait_for(&engine, &g2, JobState::Running).await;
    // Two continuous runs hold the global limit of 1 for nobody: a transfer still runs.
    let a = add(&engine, "alpha", serde_json::json!({}), None);
    let done = engine.settled(&a).await.expect("settled");
    assert_eq!(done.status.state, JobState::Done);
    // The alert is on the job, and an Alert event told of it.
    assert_eq!(
        engine.get(&g1).expect("job").status.alert.as_deref(),
        Some("a replica is 75 s behind")
    );
    let mut alerted = false;
    while let Ok(Some(ev)) =
        tokio::time::timeout(std::time::Duration::from_millis(200), events.recv()).await
    {
        alerted |= ev.kind == coffer_jobs::EventKind::Alert && ev.job.def.id == g1;
    }
    assert!(alerted, "no Alert event");
    // The alert ends with the run.
    engine.cancel(&g1).expect("cancel");
    let ended = engine.settled(&g1).await.expect("settled");
    assert_eq!(ended.status.alert, None);
    engine.cancel(&g2).expect("cancel");
}
