//! Transfers (upload, download, folders, copy, move, delete, resume, cleanup) against
//! real servers, with faults injected by `FaultStore` where a test needs them.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coffer_core::Error;
use coffer_core::meta::{MemoryDb, MetaDb};
use coffer_core::store::{
    Fault, FaultStore, ListRequest, ObjectRef, PutOptions, RetryPolicy, RetryStore, Store, StoreExt,
};
use coffer_core::transfer::{Progress, Tracker, TransferConfig, Transfers};
use common::{Backend, Fixture, write_file};
use futures::TryStreamExt;

const MIB: u64 = 1024 * 1024;

fn config(part_mib: u64, concurrency: usize) -> TransferConfig {
    TransferConfig {
        part_size: part_mib * MIB,
        concurrency,
        multipart_threshold: part_mib * MIB,
    }
}

fn engine(store: Arc<dyn Store>, db: Arc<dyn MetaDb>, config: TransferConfig) -> Transfers {
    Transfers::new(store, db, "test", config).expect("transfer engine")
}

/// A tracker that records every progress event.
fn recording() -> (Tracker, Arc<Mutex<Vec<Progress>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = {
        let events = events.clone();
        Arc::new(move |p: &Progress| events.lock().expect("events").push(p.clone()))
    };
    (Tracker::new("test", Some(sink)), events)
}

async fn keys(store: &Arc<dyn Store>, bucket: &str, prefix: &str) -> Vec<String> {
    let pages: Vec<_> = store
        .list_stream(ListRequest::recursive(bucket, prefix))
        .try_collect()
        .await
        .expect("list");
    pages
        .into_iter()
        .flat_map(|p| p.objects.into_iter().map(|o| o.key))
        .collect()
}

/// Every file under `root`, as (relative path, bytes), sorted.
fn tree(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<_> = walk(root)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read");
            (
                p.strip_prefix(root).expect("under root").to_path_buf(),
                bytes,
            )
        })
        .collect();
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

async fn multipart_round_trip(f: Fixture) {
    let dir = tempfile::tempdir().expect("temp");
    let source = dir.path().join("big ü.bin");
    let size = 23 * MIB + 123;
    let bytes = write_file(&source, size as usize, 11);
    let transfers = engine(f.store.clone(), Arc::new(MemoryDb::default()), config(5, 3));
    let target = ObjectRef::new(&f.bucket, "big/ü + x.bin");

    let (tracker, events) = recording();
    let report = transfers
        .upload_file(&source, &target, &PutOptions::default(), &tracker)
        .await
        .expect("upload");
    assert!(report.multipart);
    assert_eq!(report.size, size);
    assert_eq!(report.bytes_sent, size);
    assert_eq!(report.parts_resumed, 0);
    let last = tracker.finish();
    assert_eq!(last.bytes_done, size);
    assert_eq!(last.items_done, 1);
    let events = events.lock().expect("events").clone();
    assert!(!events.is_empty(), "progress was reported");
    assert!(
        events
            .windows(2)
            .all(|w| w[0].bytes_done <= w[1].bytes_done)
    );

    let meta = f.store.head(&f.bucket, &target.key).await.expect("head");
    assert_eq!(meta.size, size);
    assert_eq!(
        meta.content_type.as_deref(),
        Some("application/octet-stream")
    );

    let dest = dir.path().join("out/back.bin");
    let (tracker, _) = recording();
    let report = transfers
        .download_object(&target, &dest, &tracker)
        .await
        .expect("download");
    assert_eq!(report.size, size);
    if f.backend == Backend::Garage {
        assert!(report.verified.contains("CRC32C"), "{}", report.verified);
    }
    assert!(std::fs::read(&dest).expect("read back") == bytes);
    // No temp files left beside the download.
    assert_eq!(walk(dest.parent().expect("parent")).len(), 1);
    assert!(
        f.store
            .list_multipart_uploads(&f.bucket)
            .await
            .expect("uploads")
            .is_empty()
    );
}

async fn folder_round_trip(f: Fixture) {
    let dir = tempfile::tempdir().expect("temp");
    let up = dir.path().join("up");
    write_file(&up.join("a.txt"), 10, 1);
    write_file(&up.join("empty"), 0, 2);
    write_file(&up.join("nested/deeper/ünï code + %.csv"), 5000, 3);
    write_file(&up.join("nested/big.bin"), (6 * MIB) as usize, 4);
    write_file(&up.join("spaces in name/x y.json"), 100, 5);
    let transfers = engine(f.store.clone(), Arc::new(MemoryDb::default()), config(5, 4));

    let report = transfers
        .upload_dir(
            &up,
            &f.bucket,
            "backup/",
            &PutOptions::default(),
            &Tracker::silent("up"),
        )
        .await
        .expect("upload dir");
    assert_eq!(report.items, 5);
    let mut listed = keys(&f.store, &f.bucket, "backup/").await;
    listed.sort();
    assert_eq!(
        listed,
        [
            "backup/a.txt",
            "backup/empty",
            "backup/nested/big.bin",
            "backup/nested/deeper/ünï code + %.csv",
            "backup/spaces in name/x y.json",
        ]
    );
    let csv = f
        .store
        .head(&f.bucket, "backup/nested/deeper/ünï code + %.csv")
        .await
        .expect("head");
    assert_eq!(csv.content_type.as_deref(), Some("text/csv"));

    let down = dir.path().join("down");
    let report = transfers
        .download_prefix(&f.bucket, "backup/", &down, &Tracker::silent("down"))
        .await
        .expect("download prefix");
    assert_eq!(report.items, 5);
    assert!(tree(&up) == tree(&down), "the trees differ");

    // Copy, then move, the whole prefix on the server.
    let tracker = Tracker::silent("copy");
    transfers
        .copy_prefix(
            &ObjectRef::new(&f.bucket, "backup/"),
            &ObjectRef::new(&f.bucket, "copy/"),
            &tracker,
        )
        .await
        .expect("copy prefix");
    transfers
        .move_prefix(
            &ObjectRef::new(&f.bucket, "copy/"),
            &ObjectRef::new(&f.bucket, "moved/"),
            &tracker,
        )
        .await
        .expect("move prefix");
    assert!(keys(&f.store, &f.bucket, "copy/").await.is_empty());
    assert_eq!(keys(&f.store, &f.bucket, "moved/").await.len(), 5);
    // A prefix cannot be copied into itself.
    let err = transfers
        .copy_prefix(
            &ObjectRef::new(&f.bucket, "moved/"),
            &ObjectRef::new(&f.bucket, "moved/inner/"),
            &tracker,
        )
        .await
        .expect_err("copy into itself");
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");

    // Rename one object, then delete everything.
    transfers
        .move_object(
            &ObjectRef::new(&f.bucket, "moved/a.txt"),
            &ObjectRef::new(&f.bucket, "renamed.txt"),
            &tracker,
        )
        .await
        .expect("rename");
    assert!(
        !f.store
            .exists(&f.bucket, "moved/a.txt")
            .await
            .expect("exists")
    );
    assert!(
        f.store
            .exists(&f.bucket, "renamed.txt")
            .await
            .expect("exists")
    );
    transfers
        .delete_prefix(&f.bucket, "", &tracker)
        .await
        .expect("delete all");
    assert!(keys(&f.store, &f.bucket, "").await.is_empty());
    let err = transfers
        .delete_object(&ObjectRef::new(&f.bucket, "renamed.txt"))
        .await
        .expect_err("deleting a missing object says so");
    assert!(matches!(err, Error::NoSuchKey { .. }), "{err:?}");
}

/// An upload that fails after two parts resumes from the saved state and does not
/// send those parts again.
async fn resume_after_failure(f: Fixture) {
    let dir = tempfile::tempdir().expect("temp");
    let source = dir.path().join("resume.bin");
    let size = 26 * MIB;
    let bytes = write_file(&source, size as usize, 21);
    let db: Arc<dyn MetaDb> = Arc::new(MemoryDb::default());
    let target = ObjectRef::new(&f.bucket, "resumed.bin");

    let faulty = Arc::new(FaultStore::new(
        f.store.clone(),
        vec![Fault::fatal_after("upload_part", 2)],
    ));
    let first = engine(faulty.clone(), db.clone(), config(5, 1));
    first
        .upload_file(
            &source,
            &target,
            &PutOptions::default(),
            &Tracker::silent("up"),
        )
        .await
        .expect_err("the third part fails");
    assert!(
        !f.store
            .exists(&f.bucket, "resumed.bin")
            .await
            .expect("exists")
    );
    let state = first.list_transfers().expect("transfers");
    assert_eq!(state.len(), 1);
    assert_eq!(state[0].parts_done, 2);
    assert_eq!(state[0].parts_total, 6);

    // A new engine over a healthy store, as a new process would be.
    let counting = Arc::new(FaultStore::new(f.store.clone(), Vec::new()));
    let second = engine(counting.clone(), db.clone(), config(5, 2));
    let report = second
        .upload_file(
            &source,
            &target,
            &PutOptions::default(),
            &Tracker::silent("up"),
        )
        .await
        .expect("resume");
    assert_eq!(report.parts_resumed, 2);
    assert_eq!(report.bytes_sent, size - 10 * MIB);
    assert_eq!(counting.calls("upload_part"), 4);
    assert_eq!(counting.calls("create_multipart"), 0);
    assert!(second.list_transfers().expect("transfers").is_empty());
    assert!(
        f.store
            .get_bytes(&f.bucket, "resumed.bin")
            .await
            .expect("get")
            == bytes
    );
}

/// A file that changes while it uploads is not stored half old, half new: the upload
/// stops with a clear error and leaves nothing behind.
async fn changed_file_is_refused(f: Fixture) {
    let dir = tempfile::tempdir().expect("temp");
    let source = dir.path().join("changing.bin");
    write_file(&source, (16 * MIB) as usize, 31);
    let slow = Arc::new(FaultStore::new(
        f.store.clone(),
        vec![Fault {
            operation: "upload_part",
            after: 0,
            times: 0,
            transient: true,
            delay: Some(Duration::from_millis(400)),
        }],
    ));
    let transfers = engine(slow, Arc::new(MemoryDb::default()), config(5, 1));
    let target = ObjectRef::new(&f.bucket, "changing.bin");
    let (options, tracker) = (PutOptions::default(), Tracker::silent("up"));
    let upload = transfers.upload_file(&source, &target, &options, &tracker);
    let change = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&source)
            .expect("open");
        std::io::Write::write_all(&mut file, b"more").expect("append");
    };
    let (result, ()) = tokio::join!(upload, change);
    let err = result.expect_err("a changed file is refused");
    assert!(matches!(err, Error::FileChanged { .. }), "{err:?}");
    assert!(err.to_string().contains("changing.bin"), "{err}");
    assert!(
        !f.store
            .exists(&f.bucket, "changing.bin")
            .await
            .expect("exists")
    );
    assert!(
        f.store
            .list_multipart_uploads(&f.bucket)
            .await
            .expect("uploads")
            .is_empty(),
        "the upload was aborted"
    );
    assert!(transfers.list_transfers().expect("state").is_empty());
}

/// Orphaned multipart uploads are aborted by `cleanup`, and their resume state goes.
async fn cleanup_orphans(f: Fixture) {
    let dir = tempfile::tempdir().expect("temp");
    let source = dir.path().join("orphan.bin");
    write_file(&source, (12 * MIB) as usize, 41);
    let db: Arc<dyn MetaDb> = Arc::new(MemoryDb::default());
    let faulty = Arc::new(FaultStore::new(
        f.store.clone(),
        vec![Fault::fatal_after("upload_part", 1)],
    ));
    engine(faulty, db.clone(), config(5, 1))
        .upload_file(
            &source,
            &ObjectRef::new(&f.bucket, "orphan.bin"),
            &PutOptions::default(),
            &Tracker::silent("up"),
        )
        .await
        .expect_err("fails after one part");
    // And one started by someone else.
    f.store
        .create_multipart(&f.bucket, "foreign", &PutOptions::default())
        .await
        .expect("create");
    assert_eq!(
        f.store
            .list_multipart_uploads(&f.bucket)
            .await
            .expect("list")
            .len(),
        2
    );

    let transfers = engine(f.store.clone(), db, config(5, 1));
    // Nothing is older than a day.
    let report = transfers
        .cleanup(Duration::from_secs(24 * 3600), Some(&f.bucket))
        .await
        .expect("cleanup");
    assert!(report.aborted.is_empty());
    assert_eq!(report.kept, 2);

    let report = transfers
        .cleanup(Duration::ZERO, Some(&f.bucket))
        .await
        .expect("cleanup");
    assert_eq!(report.aborted.len(), 2);
    assert_eq!(report.records_dropped, 1);
    assert!(
        f.store
            .list_multipart_uploads(&f.bucket)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(transfers.list_transfers().expect("state").is_empty());
}

/// Transient failures are retried by `RetryStore`; the download still verifies.
async fn retries_transient_failures(f: Fixture) {
    let dir = tempfile::tempdir().expect("temp");
    let source = dir.path().join("r.bin");
    let bytes = write_file(&source, (11 * MIB) as usize, 51);
    let flaky: Arc<dyn Store> = Arc::new(FaultStore::new(
        f.store.clone(),
        vec![
            Fault::transient("upload_part", 1, 2),
            Fault::transient("get", 0, 2),
        ],
    ));
    let policy = RetryPolicy {
        base_delay: Duration::from_millis(10),
        ..RetryPolicy::default()
    };
    let store: Arc<dyn Store> = Arc::new(RetryStore::new(flaky, policy));
    let transfers = engine(store, Arc::new(MemoryDb::default()), config(5, 2));
    let target = ObjectRef::new(&f.bucket, "flaky.bin");
    transfers
        .upload_file(
            &source,
            &target,
            &PutOptions::default(),
            &Tracker::silent("up"),
        )
        .await
        .expect("upload despite transient failures");
    let dest = dir.path().join("back.bin");
    transfers
        .download_object(&target, &dest, &Tracker::silent("down"))
        .await
        .expect("download despite transient failures");
    assert!(std::fs::read(&dest).expect("read") == bytes);
}

/// A download that cannot finish leaves neither a partial file nor a temp file.
async fn failed_download_leaves_nothing(f: Fixture) {
    let dir = tempfile::tempdir().expect("temp");
    let source = dir.path().join("d.bin");
    write_file(&source, (12 * MIB) as usize, 61);
    let target = ObjectRef::new(&f.bucket, "d.bin");
    engine(f.store.clone(), Arc::new(MemoryDb::default()), config(5, 2))
        .upload_file(
            &source,
            &target,
            &PutOptions::default(),
            &Tracker::silent("up"),
        )
        .await
        .expect("upload");
    let broken: Arc<dyn Store> = Arc::new(FaultStore::new(
        f.store.clone(),
        vec![Fault::fatal_after("get", 1)],
    ));
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).expect("mkdir");
    std::fs::write(out.join("d.bin"), b"the old file").expect("old");
    let err = engine(broken, Arc::new(MemoryDb::default()), config(5, 2))
        .download_object(&target, &out.join("d.bin"), &Tracker::silent("down"))
        .await
        .expect_err("the second range fails");
    assert!(!matches!(err, Error::IntegrityMismatch { .. }), "{err:?}");
    // The old file is untouched, and no temp file is left.
    assert_eq!(
        std::fs::read(out.join("d.bin")).expect("old"),
        b"the old file"
    );
    assert_eq!(walk(&out).len(), 1);
}

macro_rules! on {
    ($backend_mod:ident, $backend:expr, $($check:ident),+ $(,)?) => {
        mod $backend_mod {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let fixture = Fixture::new($backend, stringify!($check)).await;
                    super::$check(fixture).await;
                }
            )+
        }
    };
}

on!(
    local,
    Backend::Local,
    multipart_round_trip,
    folder_round_trip,
    resume_after_failure,
    changed_file_is_refused,
    cleanup_orphans,
    failed_download_leaves_nothing,
);
on!(
    garage,
    Backend::Garage,
    multipart_round_trip,
    folder_round_trip,
    resume_after_failure,
    changed_file_is_refused,
    cleanup_orphans,
    retries_transient_failures,
    failed_download_leaves_nothing,
);
on!(
    moto,
    Backend::Moto,
    multipart_round_trip,
    resume_after_failure
);
