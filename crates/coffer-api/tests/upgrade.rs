//! A data dir written by Coffer 0.1 (the transfer queue before the job engine; see
//! `tests/fixtures/README.md`) opens in this release: its jobs are moved into the
//! engine's trees with their state, progress and error, its settings still apply,
//! and a failed job can be retried on the new engine.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use coffer_api::{ApiHost, ApiState};
use coffer_core::Sensitive;
use coffer_core::paths::DataDir;
use coffer_core::secret::MemorySecretStore;
use coffer_core::session::Session;
use coffer_core::transfer::TransferConfig;
use coffer_jobs::{JobState, RunResult};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_dir_of_coffer_0_1_opens_with_its_jobs() {
    let dir = tempfile::tempdir().expect("dir");
    let home = dir.path().join("home");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/coffer-0.1-home"),
        &home,
    );
    let session = Session::open(DataDir::at(&home), Arc::new(MemorySecretStore::default()))
        .expect("the old data dir opens");
    let state = ApiState::new(
        session,
        Sensitive::new("t".into()),
        TransferConfig::default(),
        Vec::new(),
    )
    .expect("the old jobs are read");
    let host = ApiHost::start(state, Default::default(), None)
        .await
        .expect("host");
    let state = host.state();

    let jobs = state.engine().list();
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    let upload = &jobs[0];
    assert_eq!(upload.def.id, "26fdc31a8d0e42ae90472ba10f51676d");
    assert_eq!(upload.def.kind, "upload");
    assert_eq!(upload.def.name, "upload of docs");
    assert_eq!(upload.def.params["bucket"], "photos");
    assert_eq!(upload.def.params["key"], "docs/");
    assert_eq!(upload.status.state, JobState::Done);
    assert_eq!(
        upload.status.progress.as_ref().map(|p| p.bytes_done),
        Some(6)
    );
    let download = &jobs[1];
    assert_eq!(download.def.kind, "download");
    assert_eq!(download.status.state, JobState::Failed);
    assert_eq!(
        download.status.error.as_ref().map(|e| e.code.as_str()),
        Some("no_such_key")
    );
    // The old tree is emptied, the schema version written.
    let db = state.session().db();
    assert!(db.scan_prefix("jobs", b"").expect("scan").is_empty());
    assert_eq!(
        db.get("schema", b"jobs").expect("get").as_deref(),
        Some(&b"1"[..])
    );
    // The saved transfer settings still apply.
    assert_eq!(state.transfer_config().part_size, 6 * 1024 * 1024);
    assert_eq!(state.transfer_config().concurrency, 3);
    // The bucket of the local profile is there.
    let (_, store) = state.store("local").expect("local");
    let buckets = store.list_buckets().await.expect("buckets");
    assert!(buckets.iter().any(|b| b.name == "photos"), "{buckets:?}");

    // Retried on the new engine: it runs (and fails again: the key is still missing),
    // and its history starts.
    state.engine().retry(&download.def.id).expect("retry");
    let again = tokio::time::timeout(
        Duration::from_secs(30),
        state.engine().settled(&download.def.id),
    )
    .await
    .expect("in time")
    .expect("settled");
    assert_eq!(again.status.state, JobState::Failed);
    let history = state.engine().history(&download.def.id).expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].result, RunResult::Failed);
    host.shutdown().await;
}
