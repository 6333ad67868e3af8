//! Backups as jobs of the engine, with an injected clock: a run missed while the agent
//! was away fires once, a run never overlaps itself, and each run's history carries
//! the snapshot, the files and bytes added and the repository's size. Real Garage,
//! real backups.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use coffer_backup::kind::BackupKind;
use coffer_backup::{Access, RepoLocation};
use coffer_core::Sensitive;
use coffer_core::meta::MemoryDb;
use coffer_core::paths::DataDir;
use coffer_core::profile::ProfileDraft;
use coffer_core::secret::MemorySecretStore;
use coffer_core::session::Session;
use coffer_core::transfer::TransferConfig;
use coffer_jobs::{
    EngineBuilder, JobState, ManualClock, NewJob, PrepareEnv, RunResult, Schedule, SessionStores,
    Trigger,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_scheduled_backup_runs_once_for_missed_slots_and_never_twice_at_once() {
    let server = coffer_testkit::garage();
    let dir = tempfile::tempdir().expect("tmp");
    let session = Session::open(
        DataDir::at(dir.path().join("data")),
        Arc::new(MemorySecretStore::default()),
    )
    .expect("session");
    session
        .profiles()
        .add(
            ProfileDraft {
                name: "garage".into(),
                endpoint: Some(server.endpoint.clone()),
                region: Some(server.region.clone()),
                path_style: Some(true),
                access_key_id: Some(server.access_key_id.clone()),
                secret_access_key: Some(Sensitive::new(server.secret_access_key.clone())),
                ..ProfileDraft::default()
            },
            false,
        )
        .expect("profile");
    let bucket = server.fresh_bucket("bk-job");
    let url = format!("s3://{bucket}/nightly");
    let stores = SessionStores::new(session.clone(), TransferConfig::default());
    let (_, store) = coffer_jobs::Stores::store(&stores, "garage").expect("store");
    let access = Access {
        store,
        profile: "garage".into(),
        secrets: session.secrets().clone(),
        db: session.db().clone(),
        data_dir: dir.path().join("data"),
    };
    access
        .init(
            RepoLocation::parse(&url).expect("url"),
            &Sensitive::new("pw".into()),
            false,
        )
        .await
        .expect("init");

    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).expect("src");
    for i in 0..20 {
        std::fs::write(
            src.join(format!("f{i}.txt")),
            format!("file {i}\n").repeat(1000),
        )
        .expect("write");
    }

    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
            .single()
            .expect("time"),
    ));
    let engine = EngineBuilder::new(Arc::new(stores))
        .clock(clock.clone())
        .kind(Arc::new(BackupKind::new(session.clone())))
        .open(Arc::new(MemoryDb::default()))
        .expect("engine");
    let check = |p: &std::path::Path| Ok(p.to_path_buf());
    let job = engine
        .add(
            NewJob {
                kind: "backup".into(),
                name: None,
                params: serde_json::json!({
                    "profile": "garage",
                    "repo": url,
                    "paths": [src],
                    "keep": {"last": 2},
                }),
                schedule: Some(Schedule::every("6h")),
                enabled: None,
                notify: None,
                webhook: None,
                run_now: None,
            },
            &PrepareEnv::new(&check),
        )
        .expect("add");
    assert_eq!(job.def.name, "backup of src");
    assert_eq!(job.status.state, JobState::Idle);
    assert_eq!(engine.tick(), 0, "not due yet");

    // Away for four slots: one run.
    clock.advance(Duration::hours(25));
    assert_eq!(engine.tick(), 1, "one run for every missed slot");
    // Due again while it runs: nothing more starts.
    clock.advance(Duration::hours(7));
    assert_eq!(engine.tick(), 0, "never twice at once");
    let done = engine.settled(&job.def.id).await.expect("settled");
    assert_eq!(done.status.state, JobState::Done, "{:?}", done.status.error);

    let history = engine.history(&job.def.id).expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].trigger, Trigger::Schedule);
    assert_eq!(history[0].result, RunResult::Done);
    let details = history[0].details.clone().expect("details");
    assert_eq!(details["files_new"], 20);
    assert!(
        details["snapshot"].as_str().is_some_and(|s| s.len() == 64),
        "{details}"
    );
    assert!(
        details["bytes_added"]
            .as_u64()
            .is_some_and(|b| b >= 20 * 7000),
        "{details}"
    );
    assert!(
        details["repo_size"].as_u64().is_some_and(|b| b > 0),
        "{details}"
    );

    // Two more runs; keep-last 2 forgets the oldest.
    for _ in 0..2 {
        clock.advance(Duration::hours(6));
        assert_eq!(engine.tick(), 1);
        engine.settled(&job.def.id).await.expect("settled");
    }
    let history = engine.history(&job.def.id).expect("history");
    assert_eq!(history.len(), 3);
    let last = history
        .iter()
        .max_by_key(|r| r.seq)
        .and_then(|r| r.details.clone())
        .expect("details");
    assert_eq!(last["files_unmodified"], 20, "{last}");
    assert_eq!(last["forgotten"], 1, "{last}");
    let repo = access
        .open(RepoLocation::parse(&url).expect("url"), None)
        .await
        .expect("open");
    assert_eq!(repo.snapshots().await.expect("snapshots").len(), 2);
    engine.shutdown().await;
}
